/* The rng plugin's ION command (manifest.toml [ion]): CMD_RNG_READ fills a user fiber's buffer
 * with bytes from entropy device rngN, for a fiber holding an rng capability to it. The
 * arguments come from the fiber: checked before use; the bytes reach it only through
 * os_user_copyout. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>

#include "rng.h"

int rng_ion_find(const char *name);
int64_t rng_ion_read(const struct os_ion_call *call);

/* "rng0" -> 0 when that device is driven by this plugin, else -ENODEV. */
int rng_ion_find(const char *name)
{
    unsigned n = 0;

    if (!name || strncmp(name, "rng", 3) != 0 || !name[3])
        return -ENODEV;
    for (const char *p = name + 3; *p; p++) {
        if (*p < '0' || *p > '9' || n > 1000)
            return -ENODEV;
        n = n * 10 + (unsigned)(*p - '0');
    }
    return virtio_device_find("rng", n) ? (int)n : -ENODEV;
}

int64_t rng_ion_read(const struct os_ion_call *call)
{
    static uint8_t buf[RNG_READ_MAX];
    uint64_t user = call->arg[0];
    uint32_t len = (uint32_t)call->arg[1];
    struct virtio_device *vdev = virtio_device_find("rng", call->object);

    if (!vdev)
        return -ENODEV;
    if (len == 0 || len > RNG_READ_MAX)
        return -EINVAL;
    int rc = rng_read(vdev, buf, len); /* one reader at a time: -EBUSY otherwise */
    if (rc < 0)
        return rc;
    rc = os_user_copyout(user, buf, len) ? -EFAULT : (int)len;
    memset(buf, 0, sizeof(buf));
    return rc;
}
