/* The Membrane's block calls: raw block commands (CMD_BLK_* of abi/ion.toml) through the fiber's
 * ION channel, each naming the capability slot it acts through. Counts are in the device's
 * logical blocks (nexus_blk_info's block_size); `len` is the buffer's bytes and must equal
 * count * block_size; buffers start on a 512-byte boundary. The device moves the data straight
 * to or from the buffer. Results: >= 0 (bytes moved), or -errno (ion_error_message names it). */
#ifndef NEXUS_BLK_H
#define NEXUS_BLK_H

#include <stdint.h>

#include <abi/ion.h>
#include <ion_gen/ion_cmds.h>
#include <nexus_ion.h>

/* The fiber's one channel: set up on first use with 64 submission entries. */
struct nexus_chan {
    struct nexus_ring sq, cq;
    struct ion_params params;
};
/* The channel (set up now if need be), or NULL with *err set. */
struct nexus_chan *nexus_chan(long *err);
/* Posts one command without waiting: 0, or -EAGAIN (the submission ring is full). */
long nexus_post(unsigned op, unsigned slot, uint64_t tag, const void *args, unsigned args_len);
/* Hands every posted command to the kernel and waits until `min_complete` completions can be
 * taken (nexus_cq_pop on nexus_chan()->cq): the commands taken, or -errno. */
long nexus_enter(unsigned min_complete);

/* Synchronous calls: post one command and wait for its completion (with no other command of
 * this fiber in flight). nexus_call is the general one (plugins' shims use it): the
 * command's result. */
long nexus_call(unsigned op, unsigned slot, const void *args, unsigned args_len);
long nexus_blk_read(unsigned slot, uint64_t lba, uint32_t count, void *buf, uint32_t len);
long nexus_blk_write(unsigned slot, uint64_t lba, uint32_t count, const void *buf, uint32_t len);
long nexus_blk_info(unsigned slot, struct BlkInfo *info);
long nexus_blk_flush(unsigned slot);
/* A long read or write (count blocks of block_size at lba, buf on a 512-byte boundary) cut into
 * chunk_blocks pieces kept `depth` at a time at the device (1..32): 0 once all are done, or the
 * first error (the rest still finished first). */
long nexus_blk_rw_deep(unsigned slot, int write, uint64_t lba, uint32_t count, void *buf,
                       uint32_t block_size, uint32_t chunk_blocks, unsigned depth);

#include <nexus_caps.h> /* the capability calls (slots are what these commands name) */

#endif
