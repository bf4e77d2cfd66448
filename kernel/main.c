/* kmain: brings the machine up in order (device tree, console, traps, pages, PLIC, timer), prints
 * what the DTB said, switches paging on, reads the wall clock, then runs the KERNEL_INIT hooks by
 * level (the last one starts NipBox's fiber) and becomes the idle fiber. Components start
 * themselves through KERNEL_INIT; nothing here names a driver or the shell. */
#include <stdint.h>
#include <stdio.h>

#include <kernel/boot.h>
#include <kernel/cpu.h>
#include <kernel/fiber.h>
#include <kernel/init.h>
#include <kernel/kernel.h>
#include <kernel/platform.h>
#include <kernel/vm.h>

/* The firmware's totalsize is checked against this before the parser trusts it. */
#define DTB_MAX_SIZE (16u << 20)

extern char _end[];
extern const struct kernel_init __start_kernel_init[], __stop_kernel_init[];

void kmain(unsigned long hartid, const void *dtb) __attribute__((noreturn));

static uint32_t dtb_totalsize(const void *dtb)
{
    const uint8_t *b = dtb;
    return (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
}

static void banner(unsigned long hartid, const struct platform *p, uint64_t kmain_ns)
{
    printf("\nRumpk riscv64 on hart %lu\n", hartid);
    printf("  RAM      0x%llx, %llu MiB; %zu of %zu pages free\n", (unsigned long long)p->ram_base,
           (unsigned long long)(p->ram_size >> 20), page_free_count(), page_total_count());
    printf("  UART     0x%llx irq %u\n", (unsigned long long)p->uart_base, p->uart_irq);
    printf("  PLIC     0x%llx, %u sources, hart 0 S-mode context %u\n",
           (unsigned long long)p->plic_base, p->plic_ndev, p->plic_s_context);
    printf("  timebase %llu Hz; poweroff device 0x%llx\n", (unsigned long long)p->timebase_hz,
           (unsigned long long)p->test_base);
    printf("  virtio-mmio %u slots", p->n_mmio);
    if (p->n_mmio)
        printf(" (0x%llx irq %u first)", (unsigned long long)p->mmio[0].base, p->mmio[0].irq);
    printf("\n");
    if (p->has_pci) {
        printf("  PCI ECAM 0x%llx, buses %u-%u, %u windows, %u interrupt-map rows\n",
               (unsigned long long)p->ecam_base, p->bus_start, p->bus_end, p->n_ranges,
               p->n_intmap);
    }
    printf("  bootargs \"%s\"\n", p->bootargs);
    printf("  kmain took %llu us; %llu ms since reset\n", (unsigned long long)(kmain_ns / 1000u),
           (unsigned long long)(time_ns() / 1000000u));
}

/* Runs every hook, lowest level first, in link order within a level. */
static void run_init_hooks(void)
{
    const struct kernel_init *first = __start_kernel_init, *last = __stop_kernel_init;
    int level = -2147483647 - 1;
    for (;;) {
        int next = 2147483647;
        int found = 0;
        /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
        for (const struct kernel_init *h = first; h < last; h++) {
            if (h->level > level && h->level <= next) {
                next = h->level;
                found = 1;
            }
        }
        if (!found)
            return;
        /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
        for (const struct kernel_init *h = first; h < last; h++) {
            if (h->level != next)
                continue;
            int err = h->fn();
            if (err < 0)
                printf("init: %s failed: %d\n", h->name, err);
        }
        level = next;
    }
}

void kmain(unsigned long hartid, const void *dtb)
{
    uint64_t t0 = cpu_rdtime();
    trap_init();
    int err = platform_init(dtb, DTB_MAX_SIZE);
    const struct platform *p = platform();
    if (p->uart_base)
        uart_init(p->uart_base);
    if (err)
        panic("device tree at %p is malformed (%d)", dtb, err);
    if (!p->ram_size)
        panic("device tree names no memory");
    timer_init(p->timebase_hz);
    uintptr_t dtb_start = (uintptr_t)dtb;
    err = page_init(p->ram_base, p->ram_size, (uintptr_t)_end, dtb_start,
                    dtb_start + dtb_totalsize(dtb));
    if (err)
        panic("page allocator: no usable RAM after the kernel (%d)", err);
    err = vm_init(p);
    if (err)
        panic("paging: cannot build the kernel's page table (%d)", err);
    fiber_init();
    err = plic_init(p);
    if (err)
        printf("plic: unusable (%d): devices and console input are polled\n", err);
    else if ((err = uart_enable_irq(p->uart_irq)) != 0)
        printf("console: no input interrupt (%d): polling\n", err);
    cpu_irq_enable();
    uint64_t hz = p->timebase_hz ? p->timebase_hz : 1;
    banner(hartid, p, (cpu_rdtime() - t0) * 1000000u / hz * 1000u);
    (void)walltime_init(p); /* says itself what it found */
    run_init_hooks();
    fiber_idle_loop(); /* from here on kmain's context is the idle fiber */
}
