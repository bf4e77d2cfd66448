/* Virtio MMIO transport (virtio 1.2, 4.2): every virtio,mmio node of the device tree, version 1
 * (legacy, page-based queue PFN: ops "mmio-v1") or version 2 (modern: ops "mmio-v2").
 * Touches only its own register window; never touches rings. */
#include <errno.h>
#include <stdio.h>

#include <virtio/config_access.h>
#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_gen/virtio_tables.h>

#define MMIO_MAGIC_VALUE    0x000
#define MMIO_VERSION        0x004
#define MMIO_DEVICE_ID      0x008
#define MMIO_VENDOR_ID      0x00c
#define MMIO_DEV_FEATURES   0x010
#define MMIO_DEV_FEAT_SEL   0x014
#define MMIO_DRV_FEATURES   0x020
#define MMIO_DRV_FEAT_SEL   0x024
#define MMIO_GUEST_PAGESIZE 0x028 /* v1 */
#define MMIO_QUEUE_SEL      0x030
#define MMIO_QUEUE_NUM_MAX  0x034
#define MMIO_QUEUE_NUM      0x038
#define MMIO_QUEUE_ALIGN    0x03c /* v1 */
#define MMIO_QUEUE_PFN      0x040 /* v1 */
#define MMIO_QUEUE_READY    0x044 /* v2 */
#define MMIO_QUEUE_NOTIFY   0x050
#define MMIO_INT_STATUS     0x060
#define MMIO_INT_ACK        0x064
#define MMIO_STATUS         0x070
#define MMIO_QUEUE_DESC_LO  0x080 /* v2 */
#define MMIO_QUEUE_DRV_LO   0x090 /* v2 */
#define MMIO_QUEUE_DEV_LO   0x0a0 /* v2 */
#define MMIO_CONFIG_GEN     0x0fc /* v2 */
#define MMIO_CONFIG         0x100

#define MMIO_MAGIC     0x74726976u /* "virt" */
#define MMIO_PAGE_SIZE 4096u
/* The spec gives MMIO no config-space length. We use the extent of the fields the generated
 * tables know for the type, or this bound when they know none; never past the node's window. */
#define MMIO_CONFIG_FALLBACK 0x100u

struct virtio_mmio {
    struct virtio_device vdev; /* first: the core's view */
    uintptr_t base;
    uint32_t version; /* 1 or 2 */
};

static struct virtio_mmio *to_mmio(struct virtio_device *vdev)
{
    return (struct virtio_mmio *)vdev->transport_priv;
}

static uint32_t rd32(struct virtio_device *vdev, unsigned reg)
{
    return os_mmio_read32(to_mmio(vdev)->base + reg);
}

static void wr32(struct virtio_device *vdev, unsigned reg, uint32_t v)
{
    os_mmio_write32(to_mmio(vdev)->base + reg, v);
}

static bool is_v1(struct virtio_device *vdev)
{
    return to_mmio(vdev)->version == 1;
}

static uint8_t vmm_get_status(struct virtio_device *vdev)
{
    return (uint8_t)rd32(vdev, MMIO_STATUS);
}

static void vmm_set_status(struct virtio_device *vdev, uint8_t status)
{
    wr32(vdev, MMIO_STATUS, status);
}

/* Version 1 offers (and takes) only the low 32 feature bits. */
static uint64_t vmm_get_features(struct virtio_device *vdev)
{
    wr32(vdev, MMIO_DEV_FEAT_SEL, 0);
    uint64_t lo = rd32(vdev, MMIO_DEV_FEATURES);
    if (is_v1(vdev))
        return lo;
    wr32(vdev, MMIO_DEV_FEAT_SEL, 1);
    return (uint64_t)rd32(vdev, MMIO_DEV_FEATURES) << 32 | lo;
}

static void vmm_set_features(struct virtio_device *vdev, uint64_t features)
{
    wr32(vdev, MMIO_DRV_FEAT_SEL, 0);
    wr32(vdev, MMIO_DRV_FEATURES, (uint32_t)features);
    if (is_v1(vdev))
        return;
    wr32(vdev, MMIO_DRV_FEAT_SEL, 1);
    wr32(vdev, MMIO_DRV_FEATURES, (uint32_t)(features >> 32));
}

