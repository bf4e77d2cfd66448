/* What the two PCI transports share: which PCI functions are virtio devices, their device type,
 * reading and validating the modern capabilities, and handing a function to the core. Owns no
 * device and never touches a BAR; pci-legacy and pci-modern own their registers. */
#ifndef VIRTIO_PCI_VIRTIO_PCI_H
#define VIRTIO_PCI_VIRTIO_PCI_H

#include <stdint.h>

#include <pci/pci.h>
#include <virtio_pci/virtio_pci_caps.h>

struct virtio_device;

#define VIRTIO_PCI_VENDOR 0x1af4

enum virtio_pci_kind {
    VIRTIO_PCI_NOT_OURS,     /* another vendor, a bridge, claimed, or outside the ID ranges */
    VIRTIO_PCI_TRANSITIONAL, /* 0x1000-0x103f: legacy registers, maybe modern capabilities */
    VIRTIO_PCI_MODERN_ONLY,  /* 0x1040-0x107f: modern capabilities only */
};

/* Which kind of unclaimed virtio endpoint f is (virtio 1.2, 4.1.2). */
enum virtio_pci_kind virtio_pci_kind(const struct pci_func *f);

/* f's virtio device type: a modern-only ID encodes it; a transitional ID is looked up in the
 * generated table, else the subsystem ID is the type (4.1.2.1). 0 when there is none. */
uint16_t virtio_pci_device_type(const struct pci_func *f);

/* Reads f's config space and validates its virtio capabilities against its BARs as assigned
 * (virtio_pci_parse_caps). Same return values; caps->why says what was rejected. */
int virtio_pci_read_caps(const struct pci_func *f, struct virtio_pci_caps *caps);

/* The tail of every PCI transport's discovery: fills vdev's irq, location and naming order
 * (bus, slot, function) from f, claims f and adds vdev to the core. The transport has set ops,
 * transport_priv, type, modern and config_len. The core logs and lists a device whose
 * lifecycle fails; a nonzero return means the core could not list it at all, and the caller
 * still owns (and frees) the record. */
int virtio_pci_add_device(struct pci_func *f, struct virtio_device *vdev);

#endif
