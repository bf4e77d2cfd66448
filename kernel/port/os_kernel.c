/* The kernel side of the virtio OS abstraction (framework/include/virtio/os.h): pages for memory
 * and DMA (no MMU, so bus address == CPU address), fences, volatile register access, PLIC lines,
 * events and the drivers' hooks (tick, poll, watch). Its one policy is the wait's: watch the
 * drivers' rings briefly, then sleep in wfi. It never allocates on a request path. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kernel/boot.h>
#include <kernel/cpu.h>
#include <kernel/entropy.h>
#include <kernel/fiber.h>
#include <kernel/init.h>
#include <kernel/kernel.h>
#include <kernel/vm.h>
#include <virtio/os.h>

static size_t pages_for(size_t size)
{
    return (size + PAGE_SIZE - 1) / PAGE_SIZE;
}

void *os_alloc(size_t size)
{
    return size ? page_alloc(pages_for(size)) : NULL;
}

void os_free(void *p, size_t size)
{
    if (p)
        page_free(p, pages_for(size));
}

void *os_dma_alloc(size_t size, uint64_t *pa)
{
    void *p = size ? page_alloc(pages_for(size)) : NULL;
    if (p && pa)
        *pa = (uint64_t)(uintptr_t)p;
    return p;
}

void os_dma_free(void *va, size_t size)
{
    if (va)
        page_free(va, pages_for(size));
}

uint64_t os_virt_to_phys(const void *va)
{
    return vm_kernel_phys((uintptr_t)va); /* one to one, but for fibers' kernel stacks */
}

uint64_t os_virt_to_phys_run(const void *va, size_t len, size_t *run)
{
    return vm_kernel_phys_run((uintptr_t)va, len, run);
}

/* Device memory and normal memory are ordered separately on RISC-V: the I/O bits make a ring
 * write visible before the MMIO notify that follows it, and an MMIO read before ring reads. */
void os_mb(void)
{
    __asm__ volatile("fence iorw, iorw" ::: "memory");
}

void os_rmb(void)
{
    __asm__ volatile("fence ir, ir" ::: "memory");
}

void os_wmb(void)
{
    __asm__ volatile("fence ow, ow" ::: "memory");
}

uint8_t os_mmio_read8(uintptr_t addr)
{
    return *(volatile uint8_t *)addr;
}

uint16_t os_mmio_read16(uintptr_t addr)
{
    return *(volatile uint16_t *)addr;
}

uint32_t os_mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

void os_mmio_write8(uintptr_t addr, uint8_t v)
{
    *(volatile uint8_t *)addr = v;
}

void os_mmio_write16(uintptr_t addr, uint16_t v)
{
    *(volatile uint16_t *)addr = v;
}

void os_mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

/* Port I/O on riscv64 is MMIO inside the PCI I/O window: the token is the CPU address. */
uint8_t os_pio_read8(uintptr_t port)
{
    return os_mmio_read8(port);
}

uint16_t os_pio_read16(uintptr_t port)
{
    return os_mmio_read16(port);
}

uint32_t os_pio_read32(uintptr_t port)
{
    return os_mmio_read32(port);
}

void os_pio_write8(uintptr_t port, uint8_t v)
{
    os_mmio_write8(port, v);
}

void os_pio_write16(uintptr_t port, uint16_t v)
{
    os_mmio_write16(port, v);
}

void os_pio_write32(uintptr_t port, uint32_t v)
{
    os_mmio_write32(port, v);
}

void os_log(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n') /* callers may or may not end with a newline */
        line[--n] = '\0';
    printf("%s\n", line);
}

int os_irq_register(unsigned irq, void (*handler)(void *arg), void *arg)
{
    return irq_register(irq, handler, arg) == 0 ? 0 : -ENOTSUP;
}

unsigned long os_irq_disable(void)
{
    return cpu_irq_save();
}

void os_irq_restore(unsigned long state)
{
    cpu_irq_restore(state);
}

/* Every driver's hooks; changed only with interrupts disabled. */
static struct os_hooks *hooks;

void os_hooks_add(struct os_hooks *h)
{
    unsigned long s = cpu_irq_save();
    h->next = hooks;
    hooks = h;
    cpu_irq_restore(s);
}

