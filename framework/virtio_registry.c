/* The registry: the list of devices, matching a device type to a plugin from the generated
 * table, naming (blk0, blk1, ...), listing, feature strings, and starting the transports.
 * It never touches device registers and never keeps its own table of IDs or names. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio_gen/virtio_registry.h>
#include <virtio_gen/virtio_tables.h>

#include "virtio_internal.h"

#define TRANSPORT_FEATURE_FIRST 24u
#define TRANSPORT_FEATURE_LAST  40u

static struct virtio_device *devices[VIRTIO_MAX_DEVICES];
static unsigned n_devices;
static unsigned n_refused; /* devices a full list turned away */

static const struct virtio_plugin *override_plugins;
static unsigned override_count;
static bool overridden;

void virtio_str_append(char *buf, size_t len, size_t *pos, const char *s)
{
    if (!buf || len == 0)
        return;
    while (*s && *pos + 1 < len)
        buf[(*pos)++] = *s++;
    buf[*pos < len ? *pos : len - 1] = '\0';
}

void virtio_str_append_uint(char *buf, size_t len, size_t *pos, uint64_t v)
{
    char digits[21];
    unsigned n = sizeof(digits) - 1;

    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n > 0);
    virtio_str_append(buf, len, pos, &digits[n]);
}

int virtio_registry_insert(struct virtio_device *vdev)
{
    if (virtio_registry_contains(vdev))
        return -EEXIST;
    if (n_devices >= VIRTIO_MAX_DEVICES) {
        n_refused++;
        return -ENOSPC;
    }
    devices[n_devices++] = vdev;
    return 0;
}

void virtio_registry_sort(unsigned first)
{
    /* Insertion sort: at most VIRTIO_MAX_DEVICES entries, and equal keys keep their order. */
    for (unsigned i = first + 1; i < n_devices; i++) {
        struct virtio_device *d = devices[i];
        unsigned j = i;
        for (; j > first && devices[j - 1]->order > d->order; j--)
            devices[j] = devices[j - 1];
        devices[j] = d;
    }
}

void virtio_census(struct virtio_census *out)
{
    memset(out, 0, sizeof(*out));
    out->added = n_devices;
    out->refused = n_refused;
    for (unsigned i = 0; i < n_devices; i++) {
        switch (devices[i]->state) {
        case VIRTIO_STATE_READY:
            out->ready++;
            break;
        case VIRTIO_STATE_NO_DRIVER:
            out->no_driver++;
            break;
        case VIRTIO_STATE_FAILED:
        case VIRTIO_STATE_NEEDS_RESET:
            out->failed++;
            break;
        case VIRTIO_STATE_FOUND:
            break;
        }
    }
}

void virtio_registry_drop(struct virtio_device *vdev)
{
    for (unsigned i = 0; i < n_devices; i++) {
        if (devices[i] != vdev)
            continue;
        for (unsigned j = i; j + 1 < n_devices; j++)
            devices[j] = devices[j + 1];
        devices[--n_devices] = NULL;
        return;
    }
}

bool virtio_registry_contains(const struct virtio_device *vdev)
{
    for (unsigned i = 0; i < n_devices; i++)
        if (devices[i] == vdev)
            return true;
    return false;
}

void virtio_registry_override(const struct virtio_plugin *plugins, unsigned count)
{
    overridden = plugins != NULL;
    override_plugins = plugins;
    override_count = plugins ? count : 0;
}

const struct virtio_plugin *virtio_registry_match(uint16_t type)
{
    const struct virtio_plugin *table = overridden ? override_plugins : virtio_plugins;
    unsigned count = overridden ? override_count : virtio_plugin_count;

    for (unsigned i = 0; i < count; i++) {
        const struct virtio_plugin *p = &table[i];
        if (!p->driver || !p->driver->name || !p->types)
            continue;
        for (unsigned t = 0; t < p->n_types; t++)
            if (p->types[t] == type)
                return p;
    }
    return NULL;
}

const char *virtio_type_name(uint16_t type)
{
    const struct virtio_type_desc *d = virtio_type_lookup(type);
    return d && d->name ? d->name : "unknown";
}

static void format_name(char *buf, size_t len, const char *driver, unsigned n)
{
    size_t pos = 0;
    buf[0] = '\0';
    virtio_str_append(buf, len, &pos, driver);
    virtio_str_append_uint(buf, len, &pos, n);
}

static bool name_taken(const struct virtio_device *self, const char *name)
{
    for (unsigned i = 0; i < n_devices; i++)
        if (devices[i] != self && strcmp(devices[i]->name, name) == 0)
            return true;
    return false;
}

void virtio_registry_assign_name(struct virtio_device *vdev)
{
    char name[sizeof(vdev->name)];

    if (!vdev->plugin) {
        strcpy(vdev->name, "-");
        return;
    }
    for (unsigned n = 0; n <= VIRTIO_MAX_DEVICES; n++) {
        format_name(name, sizeof(name), vdev->plugin->driver->name, n);
        if (!name_taken(vdev, name))
            break;
    }
    memcpy(vdev->name, name, sizeof(name));
}

