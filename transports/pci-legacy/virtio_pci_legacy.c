/* Virtio PCI legacy transport (virtio 1.2, 4.1.4.8): transitional functions 0x1000-0x103f that
 * pci-modern left unclaimed, driven through the legacy register block in I/O BAR0.
 * Never touches rings, and never another function's ports: every access is inside BAR0. */
#include <errno.h>

#include <virtio/config_access.h>
#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_pci/virtio_pci.h>

/* Legacy register block. */
#define LEG_HOST_FEATURES  0x00
#define LEG_GUEST_FEATURES 0x04
#define LEG_QUEUE_PFN      0x08
#define LEG_QUEUE_SIZE     0x0c
#define LEG_QUEUE_SELECT   0x0e
#define LEG_QUEUE_NOTIFY   0x10
#define LEG_STATUS         0x12
#define LEG_ISR            0x13
#define LEG_CONFIG         0x14 /* device config when MSI-X is off */
#define LEG_CONFIG_MSIX    0x18 /* ...and when it is on (two vector registers come first) */
#define LEG_QUEUE_ALIGN    4096u
#define MSIX_CTRL_ENABLE   0x8000

struct virtio_pci_legacy {
    struct virtio_device vdev; /* first: the core's view */
    struct pci_func *pci;
    uintptr_t io;    /* BAR0 port token */
    unsigned config; /* offset of device config inside BAR0 */
};

static struct virtio_pci_legacy *to_legacy(struct virtio_device *vdev)
{
    return (struct virtio_pci_legacy *)vdev->transport_priv;
}

static uintptr_t port(struct virtio_device *vdev, unsigned reg)
{
    return to_legacy(vdev)->io + reg;
}

static uint8_t vpl_get_status(struct virtio_device *vdev)
{
    return os_pio_read8(port(vdev, LEG_STATUS));
}

static void vpl_set_status(struct virtio_device *vdev, uint8_t status)
{
    os_pio_write8(port(vdev, LEG_STATUS), status);
}

static uint64_t vpl_get_features(struct virtio_device *vdev)
{
    return os_pio_read32(port(vdev, LEG_HOST_FEATURES));
}

static void vpl_set_features(struct virtio_device *vdev, uint64_t features)
{
    os_pio_write32(port(vdev, LEG_GUEST_FEATURES), (uint32_t)features);
}

static uint64_t vpl_read_config(struct virtio_device *vdev, uint32_t offset, unsigned width)
{
    return virtio_cfg_read(port(vdev, to_legacy(vdev)->config + offset), width, true);
}

static void vpl_write_config(struct virtio_device *vdev, uint32_t offset, unsigned width,
                             uint64_t value)
{
    virtio_cfg_write(port(vdev, to_legacy(vdev)->config + offset), width, value, true);
}

/* Legacy devices have no generation counter. */
static uint32_t vpl_config_generation(struct virtio_device *vdev)
{
    (void)vdev;
    return 0;
}

static uint16_t vpl_queue_max(struct virtio_device *vdev, unsigned index)
{
    if (index > 0xffff)
        return 0;
    os_pio_write16(port(vdev, LEG_QUEUE_SELECT), (uint16_t)index);
    return os_pio_read16(port(vdev, LEG_QUEUE_SIZE));
}

/* The device derives the avail and used rings from the PFN alone, so the core's layout must be
 * exactly the legacy one: avail right after the descriptors, used at the next 4096 boundary. */
static int vpl_queue_setup(struct virtio_device *vdev, struct virtqueue *vq)
{
    uint16_t max = vpl_queue_max(vdev, vq_index(vq));
    uint32_t pfn;

    if (max == 0)
        return -ENOENT;
    if (vq_size(vq) != max) /* the queue size register is read-only */
        return -EINVAL;
    if (!vq_legacy_pfn(vq, LEG_QUEUE_ALIGN, &pfn)) {
        os_log("pci-legacy %s: queue %u ring is not in the legacy layout", vdev->location,
               vq_index(vq));
        return -EINVAL;
    }
    os_pio_write32(port(vdev, LEG_QUEUE_PFN), pfn);
    return 0;
}

