/* The virtio-rng plugin's interface for its shell command and tests: read bytes straight from
 * an entropy device. */
#ifndef RNG_RNG_H
#define RNG_RNG_H

#include <stddef.h>
#include <stdint.h>

#define RNG_SEED_BYTES 64u   /* fed to the OS's pool at probe */
#define RNG_REQ_MAX    256u  /* bytes one request asks for */
#define RNG_READ_MAX   4096u /* bytes one rng_read may ask for */

struct virtio_device;

/* Fills buf with len (1..RNG_READ_MAX) bytes from entropy device `vdev`, request by request.
 * Every answer is checked: a used length of 0 is retried (up to 8 in a row, then -EIO); one
 * larger than the buffer (the core clamps it and counts len_clamped) is refused and its bytes
 * thrown away (-EIO); no answer within 1 s is -ETIMEDOUT (the device is failed). Returns len or
 * -errno (-EINVAL for a bad len, -ENODEV for a device this plugin does not drive, -EBUSY when
 * another read of the same device is under way). */
int rng_read(struct virtio_device *vdev, void *buf, size_t len);

/* Bytes read from the device since probe, and answers refused (0 bytes, too long). */
struct rng_stats {
    uint64_t bytes, empty, too_long;
};
int rng_stats(struct virtio_device *vdev, struct rng_stats *out);

#endif