void os_hooks_remove(struct os_hooks *h)
{
    unsigned long s = cpu_irq_save();
    for (struct os_hooks **p = &hooks; *p; p = &(*p)->next) {
        if (*p == h) {
            *p = h->next;
            break;
        }
    }
    cpu_irq_restore(s);
}

/* The timer interrupt's periodic call (kernel/timer.c calls it through timer_set_hook). */
static void os_kernel_tick(void)
{
    for (struct os_hooks *h = hooks; h; h = h->next)
        if (h->tick)
            h->tick(h->arg);
}

static int os_tick_init(void)
{
    timer_set_hook(os_kernel_tick);
    return 0;
}
KERNEL_INIT(INIT_BUS, os_tick_init);

void os_event_init(struct os_event *ev)
{
    ev->pending = 0;
    ev->sleepers = 0;
}

/* A waiter counts itself asleep before it checks `pending` a last time and sleeps, with
 * interrupts off: a signal that finds no sleeper leaves `pending` for the waiter to see, so the
 * scan of every fiber is paid only when someone sleeps (not for each completion of a batch). */
void os_event_signal(struct os_event *ev)
{
    const unsigned was = ev->pending;

    ev->pending = 1;
    /* Pending already: the sleeper was woken by that signal (none sleeps on a pending event). */
    if (!was && ev->sleepers)
        fiber_wakeup(ev); /* a fiber asleep in os_event_wait */
}

/* Interrupts disabled: consumes a pending signal. */
static bool event_take(struct os_event *ev)
{
    if (!ev->pending)
        return false;
    ev->pending = 0;
    return true;
}

static void poll_all(void)
{
    for (struct os_hooks *h = hooks; h; h = h->next)
        if (h->poll)
            h->poll(h->arg);
}

static uint64_t watch_all(void)
{
    uint64_t most = 0;
    for (struct os_hooks *h = hooks; h; h = h->next) {
        uint64_t w = h->watch ? h->watch(h->arg) : 0;
        if (w > most)
            most = w;
    }
    return most;
}

static bool arm_all(void)
{
    bool again = false;
    for (struct os_hooks *h = hooks; h; h = h->next)
        if (h->arm && h->arm(h->arg))
            again = true;
    return again;
}

/* Interrupts stay disabled while the event is checked, so a signal from a handler lands either
 * before the check or as a pending interrupt that ends the wfi: it is never missed. The watch
 * (QD1 latency: a completion often comes sooner than a sleeping CPU wakes) polls the drivers
 * for as long as the busiest asks, then they re-arm their interrupts and the CPU sleeps. */
int os_event_wait(struct os_event *ev, uint64_t timeout_ns)
{
    unsigned long irq = cpu_irq_save();
    const uint64_t start = time_ns();
    uint64_t round = start;
    int rc = 0;

    for (;;) {
        if (event_take(ev))
            break;
        poll_all();
        if (event_take(ev))
            break;
        uint64_t now = time_ns();
        if (timeout_ns != OS_WAIT_FOREVER && now - start >= timeout_ns) {
            rc = -ETIMEDOUT;
            break;
        }
        uint64_t watch = watch_all();
        if (watch == OS_WATCH_POLLED) {
            cpu_irq_restore(SSTATUS_SIE); /* let other interrupts in for a moment */
            cpu_irq_save();
            continue;
        }
        if (now - round < watch)
            continue;
        ev->sleepers++;
        if (arm_all() || ev->pending) {
            ev->sleepers--;
            continue;
        }
        /* A fiber sleeps (others run meanwhile) until the signal or the deadline, or waits in
         * place when nobody else could run; the idle context waits in wfi. */
        fiber_block(ev, timeout_ns == OS_WAIT_FOREVER ? 0 : start + timeout_ns);
        ev->sleepers--;
        round = time_ns();
    }
    cpu_irq_restore(irq);
    return rc;
}

uint64_t os_time_ns(void)
{
    return time_ns();
}

void os_entropy_add(const void *buf, size_t len, const char *source)
{
    entropy_add(buf, len, source);
}

void os_random(void *buf, size_t len)
{
    entropy_get(buf, len);
}
