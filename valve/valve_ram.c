/* The RAM disk backend: memory made at creation, registered with the Valve. A bio is copied at
 * once and completed inside submit; FLUSH has nothing to do, DISCARD and WRITE_ZEROES zero the
 * blocks. Portable (os.h only): the kernel and the host tests run the same file. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>

#include "valve_backend.h"
#include "valve_ram.h"

#define RAM_RANGE_MAX (1u << 20) /* blocks per DISCARD / WRITE_ZEROES bio */

struct valve_ram {
    uint8_t *data;
    uint64_t bytes;
    uint32_t block;
    int handle;
    struct block_stats stats;
};

static int ram_submit(void *priv, const struct valve_bio *bio)
{
    struct valve_ram *ram = priv;
    const uint64_t off = bio->lba * ram->block, len = (uint64_t)bio->count * ram->block;

    if (bio->op != BLOCK_OP_FLUSH &&
        (bio->lba >= ram->bytes / ram->block || len > ram->bytes - off))
        return -EINVAL; /* the Valve validated; a second look costs nothing */
    switch (bio->op) {
    case BLOCK_OP_READ:
        memcpy(bio->buf, ram->data + off, len);
        break;
    case BLOCK_OP_WRITE:
        memcpy(ram->data + off, bio->buf, len);
        break;
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        memset(ram->data + off, 0, len);
        break;
    case BLOCK_OP_FLUSH:
        break;
    default:
        return -EOPNOTSUPP;
    }
    ram->stats.requests++;
    bio->done(bio->ctx, 0);
    return bio->op == BLOCK_OP_FLUSH ? 1 : (int)bio->count;
}

static void ram_info(void *priv, struct block_info *info)
{
    (void)priv;
    strcpy(info->transport, "ram");
}

static void ram_stats(void *priv, struct block_stats *stats)
{
    const struct valve_ram *ram = priv;
    *stats = ram->stats;
}

static const struct valve_backend_ops ram_ops = {
    .submit = ram_submit,
    .info = ram_info,
    .stats = ram_stats,
};

struct valve_ram *valve_ram_create(const char *name, uint64_t bytes, uint32_t block_size)
{
    struct valve_ram *ram;

    if (block_size < 512 || (block_size & (block_size - 1)) || bytes == 0 || bytes % block_size)
        return NULL;
    ram = os_alloc(sizeof(*ram));
    if (!ram)
        return NULL;
    ram->data = os_alloc(bytes);
    if (!ram->data) {
        os_free(ram, sizeof(*ram));
        return NULL;
    }
    ram->bytes = bytes;
    ram->block = block_size;
    const uint64_t blocks = bytes / block_size;
    const struct valve_geometry geom = {
        .block_size = block_size,
        .blocks = blocks,
        .max_discard = blocks < RAM_RANGE_MAX ? (uint32_t)blocks : RAM_RANGE_MAX,
        .max_write_zeroes = blocks < RAM_RANGE_MAX ? (uint32_t)blocks : RAM_RANGE_MAX,
    };
    ram->handle = valve_register(name, &ram_ops, ram, &geom);
    if (ram->handle < 0) {
        os_free(ram->data, bytes);
        os_free(ram, sizeof(*ram));
        return NULL;
    }
    return ram;
}

int valve_ram_handle(const struct valve_ram *ram)
{
    return ram->handle;
}

uint8_t *valve_ram_data(struct valve_ram *ram, uint64_t *size)
{
    if (size)
        *size = ram->bytes;
    return ram->data;
}

void valve_ram_destroy(struct valve_ram *ram)
{
    if (!ram)
        return;
    valve_unregister(ram->handle);
    os_free(ram->data, ram->bytes);
    os_free(ram, sizeof(*ram));
}
