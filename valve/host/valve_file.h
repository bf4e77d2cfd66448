/* The host-file backend (build/host only): a regular file served by the Valve as a block device,
 * for host tools (mkfs, fsck) and tests. Requests complete at once, by callback. */
#ifndef VALVE_FILE_H
#define VALVE_FILE_H

#include <stdbool.h>
#include <stdint.h>

struct valve_file;

/* Opens `path` (its size must be a non-zero multiple of block_size) and registers it as `name`.
 * NULL with *err (when not NULL) set to -errno: the open's error, -EINVAL for a bad size or
 * block size, or the Valve's refusal. */
struct valve_file *valve_file_open(const char *path, const char *name, uint32_t block_size,
                                   bool read_only, int *err);
int valve_file_handle(const struct valve_file *f);
/* Unregisters the device and closes the file. */
void valve_file_close(struct valve_file *f);

#endif
