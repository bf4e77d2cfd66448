/* The shell's `lsdev` service (kernel/services, run through SYS_SERVICE): one line per virtio
 * device the core knows, from the core's listing API (name, type, transport, location, irq or
 * "poll", interrupts taken, state, features). Read-only: never changes a device's state. */
#include <stdio.h>

#include <abi/parse_uint.h>
#include <services/service.h>
#include <virtio/virtio.h>
#include <virtio_gen/virtio_tables.h>

static int lsdev_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static char feats[512]; /* shell-only; keeps the fiber stack small */
    unsigned n = virtio_device_count();

    printf("%-6s %-8s %-10s %-18s %-5s %-6s %-9s %s\n", "NAME", "TYPE", "TRANSPORT", "LOCATION",
           "IRQ", "INTS", "STATE", "FEATURES");
    for (unsigned i = 0; i < n; i++) {
        const struct virtio_device *vdev = virtio_device_at(i);
        if (vdev == NULL)
            continue;
        const struct virtio_type_desc *t = virtio_type_lookup(vdev->type);
        char type[12], irq[12];
        if (t != NULL)
            snprintf(type, sizeof(type), "%s", t->name);
        else
            snprintf(type, sizeof(type), "type%u", vdev->type);
        if (vdev->irq == 0 || vdev->polled)
            snprintf(irq, sizeof(irq), "poll");
        else
            snprintf(irq, sizeof(irq), "%u", vdev->irq);
        virtio_features_string(vdev, feats, sizeof(feats));
        printf("%-6s %-8s %-10s %-18s %-5s %-6u %-9s %s\n", vdev->name[0] ? vdev->name : "-", type,
               vdev->ops ? vdev->ops->name : "?", vdev->location, irq, (unsigned)vdev->interrupts,
               virtio_state_name(vdev->state), feats[0] ? feats : "-");
    }
    if (n == 0)
        printf("no virtio devices\n");
    return 0;
}

SERVICE_COMMAND(lsdev, "lsdev", "lsdev", "list virtio devices: transport, location, irq, state",
                lsdev_run);
