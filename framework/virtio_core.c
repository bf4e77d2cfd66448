/* The device lifecycle: reset, status handshake, feature negotiation, probe, DRIVER_OK, interrupt
 * entry, NEEDS_RESET handling, reprobe, removal, and queue creation for drivers.
 * It talks to devices only through the transport ops and never touches ring memory itself. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_gen/virtio_ids.h>

#include "virtio_internal.h"
#include "virtqueue_priv.h"

#define RESET_TIMEOUT_NS 1000000000ull

/* Transport feature bits (24..40) the core implements: RING_EVENT_IDX and RING_INDIRECT_DESC
 * on any transport when the plugin lists them; VERSION_1 (plugin), RING_PACKED (plugin, and the
 * ring policy allows it) and ACCESS_PLATFORM (whenever offered: DMA addresses come from the OS
 * layer either way) only on a modern transport. Everything else in that range (IN_ORDER,
 * NOTIFICATION_DATA, ...) is never accepted, whatever a plugin lists. */
#define TRANSPORT_FEATURES_MASK (((1ull << 41) - 1) & ~((1ull << 24) - 1))
#define F_VERSION_1             (1ull << VIRTIO_F_VERSION_1)
#define F_RING_EVENT_IDX        (1ull << VIRTIO_F_RING_EVENT_IDX)
#define F_RING_INDIRECT_DESC    (1ull << VIRTIO_F_RING_INDIRECT_DESC)
#define F_RING_PACKED           (1ull << VIRTIO_F_RING_PACKED)
#define F_ACCESS_PLATFORM       (1ull << VIRTIO_F_ACCESS_PLATFORM)

/* "blk0 block pci-legacy 00:01.0 1af4:1001" */
#define VDEV_FMT      "%s %s %s %s"
#define VDEV_ARGS(vd) (vd)->name, virtio_type_name((vd)->type), (vd)->ops->name, (vd)->location

/* Interrupt lines the core has registered a handler for; one handler serves every device on
 * a (possibly shared) line. */
static unsigned irq_lines[VIRTIO_MAX_DEVICES];
static unsigned n_irq_lines;

static enum virtio_ring_policy ring_policy = VIRTIO_RING_AUTO;

void virtio_set_ring_policy(enum virtio_ring_policy policy)
{
    ring_policy = policy;
}

static int reset_and_wait(struct virtio_device *vdev)
{
    uint64_t deadline;

    vdev->ops->set_status(vdev, 0);
    deadline = os_time_ns() + RESET_TIMEOUT_NS;
    while (vdev->ops->get_status(vdev) != 0) {
        if (os_time_ns() > deadline)
            return -ETIMEDOUT;
    }
    return 0;
}

static void irq_line_handler(void *arg)
{
    unsigned irq = (unsigned)(uintptr_t)arg;

    for (unsigned i = 0; i < virtio_device_count(); i++) {
        struct virtio_device *vdev = virtio_device_at(i);
        if (vdev && vdev->irq == irq)
            virtio_device_interrupt(vdev);
    }
}

static void setup_irq(struct virtio_device *vdev)
{
    int rc;

    vdev->polled = true;
    if (vdev->irq == 0)
        return;
    for (unsigned i = 0; i < n_irq_lines; i++) {
        if (irq_lines[i] == vdev->irq) {
            vdev->polled = false;
            return;
        }
    }
    if (n_irq_lines >= VIRTIO_MAX_DEVICES) {
        os_log("virtio: " VDEV_FMT ": too many interrupt lines, polling", VDEV_ARGS(vdev));
        return;
    }
    rc = os_irq_register(vdev->irq, irq_line_handler, (void *)(uintptr_t)vdev->irq);
    if (rc != 0) {
        os_log("virtio: " VDEV_FMT ": irq %u unusable (%d), polling", VDEV_ARGS(vdev), vdev->irq,
               rc);
        return;
    }
    irq_lines[n_irq_lines++] = vdev->irq;
    vdev->polled = false;
}

void virtio_free_queues(struct virtio_device *vdev)
{
    for (unsigned i = 0; i < vdev->n_vqs; i++) {
        struct virtqueue *vq = vdev->vqs[i];
        if (!vq)
            continue;
        vdev->ops->queue_teardown(vdev, i);
        vq_destroy(vq);
        os_free(vq, sizeof(*vq));
        vdev->vqs[i] = NULL;
    }
    if (vdev->vqs)
        os_free(vdev->vqs, vdev->n_vqs * sizeof(*vdev->vqs));
    vdev->vqs = NULL;
    vdev->n_vqs = 0;
}

