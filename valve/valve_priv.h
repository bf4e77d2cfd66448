/* Private to valve/: the device table shared by the front (valve.c), the request engine
 * (valve_io.c) and the synchronous calls (valve_sync.c). Nothing outside the Valve includes it. */
#ifndef VALVE_PRIV_H
#define VALVE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <virtio/os.h>

#include "valve.h"
#include "valve_backend.h"

/* One registered device. The table is static: a pointer stays valid memory after the device
 * is gone, and `gen` (in the handle) tells a stale handle from the slot's next device. */
struct valve_dev {
    bool used;
    uint32_t gen;
    int handle;
    char name[BLOCK_NAME_LEN];
    const struct valve_backend_ops *ops;
    void *priv;
    struct valve_geometry geom;
    unsigned bios_out;                       /* bios the backend holds */
    uint32_t bios_ended;                     /* bios it gave back, ever: for block_wait_any */
    struct block_req *live;                  /* accepted requests not yet ended */
    struct block_req *park_head, *park_tail; /* waiting for queue room */
    struct os_event progress;                /* a bio ended: for block_wait_any */
};

/* The device behind a handle, or NULL. */
struct valve_dev *valve_lookup(unsigned handle);
/* The device in table slot i (used or not), for walking every device; NULL past the end. */
struct valve_dev *valve_slot(unsigned i);
/* Every check made before a request may reach the device: 0 with *out set, or -errno. */
int valve_validate(const struct block_req *r, struct valve_dev **out);
/* valve_io.c: ends parked requests of a device going away. Interrupts disabled. */
void valve_io_drop_device(struct valve_dev *vd);

#endif
