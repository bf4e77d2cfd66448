/* Starts the virtio transports at boot: one KERNEL_INIT hook at the devices level. The core
 * decides what is found, added and probed; this file hands it the command line's core settings
 * (virtio.ring=) and prints the one summary line, counted from the device list itself. */
#include <stdio.h>
#include <string.h>

#include <kernel/init.h>
#include <kernel/platform.h>
#include <virtio/os.h>
#include <virtio/virtio.h>

/* virtio.ring=split keeps every device on split rings (for comparison); =auto (the default)
 * lets the core negotiate packed rings where offered. Any other value is named and ignored. */
static void ring_policy_from_cmdline(void)
{
    char buf[32];
    const char *v = cmdline_get("virtio.ring", buf, sizeof(buf));

    if (v == NULL || strcmp(v, "auto") == 0 || strcmp(v, "packed") == 0)
        return;
    if (strcmp(v, "split") == 0) {
        virtio_set_ring_policy(VIRTIO_RING_SPLIT);
        return;
    }
    os_log("virtio.ring=%s: unknown value, ignored (accepted: split, packed, auto)", v);
}

static int virtio_boot(void)
{
    struct virtio_census c;

    ring_policy_from_cmdline();
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
