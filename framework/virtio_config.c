/* Config-space access for drivers: width and range checks, and the generation-retry loop that
 * gives a consistent value. It never writes config space and never trusts the device to settle. */
#include <errno.h>

#include <virtio/os.h>
#include <virtio/virtio.h>

#include "virtio_internal.h"

/* Reads whose generation changes underneath are retried this many times before -EIO. */
#define CONFIG_READ_ATTEMPTS 16

static uint64_t width_mask(unsigned width)
{
    return width == 8 ? ~0ull : (1ull << (width * 8)) - 1;
}

int virtio_config_read(struct virtio_device *vdev, uint32_t offset, unsigned width, uint64_t *value)
{
    if (!vdev || !value)
        return -EINVAL;
    *value = 0;
    if (width != 1 && width != 2 && width != 4 && width != 8)
        return -EINVAL;
    if (offset > vdev->config_len || width > vdev->config_len - offset)
        return -EINVAL;

    for (unsigned attempt = 0; attempt < CONFIG_READ_ATTEMPTS; attempt++) {
        uint32_t before = vdev->ops->config_generation(vdev);
        os_rmb();
        uint64_t v = vdev->ops->read_config(vdev, offset, width);
        os_rmb();
        uint32_t after = vdev->ops->config_generation(vdev);
        if (before == after) {
            *value = v & width_mask(width);
            return 0;
        }
    }
    os_log("virtio: %s %s %s %s: config generation never settled reading %u bytes at %u",
           vdev->name, virtio_type_name(vdev->type), vdev->ops->name, vdev->location, width,
           (unsigned)offset);
    return -EIO;
}

bool virtio_has_feature(const struct virtio_device *vdev, unsigned bit)
{
    return vdev && bit < 64 && (vdev->features & (1ull << bit)) != 0;
}
