/* Console details beyond kernel.h, for the shell: Ctrl-C presses counted as they arrive (even
 * while a command runs and nothing reads the console), and where typed-ahead input was lost.
 * The counts only grow; a reader compares them with the values it saw last. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

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

#endif
