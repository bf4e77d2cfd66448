/* The host implementation of virtio/os.h for the cmocka tests: heap memory with virt == phys,
 * plain volatile register access, interrupts simulated by recorded handlers, a fake clock whose
 * 10 ms ticks run the drivers' tick hooks, events, and a captured log. It never sleeps: a wait
 * runs the simulator and advances the clock, and returns only when its event is signalled or
 * its timeout passes, so a lost wake-up shows as a timeout (or an abort), never as success. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <virtio/os.h>

#include "sim.h"

#define HOST_PAGE       4096u
#define MAX_HANDLERS    256
#define IDLE_WAIT_LIMIT 100000u
#define LOG_CAPTURE     (256u * 1024u)
#define TICK_NS         10000000ull     /* the kernel's 100 Hz timer */
#define POLL_STEP_NS    10000ull        /* a polled wait's turn, on the fake clock */
#define IDLE_LIMIT_NS   200000000000ull /* a wait idle this long (fake time) aborts the test */

struct irq_handler {
    unsigned irq;
    void (*fn)(void *arg);
    void *arg;
    bool pending;
};

static struct irq_handler handlers[MAX_HANDLERS];
static unsigned n_handlers;
static bool irqs_enabled = true;
static bool in_handler;
static bool fail_register;

static uint64_t clock_offset, clock_step, next_tick;
static unsigned idle_waits;
static struct os_hooks *hooks;

static char log_buf[LOG_CAPTURE];
static size_t log_len;
static bool log_quiet;

static uint64_t dma_bytes, alloc_bytes;

void *os_alloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (p)
        alloc_bytes += size;
    return p;
}

void os_free(void *p, size_t size)
{
    if (!p)
        return;
    alloc_bytes -= size;
    free(p);
}

void *os_dma_alloc(size_t size, uint64_t *pa)
{
    size_t rounded = (size + HOST_PAGE - 1) & ~(size_t)(HOST_PAGE - 1);
    void *p;

    if (rounded == 0)
        rounded = HOST_PAGE;
    p = aligned_alloc(HOST_PAGE, rounded);
    if (!p)
        return NULL;
    memset(p, 0, rounded);
    dma_bytes += size;
    if (pa)
        *pa = (uint64_t)(uintptr_t)p;
    return p;
}

void os_dma_free(void *va, size_t size)
{
    if (!va)
        return;
    dma_bytes -= size;
    free(va);
}

uint64_t os_virt_to_phys(const void *va)
{
    return (uint64_t)(uintptr_t)va;
}

uint64_t os_virt_to_phys_run(const void *va, size_t len, size_t *run)
{
    *run = len; /* the host's buffers are their own bus addresses */
    return (uint64_t)(uintptr_t)va;
}

void os_mb(void)
{
    atomic_thread_fence(memory_order_seq_cst);
}

void os_rmb(void)
{
    atomic_thread_fence(memory_order_acquire);
}

void os_wmb(void)
{
    atomic_thread_fence(memory_order_release);
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
    char line[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (!log_quiet)
        fprintf(stderr, "%s\n", line);
    size_t len = strlen(line);
    if (log_len + len + 2 > sizeof(log_buf))
        log_len = 0; /* keep the newest lines */
    memcpy(log_buf + log_len, line, len);
    log_len += len;
    log_buf[log_len++] = '\n';
    log_buf[log_len] = '\0';
}

/* Runs every handler with a pending interrupt, interrupts disabled as on real hardware. */
static bool deliver_pending(void)
{
    bool ran = false;
    bool again = true;

    if (in_handler)
        return false;
    while (again) {
        again = false;
        for (unsigned i = 0; i < n_handlers; i++) {
            if (!handlers[i].pending)
                continue;
            handlers[i].pending = false;
            bool was = irqs_enabled;
            irqs_enabled = false;
            in_handler = true;
            handlers[i].fn(handlers[i].arg);
            in_handler = false;
            irqs_enabled = was;
            ran = again = true;
        }
    }
    return ran;
}

static uint64_t clock_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + clock_offset;
}