static uint64_t vmm_read_config(struct virtio_device *vdev, uint32_t offset, unsigned width)
{
    return virtio_cfg_read(to_mmio(vdev)->base + MMIO_CONFIG + offset, width, false);
}

static void vmm_write_config(struct virtio_device *vdev, uint32_t offset, unsigned width,
                             uint64_t value)
{
    virtio_cfg_write(to_mmio(vdev)->base + MMIO_CONFIG + offset, width, value, false);
}

static uint32_t vmm_config_generation(struct virtio_device *vdev)
{
    return is_v1(vdev) ? 0 : rd32(vdev, MMIO_CONFIG_GEN);
}

static uint16_t vmm_queue_max(struct virtio_device *vdev, unsigned index)
{
    wr32(vdev, MMIO_QUEUE_SEL, index);
    uint32_t max = rd32(vdev, MMIO_QUEUE_NUM_MAX);
    return max > 0x8000 ? 0x8000 : (uint16_t)max; /* split rings hold at most 32768 */
}

/* A v1 device derives the rings from the PFN, QueueNum and QueueAlign: avail right after the
 * descriptors, used at the next QueueAlign boundary (vq_legacy_pfn checks the core's layout). */
static int setup_v1(struct virtio_device *vdev, struct virtqueue *vq)
{
    uint32_t pfn;

    if (rd32(vdev, MMIO_QUEUE_PFN) != 0)
        return -EBUSY;
    if (!vq_legacy_pfn(vq, MMIO_PAGE_SIZE, &pfn)) {
        os_log("mmio-v1 %s: queue %u ring is not in the legacy layout", vdev->location,
               vq_index(vq));
        return -EINVAL;
    }
    wr32(vdev, MMIO_GUEST_PAGESIZE, MMIO_PAGE_SIZE);
    wr32(vdev, MMIO_QUEUE_NUM, vq_size(vq));
    wr32(vdev, MMIO_QUEUE_ALIGN, MMIO_PAGE_SIZE);
    wr32(vdev, MMIO_QUEUE_PFN, pfn);
    return 0;
}

static void write64(struct virtio_device *vdev, unsigned reg_lo, uint64_t v)
{
    wr32(vdev, reg_lo, (uint32_t)v);
    wr32(vdev, reg_lo + 4, (uint32_t)(v >> 32));
}

static int setup_v2(struct virtio_device *vdev, struct virtqueue *vq)
{
    uint64_t desc, driver, device;

    if (rd32(vdev, MMIO_QUEUE_READY) != 0)
        return -EBUSY;
    vq_ring_addrs(vq, &desc, &driver, &device);
    wr32(vdev, MMIO_QUEUE_NUM, vq_size(vq));
    write64(vdev, MMIO_QUEUE_DESC_LO, desc);
    write64(vdev, MMIO_QUEUE_DRV_LO, driver);
    write64(vdev, MMIO_QUEUE_DEV_LO, device);
    wr32(vdev, MMIO_QUEUE_READY, 1);
    return 0;
}

static int vmm_queue_setup(struct virtio_device *vdev, struct virtqueue *vq)
{
    uint16_t max = vmm_queue_max(vdev, vq_index(vq)); /* leaves the queue selected */
    if (max == 0)
        return -ENOENT;
    if (vq_size(vq) == 0 || vq_size(vq) > max)
        return -EINVAL;
    return is_v1(vdev) ? setup_v1(vdev, vq) : setup_v2(vdev, vq);
}

static void vmm_queue_teardown(struct virtio_device *vdev, unsigned index)
{
    wr32(vdev, MMIO_QUEUE_SEL, index);
    if (is_v1(vdev)) {
        wr32(vdev, MMIO_QUEUE_PFN, 0);
    } else {
        wr32(vdev, MMIO_QUEUE_READY, 0);
        (void)rd32(vdev, MMIO_QUEUE_READY); /* read back: the spec's synchronisation */
    }
}

static void vmm_notify(struct virtio_device *vdev, struct virtqueue *vq)
{
    wr32(vdev, MMIO_QUEUE_NOTIFY, vq_index(vq));
}

static uint8_t vmm_ack_interrupt(struct virtio_device *vdev)
{
    uint32_t st = rd32(vdev, MMIO_INT_STATUS);
    if (st != 0)
        wr32(vdev, MMIO_INT_ACK, st);
    return (uint8_t)(st & (VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG));
}

