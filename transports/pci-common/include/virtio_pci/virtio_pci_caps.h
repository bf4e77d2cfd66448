/* Virtio PCI vendor capabilities (virtio 1.2, 4.1.4): finds and validates the common, notify,
 * ISR and device config structures in a snapshot of config space against the BARs as assigned.
 * Pure: reads only the buffers it is given, never config space or a BAR. */
#ifndef VIRTIO_PCI_VIRTIO_PCI_CAPS_H
#define VIRTIO_PCI_VIRTIO_PCI_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

#define PCI_CAP_ID_VENDOR         0x09
#define VIRTIO_PCI_CAP_LEN        16   /* struct virtio_pci_cap */
#define VIRTIO_PCI_NOTIFY_CAP_LEN 20   /* + notify_off_multiplier */
#define VIRTIO_PCI_COMMON_MIN_LEN 0x38 /* through queue_device (virtio 1.0 layout) */
#define VIRTIO_PCI_CAP_MAX_STEPS  48

/* What the parser needs to know about each BAR. */
struct virtio_pci_bar_view {
    bool assigned; /* placed and decoding */
    bool memory;   /* memory BAR (I/O BARs are not used for the modern structures) */
    uint64_t size;
};

struct virtio_pci_region {
    bool present;
    uint8_t bar;
    uint32_t offset, length;
};

struct virtio_pci_caps {
    struct virtio_pci_region common, notify, isr, device;
    uint32_t notify_off_multiplier;
    const char *why; /* first reason a capability was rejected, NULL when none */
};

/* Walks the capability list of `cfg` (the first 256 bytes of config space) and keeps, for each
 * structure type, the first capability that is well formed: cap_len large enough and inside
 * config space, BAR index 0..5 naming an assigned memory BAR, offset + length inside that BAR,
 * length at least the spec's minimum (common 0x38, notify 2, ISR 1), notify multiplier 0 or a
 * power of two. Returns 0 when common, notify and ISR were found (device config is optional),
 * -ENODEV when one is missing, -EINVAL when the list itself is malformed (pointer outside
 * 0x40..0xfc or not 4-aligned, a loop, more than 48 entries). */
int virtio_pci_parse_caps(const uint8_t cfg[256], const struct virtio_pci_bar_view bars[6],
                          struct virtio_pci_caps *out);

/* Offset inside the notify BAR of queue's doorbell: cap offset + queue_notify_off * multiplier.
 * -EINVAL when the 2-byte doorbell would not lie inside the notify structure. */
int virtio_pci_notify_offset(const struct virtio_pci_caps *caps, uint16_t queue_notify_off,
                             uint64_t *bar_offset);

#endif
