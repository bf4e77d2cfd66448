/* The host tools' block device: a NexFS image in a regular file (pread/pwrite/fsync). */
#ifndef NEXFS_HOSTDEV_H
#define NEXFS_HOSTDEV_H

#include <nexfs/nexfs.h>

/* Opens path as a device of 512-byte blocks; read-only unless writable. 0 or -errno (the
 * message printed on stderr, prefixed by tool). */
int hostdev_open(struct nexfs_dev *dev, const char *tool, const char *path, int writable);
void hostdev_close(struct nexfs_dev *dev);

#endif
