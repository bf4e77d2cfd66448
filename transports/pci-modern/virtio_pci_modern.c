/* Virtio PCI modern transport (virtio 1.2, 4.1.4): claims PCI functions with the virtio vendor
 * capabilities and moves register values through the common, notify, ISR and device structures.
 * Touches only the BAR regions its validated capabilities name; never touches rings. */
#include <errno.h>

#include <virtio/config_access.h>
#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_pci/virtio_pci.h>
#include <virtio_pci/virtio_pci_caps.h>

/* struct virtio_pci_common_cfg */
#define COMMON_DFSELECT      0x00
#define COMMON_DF            0x04
#define COMMON_GFSELECT      0x08
#define COMMON_GF            0x0c
#define COMMON_MSIX          0x10
#define COMMON_NUMQ          0x12
#define COMMON_STATUS        0x14
#define COMMON_CFGGEN        0x15
#define COMMON_Q_SELECT      0x16
#define COMMON_Q_SIZE        0x18
#define COMMON_Q_MSIX        0x1a
#define COMMON_Q_ENABLE      0x1c
#define COMMON_Q_NOFF        0x1e
#define COMMON_Q_DESCLO      0x20
#define COMMON_Q_DESCHI      0x24
#define COMMON_Q_AVAILLO     0x28
#define COMMON_Q_AVAILHI     0x2c
#define COMMON_Q_USEDLO      0x30
#define COMMON_Q_USEDHI      0x34
#define VIRTIO_MSI_NO_VECTOR 0xffff

struct virtio_pci_modern {
    struct virtio_device vdev; /* first: the core's view */
    struct pci_func *pci;
    struct virtio_pci_caps caps;
    uintptr_t common, isr, device, notify_bar; /* CPU addresses */
};

static struct virtio_pci_modern *to_modern(struct virtio_device *vdev)
{
    return (struct virtio_pci_modern *)vdev->transport_priv;
}

static uint8_t vpm_get_status(struct virtio_device *vdev)
{
    return os_mmio_read8(to_modern(vdev)->common + COMMON_STATUS);
}

static void vpm_set_status(struct virtio_device *vdev, uint8_t status)
{
    os_mmio_write8(to_modern(vdev)->common + COMMON_STATUS, status);
}

static uint64_t vpm_get_features(struct virtio_device *vdev)
{
    uintptr_t c = to_modern(vdev)->common;
    os_mmio_write32(c + COMMON_DFSELECT, 0);
    uint64_t lo = os_mmio_read32(c + COMMON_DF);
    os_mmio_write32(c + COMMON_DFSELECT, 1);
    uint64_t hi = os_mmio_read32(c + COMMON_DF);
    return hi << 32 | lo;
}

static void vpm_set_features(struct virtio_device *vdev, uint64_t features)
{
    uintptr_t c = to_modern(vdev)->common;
    os_mmio_write32(c + COMMON_GFSELECT, 0);
    os_mmio_write32(c + COMMON_GF, (uint32_t)features);
    os_mmio_write32(c + COMMON_GFSELECT, 1);
    os_mmio_write32(c + COMMON_GF, (uint32_t)(features >> 32));
}

/* Device config: natural-width accesses; 64-bit fields as two 32-bit halves (spec 4.1.3.1). */
static uint64_t vpm_read_config(struct virtio_device *vdev, uint32_t offset, unsigned width)
{
    return virtio_cfg_read(to_modern(vdev)->device + offset, width, false);
}

static void vpm_write_config(struct virtio_device *vdev, uint32_t offset, unsigned width,
                             uint64_t value)
{
    virtio_cfg_write(to_modern(vdev)->device + offset, width, value, false);
}

static uint32_t vpm_config_generation(struct virtio_device *vdev)
{
    return os_mmio_read8(to_modern(vdev)->common + COMMON_CFGGEN);
}

static uint16_t vpm_queue_max(struct virtio_device *vdev, unsigned index)
{
    uintptr_t c = to_modern(vdev)->common;
    if (index >= os_mmio_read16(c + COMMON_NUMQ))
        return 0;
    os_mmio_write16(c + COMMON_Q_SELECT, (uint16_t)index);
    return os_mmio_read16(c + COMMON_Q_SIZE);
}

static void write64(uintptr_t lo, uint64_t v)
{
    os_mmio_write32(lo, (uint32_t)v);
    os_mmio_write32(lo + 4, (uint32_t)(v >> 32));
}

