/* The virtio-console plugin's interface beyond the OS's console and port registry (ports.h,
 * where its ports are found by name: a virtserialport's name, or hvcN for a console port). */
#ifndef CONSOLE_VIRTCON_H
#define CONSOLE_VIRTCON_H

#include <stdint.h>

struct virtio_device;

/* VIRTIO_CONSOLE_F_SIZE: the console size; -ENOTSUP without the feature. */
int virtcon_size(struct virtio_device *vdev, uint16_t *cols, uint16_t *rows);

#endif
