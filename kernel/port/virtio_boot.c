/* Starts the virtio transports at boot: one KERNEL_INIT hook at the devices level. Hands them
 * what the device tree and the command line say (MMIO windows, virtio.pci=) so no transport
 * asks the kernel; the core decides what is found and probed, this file reports the count. */
#include <stdio.h>
#include <string.h>

#include <kernel/init.h>
#include <kernel/platform.h>
#include <virtio/virtio.h>

static struct virtio_mmio_window mmio_windows[PLATFORM_MAX_MMIO];

static int virtio_boot(void)
{
    const struct platform *p = platform();
    struct virtio_machine machine = {.mmio = mmio_windows};
    for (unsigned i = 0; i < p->n_mmio && i < PLATFORM_MAX_MMIO; i++)
        mmio_windows[machine.n_mmio++] =
            (struct virtio_mmio_window){p->mmio[i].base, p->mmio[i].size, p->mmio[i].irq};
    char buf[16];
    const char *v = cmdline_get("virtio.pci", buf, sizeof(buf));
    machine.pci_legacy_first = v != NULL && strcmp(v, "legacy") == 0;

    int n = virtio_transports_start(&machine);
    if (n < 0)
        return n;
    printf("virtio: %d device%s found\n", n, n == 1 ? "" : "s");
    return 0;
}

KERNEL_INIT(INIT_DEVICES, virtio_boot);
