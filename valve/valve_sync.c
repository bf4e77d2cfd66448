/* The synchronous calls the shell uses: block_read, block_write, block_flush. Each submits one
 * request without a completion function (the Valve then signals the request's own event),
 * waits on that event, and on -EAGAIN waits for a bio of the device to end and submits again.
 * Nothing here touches a device; everything goes through block_submit. */
#include <errno.h>
#include <stdint.h>

#include "valve.h"

static int run_sync(const struct block_subject *s, enum block_op op, unsigned dev, uint64_t lba,
                    uint32_t count, void *buf)
{
    struct block_req r = {.owner = s, .op = op, .dev = dev, .lba = lba, .count = count, .buf = buf};
    int rc;

    while ((rc = block_submit(&r)) == -EAGAIN) {
        rc = block_wait_any(s, dev);
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    return block_wait(&r);
}

int block_read(const struct block_subject *s, unsigned dev, uint64_t lba, uint32_t count, void *buf)
{
    return run_sync(s, BLOCK_OP_READ, dev, lba, count, buf);
}

int block_write(const struct block_subject *s, unsigned dev, uint64_t lba, uint32_t count,
                const void *data)
{
    /* The Valve never writes through `data` on a write: the cast only fits the request. */
    return run_sync(s, BLOCK_OP_WRITE, dev, lba, count, (void *)(uintptr_t)data);
}

int block_flush(const struct block_subject *s, unsigned dev)
{
    return run_sync(s, BLOCK_OP_FLUSH, dev, 0, 0, NULL);
}
