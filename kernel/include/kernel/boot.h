/* Kernel-internal boot sequence: the init functions kmain calls in order, and the pieces that
 * only the kernel core shares between its own files. Nothing outside kernel/ and nipbox/ uses it.
 */
#ifndef KERNEL_BOOT_H
#define KERNEL_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/platform.h>

/* Parses the DTB into the boot platform record that platform() returns. 0 or -EINVAL. */
int platform_init(const void *dtb, uint64_t max_size);

/* Polled console on the 16550 at `base` (stdio works afterwards). */
void uart_init(uint64_t base);
/* Switches console input to interrupts on PLIC line `irq`; 0 or -errno (input stays polled). */
int uart_enable_irq(unsigned irq);
/* Writes one byte, translating nothing; usable from a trap report. */
void uart_putc_raw(char c);
/* Without the receive interrupt: hands what the UART received to the console now. */
void uart_poll(void);
/* True while the UART's input has no interrupt (the console polls it). */
bool uart_polled(void);
/* Writes a string to the console, "\n" becoming "\r\n", through the UART or, before it exists,
 * the SBI console. */
void console_puts(const char *s);

void trap_init(void);
int plic_init(const struct platform *p);
/* Claims and dispatches one pending external interrupt (called from the trap handler; one
 * still pending keeps SEIP set and traps again). */
void plic_dispatch(void);
void timer_init(uint64_t timebase_hz);
/* Reads the RTC the DTB names once (after timer_init) and prints one line with the date; 0, or
 * -ENODEV (none) / -ERANGE (a reading outside 2000..2499): wall time stays unknown (0). */
int walltime_init(const struct platform *p);
void timer_tick(void);
/* Runs fn at every tick, in interrupt context (one hook: the port's, for the drivers' hooks). */
void timer_set_hook(void (*fn)(void));
/* Timer ticks since timer_init (100 Hz). */
uint64_t timer_ticks(void);
/* Page allocator over [free_start, ram_end), keeping [keep_start, keep_end) (the DTB) out. */
int page_init(uint64_t ram_base, uint64_t ram_size, uintptr_t free_start, uintptr_t keep_start,
              uintptr_t keep_end);

#endif
