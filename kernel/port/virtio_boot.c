/* Starts the virtio transports at boot: one KERNEL_INIT hook at the devices level. Hands them
 * what the device tree and the command line say (MMIO windows, virtio.pci=) so no transport
 * asks the kernel, and the core its settings (virtio.ring=); the core decides what is found,
 * added and probed; this file prints the one summary line, counted from the device list itself. */
#include <stdio.h>
#include <string.h>

#include <kernel/init.h>
#include <kernel/platform.h>
#include <virtio/virtio.h>

static struct virtio_mmio_window mmio_windows[PLATFORM_MAX_MMIO];

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
    printf("virtio.ring=%s: unknown value, ignored (accepted: split, packed, auto)\n", v);
}

/* virtio.pci=legacy leaves transitional devices to pci-legacy; =modern (the default) to
 * pci-modern. Any other value is named once at boot and ignored. */
static bool pci_legacy_first(void)
{
    char buf[64];
    const char *v = cmdline_get("virtio.pci", buf, sizeof(buf));

    if (v == NULL || strcmp(v, "modern") == 0)
        return false;
    if (strcmp(v, "legacy") == 0)
        return true;
    printf("virtio.pci=%s: unknown value, ignored (accepted: legacy, modern)\n", v);
    return false;
}

static int virtio_boot(void)
{
    const struct platform *p = platform();
    struct virtio_machine machine = {.mmio = mmio_windows};
    struct virtio_census c;

    for (unsigned i = 0; i < p->n_mmio && i < PLATFORM_MAX_MMIO; i++)
        mmio_windows[machine.n_mmio++] =
            (struct virtio_mmio_window){p->mmio[i].base, p->mmio[i].size, p->mmio[i].irq};
    machine.pci_legacy_first = pci_legacy_first();
    ring_policy_from_cmdline();

    int n = virtio_transports_start(&machine);
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
