/* The virtio-console plugin's ports, for its shell command and tests. A port is found by name
 * (a virtserialport's name, or hvcN for a console port) and stays valid while its device is
 * bound; a port the host removes reads -ENODEV from then on. */
#ifndef CONSOLE_VIRTCON_H
#define CONSOLE_VIRTCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct virtio_device;
struct vc_port;

#define VC_MAX_PORTS 4 /* ports per device this driver serves (port ids 0..3) */

/* The port named `name` on any console device, or NULL. */
struct vc_port *virtcon_port_find(const char *name);
/* The n-th present port of console device vdev (NULL past the last): for listings. */
struct vc_port *virtcon_port_at(struct virtio_device *vdev, unsigned n);
const char *virtcon_port_name(const struct vc_port *p);
bool virtcon_port_is_console(const struct vc_port *p);
bool virtcon_port_host_open(const struct vc_port *p);
/* Opens a named port for this caller (tells the host the guest side is open): 0, -ENODEV
 * (gone), -EBUSY (already open, or a console port: the OS's). Close tells the host again. */
int virtcon_port_open(struct vc_port *p);
void virtcon_port_close(struct vc_port *p);
/* Received bytes (up to len; 0 when none yet) or -ENODEV once the port is gone. */
long virtcon_port_read(struct vc_port *p, void *buf, size_t len);
/* Sends len bytes (polled, with a deadline): len, -ENODEV, -EIO. */
long virtcon_port_write(struct vc_port *p, const void *buf, size_t len);
/* Sleeps until bytes arrive, the port goes, or timeout_ns passes: 0 or -ETIMEDOUT. */
int virtcon_port_wait(struct vc_port *p, uint64_t timeout_ns);
/* VIRTIO_CONSOLE_F_SIZE: the console size; -ENOTSUP without the feature. */
int virtcon_size(struct virtio_device *vdev, uint16_t *cols, uint16_t *rows);

#endif
