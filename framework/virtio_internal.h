/* Private to the virtio core's own files (framework/ .c files): the device list, plugin matching
 * and small string helpers, plus hooks for host tests. Device plugins and transports never include
 * this; they use virtio/virtio.h. */
#ifndef VIRTIO_INTERNAL_H
#define VIRTIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <virtio/virtio.h>

/* Device list. insert: -EEXIST when listed already, -ENOSPC when full (counted as refused). */
int virtio_registry_insert(struct virtio_device *vdev);
/* Stable sort of the list from position `first` on by vdev->order. */
void virtio_registry_sort(unsigned first);
void virtio_registry_drop(struct virtio_device *vdev);
bool virtio_registry_contains(const struct virtio_device *vdev);

/* The plugin that drives `type`, or NULL. */
const struct virtio_plugin *virtio_registry_match(uint16_t type);
/* Gives vdev the name <driver><n> with the smallest n no other listed device of that driver
 * holds; "-" when vdev has no plugin. */
void virtio_registry_assign_name(struct virtio_device *vdev);
/* "block", or "unknown" for a type no manifest declares. */
const char *virtio_type_name(uint16_t type);

/* Test hook: match against `plugins` instead of the generated table; NULL restores it. */
void virtio_registry_override(const struct virtio_plugin *plugins, unsigned count);

/* Bounded string building: appends to buf (size len, always NUL-terminated), *pos tracks the
 * length; text that does not fit is cut. */
void virtio_str_append(char *buf, size_t len, size_t *pos, const char *s);
void virtio_str_append_uint(char *buf, size_t len, size_t *pos, uint64_t v);

/* Frees every queue of vdev (transport teardown first). The device must be reset or never have
 * reached DRIVER_OK. */
void virtio_free_queues(struct virtio_device *vdev);

#endif
