/* The console: a 16550 UART with polled output and interrupt-driven input into a ring, and the
 * picolibc stdio streams on top of it ("\n" goes out as "\r\n"). It must never block output on
 * an interrupt, so a trap report or a panic always gets printed. The ring keeps a pasted script
 * typed while a command runs; when even that overflows, input is dropped by whole lines and the
 * place is marked (CONSOLE_INPUT_LOST), never silently cut. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <kernel/boot.h>
#include <kernel/console.h>
#include <kernel/cpu.h>
#include <kernel/fiber.h>
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

#define RX_RING_SIZE CONSOLE_RX_BUFFER /* power of two */

static volatile uint8_t *uart;
static bool rx_irq_mode;
static volatile uint16_t rx_ring[RX_RING_SIZE]; /* bytes, and CONSOLE_INPUT_LOST marks */
static volatile unsigned rx_head, rx_tail;      /* head: next write (ISR), tail: next read */
static volatile bool rx_dropping;               /* up to the end of the line */
static volatile unsigned rx_ctrl_c, rx_ctrl_c_dropped, rx_lost_bytes;

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

/* Keeps one received byte. Data fills all but the ring's last slot, which is kept for a
 * CONSOLE_INPUT_LOST mark: a byte that finds no room puts the mark in (once), and input is then
 * dropped up to and including the next CR or LF. */
static void rx_store(uint8_t c)
{
    if (c == CONSOLE_CTRL_C)
        rx_ctrl_c++;
    if (!rx_dropping && rx_head - rx_tail < RX_RING_SIZE - 1) {
        rx_ring[rx_head % RX_RING_SIZE] = c;
        rx_head++;
        return;
    }
    if (!rx_dropping && rx_ring[(rx_head - 1) % RX_RING_SIZE] != CONSOLE_INPUT_LOST) {
        rx_ring[rx_head % RX_RING_SIZE] = CONSOLE_INPUT_LOST;
        rx_head++;
    }
    rx_dropping = c != '\r' && c != '\n';
    rx_lost_bytes++;
    if (c == CONSOLE_CTRL_C)
        rx_ctrl_c_dropped++;
}

static void rx_drain(void)
{
    while (reg_read(UART_LSR) & LSR_DATA_READY)
        rx_store(reg_read(UART_RBR));
}

static char rx_chan; /* what a fiber waiting for console input sleeps on */

static void uart_interrupt(void *arg)
{
    (void)arg;
    rx_drain();
    fiber_wakeup(&rx_chan); /* a fiber reading the console sleeps on this */
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

static int take_byte(void)
{
    if (!rx_irq_mode && uart)
        rx_drain();
    if (rx_head == rx_tail)
        return -1;
    int c = rx_ring[rx_tail % RX_RING_SIZE];
    rx_tail++;
    return c;
}

int console_getc(void)
{
    unsigned long s = cpu_irq_save();
    int c;
    /* A fiber sleeps until the receive interrupt (or, without one, the next 10 ms tick, when
     * take_byte polls); the idle context waits in wfi. */
    while ((c = take_byte()) < 0 && !fiber_killed())
        fiber_sleep(&rx_chan, rx_irq_mode ? 0 : time_ns() + 10000000u);
    cpu_irq_restore(s);
    return c;
}

void console_input_stats(struct console_input_stats *out)
{
    unsigned long s = cpu_irq_save();
    if (!rx_irq_mode && uart)
        rx_drain();
    out->ctrl_c = rx_ctrl_c;
    out->ctrl_c_dropped = rx_ctrl_c_dropped;
    out->lost_bytes = rx_lost_bytes;
    cpu_irq_restore(s);
}

static int stdio_put(char c, FILE *f)
{
    (void)f;
    if (c == '\n')
        uart_putc_raw('\r');
    uart_putc_raw(c);
    return (unsigned char)c;
}

static int stdio_get(FILE *f)
{
    (void)f;
    int c;
    while ((c = console_getc()) == CONSOLE_INPUT_LOST)
        ;
    return c;
}

void console_puts(const char *s)
{
    while (*s)
        stdio_put(*s++, NULL);
}

static FILE console_stream = FDEV_SETUP_STREAM(stdio_put, stdio_get, NULL, _FDEV_SETUP_RW);
FILE *const stdin = &console_stream;
FILE *const stdout = &console_stream;
FILE *const stderr = &console_stream;
