/* Console details beyond kernel.h, for the shell and the console devices: Ctrl-C presses counted as
 * they arrive (even while a command runs and nothing reads the console), and where typed-ahead
 * input was lost. The counts only grow; a reader compares them with the values it saw last. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_CTRL_C 0x03

/* Bytes of typed-ahead input the console keeps while nobody reads it (a pasted script). */
#define CONSOLE_RX_BUFFER 8192u

/* console_getc returns this where input was dropped because the buffer was full. The console
 * then drops everything up to and including the next CR or LF, so what follows the mark starts
 * a new line: the end of one line is never joined to the start of another. */
#define CONSOLE_INPUT_LOST 0x100

struct console_input_stats {
    unsigned ctrl_c;         /* Ctrl-C bytes received */
    unsigned ctrl_c_dropped; /* of those, dropped with lost input (never returned) */
    unsigned lost_bytes;     /* bytes dropped because the buffer was full */
};

/* All three counts, read together. */
void console_input_stats(struct console_input_stats *out);

/* Console devices beside the UART (kernel/console.c; drivers reach it through os_console_* in
 * virtio/os.h). console_attach offers a device under `name` ("hvc0"): `write` must be bounded
 * (it may poll a device with a deadline) and callable from any context with interrupts off.
 * When the command line says console=NAME, output and input move to that device as it attaches,
 * and back to the UART when it detaches. Returns an id >= 0, or -1 when the table is full. */
#define CONSOLE_MAX_DEVICES 4
int console_attach(const char *name, void (*write)(void *arg, const char *buf, size_t len),
                   void *arg);
void console_detach(int id);
/* Bytes a device received; kept only while that device is the console. Any context. */
void console_input(int id, const char *buf, size_t len);
/* "uart" or the active device's name. */
const char *console_active_name(void);

/* For kernel/uart.c: one byte the UART received (kept while the UART is the console), and the
 * wake-up after a batch. */
void console_uart_input(uint8_t c);
void console_wakeup(void);

#endif