static int vpm_queue_setup(struct virtio_device *vdev, struct virtqueue *vq)
{
    struct virtio_pci_modern *m = to_modern(vdev);
    uintptr_t c = m->common;
    unsigned index = vq_index(vq);
    uint64_t off, desc, driver, device;

    if (index > 0xffff || vq_size(vq) == 0)
        return -EINVAL;
    uint16_t max = vpm_queue_max(vdev, index);
    if (max == 0)
        return -ENOENT;
    if (vq_size(vq) > max)
        return -EINVAL;
    /* vpm_queue_max left queue `index` selected. */
    uint16_t noff = os_mmio_read16(c + COMMON_Q_NOFF);
    if (virtio_pci_notify_offset(&m->caps, noff, &off) != 0) {
        os_log("pci-modern %s: queue %u notify offset %u lies outside the notify structure",
               vdev->location, index, noff);
        return -EIO;
    }
    vq_ring_addrs(vq, &desc, &driver, &device);
    os_mmio_write16(c + COMMON_Q_SIZE, vq_size(vq));
    write64(c + COMMON_Q_DESCLO, desc);
    write64(c + COMMON_Q_AVAILLO, driver);
    write64(c + COMMON_Q_USEDLO, device);
    os_mmio_write16(c + COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
    vq_set_transport_data(vq, m->notify_bar + (uintptr_t)off); /* the queue's doorbell */
    os_mmio_write16(c + COMMON_Q_ENABLE, 1);
    return 0;
}

/* A queue cannot be disabled by writing 0 to queue_enable; the core resets the device before
 * tearing queues down, which disables them; the doorbell goes with the queue's record. */
static void vpm_queue_teardown(struct virtio_device *vdev, unsigned index)
{
    (void)vdev;
    (void)index;
}

static void vpm_notify(struct virtio_device *vdev, struct virtqueue *vq)
{
    uintptr_t doorbell = vq_transport_data(vq);

    (void)vdev;
    if (doorbell != 0)
        os_mmio_write16(doorbell, (uint16_t)vq_index(vq));
}

/* Reading the ISR byte acknowledges it and deasserts INTx. */
static uint8_t vpm_ack_interrupt(struct virtio_device *vdev)
{
    return os_mmio_read8(to_modern(vdev)->isr) & (VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG);
}

const struct virtio_transport_ops virtio_pci_modern_ops = {
    .name = "pci-modern",
    .get_status = vpm_get_status,
    .set_status = vpm_set_status,
    .get_features = vpm_get_features,
    .set_features = vpm_set_features,
    .read_config = vpm_read_config,
    .write_config = vpm_write_config,
    .config_generation = vpm_config_generation,
    .queue_max = vpm_queue_max,
    .queue_setup = vpm_queue_setup,
    .queue_teardown = vpm_queue_teardown,
    .notify = vpm_notify,
    .ack_interrupt = vpm_ack_interrupt,
    .can_resize_queue = true,
};

static uintptr_t region_addr(const struct pci_func *f, const struct virtio_pci_region *r)
{
    return (uintptr_t)(f->bar[r->bar].cpu_addr + r->offset);
}

/* Builds and registers the record for one function whose capabilities validated. */
static int add_device(struct pci_func *f, const struct virtio_pci_caps *caps, uint16_t type)
{
    struct virtio_pci_modern *m = os_alloc(sizeof(*m));
    if (m == NULL) {
        os_log("pci-modern %02x:%02x.%x: out of memory", f->bus, f->dev, f->fn);
        return -ENOMEM;
    }
    m->pci = f;
    m->caps = *caps;
    m->common = region_addr(f, &caps->common);
    m->isr = region_addr(f, &caps->isr);
    m->notify_bar = (uintptr_t)f->bar[caps->notify.bar].cpu_addr;
    if (caps->device.present)
        m->device = region_addr(f, &caps->device);
    m->vdev.ops = &virtio_pci_modern_ops;
    m->vdev.transport_priv = m;
    m->vdev.type = type;
    m->vdev.modern = true;
    m->vdev.config_len = caps->device.present ? caps->device.length : 0;
    /* The core logs and lists a device that fails; one it could not list is not ours to keep. */
    int rc = virtio_pci_add_device(f, &m->vdev);
    if (rc)
        os_free(m, sizeof(*m));
    return rc;
}

int virtio_pci_modern_discover(const struct virtio_machine *machine)
{
    bool legacy_first = machine->pci_legacy_first;
    int found = 0;

    for (unsigned i = 0; i < pci_func_count(); i++) {
        struct pci_func *f = pci_func_at(i);
        enum virtio_pci_kind kind = virtio_pci_kind(f);
        bool modern_only = kind == VIRTIO_PCI_MODERN_ONLY;
        if (kind == VIRTIO_PCI_NOT_OURS || (kind == VIRTIO_PCI_TRANSITIONAL && legacy_first))
            continue;
        if (!f->enabled) {
            if (modern_only)
                os_log("pci-modern %02x:%02x.%x: BARs not assigned; skipped", f->bus, f->dev,
                       f->fn);
            continue;
        }

        struct virtio_pci_caps caps;
        int rc = virtio_pci_read_caps(f, &caps);
        bool partial = caps.common.present || caps.notify.present || caps.isr.present;
        if (rc != 0) {
            /* A transitional device without modern structures is pci-legacy's: say nothing. */
            if (modern_only || partial || rc == -EINVAL)
                os_log("pci-modern %02x:%02x.%x %04x:%04x: %s (%d); skipped", f->bus, f->dev, f->fn,
                       f->vendor, f->device, caps.why ? caps.why : "bad capabilities", rc);
            continue;
        }
        uint16_t type = virtio_pci_device_type(f);
        if (type == 0)
            continue;
        if (add_device(f, &caps, type) == 0)
            found++;
    }
    return found;
}