static void vpl_queue_teardown(struct virtio_device *vdev, unsigned index)
{
    if (index > 0xffff)
        return;
    os_pio_write16(port(vdev, LEG_QUEUE_SELECT), (uint16_t)index);
    os_pio_write32(port(vdev, LEG_QUEUE_PFN), 0);
}

static void vpl_notify(struct virtio_device *vdev, struct virtqueue *vq)
{
    os_pio_write16(port(vdev, LEG_QUEUE_NOTIFY), (uint16_t)vq_index(vq));
}

/* Reading the ISR register acknowledges it and deasserts INTx. */
static uint8_t vpl_ack_interrupt(struct virtio_device *vdev)
{
    return os_pio_read8(port(vdev, LEG_ISR)) & (VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG);
}

const struct virtio_transport_ops virtio_pci_legacy_ops = {
    .name = "pci-legacy",
    .get_status = vpl_get_status,
    .set_status = vpl_set_status,
    .get_features = vpl_get_features,
    .set_features = vpl_set_features,
    .read_config = vpl_read_config,
    .write_config = vpl_write_config,
    .config_generation = vpl_config_generation,
    .queue_max = vpl_queue_max,
    .queue_setup = vpl_queue_setup,
    .queue_teardown = vpl_queue_teardown,
    .notify = vpl_notify,
    .ack_interrupt = vpl_ack_interrupt,
    .can_resize_queue = false,
};

/* The device config moves by 4 bytes when MSI-X is enabled (we never enable it, but read it). */
static unsigned config_offset(const struct pci_func *f)
{
    unsigned cap = pci_find_cap(f, PCI_CAP_ID_MSIX);
    if (cap != 0 && (pci_cfg_read16(f, cap + 2) & MSIX_CTRL_ENABLE))
        return LEG_CONFIG_MSIX;
    return LEG_CONFIG;
}

static int add_device(struct pci_func *f, uint16_t type)
{
    const struct pci_bar *io = &f->bar[0];
    unsigned cfg = config_offset(f);
    if (io->size <= cfg) {
        os_log("pci-legacy %02x:%02x.%x: I/O BAR0 of 0x%llx bytes holds no config; skipped", f->bus,
               f->dev, f->fn, (unsigned long long)io->size);
        return -ENODEV;
    }
    struct virtio_pci_legacy *l = os_alloc(sizeof(*l));
    if (l == NULL) {
        os_log("pci-legacy %02x:%02x.%x: out of memory", f->bus, f->dev, f->fn);
        return -ENOMEM;
    }
    l->pci = f;
    l->io = (uintptr_t)io->cpu_addr;
    l->config = cfg;
    l->vdev.ops = &virtio_pci_legacy_ops;
    l->vdev.transport_priv = l;
    l->vdev.type = type;
    l->vdev.modern = false;
    l->vdev.config_len = (uint32_t)(io->size - cfg); /* the rest of BAR0 */
    /* The core logs and lists a device that fails; one it could not list is not ours to keep. */
    int rc = virtio_pci_add_device(f, &l->vdev);
    if (rc)
        os_free(l, sizeof(*l));
    return rc;
}

int virtio_pci_legacy_discover(const struct virtio_machine *machine)
{
    (void)machine;
    int found = 0;
    for (unsigned i = 0; i < pci_func_count(); i++) {
        struct pci_func *f = pci_func_at(i);
        if (virtio_pci_kind(f) != VIRTIO_PCI_TRANSITIONAL)
            continue;
        if (!f->enabled || f->bar[0].kind != PCI_BAR_IO || !f->bar[0].assigned) {
            os_log("pci-legacy %02x:%02x.%x %04x:%04x: no assigned I/O BAR0; skipped", f->bus,
                   f->dev, f->fn, f->vendor, f->device);
            continue;
        }
        uint16_t type = virtio_pci_device_type(f);
        if (type != 0 && add_device(f, type) == 0)
            found++;
    }
    return found;
}
