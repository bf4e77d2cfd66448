/* The 16550 UART: polled output, and input handed to the console layer (kernel/console.c) from
 * its receive interrupt or, without one, when the console polls. It must never block output on
 * an interrupt, so a trap report or a panic always gets printed. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <kernel/boot.h>
#include <kernel/console.h>
#include <kernel/kernel.h>
#include <kernel/sbi.h>

#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define IER_RX_AVAILABLE 0x01
#define FCR_FIFO_ENABLE  0x01 /* no clear bits: keep bytes typed during boot */
#define LCR_8N1          0x03
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DATA_READY   0x01
#define LSR_THR_EMPTY    0x20

static volatile uint8_t *uart;
static bool rx_irq_mode;

static uint8_t reg_read(unsigned r)
{
    return uart[r];
}

static void reg_write(unsigned r, uint8_t v)
{
    uart[r] = v;
}

void uart_init(uint64_t base)
{
    uart = (volatile uint8_t *)(uintptr_t)base;
    reg_write(UART_IER, 0);
    reg_write(UART_LCR, LCR_8N1);
    reg_write(UART_FCR, FCR_FIFO_ENABLE);
    reg_write(UART_MCR, MCR_DTR_RTS_OUT2);
}

static void rx_drain(void)
{
    while (reg_read(UART_LSR) & LSR_DATA_READY)
        console_uart_input(reg_read(UART_RBR));
}

void uart_poll(void)
{
    if (!rx_irq_mode && uart)
        rx_drain();
}

bool uart_polled(void)
{
    return !rx_irq_mode;
}

static void uart_interrupt(void *arg)
{
    (void)arg;
    rx_drain();
    console_wakeup();
}

int uart_enable_irq(unsigned irq)
{
    if (!uart || irq == 0)
        return -ENODEV;
    int err = irq_register(irq, uart_interrupt, NULL);
    if (err)
        return err;
    rx_irq_mode = true;
    reg_write(UART_IER, IER_RX_AVAILABLE);
    return 0;
}

void uart_putc_raw(char c)
{
    if (!uart) {
        sbi_console_putchar(c);
        return;
    }
    while (!(reg_read(UART_LSR) & LSR_THR_EMPTY))
        ;
    reg_write(UART_THR, (uint8_t)c);
}