/* The timer interrupt: once the fake clock has passed the next 10 ms boundary, every tick
 * hook runs once (missed ticks are skipped, as in the kernel), interrupts disabled. */
static void run_ticks(void)
{
    uint64_t now = clock_now();

    if (in_handler)
        return;
    if (next_tick == 0)
        next_tick = now + TICK_NS;
    if (now < next_tick)
        return;
    next_tick = now + TICK_NS;
    bool was = irqs_enabled;
    irqs_enabled = false;
    in_handler = true;
    for (struct os_hooks *h = hooks; h; h = h->next)
        if (h->tick)
            h->tick(h->arg);
    in_handler = false;
    irqs_enabled = was;
    deliver_pending();
}

int os_irq_register(unsigned irq, void (*handler)(void *arg), void *arg)
{
    if (fail_register || !handler)
        return -ENOTSUP;
    if (n_handlers >= MAX_HANDLERS)
        return -ENOSPC;
    handlers[n_handlers++] = (struct irq_handler){.irq = irq, .fn = handler, .arg = arg};
    return 0;
}

unsigned long os_irq_disable(void)
{
    unsigned long was = irqs_enabled;
    irqs_enabled = false;
    return was;
}

void os_irq_restore(unsigned long state)
{
    irqs_enabled = state != 0;
    if (irqs_enabled) {
        deliver_pending();
        run_ticks();
    }
}

void os_wait(void)
{
    unsigned done = sim_run();
    bool ran = deliver_pending();

    if (done || ran) {
        idle_waits = 0;
        return;
    }
    clock_offset += 1000000; /* nothing will ever happen: let timeouts run out */
    if (++idle_waits >= IDLE_WAIT_LIMIT) {
        fprintf(stderr, "os_wait: %u waits with nothing pending, giving up\n", idle_waits);
        abort();
    }
}

uint64_t os_time_ns(void)
{
    clock_offset += clock_step;
    return clock_now();
}

void os_hooks_add(struct os_hooks *h)
{
    h->next = hooks;
    hooks = h;
}

void os_hooks_remove(struct os_hooks *h)
{
    for (struct os_hooks **p = &hooks; *p; p = &(*p)->next) {
        if (*p == h) {
            *p = h->next;
            return;
        }
    }
}

void os_event_init(struct os_event *ev)
{
    ev->pending = 0;
}

void os_event_signal(struct os_event *ev)
{
    ev->pending = 1;
}

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

/* Time that passed with nothing happening, for the abort of a wait nobody will ever end. */
static void idle_for(uint64_t *idle, uint64_t ns)
{
    clock_offset += ns;
    *idle += ns;
    if (*idle >= IDLE_LIMIT_NS) {
        fprintf(stderr, "os_event_wait: idle for %llu s of fake time, giving up\n",
                (unsigned long long)(*idle / 1000000000ull));
        abort();
    }
}

/* The kernel's wait, with "sleep" meaning: the simulated devices do their deferred work and
 * raise their interrupts, then pending handlers and ticks run. A polled wait never lets the
 * simulator run (a polled device answers at notify, or never), only the clock and ticks. */
int os_event_wait(struct os_event *ev, uint64_t timeout_ns)
{
    unsigned long irq = os_irq_disable();
    const uint64_t start = os_time_ns();
    uint64_t round = start, idle = 0;
    int rc = 0;

    for (;;) {
        if (event_take(ev))
            break;
        poll_all();
        if (event_take(ev))
            break;
        uint64_t now = os_time_ns();
        if (timeout_ns != OS_WAIT_FOREVER && now - start >= timeout_ns) {
            rc = -ETIMEDOUT;
            break;
        }
        uint64_t watch = watch_all();
        if (watch == OS_WATCH_POLLED) {
            idle_for(&idle, POLL_STEP_NS);
            deliver_pending();
            run_ticks();
            continue;
        }
        if (now - round < watch)
            continue;
        if (arm_all() || ev->pending)
            continue;
        unsigned done = sim_run();
        bool ran = deliver_pending();
        run_ticks();
        if (!done && !ran)
            idle_for(&idle, 1000000);
        round = os_time_ns();
    }
    os_irq_restore(irq);
    return rc;
}

