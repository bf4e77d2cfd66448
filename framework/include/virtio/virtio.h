/* The virtio core's public interface: devices, transports, drivers, and the registry that binds
 * them. A transport finds devices and moves register values; a driver (device plugin) knows one
 * device type's requests; the core owns the lifecycle, feature negotiation, config reads and the
 * queues. Errors are negative errno values (-EIO, -EINVAL, -ENODEV, -ETIMEDOUT, ...). */
#ifndef VIRTIO_VIRTIO_H
#define VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct virtio_device;
struct virtqueue;

/* Device status bits (virtio 1.2, 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER      0x02
#define VIRTIO_STATUS_DRIVER_OK   0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

/* ISR status bits returned by ack_interrupt. */
#define VIRTIO_ISR_QUEUE  0x1
#define VIRTIO_ISR_CONFIG 0x2

#define VIRTIO_MAX_DEVICES 32
#define VIRTIO_QUEUES_MAX  1024 /* queue indexes a driver may ask for: 0 .. this - 1 */

/* A transport: a table of register operations. Every member is required; the core checks the
 * table once (virtio_transport_check) before it drives a device through it. */
struct virtio_transport_ops {
    const char *name; /* "pci-legacy", "pci-modern", "mmio-v1", "mmio-v2", "sim" */
    uint8_t (*get_status)(struct virtio_device *vdev);
    void (*set_status)(struct virtio_device *vdev, uint8_t status); /* 0 = reset */
    /* All 64 feature bits the device offers (legacy transports: the low 32 only). */
    uint64_t (*get_features)(struct virtio_device *vdev);
    void (*set_features)(struct virtio_device *vdev, uint64_t features);
    /* One config-space field of width 1, 2, 4 or 8 bytes at `offset`, already range-checked by
     * the core against vdev->config_len. */
    uint64_t (*read_config)(struct virtio_device *vdev, uint32_t offset, unsigned width);
    void (*write_config)(struct virtio_device *vdev, uint32_t offset, unsigned width,
                         uint64_t value);
    uint32_t (*config_generation)(struct virtio_device *vdev); /* legacy: always 0 */
    /* Largest size the device allows for queue `index`, 0 when the queue does not exist. */
    uint16_t (*queue_max)(struct virtio_device *vdev, unsigned index);
    /* Tell the device where queue vq_index(vq) lives (vq_size, vq_ring_addrs)
     * and enable it. Returns 0 or -errno. */
    int (*queue_setup)(struct virtio_device *vdev, struct virtqueue *vq);
    void (*queue_teardown)(struct virtio_device *vdev, unsigned index);
    void (*notify)(struct virtio_device *vdev, struct virtqueue *vq);
    /* Read and acknowledge the interrupt status: VIRTIO_ISR_* bits. */
    uint8_t (*ack_interrupt)(struct virtio_device *vdev);
    bool can_resize_queue; /* false: legacy PCI, whose queue size is fixed at queue_max */
};

enum virtio_state {
    VIRTIO_STATE_FOUND,       /* registered, not yet matched */
    VIRTIO_STATE_NO_DRIVER,   /* no plugin drives this type: left reset */
    VIRTIO_STATE_READY,       /* DRIVER_OK */
    VIRTIO_STATE_FAILED,      /* negotiation or probe failed: FAILED written */
    VIRTIO_STATE_NEEDS_RESET, /* device set NEEDS_RESET; virtio_device_reprobe() may recover */
};

/* A device driver (device plugin). Its match IDs and feature list come from the plugin's
 * manifest, through the generated registry (struct virtio_plugin), not from this struct. */
struct virtio_driver {
    const char *name; /* "blk": devices become blk0, blk1, ... */
    /* Called after FEATURES_OK with vdev->features negotiated: read config, create queues with
     * virtio_find_vq. The core sets DRIVER_OK when it returns 0. */
    int (*probe)(struct virtio_device *vdev);
    void (*remove)(struct virtio_device *vdev); /* after reset; frees what probe made */
    /* A used-buffer interrupt arrived (already acknowledged at the transport). */
    void (*interrupt)(struct virtio_device *vdev);
    /* Optional: the device changed its configuration space (a configuration-change interrupt
     * on a READY device, e.g. a disk resized on the host). Interrupt context: re-read and
     * validate what the driver keeps of the config. */
    void (*config_changed)(struct virtio_device *vdev);
};