unsigned virtio_device_count(void)
{
    return n_devices;
}

struct virtio_device *virtio_device_at(unsigned i)
{
    return i < n_devices ? devices[i] : NULL;
}

struct virtio_device *virtio_device_find(const char *driver_name, unsigned n)
{
    if (!driver_name)
        return NULL;
    for (unsigned i = 0; i < n_devices; i++) {
        struct virtio_device *d = devices[i];
        if (d->state != VIRTIO_STATE_READY || !d->plugin)
            continue;
        if (strcmp(d->plugin->driver->name, driver_name) != 0)
            continue;
        if (n-- == 0)
            return d;
    }
    return NULL;
}

const char *virtio_state_name(enum virtio_state state)
{
    switch (state) {
    case VIRTIO_STATE_FOUND:
        return "FOUND";
    case VIRTIO_STATE_NO_DRIVER:
        return "NO_DRIVER";
    case VIRTIO_STATE_READY:
        return "READY";
    case VIRTIO_STATE_FAILED:
        return "FAILED";
    case VIRTIO_STATE_NEEDS_RESET:
        return "NEEDS_RESET";
    }
    return "?";
}

static bool is_transport_bit(unsigned bit)
{
    return bit >= TRANSPORT_FEATURE_FIRST && bit <= TRANSPORT_FEATURE_LAST;
}

static void append_feature(const struct virtio_device *vdev, unsigned bit, char *buf, size_t len,
                           size_t *pos)
{
    const char *name = virtio_feature_name(is_transport_bit(bit) ? 0 : vdev->type, bit);
    if (!name)
        name = virtio_feature_name(is_transport_bit(bit) ? vdev->type : 0, bit);
    if (*pos > 0)
        virtio_str_append(buf, len, pos, " ");
    if (name) {
        virtio_str_append(buf, len, pos, name);
    } else {
        virtio_str_append(buf, len, pos, "bit");
        virtio_str_append_uint(buf, len, pos, bit);
    }
}

size_t virtio_features_string(const struct virtio_device *vdev, char *buf, size_t len)
{
    size_t pos = 0;

    if (!buf || len == 0)
        return 0;
    buf[0] = '\0';
    if (!vdev)
        return 0;
    /* Transport bits (VERSION_1, ...) first, then the device's own. */
    for (unsigned bit = TRANSPORT_FEATURE_FIRST; bit <= TRANSPORT_FEATURE_LAST; bit++)
        if (vdev->features & (1ull << bit))
            append_feature(vdev, bit, buf, len, &pos);
    for (unsigned bit = 0; bit < 64; bit++)
        if (!is_transport_bit(bit) && (vdev->features & (1ull << bit)))
            append_feature(vdev, bit, buf, len, &pos);
    return pos;
}

int virtio_transport_check(const struct virtio_transport_ops *ops)
{
    const char *missing = NULL;

    if (!ops) {
        os_log("virtio: transport without an ops table");
        return -EINVAL;
    }
    if (!ops->name)
        missing = "name";
    else if (!ops->get_status)
        missing = "get_status";
    else if (!ops->set_status)
        missing = "set_status";
    else if (!ops->get_features)
        missing = "get_features";
    else if (!ops->set_features)
        missing = "set_features";
    else if (!ops->read_config)
        missing = "read_config";
    else if (!ops->write_config)
        missing = "write_config";
    else if (!ops->config_generation)
        missing = "config_generation";
    else if (!ops->queue_max)
        missing = "queue_max";
    else if (!ops->queue_setup)
        missing = "queue_setup";
    else if (!ops->queue_teardown)
        missing = "queue_teardown";
    else if (!ops->notify)
        missing = "notify";
    else if (!ops->ack_interrupt)
        missing = "ack_interrupt";
    if (missing) {
        os_log("virtio: transport %s lacks %s", ops->name ? ops->name : "(unnamed)", missing);
        return -EINVAL;
    }
    return 0;
}

int virtio_transports_start(const struct virtio_machine *machine)
{
    int first_err = 0;
    unsigned added;

    virtio_discovery_begin();

    for (unsigned i = 0; i < virtio_transport_count; i++) {
        const struct virtio_transport *t = &virtio_transports[i];
        const char *name = t->name ? t->name : "(unnamed)";
        int rc;

        if (virtio_transport_check(t->ops) != 0 || !t->discover) {
            os_log("virtio: transport %s skipped: incomplete", name);
            if (!first_err)
                first_err = -EINVAL;
            continue;
        }
        rc = t->discover(machine);
        if (rc < 0) {
            os_log("virtio: transport %s: discovery failed (%d)", name, rc);
            if (!first_err)
                first_err = rc;
        }
    }
    added = virtio_discovery_end();
    return added > 0 ? (int)added : first_err;
}
