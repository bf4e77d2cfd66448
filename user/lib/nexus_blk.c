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
    struct ion_sqe e;

    if (!c)
        return err;
    if (args_len > sizeof(e.arg))
        return -EINVAL;
    memset(&e, 0, sizeof(e));
    e.op = (uint16_t)op;
    e.slot = slot;
    e.tag = tag;
    if (args_len)
        memcpy(e.arg, args, args_len);
    return nexus_sq_push(&c->sq, &e) ? -EAGAIN : 0;
}

long nexus_enter(unsigned min_complete)
{
    return nexus_syscall(SYS_ION_ENTER, (long)min_complete, 0, 0);
}

/* Posts one command and waits for its completion: its result. */
static long call(unsigned op, unsigned slot, const void *args, unsigned args_len)
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
    return call(op, slot, &a, sizeof(a));
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
    return call(CMD_BLK_INFO, slot, &a, sizeof(a));
}

long nexus_blk_flush(unsigned slot)
{
    return call(CMD_BLK_FLUSH, slot, NULL, 0);
}

long nexus_cap_info(unsigned slot, struct cap_info *out)
{
    return nexus_syscall(SYS_CAP_INFO, (long)slot, (long)out, 0);
}

long nexus_cap_drop(unsigned slot)
{
    return nexus_syscall(SYS_CAP_DROP, (long)slot, 0, 0);
}