/* One registry entry, generated from a device plugin's manifest. */
struct virtio_plugin {
    const struct virtio_driver *driver;
    const uint16_t *types; /* virtio device types it drives */
    unsigned n_types;
    uint64_t features; /* feature bits it understands (device and transport bits) */
};

/* What the machine tells the transports when they start. Whoever starts them fills it (the
 * kernel: from the device tree and the command line); a transport never asks the kernel. */
struct virtio_mmio_window {
    uint64_t base, size;
    unsigned irq; /* platform interrupt line, 0 = none */
};

struct virtio_machine {
    const struct virtio_mmio_window *mmio; /* the device tree's virtio,mmio nodes, in order */
    unsigned n_mmio;
    bool pci_legacy_first; /* virtio.pci=legacy: pci-modern leaves transitional devices alone */
};

/* One transport entry, generated from a transport's manifest (kernel build only). */
struct virtio_transport {
    const char *name;
    const struct virtio_transport_ops *ops;
    /* Find this transport's devices on `machine` and virtio_device_add() each one. Returns how
     * many were added, or -errno. Called in manifest `order`. */
    int (*discover)(const struct virtio_machine *machine);
};

/* A virtio device. The transport embeds it in its own record (first member) and fills the
 * fields marked T before virtio_device_add(); the core owns the rest. */
struct virtio_device {
    const struct virtio_transport_ops *ops; /* T */
    void *transport_priv;                   /* T: the transport's own device record */
    uint16_t type;                          /* T: virtio device type (2 = block) */
    bool modern;                            /* T: VERSION_1 transport, split-area ring layout */
    uint32_t config_len;                    /* T: bytes of device config space */
    unsigned irq;                           /* T: platform interrupt line, 0 = none (poll) */
    char location[40];                      /* T: "00:02.0 1af4:1001" or "mmio@0x10008000" */
    uint64_t order;                         /* T: naming position, VIRTIO_ORDER_*: lower first */

    char name[16]; /* "blk0"; "-" when no driver */
    enum virtio_state state;
    uint64_t device_features; /* what the device offered */
    uint64_t features;        /* what was negotiated */
    const struct virtio_plugin *plugin;
    void *driver_priv;      /* the driver's per-device state */
    struct virtqueue **vqs; /* n_vqs entries (NULL where a queue was not asked for) */
    unsigned n_vqs;         /* the highest queue index the driver asked for, plus one */
    bool polled;            /* no usable interrupt: drivers poll */
    bool probed;            /* driver probe succeeded: remove() is owed */
    uint32_t interrupts;
};

/* Naming order (virtio_device.order): devices found at boot are named, per driver, in this
 * order, whatever transport found them: PCI functions by bus, slot and function, then MMIO
 * devices from the highest address down (QEMU's virt machine gives the first -device
 * virtio-*-device on the command line the highest-addressed virtio-mmio slot). */
#define VIRTIO_ORDER_PCI(bus, dev, fn)                                                             \
    (((uint64_t)(bus) << 8) | ((uint64_t)(dev) << 3) | (uint64_t)(fn))
#define VIRTIO_ORDER_MMIO(base) ((1ull << 62) | (((1ull << 62) - 1) & ~(uint64_t)(base)))

/* What the device list holds, for the boot summary. */
struct virtio_census {
    unsigned added;     /* devices in the list */
    unsigned ready;     /* READY */
    unsigned no_driver; /* NO_DRIVER: no plugin drives the type; left reset */
    unsigned failed;    /* FAILED or NEEDS_RESET */
    unsigned refused;   /* found but not added since boot: the list (VIRTIO_MAX_DEVICES) full */
};

/* Ring layout policy, set by the OS before discovery (the kernel from `virtio.ring=`):
 * AUTO negotiates VIRTIO_F_RING_PACKED when the device and the plugin both support it, SPLIT
 * never does. Applies to devices brought up afterwards. */
