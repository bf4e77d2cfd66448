/* The PCI transports' shared discovery code (see virtio_pci.h): ID ranges, device types, the
 * capability read and the device-add tail. Reads config space through the bus layer only. */
#include <stdio.h>

#include <pci/pci.h>
#include <virtio/virtio.h>
#include <virtio_gen/virtio_tables.h>
#include <virtio_pci/virtio_pci.h>
#include <virtio_pci/virtio_pci_caps.h>

#define VIRTIO_PCI_TRANS_FIRST  0x1000
#define VIRTIO_PCI_TRANS_LAST   0x103f
#define VIRTIO_PCI_MODERN_FIRST 0x1040
#define VIRTIO_PCI_MODERN_LAST  0x107f

enum virtio_pci_kind virtio_pci_kind(const struct pci_func *f)
{
    if (f->vendor != VIRTIO_PCI_VENDOR || f->header_type != 0 || f->claimed)
        return VIRTIO_PCI_NOT_OURS;
    if (f->device >= VIRTIO_PCI_TRANS_FIRST && f->device <= VIRTIO_PCI_TRANS_LAST)
        return VIRTIO_PCI_TRANSITIONAL;
    if (f->device >= VIRTIO_PCI_MODERN_FIRST && f->device <= VIRTIO_PCI_MODERN_LAST)
        return VIRTIO_PCI_MODERN_ONLY;
    return VIRTIO_PCI_NOT_OURS;
}

uint16_t virtio_pci_device_type(const struct pci_func *f)
{
    if (f->device >= VIRTIO_PCI_MODERN_FIRST)
        return (uint16_t)(f->device - VIRTIO_PCI_MODERN_FIRST);
    const struct virtio_type_desc *t = virtio_type_by_pci_id(f->device);
    return t != NULL ? t->type : f->subsys_id;
}

int virtio_pci_read_caps(const struct pci_func *f, struct virtio_pci_caps *caps)
{
    uint8_t cfg[PCI_CFG_SIZE];
    struct virtio_pci_bar_view bars[PCI_NUM_BARS];
    for (unsigned off = 0; off < PCI_CFG_SIZE; off += 4) {
        uint32_t v = pci_cfg_read32(f, off);
        cfg[off] = (uint8_t)v;
        cfg[off + 1] = (uint8_t)(v >> 8);
        cfg[off + 2] = (uint8_t)(v >> 16);
        cfg[off + 3] = (uint8_t)(v >> 24);
    }
    for (unsigned b = 0; b < PCI_NUM_BARS; b++)
        bars[b] = (struct virtio_pci_bar_view){.assigned = f->bar[b].assigned,
                                               .memory = f->bar[b].kind == PCI_BAR_MEM32 ||
                                                         f->bar[b].kind == PCI_BAR_MEM64,
                                               .size = f->bar[b].size};
    return virtio_pci_parse_caps(cfg, bars, caps);
}

int virtio_pci_add_device(struct pci_func *f, struct virtio_device *vdev)
{
    vdev->irq = f->irq;
    snprintf(vdev->location, sizeof(vdev->location), "%02x:%02x.%x %04x:%04x", f->bus, f->dev,
             f->fn, f->vendor, f->device);
    vdev->order = VIRTIO_ORDER_PCI(f->bus, f->dev, f->fn);
    pci_claim(f);
    return virtio_device_add(vdev);
}
