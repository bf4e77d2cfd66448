/* The rng plugin's Membrane call (user library): bytes from an entropy device through the
 * capability in `slot` (CMD_RNG_READ). */
#ifndef NEXUS_RNG_H
#define NEXUS_RNG_H

#include <stdint.h>

/* Fills buf with len (1..4096) bytes from the device: len, or -errno (-EPERM without the
 * capability, -EINVAL for a bad len, -EFAULT for a bad buffer, -EIO when the device fails). */
long nexus_rng_read(unsigned slot, void *buf, uint32_t len);

#endif
