/* The RAM disk backend: a block device in memory, served by the Valve like any other (the
 * kernel makes one with `ramdisk=SIZE`; host tests make their own). Requests complete at once,
 * by callback, inside the Valve's submit. */
#ifndef VALVE_RAM_H
#define VALVE_RAM_H

#include <stdint.h>

struct valve_ram;

/* A zeroed RAM disk of `bytes` (a non-zero multiple of block_size) registered as `name`.
 * NULL when the arguments are bad, memory runs out or the Valve refuses the name. Probe-time
 * only: it allocates. */
struct valve_ram *valve_ram_create(const char *name, uint64_t bytes, uint32_t block_size);
/* The Valve handle of the disk. */
int valve_ram_handle(const struct valve_ram *ram);
/* The disk's memory (bytes in *size when size is not NULL), for tests. */
uint8_t *valve_ram_data(struct valve_ram *ram, uint64_t *size);
/* Unregisters the disk and frees its memory. */
void valve_ram_destroy(struct valve_ram *ram);

#endif
