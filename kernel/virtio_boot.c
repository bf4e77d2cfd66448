/* Starts the virtio transports at boot: one KERNEL_INIT hook at the devices level. The core
 * decides what is found, added and probed; this file prints the one summary line, counted from
 * the device list itself. */
#include <stdio.h>

#include <kernel/init.h>
#include <virtio/virtio.h>

static int virtio_boot(void)
{
    struct virtio_census c;
    int n = virtio_transports_start();

    virtio_census(&c);
    printf("virtio: %u device%s added: %u ready, %u no driver, %u failed", c.added,
           c.added == 1 ? "" : "s", c.ready, c.no_driver, c.failed);
    if (c.refused)
        printf("; %u not added (the device list holds %u)", c.refused,
               (unsigned)VIRTIO_MAX_DEVICES);
    printf("\n");
    return n < 0 ? n : 0;
}

KERNEL_INIT(INIT_DEVICES, virtio_boot);
