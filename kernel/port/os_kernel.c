/* The kernel side of the virtio OS abstraction (framework/include/virtio/os.h): pages for memory
 * and DMA (no MMU, so bus address == CPU address), fences, volatile register access, PLIC lines,
 * wfi-based waiting. It adds no policy of its own and never allocates on a request path. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kernel/cpu.h>
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

void os_wait(void)
{
    cpu_wait();
}

uint64_t os_time_ns(void)
{
    return time_ns();
}
