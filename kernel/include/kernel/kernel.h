/* Kernel services for the layers that may use the kernel base (the PCI bus layer, the port in
 * kernel/port/, NipBox; docs/design.md, "Layers"). The virtio core, transports, device plugins,
 * the Valve and the network stack never include this: they use virtio/os.h. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* Pages (4 KiB) from the RAM the DTB describes, after the kernel image. Zeroed; NULL when out. */
#define PAGE_SIZE 4096u
void *page_alloc(size_t npages);
void page_free(void *p, size_t npages);
size_t page_free_count(void);
size_t page_total_count(void);

/* Interrupts through the PLIC. irq_register enables the source for hart 0 S-mode. */
int irq_register(unsigned irq, void (*handler)(void *arg), void *arg);

/* Time: nanoseconds since boot, and the time CSR's ticks per second they are scaled by. */
uint64_t time_ns(void);
uint64_t time_hz(void);
/* Wall-clock time: nanoseconds since 1970-01-01 00:00:00 UTC (the RTC read once at boot plus
 * time since boot), 0 when the board has no usable real-time clock. */
uint64_t walltime_ns(void);
/* `ns` since 1970 as "YYYY-MM-DD HH:MM:SS UTC" in buf (KERNEL_WALLTIME_LEN bytes, NUL
 * included); returns buf. The one formatter is abi/walltime.h's. */
#define KERNEL_WALLTIME_LEN 24
char *walltime_text(uint64_t ns, char *buf);

/* Console: printf goes to the UART. console_getc blocks (sleeping in wfi) until a byte arrives;
 * it may return CONSOLE_INPUT_LOST (kernel/console.h) where typed-ahead input did not fit the
 * receive buffer. */
int console_getc(void);

/* Power: poweroff(0) ends QEMU with status 0 through SBI SRST; poweroff(n != 0) through the
 * sifive test device so QEMU exits with status n. */
void poweroff(int status) __attribute__((noreturn));
void reboot(void) __attribute__((noreturn));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
