/* Helpers shared by the block host tests (test_blk.c, test_valve.c): simulated virtio-blk
 * devices with chosen limits, aligned buffers, and deterministic patterns. Test code only. */
#ifndef TEST_BLK_UTIL_H
#define TEST_BLK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <virtio/os.h>

#include "sim.h"

struct tb_opts {
    bool legacy;            /* legacy transport (default: modern) */
    uint64_t sectors;       /* 512-byte sectors (default: the sim's 2048) */
    uint32_t blk_size;      /* 0: keep the sim's 512 */
    uint32_t seg_max;       /* 0: keep 126 */
    uint32_t size_max;      /* 0: keep 65536 */
    uint64_t add_features;  /* device feature bits to offer in addition */
    uint64_t drop_features; /* device feature bits not to offer */
    uint16_t queue_max;     /* 0: keep 256 */
    bool no_irq;            /* no interrupt line: the device is polled */
    uint32_t config_len;    /* 0: the sim's default */
    /* Extra config bytes: (offset, width, value) triples, up to 8. */
    struct {
        uint32_t offset;
        unsigned width;
        uint64_t value;
    } cfg[8];
    unsigned n_cfg;
};

/* A completion record: tb_arm clears it and returns it as the ctx of tb_blk_done (a
 * blk_done_fn, also used through tb_req_done for Valve requests). */
struct tb_done {
    struct os_event ev;
    int status;
    unsigned calls;
};
struct tb_done *tb_arm(struct tb_done *d);
void tb_blk_done(void *ctx, int status);
/* Waits for the completion (a wait that never ends aborts the test), checks it ran exactly
 * once, returns its status. */
int tb_wait(struct tb_done *d);
/* The status of a completion that must have run already (exactly once). */
int tb_result(const struct tb_done *d);

/* Creates and adds a block device; fails the test when the add does not return `expect_rc`. */
struct sim_device *tb_make(const struct tb_opts *o, int expect_rc);
/* The Valve handle of a sim device (by its name). */
unsigned tb_index(struct sim_device *d);
/* Page-aligned zeroed buffer; free with free(). */
void *tb_alloc(size_t bytes);
/* Byte `i` of the pattern for absolute device byte offset `pos` under `seed`. */
uint8_t tb_pattern_byte(uint32_t seed, uint64_t pos);
void tb_fill(void *buf, size_t len, uint32_t seed, uint64_t pos);
/* Offset of the first byte that differs from the pattern, or -1. */
long tb_check(const void *buf, size_t len, uint32_t seed, uint64_t pos);

#endif
