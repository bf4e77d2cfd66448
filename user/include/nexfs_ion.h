/* NexFS's block device in a user fiber (nexfs/include/nexfs/nexfs_dev.h) over the Membrane's
 * block calls on the disk whose capability is in `slot`: what `nexfs`, `nexfsd` and the soak
 * mount. The device DMAs straight into NexFS's cache; a buffer not on a 512-byte boundary goes
 * through a bounce buffer. Read-only when the device is or the capability has no write right. */
#ifndef NEXFS_ION_H
#define NEXFS_ION_H

#include <nexfs/nexfs_dev.h>

/* Fills *dev for the disk in `slot`: 0, or -errno (no capability, ...). */
long nexfs_ion_dev(unsigned slot, struct nexfs_dev *dev);

#endif
