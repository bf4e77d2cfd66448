/* Private to valve/: shared by the front (valve.c) and the request engine (valve_io.c).
 * Nothing outside the Valve includes it. */
#ifndef VALVE_PRIV_H
#define VALVE_PRIV_H

#include <stdint.h>

#include "blk/blk.h"
#include "valve.h"

/* The dev-th block device in probe order, or NULL. */
struct blk_dev *valve_device(unsigned dev);
/* Every check made before a request may reach the device; 0 with *out set, or -errno. */
int valve_validate(const struct block_req *r, struct blk_dev **out);
/* 512-byte device sectors per logical block. */
uint32_t valve_sectors_per_block(const struct blk_info *bi);

#endif
