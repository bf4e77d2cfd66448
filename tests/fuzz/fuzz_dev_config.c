/* libFuzzer target: virtio-blk and virtio-net config validation (devices/blk/blk_probe.c,
 * devices/net/vnet_probe.c) through the simulator of tests/sim, with the real plugins from the
 * generated registry. The input picks the device type, transport, polled or interrupt mode, the
 * offered feature bits, the config space bytes and length, and a later config change. Whatever
 * the device says, probe either refuses it or leaves limits the plugin can live with, one
 * request (blk: a read at each end of the disk; net: a frame sent and polled) ends without
 * harm, and removing the device leaves nothing behind. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "blk/blk.h"
#include "fuzz_check.h"
#include "fw_testdrv.h"
#include "net/net.h"
#include "net/netif.h"
#include "net/virtio_net.h"
#include "sim.h"

static uint8_t data[65536] __attribute__((aligned(4096)));

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    os_host_log_quiet(true);
    return 0;
}

struct done {
    bool called;
    int status;
};

static void on_done(void *ctx, int status)
{
    struct done *w = ctx;
    FUZZ_CHECK(!w->called, "done ran twice");
    w->called = true;
    w->status = status;
}

/* One read of one block at `sector`, driven to its end by running the device and polling. */
static void read_block(struct blk_dev *dev, uint64_t sector, uint32_t bytes)
{
    struct vq_seg s = {os_virt_to_phys(data), bytes};
    struct done w = {false, 0};
    int rc = blk_submit(dev, BLK_OP_READ, sector, &s, 1, 0, on_done, &w);

    if (rc) {
        FUZZ_CHECK(rc == -EINVAL || rc == -EIO || rc == -EAGAIN || rc == -E2BIG,
                   "blk_submit returned %d", rc);
        FUZZ_CHECK(!w.called, "done ran for a refused request");
        return;
    }
    for (unsigned i = 0; i < 1000 && !w.called; i++) {
        (void)sim_run();
        blk_process(dev);
    }
    FUZZ_CHECK(w.called, "read of sector %llu never ended", (unsigned long long)sector);
    FUZZ_CHECK(w.status == 0 || w.status == -EIO || w.status == -EOPNOTSUPP, "read ended with %d",
               w.status);
}

static void check_blk(struct sim_device *d, struct fuzz_in *in)
{
    struct blk_dev *dev = blk_of(sim_vdev(d));
    FUZZ_CHECK(dev != NULL, "a ready block device without plugin state");
    const struct blk_info *info = blk_info(dev);
    FUZZ_CHECK(info->blk_size >= 512 && info->blk_size <= 65536 &&
                   (info->blk_size & (info->blk_size - 1)) == 0,
               "blk_size %u", info->blk_size);
    FUZZ_CHECK(info->capacity <= UINT64_MAX / 512, "capacity %llu",
               (unsigned long long)info->capacity);
    FUZZ_CHECK(info->size_max == 0 || info->size_max >= 512, "size_max %u", info->size_max);
    uint64_t per = info->blk_size / 512;
    if (info->capacity >= per) {
        read_block(dev, 0, info->blk_size);
        read_block(dev, (info->capacity / per - 1) * per, info->blk_size);
    }
    /* The device changes its capacity (a resize) to anything. */
    if (fuzz_u8(in) & 1) {
        uint64_t cap = (uint64_t)fuzz_u32(in) << (fuzz_u8(in) % 40);
        sim_set_config(d, SIM_BLK_CFG_CAPACITY, 8, cap);
        (void)sim_run();
        blk_process(dev);
        FUZZ_CHECK(info->capacity <= UINT64_MAX / 512, "capacity %llu after resize",
                   (unsigned long long)info->capacity);
        if (info->capacity >= per)
            read_block(dev, (info->capacity / per - 1) * per, info->blk_size);
        read_block(dev, info->capacity + per, info->blk_size);
    }
}

static void check_net(struct sim_device *d, struct fuzz_in *in)
{
    struct netif *nif = net_netif_default();
    FUZZ_CHECK(nif != NULL, "a ready net device without an interface");
    FUZZ_CHECK(!(nif->mac[0] & 1), "multicast MAC %02x", nif->mac[0]);
    struct virtio_net_info info;
    FUZZ_CHECK(virtio_net_info(nif, &info) == 0, "no info for %s", nif->name);
    uint8_t frame[64] = {0};
    memset(frame, 0xff, 6);
    memcpy(frame + 6, nif->mac, 6);
    frame[12] = 0x08;
    frame[13] = 0x06;
    int rc = nif->ops->transmit(nif, frame, sizeof frame);
    FUZZ_CHECK(rc == 0 || rc == -EAGAIN || rc == -EIO || rc == -ENETDOWN, "transmit %d", rc);
    for (unsigned i = 0; i < 4; i++) {
        (void)sim_run();
        nif->ops->poll(nif);
    }
    if (fuzz_u8(in) & 1) {
        sim_set_config(d, SIM_NET_CFG_STATUS, 2, fuzz_u16(in));
        (void)sim_run();
        (void)nif->ops->link_up(nif);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    struct fuzz_in in = {bytes, size};
    uint8_t mode = fuzz_u8(&in);
    bool net = mode & 1, legacy = mode & 2;
    struct sim_params p;

    fw_restore_registry();
    os_host_seed_random(1); /* DHCP xids, ports: the same for every run of an input */
    sim_params_init(&p, net ? SIM_TYPE_NET : SIM_TYPE_BLOCK, !legacy);
    if (mode & 4)
        p.irq = 0;
    p.features ^= fuzz_u32(&in); /* withhold offered bits, offer others */
    if (mode & 8) {
        uint8_t len = fuzz_u8(&in);
        p.config_len = len < 64 ? len : p.config_len;
    }
    uint8_t cfg_bytes = fuzz_u8(&in);
    fuzz_bytes(&in, p.config, cfg_bytes < p.config_len ? cfg_bytes : p.config_len);

    struct sim_device *d = sim_create(&p);
    FUZZ_CHECK(d != NULL, "sim_create failed");
    int rc = sim_add(d);
    struct virtio_device *vdev = sim_vdev(d);
    if (rc == 0 && vdev->state == VIRTIO_STATE_READY) {
        if (net)
            check_net(d, &in);
        else
            check_blk(d, &in);
    }
    sim_destroy(d);
    net_reset();
    FUZZ_CHECK(virtio_device_count() == 0, "%u devices still listed", virtio_device_count());
    FUZZ_CHECK(os_host_dma_bytes() == 0 && os_host_alloc_bytes() == 0, "leak: dma %llu heap %llu",
               (unsigned long long)os_host_dma_bytes(), (unsigned long long)os_host_alloc_bytes());
    os_host_log_clear();
    return 0;
}
