/* The OS abstraction: everything the virtio core and the device plugins need from the system.
 * The kernel implements it in kernel/port/os_kernel.c, the host test build in tests/sim/os_host.c.
 * Core and plugins include this header and never a kernel header. */
#ifndef VIRTIO_OS_H
#define VIRTIO_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Memory. os_alloc is for probe time only (never on a request path); returns zeroed memory
 * or NULL. os_dma_alloc returns zeroed, page-aligned, physically contiguous memory the device
 * can reach and its bus address in *pa, or NULL. The caller owns what it gets and frees it with
 * the same size. */
void *os_alloc(size_t size);
void os_free(void *p, size_t size);
void *os_dma_alloc(size_t size, uint64_t *pa);
void os_dma_free(void *va, size_t size);
/* Bus address of any byte of RAM the caller owns (used for zero-copy buffers). */
uint64_t os_virt_to_phys(const void *va);
/* The same, and in *run how many of the len bytes from va on lie at following bus addresses
 * (at least the rest of va's page, or len if less): a driver describes a buffer run by run
 * instead of page by page. */
uint64_t os_virt_to_phys_run(const void *va, size_t len, size_t *run);

/* Ordering between our ring writes and the device's view of memory. */
void os_mb(void);
void os_rmb(void);
void os_wmb(void);

/* Register access. MMIO takes a CPU address; port I/O takes the token the bus layer handed out
 * for an I/O BAR (on riscv64 that is a CPU address inside the PCI I/O window). */
uint8_t os_mmio_read8(uintptr_t addr);
uint16_t os_mmio_read16(uintptr_t addr);
uint32_t os_mmio_read32(uintptr_t addr);
void os_mmio_write8(uintptr_t addr, uint8_t v);
void os_mmio_write16(uintptr_t addr, uint16_t v);
void os_mmio_write32(uintptr_t addr, uint32_t v);
uint8_t os_pio_read8(uintptr_t port);
uint16_t os_pio_read16(uintptr_t port);
uint32_t os_pio_read32(uintptr_t port);
void os_pio_write8(uintptr_t port, uint8_t v);
void os_pio_write16(uintptr_t port, uint16_t v);
void os_pio_write32(uintptr_t port, uint32_t v);

/* One line of log, printf-style, newline added by the caller. */
void os_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Interrupts. os_irq_register routes platform interrupt line `irq` to handler(arg);
 * returns 0, or -ENOTSUP when the line cannot be used (the caller then polls).
 * os_irq_disable returns the previous state for os_irq_restore. Waiting is on events (below),
 * never on a bare "until some interrupt". */
int os_irq_register(unsigned irq, void (*handler)(void *arg), void *arg);
unsigned long os_irq_disable(void);
void os_irq_restore(unsigned long state);

/* Events: one waiter sleeps until another context (an interrupt handler, a completion
 * callback, a periodic hook) signals. A signal is kept until a wait consumes it, so a signal
 * given before the wait is never lost. os_event_signal may be called from any context.
 * os_event_wait returns 0 once the event was signalled (and consumes the signal), or
 * -ETIMEDOUT after timeout_ns (OS_WAIT_FOREVER: no limit). Interrupts may be on or off on
 * entry; they are in the same state on return. Never called from interrupt context. While it
 * waits it runs the registered hooks' poll and may watch them briefly before sleeping (below).
 * The host implementation sleeps by running the simulator and advancing a fake clock: a wait
 * nobody signals runs out its timeout (or aborts the test), it never returns early. */
struct os_event {
    volatile unsigned pending;
    volatile unsigned sleepers; /* the OS's: waiters asleep on it (a signal wakes only then) */
};
#define OS_WAIT_FOREVER UINT64_MAX
void os_event_init(struct os_event *ev);
void os_event_signal(struct os_event *ev);
int os_event_wait(struct os_event *ev, uint64_t timeout_ns);

/* Hooks a driver registers (storage it owns, one per device; the OS links it). Every member
 * may be NULL. All run with interrupts disabled.
 *   tick:  about every 10 ms from the timer interrupt, whether or not anyone waits
 *          (deadlines are checked here).
 *   poll:  a waiter asks for completions now (the poll path; also the only path for a device
 *          without interrupts).
 *   watch: how long a waiter should watch (calling poll) before it sleeps, in ns: 0 none,
 *          OS_WATCH_POLLED never sleep (the device has no usable interrupt and work is
 *          outstanding). A driver may switch its device's interrupts off for the watch.
 *   arm:   the waiter is about to sleep: switch device interrupts back on; true when a
 *          completion is already there (the waiter polls again instead of sleeping). */
#define OS_WATCH_POLLED UINT64_MAX
struct os_hooks {
    void (*tick)(void *arg);
    void (*poll)(void *arg);
    uint64_t (*watch)(void *arg);
    bool (*arm)(void *arg);
    void *arg;
    struct os_hooks *next; /* the OS's */
};
void os_hooks_add(struct os_hooks *h);
void os_hooks_remove(struct os_hooks *h);

/* Entropy. os_entropy_add hands the OS's entropy pool bytes a device produced (a virtio-rng
 * plugin); `source` is a static name for the boot log ("virtio-rng"). Any context. os_random
 * fills buf with len unpredictable bytes drawn from that pool (as good as what fed it: without
 * a source the OS falls back to what the platform has and says so at boot). Any context. */
void os_entropy_add(const void *buf, size_t len, const char *source);
void os_random(void *buf, size_t len);

/* ION commands a plugin declares ([[ion.command]] in its manifest.toml, tools/gen_ion.py):
 * the OS calls the handler in the context of the user fiber that posted the command, once its
 * capability (of the plugin's kind, with the command's rights) was checked. `object` is what
 * the plugin's lookup returned for the name the capability was made for ("rng0" -> 0); `arg`
 * is the entry's argument block, hostile like everything the fiber wrote. The handler returns
 * the completion's result (>= 0, or -errno) and may sleep. It reaches the fiber's memory only
 * through os_user_copyin/os_user_copyout, which check every byte against the fiber's page
 * table (0 or -EFAULT). */
struct os_ion_call {
    uint32_t object;
    uint64_t arg[4];
};
int os_user_copyin(void *dst, uint64_t user_src, size_t len);
int os_user_copyout(uint64_t user_dst, const void *src, size_t len);

/* Console devices (a virtio-console port): os_console_add offers one to the OS under c->name
 * ("hvc0"; the OS switches its console to it when told to, e.g. console=hvc0 on the kernel
 * command line). c->write must send len bytes within a bounded time (poll the device with a
 * deadline) and work from any context with interrupts off. os_console_input hands the OS bytes
 * the device received (any context). os_console_remove takes it back (the OS returns to its
 * own console). The caller owns *c until remove; c->os_id is the OS's. */
struct os_console {
    const char *name;
    void (*write)(void *arg, const char *buf, size_t len);
    void *arg;
    int os_id;
};
int os_console_add(struct os_console *c); /* 0, or -ENOSPC when the OS takes no more */
void os_console_remove(struct os_console *c);
void os_console_input(struct os_console *c, const char *buf, size_t len);

/* Monotonic clock in nanoseconds, for timeouts and benchmarks. */
uint64_t os_time_ns(void);

#endif