void os_host_set_clock_step(uint64_t ns)
{
    clock_step = ns;
}

void os_host_advance_clock(uint64_t ns)
{
    clock_offset += ns;
    if (irqs_enabled)
        run_ticks();
}

void os_host_raise_irq(unsigned irq)
{
    for (unsigned i = 0; i < n_handlers; i++)
        if (handlers[i].irq == irq)
            handlers[i].pending = true;
    if (irqs_enabled)
        deliver_pending();
}

bool os_host_irq_registered(unsigned irq)
{
    for (unsigned i = 0; i < n_handlers; i++)
        if (handlers[i].irq == irq)
            return true;
    return false;
}

void os_host_fail_irq_register(bool fail)
{
    fail_register = fail;
}

bool os_host_irqs_enabled(void)
{
    return irqs_enabled;
}

bool os_host_in_interrupt(void)
{
    return in_handler;
}

bool os_host_log_contains(const char *needle)
{
    return strstr(log_buf, needle) != NULL;
}

const char *os_host_log_text(void)
{
    return log_buf;
}

void os_host_log_clear(void)
{
    log_len = 0;
    log_buf[0] = '\0';
}

void os_host_log_quiet(bool quiet)
{
    /* RUMPK_LOG=1 in the environment keeps the log on stderr whatever a test asks. */
    const char *env = getenv("RUMPK_LOG");
    log_quiet = quiet && !(env && env[0] == '1');
}

uint64_t os_host_dma_bytes(void)
{
    return dma_bytes;
}

uint64_t os_host_alloc_bytes(void)
{
    return alloc_bytes;
}

/* Entropy: os_random is a seeded xorshift64* (reproducible tests; os_host_seed_random picks
 * the sequence); os_entropy_add counts what a plugin fed and keeps the last bytes. */
static uint64_t random_state = 0x9e3779b97f4a7c15ull;
static uint64_t entropy_fed;
static const char *entropy_source;
static uint8_t entropy_last[256];
static size_t entropy_last_len;

void os_random(void *buf, size_t len)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < len; i++) {
        random_state ^= random_state >> 12;
        random_state ^= random_state << 25;
        random_state ^= random_state >> 27;
        b[i] = (uint8_t)((random_state * 0x2545f4914f6cdd1dull) >> 56);
    }
}

void os_entropy_add(const void *buf, size_t len, const char *source)
{
    entropy_fed += len;
    entropy_source = source;
    entropy_last_len = len < sizeof(entropy_last) ? len : sizeof(entropy_last);
    memcpy(entropy_last, buf, entropy_last_len);
}

void os_host_seed_random(uint64_t seed)
{
    random_state = seed ? seed : 1;
}

uint64_t os_host_entropy_fed(void)
{
    return entropy_fed;
}

const char *os_host_entropy_source(void)
{
    return entropy_source;
}

size_t os_host_entropy_last(const uint8_t **bytes)
{
    *bytes = entropy_last;
    return entropy_last_len;
}

void os_host_entropy_reset(void)
{
    entropy_fed = 0;
    entropy_source = NULL;
    entropy_last_len = 0;
}

/* Console devices: the host keeps the last one added and what it was given as input. */
static struct os_console *host_console;
static char console_in[1024];
static size_t console_in_len;

int os_console_add(struct os_console *c)
{
    c->os_id = 1;
    host_console = c;
    return 0;
}

void os_console_remove(struct os_console *c)
{
    if (host_console == c)
        host_console = NULL;
    c->os_id = -1;
}

void os_console_input(struct os_console *c, const char *buf, size_t len)
{
    if (c != host_console)
        return;
    while (len-- && console_in_len < sizeof(console_in))
        console_in[console_in_len++] = *buf++;
}

struct os_console *os_host_console(void)
{
    return host_console;
}

size_t os_host_console_input(char *out, size_t cap)
{
    size_t n = console_in_len < cap ? console_in_len : cap;
    memcpy(out, console_in, n);
    console_in_len = 0;
    return n;
}
