/* The console layer: one receive ring that the active input device fills (a pasted script typed
 * while a command runs is kept; when even that overflows, input is dropped by whole lines and
 * the place is marked, CONSOLE_INPUT_LOST, never silently cut), the picolibc stdio streams
 * ("\n" goes out as "\r\n"), and the switch from the UART to another console device that a
 * driver attaches (console=NAME on the command line picks it). Output to such a device is
 * gathered into lines and flushed at a newline, a full buffer, stdio's fflush or before input
 * is awaited. The UART keeps everything printed before the switch and takes output back when
 * the device goes away. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kernel/boot.h>
#include <kernel/console.h>
#include <kernel/cpu.h>
#include <kernel/fiber.h>
#include <kernel/init.h>
#include <kernel/kernel.h>
#include <kernel/platform.h>

#define RX_RING_SIZE CONSOLE_RX_BUFFER /* power of two */
#define TX_LINE      256u

static volatile uint16_t rx_ring[RX_RING_SIZE]; /* bytes, and CONSOLE_INPUT_LOST marks */
static volatile unsigned rx_head, rx_tail;      /* head: next write (ISR), tail: next read */
static volatile bool rx_dropping;               /* up to the end of the line */
static volatile unsigned rx_ctrl_c, rx_ctrl_c_dropped, rx_lost_bytes;
static char rx_chan; /* what a fiber waiting for console input sleeps on */

struct backend {
    const char *name;
    void (*write)(void *arg, const char *buf, size_t len);
    void *arg;
};
static struct backend backends[CONSOLE_MAX_DEVICES];
static int active = -1; /* index into backends, -1: the UART */
static char wanted[16]; /* console= from the command line, "" when none */
static char tx_line[TX_LINE];
static unsigned tx_len;

/* Keeps one received byte. Data fills all but the ring's last slot, which is kept for a
 * CONSOLE_INPUT_LOST mark: a byte that finds no room puts the mark in (once), and input is then
 * dropped up to and including the next CR or LF. */
static void rx_store(uint8_t c)
{
    if (c == CONSOLE_CTRL_C) {
        rx_ctrl_c++;
        fiber_poke_waits(); /* a shell waiting for its foreground program looks at it now */
    }
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

void console_uart_input(uint8_t c)
{
    if (active < 0)
        rx_store(c);
}

void console_wakeup(void)
{
    fiber_wakeup(&rx_chan);
}

void console_input(int id, const char *buf, size_t len)
{
    unsigned long s = cpu_irq_save();
    if (id == active && id >= 0) {
        while (len--)
            rx_store((uint8_t)*buf++);
        fiber_wakeup(&rx_chan);
    }
    cpu_irq_restore(s);
}

static void tx_flush_locked(void)
{
    if (active >= 0 && tx_len)
        backends[active].write(backends[active].arg, tx_line, tx_len);
    tx_len = 0;
}

static void console_flush(void)
{
    unsigned long s = cpu_irq_save();
    tx_flush_locked();
    cpu_irq_restore(s);
}

static void put_byte(char c)
{
    if (active < 0) {
        uart_putc_raw(c);
        return;
    }
    unsigned long s = cpu_irq_save();
    tx_line[tx_len++] = c;
    if (c == '\n' || tx_len == TX_LINE)
        tx_flush_locked();
    cpu_irq_restore(s);
}

int console_attach(const char *name, void (*write)(void *arg, const char *buf, size_t len),
                   void *arg)
{
    unsigned long s = cpu_irq_save();
    int id = -1;
    for (int i = 0; i < CONSOLE_MAX_DEVICES && id < 0; i++)
        if (!backends[i].write)
            id = i;
    if (id >= 0)
        backends[id] = (struct backend){name, write, arg};
    cpu_irq_restore(s);
    if (id < 0) {
        printf("console: %s not attached: %d console devices already\n", name, CONSOLE_MAX_DEVICES);
        return -1;
    }
    if (active < 0 && wanted[0] && strcmp(wanted, name) == 0) {
        printf("console: switching to %s (console=%s); the UART keeps this boot log\n", name,
               wanted);
        s = cpu_irq_save();
        active = id;
        cpu_irq_restore(s);
        printf("console: on %s\n", name);
    }
    return id;
}

void console_detach(int id)
{
    if (id < 0 || id >= CONSOLE_MAX_DEVICES || !backends[id].write)
        return;
    if (id == active) {
        console_flush();
        unsigned long s = cpu_irq_save();
        active = -1;
        cpu_irq_restore(s);
        printf("console: %s went away; back on the UART\n", backends[id].name);
    }
    backends[id] = (struct backend){0};
}

const char *console_active_name(void)
{
    return active < 0 ? "uart" : backends[active].name;
}

/* console=NAME: read before the devices come up; =uart or =ttyS0 keeps the UART. */
static int console_cmdline(void)
{
    char buf[sizeof(wanted)];
    const char *v = cmdline_get("console", buf, sizeof(buf));
    if (v && strcmp(v, "uart") != 0 && strcmp(v, "ttyS0") != 0)
        snprintf(wanted, sizeof(wanted), "%s", v);
    return 0;
}
KERNEL_INIT(INIT_BUS, console_cmdline);

/* After the devices: a console= that named no device is said once, on the UART. */
static int console_report(void)
{
    if (wanted[0] && active < 0)
        printf("console: %s not found; staying on the UART\n", wanted);
    return 0;
}
KERNEL_INIT(INIT_SERVICES, console_report);

static int take_byte(void)
{
    if (active < 0)
        uart_poll();
    if (rx_head == rx_tail)
        return -1;
    int c = rx_ring[rx_tail % RX_RING_SIZE];
    rx_tail++;
    return c;
}

int console_getc(void)
{
    console_flush(); /* a prompt without a newline must show before we wait */
    unsigned long s = cpu_irq_save();
    int c;
    /* A fiber sleeps until input arrives (or, for a polled UART, the next 10 ms tick, when
     * take_byte polls); the idle context waits in wfi. */
    while ((c = take_byte()) < 0 && !fiber_killed())
        fiber_sleep(&rx_chan, active < 0 && uart_polled() ? time_ns() + 10000000u : 0);
    cpu_irq_restore(s);
    return c;
}

void console_input_stats(struct console_input_stats *out)
{
    unsigned long s = cpu_irq_save();
    if (active < 0)
        uart_poll();
    out->ctrl_c = rx_ctrl_c;
    out->ctrl_c_dropped = rx_ctrl_c_dropped;
    out->lost_bytes = rx_lost_bytes;
    cpu_irq_restore(s);
}

static int stdio_put(char c, FILE *f)
{
    (void)f;
    if (c == '\n')
        put_byte('\r');
    put_byte(c);
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

static int stdio_flush(FILE *f)
{
    (void)f;
    console_flush();
    return 0;
}

void console_puts(const char *s)
{
    while (*s)
        stdio_put(*s++, NULL);
    console_flush();
}

static FILE console_stream = FDEV_SETUP_STREAM(stdio_put, stdio_get, stdio_flush, _FDEV_SETUP_RW);
FILE *const stdin = &console_stream;
FILE *const stdout = &console_stream;
FILE *const stderr = &console_stream;
