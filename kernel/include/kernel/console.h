/* Console details beyond kernel.h, for the shell: how many Ctrl-C bytes the UART has seen.
 * The count only grows; a reader compares it with the value it saw last. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#define CONSOLE_CTRL_C 0x03

unsigned console_ctrl_c_count(void);

#endif