/* Version 1 and 2 share every operation; the table's name is what lsdev shows. */
#define VMM_OPS(name_)                                                                             \
    {                                                                                              \
        .name = name_, .get_status = vmm_get_status, .set_status = vmm_set_status,                 \
        .get_features = vmm_get_features, .set_features = vmm_set_features,                        \
        .read_config = vmm_read_config, .write_config = vmm_write_config,                          \
        .config_generation = vmm_config_generation, .queue_max = vmm_queue_max,                    \
        .queue_setup = vmm_queue_setup, .queue_teardown = vmm_queue_teardown,                      \
        .notify = vmm_notify, .ack_interrupt = vmm_ack_interrupt, .can_resize_queue = true,        \
    }

const struct virtio_transport_ops virtio_mmio_v1_ops = VMM_OPS("mmio-v1");
const struct virtio_transport_ops virtio_mmio_v2_ops = VMM_OPS("mmio-v2");

/* Bytes of config space for `type`: see MMIO_CONFIG_FALLBACK. */
static uint32_t config_len_for(uint16_t type, uint64_t window)
{
    uint32_t end = 0;
    for (unsigned i = 0; i < virtio_config_field_count; i++) {
        const struct virtio_config_desc *c = &virtio_config_fields[i];
        uint32_t n = c->count ? c->count : 1;
        if (c->type == type && c->offset + (uint32_t)c->width * n > end)
            end = c->offset + (uint32_t)c->width * n;
    }
    if (end == 0)
        end = MMIO_CONFIG_FALLBACK;
    uint64_t room = window - MMIO_CONFIG;
    return end < room ? end : (uint32_t)room;
}

static int add_node(const struct virtio_mmio_window *node)
{
    uintptr_t base = (uintptr_t)node->base;
    if (node->size < MMIO_CONFIG + 4) {
        os_log("mmio@0x%llx: window of 0x%llx bytes is too small; skipped",
               (unsigned long long)node->base, (unsigned long long)node->size);
        return -ENODEV;
    }
    uint32_t magic = os_mmio_read32(base + MMIO_MAGIC_VALUE);
    uint32_t version = os_mmio_read32(base + MMIO_VERSION);
    uint32_t id = os_mmio_read32(base + MMIO_DEVICE_ID);
    if (magic != MMIO_MAGIC) {
        os_log("mmio@0x%llx: bad magic 0x%08x; skipped", (unsigned long long)node->base, magic);
        return -ENODEV;
    }
    if (id == 0)
        return -ENODEV; /* an empty slot */
    if (version != 1 && version != 2) {
        os_log("mmio@0x%llx: unsupported version %u; skipped", (unsigned long long)node->base,
               version);
        return -ENODEV;
    }
    if (id > 0xffff) {
        os_log("mmio@0x%llx: device ID 0x%x out of range; skipped", (unsigned long long)node->base,
               id);
        return -ENODEV;
    }
    struct virtio_mmio *m = os_alloc(sizeof(*m));
    if (m == NULL) {
        os_log("mmio@0x%llx: out of memory", (unsigned long long)node->base);
        return -ENOMEM;
    }
    m->base = base;
    m->version = version;
    m->vdev.ops = version == 1 ? &virtio_mmio_v1_ops : &virtio_mmio_v2_ops;
    m->vdev.transport_priv = m;
    m->vdev.type = (uint16_t)id;
    m->vdev.modern = version == 2;
    m->vdev.config_len = config_len_for((uint16_t)id, node->size);
    m->vdev.irq = node->irq;
    snprintf(m->vdev.location, sizeof(m->vdev.location), "mmio@0x%llx",
             (unsigned long long)node->base);
    m->vdev.order = VIRTIO_ORDER_MMIO(node->base);
    /* The core logs and lists a device that fails; one it could not list is not ours to keep. */
    int rc = virtio_device_add(&m->vdev);
    if (rc)
        os_free(m, sizeof(*m));
    return rc;
}

int virtio_mmio_discover(const struct virtio_machine *machine)
{
    int found = 0;
    for (unsigned i = 0; i < machine->n_mmio; i++)
        if (add_node(&machine->mmio[i]) == 0)
            found++;
    return found;
}
