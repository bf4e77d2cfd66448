/* Virtio PCI capability parsing and validation (see virtio_pci_caps.h). Everything here is
 * computed from the config-space snapshot and BAR sizes it is handed; it trusts none of the
 * device's values and never touches hardware. */
#include <virtio_pci/virtio_pci_caps.h>

#include <errno.h>
#include <stddef.h>

#define CFG_STATUS      0x06
#define CFG_CAP_PTR     0x34
#define STATUS_CAP_LIST 0x0010

/* Offsets inside struct virtio_pci_cap. */
#define CAP_VNDR        0
#define CAP_NEXT        1
#define CAP_LEN         2
#define CAP_CFG_TYPE    3
#define CAP_BAR         4
#define CAP_OFFSET      8
#define CAP_LENGTH      12
#define CAP_NOTIFY_MULT 16

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void reject(struct virtio_pci_caps *out, const char *why)
{
    if (out->why == NULL)
        out->why = why;
}

static uint32_t min_length(uint8_t type)
{
    switch (type) {
    case VIRTIO_PCI_CAP_COMMON_CFG:
        return VIRTIO_PCI_COMMON_MIN_LEN;
    case VIRTIO_PCI_CAP_NOTIFY_CFG:
        return 2;
    case VIRTIO_PCI_CAP_ISR_CFG:
    default:
        return 1;
    }
}

static struct virtio_pci_region *slot_of(struct virtio_pci_caps *out, uint8_t type)
{
    switch (type) {
    case VIRTIO_PCI_CAP_COMMON_CFG:
        return &out->common;
    case VIRTIO_PCI_CAP_NOTIFY_CFG:
        return &out->notify;
    case VIRTIO_PCI_CAP_ISR_CFG:
        return &out->isr;
    case VIRTIO_PCI_CAP_DEVICE_CFG:
        return &out->device;
    default:
        return NULL;
    }
}

/* Checks one virtio capability at `pos` and records it if its slot is still empty. */
static void take_cap(const uint8_t *cfg, unsigned pos, const struct virtio_pci_bar_view bars[6],
                     struct virtio_pci_caps *out)
{
    uint8_t type = cfg[pos + CAP_CFG_TYPE];
    struct virtio_pci_region *slot = slot_of(out, type);
    if (slot == NULL || slot->present)
        return; /* PCI-config access, shared memory, vendor data, or a later duplicate */

    unsigned cap_len = cfg[pos + CAP_LEN];
    unsigned need =
        type == VIRTIO_PCI_CAP_NOTIFY_CFG ? VIRTIO_PCI_NOTIFY_CAP_LEN : VIRTIO_PCI_CAP_LEN;
    if (cap_len < need || pos + cap_len > 256) {
        reject(out, "capability length too short or past config space");
        return;
    }
    uint8_t bar = cfg[pos + CAP_BAR];
    uint32_t offset = le32(cfg + pos + CAP_OFFSET);
    uint32_t length = le32(cfg + pos + CAP_LENGTH);
    if (bar > 5) {
        reject(out, "capability names a BAR index above 5");
        return;
    }
    if (!bars[bar].assigned || !bars[bar].memory) {
        reject(out, "capability names an unassigned or I/O BAR");
        return;
    }
    if (length < min_length(type)) {
        reject(out, "structure shorter than the spec minimum");
        return;
    }
    if ((uint64_t)offset + length > bars[bar].size) {
        reject(out, "structure extends past the end of its BAR");
        return;
    }
    if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
        uint32_t mult = le32(cfg + pos + CAP_NOTIFY_MULT);
        if (mult & (mult - 1)) {
            reject(out, "notify_off_multiplier is not a power of two");
            return;
        }
        out->notify_off_multiplier = mult;
    }
    *slot =
        (struct virtio_pci_region){.present = true, .bar = bar, .offset = offset, .length = length};
}

int virtio_pci_parse_caps(const uint8_t cfg[256], const struct virtio_pci_bar_view bars[6],
                          struct virtio_pci_caps *out)
{
    uint64_t seen[4] = {0}; /* one bit per config-space dword */
    *out = (struct virtio_pci_caps){0};

    if (!(le16(cfg + CFG_STATUS) & STATUS_CAP_LIST)) {
        reject(out, "no capability list");
        return -ENODEV;
    }
    unsigned pos = cfg[CFG_CAP_PTR];
    unsigned steps = 0;
    while (pos != 0) {
        if (pos < 0x40 || pos > 0xfc || (pos & 3)) {
            reject(out, "capability pointer outside 0x40..0xfc or unaligned");
            return -EINVAL;
        }
        unsigned dw = pos / 4;
        if ((seen[dw / 64] >> (dw % 64)) & 1) {
            reject(out, "capability list loops");
            return -EINVAL;
        }
        /* Unreachable while the visited set above works: 0x40..0xfc holds 48 dwords, so the
         * 49th step revisits one. Kept as a bound that holds even if that check were wrong
         * (tools/mutate: removing it is harmless). */
        if (++steps > VIRTIO_PCI_CAP_MAX_STEPS) {
            reject(out, "capability list too long");
            return -EINVAL;
        }
        seen[dw / 64] |= 1ull << (dw % 64);
        if (cfg[pos + CAP_VNDR] == PCI_CAP_ID_VENDOR && pos + CAP_LEN < 256)
            take_cap(cfg, pos, bars, out);
        pos = cfg[pos + CAP_NEXT];
    }
    if (!out->common.present || !out->notify.present || !out->isr.present) {
        reject(out, "common, notify or ISR structure missing");
        return -ENODEV;
    }
    return 0;
}

int virtio_pci_notify_offset(const struct virtio_pci_caps *caps, uint16_t queue_notify_off,
                             uint64_t *bar_offset)
{
    if (!caps->notify.present)
        return -EINVAL;
    uint64_t rel = (uint64_t)queue_notify_off * caps->notify_off_multiplier;
    if (rel + 2 > caps->notify.length)
        return -EINVAL;
    *bar_offset = caps->notify.offset + rel;
    return 0;
}
