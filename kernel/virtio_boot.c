/* Starts the virtio transports at boot: one KERNEL_INIT hook at the devices level. The core
 * decides what is found and probed; this file only reports the count. */
#include <stdio.h>

#include <kernel/init.h>
#include <virtio/virtio.h>

static int virtio_boot(void)
{
    int n = virtio_transports_start();
    if (n < 0)
        return n;
    printf("virtio: %d device%s found\n", n, n == 1 ? "" : "s");
    return 0;
}

KERNEL_INIT(INIT_DEVICES, virtio_boot);
