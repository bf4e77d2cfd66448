/* The OS abstraction: everything the virtio core and the device plugins need from the system.
 * The kernel implements it in kernel/port/os_kernel.c, the host test build in tests/sim/os_host.c.
 * Core and plugins include this header and never a kernel header. */
#ifndef VIRTIO_OS_H
#define VIRTIO_OS_H

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
 * os_irq_disable returns the previous state for os_irq_restore. os_wait must be called with
 * interrupts disabled: it sleeps until an interrupt is pending, lets pending handlers run,
 * and returns with interrupts disabled again, so "check, then wait" has no lost wake-up.
 * On the host os_wait runs the simulator's pending work instead of sleeping. */
int os_irq_register(unsigned irq, void (*handler)(void *arg), void *arg);
unsigned long os_irq_disable(void);
void os_irq_restore(unsigned long state);
void os_wait(void);

/* Monotonic clock in nanoseconds, for timeouts and benchmarks. */
uint64_t os_time_ns(void);

#endif