/* Makes room in vdev->vqs for queue `index` (probe time: the array grows to what the driver
 * asks for, so a device has as many queues as its driver uses). */
static int vqs_reserve(struct virtio_device *vdev, unsigned index)
{
    struct virtqueue **grown;
    unsigned n = index + 1;

    if (index < vdev->n_vqs)
        return 0;
    grown = os_alloc(n * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    for (unsigned i = 0; i < vdev->n_vqs; i++)
        grown[i] = vdev->vqs[i];
    if (vdev->vqs)
        os_free(vdev->vqs, vdev->n_vqs * sizeof(*vdev->vqs));
    vdev->vqs = grown;
    vdev->n_vqs = n;
    return 0;
}

/* Gives up on the device: FAILED in the status, queues freed, one log line with the reason. */
static int fail(struct virtio_device *vdev, uint8_t status, int rc, const char *why)
{
    vdev->ops->set_status(vdev, (uint8_t)(status | VIRTIO_STATUS_FAILED));
    virtio_free_queues(vdev);
    vdev->state = VIRTIO_STATE_FAILED;
    os_log("virtio: " VDEV_FMT ": FAILED: %s (%d)", VDEV_ARGS(vdev), why, rc);
    return rc;
}

/* What the core lets through (see TRANSPORT_FEATURES_MASK); legacy transports carry only the
 * low 32 bits, so never RING_PACKED or ACCESS_PLATFORM. */
static uint64_t negotiable(const struct virtio_device *vdev, uint64_t plugin_features)
{
    uint64_t mask = plugin_features & ~TRANSPORT_FEATURES_MASK;

    mask |= plugin_features & (F_RING_EVENT_IDX | F_RING_INDIRECT_DESC);
    if (vdev->modern) {
        mask |= plugin_features & F_VERSION_1;
        mask |= F_ACCESS_PLATFORM;
        if (ring_policy == VIRTIO_RING_AUTO)
            mask |= plugin_features & F_RING_PACKED;
    } else {
        mask &= 0xffffffffull;
    }
    return mask;
}

static void log_ready(struct virtio_device *vdev)
{
    char feats[320];
    char irq[24];
    size_t pos = 0;

    virtio_features_string(vdev, feats, sizeof(feats));
    irq[0] = '\0';
    if (vdev->polled) {
        virtio_str_append(irq, sizeof(irq), &pos, "polled");
    } else {
        virtio_str_append(irq, sizeof(irq), &pos, "irq ");
        virtio_str_append_uint(irq, sizeof(irq), &pos, vdev->irq);
    }
    os_log("virtio: " VDEV_FMT " %s features: %s", VDEV_ARGS(vdev), irq, feats[0] ? feats : "none");
}

/* From any state to READY, NO_DRIVER or FAILED. */
static int bring_up(struct virtio_device *vdev)
{
    uint8_t status = 0;
    uint64_t offered, again;
    const struct virtio_plugin *plugin;
    int rc;

    vdev->state = VIRTIO_STATE_FOUND;
    vdev->features = 0;
    vdev->driver_priv = NULL;

    rc = reset_and_wait(vdev);
    if (rc)
        return fail(vdev, status, rc, "reset did not complete within 1 s");

    status |= VIRTIO_STATUS_ACKNOWLEDGE;
    vdev->ops->set_status(vdev, status);

    plugin = virtio_registry_match(vdev->type);
    if (plugin != vdev->plugin || !plugin || strcmp(vdev->name, "-") == 0) {
        vdev->plugin = plugin;
        virtio_registry_assign_name(vdev);
    }
    if (!plugin) {
        (void)reset_and_wait(vdev);
        vdev->state = VIRTIO_STATE_NO_DRIVER;
        os_log("virtio: " VDEV_FMT " irq %u: no driver (type %u)", VDEV_ARGS(vdev), vdev->irq,
               (unsigned)vdev->type);
        return 0;
    }

    status |= VIRTIO_STATUS_DRIVER;
    vdev->ops->set_status(vdev, status);

    offered = vdev->ops->get_features(vdev);
    if (!vdev->modern)
        offered &= 0xffffffffull;
    vdev->device_features = offered;
    if (vdev->modern && !(offered & F_VERSION_1))
        return fail(vdev, status, -ENODEV, "modern transport but device lacks VERSION_1");
    if (vdev->modern && !(negotiable(vdev, plugin->features) & F_VERSION_1))
        return fail(vdev, status, -ENODEV, "driver does not support VERSION_1");

    vdev->features = offered & negotiable(vdev, plugin->features);
    vdev->ops->set_features(vdev, vdev->features);

    if (vdev->modern) {
        status |= VIRTIO_STATUS_FEATURES_OK;
        vdev->ops->set_status(vdev, status);
        if (!(vdev->ops->get_status(vdev) & VIRTIO_STATUS_FEATURES_OK))
            return fail(vdev, status, -EIO, "device refused FEATURES_OK");
    }
    again = vdev->ops->get_features(vdev);
    if (!vdev->modern)
        again &= 0xffffffffull;
    if (again != offered)
        return fail(vdev, status, -EIO, "device features changed after negotiation");

    setup_irq(vdev);
    rc = plugin->driver->probe ? plugin->driver->probe(vdev) : -EINVAL;
    if (rc)
        return fail(vdev, status, rc < 0 ? rc : -EIO, "driver probe failed");
    vdev->probed = true;

    status |= VIRTIO_STATUS_DRIVER_OK;
    vdev->ops->set_status(vdev, status);
    vdev->state = VIRTIO_STATE_READY;
    log_ready(vdev);
    return 0;
}

/* Between virtio_discovery_begin and _end: the list position where discovery started. */
static bool discovering;
static unsigned discovery_first;

void virtio_discovery_begin(void)
{
    discovering = true;
    discovery_first = virtio_device_count();
}

unsigned virtio_discovery_end(void)
{
    unsigned n = virtio_device_count();

    if (!discovering)
        return 0;
    discovering = false;
    virtio_registry_sort(discovery_first);
    for (unsigned i = discovery_first; i < n; i++)
        (void)bring_up(virtio_device_at(i)); /* a device that fails is logged and stays listed */
    return n - discovery_first;
}

int virtio_device_add(struct virtio_device *vdev)
{
    int rc;

    if (!vdev)
        return -EINVAL;
    rc = virtio_transport_check(vdev->ops);
    if (rc)
        return rc;
    if (virtio_registry_contains(vdev)) {
        os_log("virtio: %s %s %s: added twice", vdev->name, vdev->ops->name, vdev->location);
        return -EEXIST;
    }

    strcpy(vdev->name, "-");
    vdev->state = VIRTIO_STATE_FOUND;
    vdev->device_features = 0;
    vdev->features = 0;
    vdev->plugin = NULL;
    vdev->driver_priv = NULL;
    vdev->vqs = NULL;
    vdev->n_vqs = 0;
    vdev->polled = vdev->irq == 0;
    vdev->probed = false;
    vdev->interrupts = 0;
    vdev->location[sizeof(vdev->location) - 1] = '\0';

    rc = virtio_registry_insert(vdev);
    if (rc) {
        os_log("virtio: %s %s %s: not added: device list full (%d)", virtio_type_name(vdev->type),
               vdev->ops->name, vdev->location, rc);
        return rc;
    }
    if (discovering)
        return 0;
    return bring_up(vdev);
}

/* Resets the device and undoes a successful probe. */
static void take_down(struct virtio_device *vdev)
{
    if (reset_and_wait(vdev) != 0)
        os_log("virtio: " VDEV_FMT ": reset did not complete, freeing its queues anyway",
               VDEV_ARGS(vdev));
    if (vdev->probed && vdev->plugin && vdev->plugin->driver->remove)
        vdev->plugin->driver->remove(vdev);
    vdev->probed = false;
    virtio_free_queues(vdev);
    vdev->driver_priv = NULL;
    vdev->state = VIRTIO_STATE_FOUND;
}

int virtio_device_reprobe(struct virtio_device *vdev)
{
    if (!vdev || !virtio_registry_contains(vdev))
        return -ENODEV;
    take_down(vdev);
    return bring_up(vdev);
}

void virtio_device_remove(struct virtio_device *vdev)
{
    if (!vdev || !virtio_registry_contains(vdev))
        return;
    take_down(vdev);
    virtio_registry_drop(vdev);
}

void virtio_device_ready(struct virtio_device *vdev)
{
    uint8_t status = vdev->ops->get_status(vdev);

    if (!(status & VIRTIO_STATUS_DRIVER_OK))
        vdev->ops->set_status(vdev, (uint8_t)(status | VIRTIO_STATUS_DRIVER_OK));
}

int virtio_device_fail(struct virtio_device *vdev, const char *why)
{
    int rc = reset_and_wait(vdev);

    vdev->state = VIRTIO_STATE_FAILED;
    os_log("virtio: " VDEV_FMT ": taken out of use: %s%s", VDEV_ARGS(vdev), why,
           rc ? " (reset did not complete)" : "");
    return rc;
}

void virtio_device_interrupt(struct virtio_device *vdev)
{
    uint8_t isr;

    if (!vdev || !vdev->ops)
        return;
    isr = vdev->ops->ack_interrupt(vdev);
    if (!isr)
        return;
    vdev->interrupts++;
    if ((isr & VIRTIO_ISR_CONFIG) && vdev->state == VIRTIO_STATE_READY &&
        (vdev->ops->get_status(vdev) & VIRTIO_STATUS_NEEDS_RESET)) {
        vdev->state = VIRTIO_STATE_NEEDS_RESET;
        os_log("virtio: " VDEV_FMT ": device needs reset", VDEV_ARGS(vdev));
    } else if ((isr & VIRTIO_ISR_CONFIG) && vdev->state == VIRTIO_STATE_READY && vdev->plugin &&
               vdev->plugin->driver->config_changed) {
        vdev->plugin->driver->config_changed(vdev);
    }
    if ((isr & VIRTIO_ISR_QUEUE) &&
        (vdev->state == VIRTIO_STATE_READY || vdev->state == VIRTIO_STATE_NEEDS_RESET) &&
        vdev->plugin && vdev->plugin->driver->interrupt)
        vdev->plugin->driver->interrupt(vdev);
}

static uint16_t pow2_floor(unsigned v)
{
    uint16_t p = 1;
    if (v > 32768)
        v = 32768;
    while ((unsigned)p * 2 <= v)
        p = (uint16_t)(p * 2);
    return p;
}

int virtio_find_vq(struct virtio_device *vdev, unsigned index, unsigned max_size,
                   struct virtqueue **out)
{
    struct virtqueue *vq;
    uint16_t qmax, size;
    int rc;

    if (!vdev || !out)
        return -EINVAL;
    *out = NULL;
    if (index >= VIRTIO_QUEUES_MAX || (index < vdev->n_vqs && vdev->vqs[index]))
        return -EINVAL;
    qmax = vdev->ops->queue_max(vdev, index);
    if (qmax == 0) {
        os_log("virtio: " VDEV_FMT ": queue %u does not exist", VDEV_ARGS(vdev), index);
        return -ENOENT;
    }
    if (!vdev->ops->can_resize_queue) {
        if (qmax & (qmax - 1)) {
            os_log("virtio: " VDEV_FMT ": fixed queue %u size %u is not a power of two",
                   VDEV_ARGS(vdev), index, qmax);
            return -EINVAL;
        }
        size = qmax;
    } else {
        if (max_size == 0)
            return -EINVAL;
        size = pow2_floor(max_size < qmax ? max_size : qmax);
    }

    if (vqs_reserve(vdev, index))
        return -ENOMEM;
    vq = os_alloc(sizeof(*vq));
    if (!vq)
        return -ENOMEM;
    if (vdev->features & F_RING_PACKED)
        rc = vq_init_packed(vq, vdev, index, size);
    else
        rc = vq_init(vq, vdev, index, size, !vdev->modern);
    if (rc) {
        os_free(vq, sizeof(*vq));
        return rc;
    }
    vq->event_idx = (vdev->features & F_RING_EVENT_IDX) != 0;
    rc = vdev->ops->queue_setup(vdev, vq);
    if (rc) {
        os_log("virtio: " VDEV_FMT ": queue %u setup failed (%d)", VDEV_ARGS(vdev), index, rc);
        vq_destroy(vq);
        os_free(vq, sizeof(*vq));
        return rc;
    }
    vdev->vqs[index] = vq;
    *out = vq;
    return 0;
}
