/* Named byte-stream ports: a registry any device can feed (a virtio-console port today, a UART or
 * vsock tomorrow) and their users open, read with a deadline, write and close (the shell's
 * `port`, a user fiber through ION's CMD_PORT_*, ports/port_ion.c). The registry owns the name,
 * the open and host-open state, the receive buffer and the event a reader waits on; the device
 * owns only sending, being told of opens, and collecting what it received. */
#ifndef PORTS_H
#define PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PORTS_MAX      16u   /* ports the registry holds, live or still held by a user */
#define PORT_NAME_MAX  32u   /* bytes of a name, its NUL included */
#define PORT_RX_BUFFER 1024u /* received bytes kept until read */

struct port;

/* What a device does for its ports; called with interrupts disabled, only while the port is
 * present (never after port_remove). */
struct port_ops {
    /* Sends len bytes within a bounded time: len, or -errno (-EIO: the device does not take
     * output). */
    long (*write)(void *arg, const void *buf, size_t len);
    /* A user opened (true) or closed (false) the port: tell the host. May be NULL. */
    void (*open)(void *arg, bool open);
    /* Collects received bytes now (port_input), for a device without interrupts. May be NULL. */
    void (*poll)(void *arg);
};

/* Device side. port_add: a new port owned by device `owner` (a static name such as
 * "console0", shown in listings), unnamed, with an empty buffer: the port, or NULL when the
 * registry is full. Any context. */
struct port *port_add(const char *owner, const struct port_ops *ops, void *arg);
/* Names the port from bytes a device supplied: printable bytes (0x21..0x7e) up to the first
 * other byte, at most PORT_NAME_MAX - 1; the rest is ignored. */
void port_set_name(struct port *p, const void *name, size_t len);
/* A console port is the OS's (kernel/console.c): users cannot open it. */
void port_set_console(struct port *p, bool console);
/* The host side opened or closed the port (shown in listings). */
void port_set_host_open(struct port *p, bool open);
/* Received bytes, kept for the reader; what does not fit in the buffer (PORT_RX_BUFFER bytes
 * not yet read) is dropped and counted (port_info's dropped). Wakes the reader. Any context. */
void port_input(struct port *p, const void *buf, size_t len);
/* The port is gone: reads return what was left, then -ENODEV; writes -ENODEV; a waiter wakes.
 * The device's ops are never called again. A user holding it still closes it. */
void port_remove(struct port *p);

/* User side. The present port named `name`, or NULL. */
struct port *port_find(const char *name);
/* The n-th present port (NULL past the last), for listings. */
struct port *port_at(unsigned n);
struct port_info {
    const char *name;  /* "(unnamed)" until the device names it */
    const char *owner; /* the device's name */
    bool console, host_open;
    uint64_t dropped; /* received bytes dropped because the buffer was full */
};
void port_info(const struct port *p, struct port_info *out);
/* Opens the port for the caller (the device tells the host): 0, -ENODEV (gone), -EBUSY (open
 * already, or a console port). The buffer starts empty. */
int port_open(struct port *p);
/* Closes what port_open opened (the device tells the host, if the port is still there). */
void port_close(struct port *p);
/* Up to len received bytes into buf: the count (0 when none yet), or -ENODEV once the port is
 * gone and its buffer empty. Never sleeps. */
long port_read(struct port *p, void *buf, size_t len);
/* Sends len bytes: len, -ENODEV (gone), or the device's -errno. */
long port_write(struct port *p, const void *buf, size_t len);
/* Sleeps until bytes arrive, the port goes, or timeout_ns passes: 0 or -ETIMEDOUT. A wake-up
 * may be left over from bytes already read: read again, and wait again if there were none. */
int port_wait(struct port *p, uint64_t timeout_ns);

#endif
