/* The Membrane's ION channel and block calls (user/include/nexus_blk.h): the channel is set up
 * on first use; a synchronous call posts its command, enters the kernel waiting for one
 * completion, and takes completions until its own tag comes back. */
#include <errno.h>
#include <string.h>

#include <abi/syscall.h>
#include <nexus.h>
#include <nexus_blk.h>

#define CHAN_ENTRIES 64u

static struct nexus_chan chan;
static int chan_ready;
static uint64_t next_tag = 1;

struct nexus_chan *nexus_chan(long *err)
{
    if (chan_ready)
        return &chan;
    long rc = nexus_syscall(SYS_ION_SETUP, CHAN_ENTRIES, (long)&chan.params, 0);
    if (rc == 0 && (nexus_ring_attach(&chan.sq, (void *)(uintptr_t)chan.params.sq) ||
                    nexus_ring_attach(&chan.cq, (void *)(uintptr_t)chan.params.cq)))
        rc = -EPROTO;
    if (rc) {
        *err = rc;
        return NULL;
    }
    chan_ready = 1;
    return &chan;
}

long nexus_post(unsigned op, unsigned slot, uint64_t tag, const void *args, unsigned args_len)
{
    long err = 0;
    struct nexus_chan *c = nexus_chan(&err);
    struct ion_sqe e = {.op = (uint16_t)op, .slot = slot, .tag = tag};

    if (!c)
        return err;
    if (args_len > sizeof(e.arg))
        return -EINVAL;
    /* Arguments are structs of 64-bit fields (BlkArgs...): copied as words, without a call. */
    if ((uintptr_t)args % sizeof(uint64_t) == 0 && args_len % sizeof(uint64_t) == 0)
        for (unsigned i = 0; i < args_len / sizeof(uint64_t); i++)
            e.arg[i] = ((const uint64_t *)args)[i];
    else if (args_len)
        memcpy(e.arg, args, args_len);
    return nexus_sq_push(&c->sq, &e) ? -EAGAIN : 0;
}

long nexus_enter(unsigned min_complete)
{
    return nexus_syscall(SYS_ION_ENTER, (long)min_complete, 0, 0);
}

long nexus_call(unsigned op, unsigned slot, const void *args, unsigned args_len)
{
    uint64_t tag = next_tag++;
    long rc = nexus_post(op, slot, tag, args, args_len);

    if (rc)
        return rc;
    for (;;) {
        struct ion_cqe c;
        rc = nexus_enter(1);
        if (rc < 0)
            return rc;
        while (nexus_cq_pop(&chan.cq, &c) == 0)
            if (c.tag == tag)
                return (long)c.result;
    }
}

static long rw(unsigned op, unsigned slot, uint64_t lba, uint32_t count, const void *buf,
               uint32_t len)
{
    struct BlkArgs a = {.lba = lba, .buf = (uint64_t)(uintptr_t)buf, .count = count, .len = len};
    return nexus_call(op, slot, &a, sizeof(a));
}

long nexus_blk_read(unsigned slot, uint64_t lba, uint32_t count, void *buf, uint32_t len)
{
    return rw(CMD_BLK_READ, slot, lba, count, buf, len);
}

long nexus_blk_write(unsigned slot, uint64_t lba, uint32_t count, const void *buf, uint32_t len)
{
    return rw(CMD_BLK_WRITE, slot, lba, count, buf, len);
}

long nexus_blk_info(unsigned slot, struct BlkInfo *info)
{
    struct BlkArgs a = {.buf = (uint64_t)(uintptr_t)info, .len = sizeof(*info)};
    return nexus_call(CMD_BLK_INFO, slot, &a, sizeof(a));
}

long nexus_blk_flush(unsigned slot)
{
    return nexus_call(CMD_BLK_FLUSH, slot, NULL, 0);
}

long nexus_blk_rw_deep(unsigned slot, int write, uint64_t lba, uint32_t count, void *buf,
                       uint32_t block_size, uint32_t chunk_blocks, unsigned depth)
{
    uint8_t *p = buf;
    const uint64_t first = next_tag;
    uint64_t posted = 0, done = 0, chunks;
    long err = 0;

    if (!count || !block_size || !chunk_blocks || !depth || depth > CHAN_ENTRIES / 2)
        return -EINVAL;
    chunks = (count + chunk_blocks - 1) / chunk_blocks;
    next_tag += chunks;
    while (done < chunks) {
        /* Keep `depth` requests at the device: post until full (or out of chunks), then wait. */
        while (err == 0 && posted < chunks && posted - done < depth) {
            uint64_t at = posted * chunk_blocks;
            uint32_t n = count - at < chunk_blocks ? (uint32_t)(count - at) : chunk_blocks;
            struct BlkArgs a = {.lba = lba + at,
                                .buf = (uint64_t)(uintptr_t)(p + at * block_size),
                                .count = n,
                                .len = n * block_size};
            long rc = nexus_post(write ? CMD_BLK_WRITE : CMD_BLK_READ, slot, first + posted, &a,
                                 sizeof(a));
            if (rc)
                break;
            posted++;
        }
        if (posted == done)
            return err ? err : -EAGAIN;
        long rc = nexus_enter(1);
        if (rc < 0)
            return rc; /* the kernel ends the fiber's requests with it */
        struct ion_cqe c;
        while (nexus_cq_pop(&chan.cq, &c) == 0) {
            if (c.tag < first || c.tag >= first + chunks)
                continue; /* not ours: nobody else waits in this single-threaded program */
            done++;
            if (c.result < 0 && !err)
                err = c.result;
        }
        if (err && done == posted)
            return err;
    }
    return err;
}