enum virtio_ring_policy { VIRTIO_RING_AUTO, VIRTIO_RING_SPLIT };
void virtio_set_ring_policy(enum virtio_ring_policy policy);

/* Registry and lifecycle. */

/* 0 when every op is present, else -EINVAL with one log line naming the missing op. */
int virtio_transport_check(const struct virtio_transport_ops *ops);
/* Registers a device found by a transport, matches a plugin and runs the lifecycle:
 * reset (waits until status reads 0, bounded) -> ACKNOWLEDGE -> DRIVER -> features -> FEATURES_OK
 * (read back on modern) -> probe -> DRIVER_OK. Writes FAILED on error. Returns 0 when the device
 * is READY or has no driver, else -errno (the device stays listed, state FAILED).
 * Between virtio_discovery_begin and _end it only lists the device (state FOUND) and returns 0,
 * or -errno when it could not be listed. */
int virtio_device_add(struct virtio_device *vdev);
/* Discovery: devices added from now on are only listed... */
void virtio_discovery_begin(void);
/* ... until this sorts them by vdev->order (stable) and brings each up in that order, so their
 * names (blk0, blk1, ...) and list positions follow the naming order. Returns how many devices
 * were listed since virtio_discovery_begin. */
unsigned virtio_discovery_end(void);
/* Takes a device out of the core: reset, driver remove (if it was probed), queues freed, and
 * dropped from the device list (its name becomes free again). The caller still owns vdev. */
void virtio_device_remove(struct virtio_device *vdev);
/* For a driver that must use its queues inside probe (e.g. to ask for a serial number): sets
 * DRIVER_OK now instead of after probe returns. Requests may be queued only after it. */
void virtio_device_ready(struct virtio_device *vdev);
/* A driver found its device unusable (timeout, broken queue): the core resets it, so it stops
 * touching memory, marks it FAILED and logs why. Returns 0, or -ETIMEDOUT if the reset did not
 * read back 0. The driver then fails its outstanding requests. */
int virtio_device_fail(struct virtio_device *vdev, const char *why);
/* Runs every generated transport's discover(machine) inside virtio_discovery_begin/_end.
 * Returns the devices added to the list, or -errno when none was and a transport failed. */
int virtio_transports_start(const struct virtio_machine *machine);
/* Counts the device list by state (and devices refused since boot). */
void virtio_census(struct virtio_census *out);
/* NEEDS_RESET / FAILED recovery: remove, reset and probe again. */
int virtio_device_reprobe(struct virtio_device *vdev);
/* Interrupt entry the core registers for each device with an irq; public for pollers/tests. */
void virtio_device_interrupt(struct virtio_device *vdev);

/* Device listing for the shell. */
unsigned virtio_device_count(void);
struct virtio_device *virtio_device_at(unsigned i);
/* The n-th READY device driven by `driver_name` ("blk", 0) -> blk0, or NULL. */
struct virtio_device *virtio_device_find(const char *driver_name, unsigned n);
const char *virtio_state_name(enum virtio_state state);
/* Writes "VERSION_1 BLK_F_FLUSH ..." for vdev's negotiated features into buf (always
 * NUL-terminated); returns the length. */
size_t virtio_features_string(const struct virtio_device *vdev, char *buf, size_t len);

/* Config space: reads `width` (1, 2, 4, 8) bytes at `offset`, retrying while the config
 * generation changes. -EINVAL past config_len or a bad width, -EIO when the generation never
 * settles. */
int virtio_config_read(struct virtio_device *vdev, uint32_t offset, unsigned width,
                       uint64_t *value);
bool virtio_has_feature(const struct virtio_device *vdev, unsigned bit);

/* Creates queue `index` with at most `max_size` entries (rounded down to a power of two and to
 * the device's maximum; a fixed-size transport uses its maximum) and hands it to the transport.
 * Probe-time only. Returns 0 and *out, or -ENOENT (no such queue), -ENOMEM, -errno. */
int virtio_find_vq(struct virtio_device *vdev, unsigned index, unsigned max_size,
                   struct virtqueue **out);

#endif
