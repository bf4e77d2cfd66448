/* The Membrane's calls for ports (user library): a named byte-stream port (ports/, a
 * virtio-console port today) through the capability in `slot` (CMD_PORT_*, ports/ion.toml). The
 * port is opened at the first read or write. */
#ifndef NEXUS_PORT_H
#define NEXUS_PORT_H

#include <stdint.h>

/* Up to len (1..4096) received bytes, waiting up to timeout_ns (0: not at all) for some: the
 * bytes read (0: none came), or -errno (-ENODEV: the host removed the port). */
long nexus_port_read(unsigned slot, void *buf, uint32_t len, uint64_t timeout_ns);
/* Sends len (1..4096) bytes: len, or -errno. */
long nexus_port_write(unsigned slot, const void *buf, uint32_t len);
/* Closes the port (the host sees the guest side closed): 0 or -errno. */
long nexus_port_close(unsigned slot);

#endif
