/* The PLIC, driven for one context (hart 0 S-mode, from the DTB): source priorities, enables,
 * threshold, and claim/complete dispatch to the handlers registered per line. Lines may be
 * shared (PCI INTx): every handler on a line runs. It never touches another context. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kernel/boot.h>
#include <kernel/cpu.h>
#include <kernel/kernel.h>
#include <kernel/platform.h>

#define PLIC_PRIORITY(irq)  (4u * (irq))
#define PLIC_ENABLE(ctx)    (0x2000u + 0x80u * (ctx))
#define PLIC_THRESHOLD(ctx) (0x200000u + 0x1000u * (ctx))
#define PLIC_CLAIM(ctx)     (0x200004u + 0x1000u * (ctx))
#define PLIC_MAX_SOURCES    1024u
#define PLIC_MAX_HANDLERS   64u

struct irq_handler {
    unsigned irq;
    void (*fn)(void *arg);
    void *arg;
};

static uintptr_t plic_base;
static unsigned plic_ctx, plic_ndev;
static struct irq_handler handlers[PLIC_MAX_HANDLERS];
static unsigned n_handlers;
static uint32_t spurious;

static void plic_write(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(plic_base + off) = v;
}

static uint32_t plic_read(uint32_t off)
{
    return *(volatile uint32_t *)(plic_base + off);
}

int plic_init(const struct platform *p)
{
    if (!p->plic_base || p->plic_ndev == 0)
        return -ENODEV;
    plic_base = (uintptr_t)p->plic_base;
    plic_ctx = p->plic_s_context;
    plic_ndev = p->plic_ndev < PLIC_MAX_SOURCES ? p->plic_ndev : PLIC_MAX_SOURCES - 1;
    for (unsigned word = 0; word <= plic_ndev / 32; word++)
        plic_write(PLIC_ENABLE(plic_ctx) + 4u * word, 0);
    plic_write(PLIC_THRESHOLD(plic_ctx), 0);
    /* Drain anything left claimed by the firmware. */
    for (unsigned i = 0; i < PLIC_MAX_SOURCES; i++) {
        uint32_t id = plic_read(PLIC_CLAIM(plic_ctx));
        if (id == 0)
            break;
        plic_write(PLIC_CLAIM(plic_ctx), id);
    }
    cpu_set_sie_bits(SIE_SEIE);
    return 0;
}

int irq_register(unsigned irq, void (*handler)(void *arg), void *arg)
{
    if (!plic_base)
        return -ENODEV;
    if (irq == 0 || irq > plic_ndev || !handler)
        return -EINVAL;
    unsigned long s = cpu_irq_save();
    if (n_handlers >= PLIC_MAX_HANDLERS) {
        cpu_irq_restore(s);
        return -ENOSPC;
    }
    handlers[n_handlers].irq = irq;
    handlers[n_handlers].fn = handler;
    handlers[n_handlers].arg = arg;
    n_handlers++;
    plic_write(PLIC_PRIORITY(irq), 1);
    uint32_t en = plic_read(PLIC_ENABLE(plic_ctx) + 4u * (irq / 32));
    plic_write(PLIC_ENABLE(plic_ctx) + 4u * (irq / 32), en | 1u << (irq % 32));
    cpu_irq_restore(s);
    return 0;
}

void plic_dispatch(void)
{
    if (!plic_base)
        return;
    /* One claim per trap: a register access costs an emulator a round trip (QEMU takes its big
     * lock for each), and another source still pending keeps SEIP set, so the trap comes straight
     * back for it. Claiming again until 0 would cost that read on every interrupt. */
    uint32_t id = plic_read(PLIC_CLAIM(plic_ctx));
    if (id == 0)
        return;
    bool handled = false;
    if (id <= plic_ndev) {
        for (unsigned i = 0; i < n_handlers; i++) {
            if (handlers[i].irq == id) {
                handlers[i].fn(handlers[i].arg);
                handled = true;
            }
        }
    }
    if (!handled && spurious++ == 0)
        printf("plic: interrupt %u has no handler\n", (unsigned)id);
    plic_write(PLIC_CLAIM(plic_ctx), id);
}
