/* Host tests of the simulator itself, so the device-plugin tests can trust it: the block model's
 * request format and statuses, the net model's loopback, headers, backlog and tx hook, the
 * device-side checks that catch driver mistakes, and os_wait / the fake clock of os_host.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

#include "virtqueue_priv.h" /* the test looks inside the rings */
#include <virtio_gen/virtio_ids.h>

#include "fw_testdrv.h"
#include "sim.h"

#define BIT(n) (1ull << (n))

static struct sim_device *blk_dev(bool modern, uint64_t plugin_features, uint64_t extra_offered)
{
    struct sim_params p;
    fw_use_test_plugin(SIM_TYPE_BLOCK, plugin_features | BIT(VIRTIO_F_VERSION_1));
    sim_params_init(&p, SIM_TYPE_BLOCK, modern);
    p.features |= extra_offered;
    p.irq = 0;
    struct sim_device *d = sim_create(&p);
    assert_int_equal(sim_add(d), 0);
    return d;
}

struct blk_hdr {
    uint32_t type, reserved;
    uint64_t sector;
};

/* One request through queue 0: header, data (`in`: device writes it), status. Returns the
 * status byte; the used length goes to *used. */
static int blk_rq(struct sim_device *d, uint32_t type, uint64_t sector, void *data, uint32_t len,
                  bool in, uint32_t *used)
{
    struct virtqueue *vq = sim_vdev(d)->vqs[0];
    struct blk_hdr hdr = {type, 0, sector};
    uint8_t status = 0xee;
    struct vq_seg out[2] = {{os_virt_to_phys(&hdr), sizeof(hdr)}, {os_virt_to_phys(data), len}};
    struct vq_seg ins[2] = {{os_virt_to_phys(data), len}, {os_virt_to_phys(&status), 1}};
    void *cookie;

    if (!len)
        assert_int_equal(vq_add(vq, out, 1, &ins[1], 1, &hdr), 0);
    else if (in)
        assert_int_equal(vq_add(vq, out, 1, ins, 2, &hdr), 0);
    else
        assert_int_equal(vq_add(vq, out, 2, &ins[1], 1, &hdr), 0);
    vq_kick(vq);
    assert_int_equal(vq_pop(vq, &cookie, used), 0);
    assert_ptr_equal(cookie, &hdr);
    return status;
}

static void blk_read_write(void **state)
{
    (void)state;
    struct sim_device *d = blk_dev(true, BIT(VIRTIO_BLK_F_FLUSH), 0);
    uint8_t buf[1024], back[1024];
    uint32_t used;
    uint64_t size;
    uint8_t *disk = sim_blk_data(d, &size);

    assert_int_equal(size, 2048 * 512);
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    assert_int_equal(blk_rq(d, SIM_BLK_T_OUT, 10, buf, sizeof(buf), false, &used), SIM_BLK_S_OK);
    assert_int_equal(used, 1);
    assert_memory_equal(disk + 10 * 512, buf, sizeof(buf));
    memset(back, 0, sizeof(back));
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, 10, back, sizeof(back), true, &used), SIM_BLK_S_OK);
    assert_int_equal(used, sizeof(back) + 1);
    assert_memory_equal(back, buf, sizeof(buf));
    /* The last sector is reachable, one past it is not. */
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, 2047, back, 512, true, &used), SIM_BLK_S_OK);
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, 2047, back, 1024, true, &used), SIM_BLK_S_IOERR);
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, ~0ull, back, 512, true, &used), SIM_BLK_S_IOERR);
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, 0, back, 100, true, &used), SIM_BLK_S_IOERR);
    assert_int_equal(blk_rq(d, SIM_BLK_T_FLUSH, 0, NULL, 0, false, &used), SIM_BLK_S_OK);
    assert_int_equal(blk_rq(d, 99, 0, NULL, 0, false, &used), SIM_BLK_S_UNSUPP);

    char id[SIM_BLK_ID_BYTES + 1] = {0};
    assert_int_equal(blk_rq(d, SIM_BLK_T_GET_ID, 0, id, SIM_BLK_ID_BYTES, true, &used),
                     SIM_BLK_S_OK);
    assert_int_equal(strncmp(id, "simblk", 6), 0);
    assert_int_equal(used, SIM_BLK_ID_BYTES + 1);

    const struct sim_stats *st = sim_stats(d);
    assert_int_equal(st->blk_writes, 1);
    assert_int_equal(st->blk_reads, 5);
    assert_int_equal(st->blk_flushes, 1);
    assert_int_equal(st->blk_get_ids, 1);
    assert_int_equal(st->blk_ioerr, 3);
    assert_int_equal(st->blk_unsupp, 1);
    assert_int_equal(st->driver_errors, 0);
}

static void blk_injected_errors_and_ro(void **state)
{
    (void)state;
    struct sim_device *d = blk_dev(false, BIT(VIRTIO_BLK_F_RO), BIT(SIM_BLK_F_RO));
    uint8_t buf[2048] = {0};
    uint32_t used;

    /* Flush was offered but not negotiated. */
    assert_int_equal(blk_rq(d, SIM_BLK_T_FLUSH, 0, NULL, 0, false, &used), SIM_BLK_S_UNSUPP);
    assert_int_equal(blk_rq(d, SIM_BLK_T_OUT, 0, buf, 512, false, &used), SIM_BLK_S_IOERR);
    sim_blk_fail_sectors(d, 100, 2);
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, 98, buf, 2048, true, &used), SIM_BLK_S_IOERR);
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, 101, buf, 512, true, &used), SIM_BLK_S_IOERR);
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, 102, buf, 512, true, &used), SIM_BLK_S_OK);
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, 98, buf, 2048, true, &used), SIM_BLK_S_IOERR);
    sim_blk_fail_sectors(d, 0, 0);
    assert_int_equal(blk_rq(d, SIM_BLK_T_IN, 98, buf, 2048, true, &used), SIM_BLK_S_OK);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

static void blk_shape_violations_are_driver_errors(void **state)
{
    (void)state;
    struct sim_params p;
    fw_use_test_plugin(SIM_TYPE_BLOCK, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_SEG_MAX) |
                                           BIT(VIRTIO_BLK_F_SIZE_MAX));
    sim_params_init(&p, SIM_TYPE_BLOCK, true);
    sim_params_config(&p, SIM_BLK_CFG_SEG_MAX, 4, 2);
    sim_params_config(&p, SIM_BLK_CFG_SIZE_MAX, 4, 1024);
    struct sim_device *d = sim_create(&p);
    assert_int_equal(sim_add(d), 0);
    struct virtio_device *vdev = sim_vdev(d);
    struct virtqueue *vq = vdev->vqs[0];
    struct blk_hdr hdr = {SIM_BLK_T_IN, 0, 0};
    uint8_t data[3][512], status;
    struct vq_seg out = {os_virt_to_phys(&hdr), sizeof(hdr)};
    struct vq_seg in[4] = {{os_virt_to_phys(data[0]), 512},
                           {os_virt_to_phys(data[1]), 512},
                           {os_virt_to_phys(data[2]), 512},
                           {os_virt_to_phys(&status), 1}};

    /* Two data segments are fine, three exceed seg_max. */
    assert_int_equal(vq_add(vq, &out, 1, &in[1], 3, &hdr), 0);
    vq_kick(vq);
    void *cookie;
    uint32_t len;
    assert_int_equal(vq_pop(vq, &cookie, &len), 0);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
    assert_int_equal(vq_add(vq, &out, 1, in, 4, &hdr), 0);
    vq_kick(vq);
    assert_int_equal(sim_stats(d)->driver_errors, 1);
    assert_non_null(strstr(sim_last_error(d), "seg_max"));
    /* The device gave up: NEEDS_RESET reached the core through the config interrupt. */
    assert_true(sim_status(d) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(vdev->state, VIRTIO_STATE_NEEDS_RESET);
    assert_int_equal(vq_pop(vq, &cookie, &len), -EAGAIN);

    /* After a reprobe the device works again; a segment over size_max is caught too. */
    assert_int_equal(virtio_device_reprobe(vdev), 0);
    vq = vdev->vqs[0];
    struct vq_seg big[2] = {{os_virt_to_phys(data), 1536}, {os_virt_to_phys(&status), 1}};
    assert_int_equal(vq_add(vq, &out, 1, big, 2, &hdr), 0);
    vq_kick(vq);
    assert_int_equal(sim_stats(d)->driver_errors, 2);
    assert_non_null(strstr(sim_last_error(d), "size_max"));
}

static void chain_order_violation_detected(void **state)
{
    (void)state;
    struct sim_device *d = blk_dev(true, 0, 0);
    struct virtqueue *vq = sim_vdev(d)->vqs[0];
    uint8_t a[16], b[16];

    /* Forge a chain whose writable descriptor comes before a readable one. */
    assert_int_equal(vq_add(vq, NULL, 0, (struct vq_seg[]){{os_virt_to_phys(a), 16}}, 1, a), 0);
    uint16_t head = vq->avail->ring[0];
    uint16_t second = (uint16_t)((head + 1) % vq->size);
    vq->desc[head].flags = VRING_DESC_F_WRITE | VRING_DESC_F_NEXT;
    vq->desc[head].next = second;
    vq->desc[second] = (struct vring_desc){os_virt_to_phys(b), 16, 0, 0};
    vq_kick(vq);
    assert_int_equal(sim_stats(d)->driver_errors, 1);
    assert_non_null(strstr(sim_last_error(d), "readable descriptor after a writable"));
    assert_int_equal(sim_stats(d)->chains, 0);
}

static struct sim_device *net_dev(bool modern, uint64_t plugin_features)
{
    struct sim_params p;
    fw_use_test_plugin(SIM_TYPE_NET, plugin_features | BIT(VIRTIO_F_VERSION_1));
    fw_cfg.n_queues = 2;
    sim_params_init(&p, SIM_TYPE_NET, modern);
    p.irq = 0;
    p.features |= BIT(SIM_NET_F_MRG_RXBUF);
    struct sim_device *d = sim_create(&p);
    assert_int_equal(sim_add(d), 0);
    return d;
}

static void post_rx(struct sim_device *d, uint8_t *buf, uint32_t len)
{
    struct virtqueue *rx = sim_vdev(d)->vqs[SIM_NET_RX_QUEUE];
    struct vq_seg s = {os_virt_to_phys(buf), len};
    assert_int_equal(vq_add(rx, NULL, 0, &s, 1, buf), 0);
    vq_kick(rx);
}

static void send(struct sim_device *d, unsigned hdr_len, const void *frame, uint32_t len)
{
    struct virtqueue *tx = sim_vdev(d)->vqs[SIM_NET_TX_QUEUE];
    static uint8_t hdr[12];
    struct vq_seg s[2] = {{os_virt_to_phys(hdr), hdr_len}, {os_virt_to_phys(frame), len}};
    void *cookie;
    uint32_t used;
    assert_int_equal(vq_add(tx, s, 2, NULL, 0, (void *)frame), 0);
    vq_kick(tx);
    sim_run();
    assert_int_equal(vq_pop(tx, &cookie, &used), 0);
    assert_ptr_equal(cookie, frame);
    assert_int_equal(used, 0);
}

static void net_loopback_headers(void **state)
{
    (void)state;
    static const char frame[] = "0123456789abcdef-frame-payload";
    for (int variant = 0; variant < 3; variant++) {
        /* modern: 12-byte header; legacy: 10; legacy with MRG_RXBUF: 12. */
        bool modern = variant == 0;
        uint64_t feats = BIT(VIRTIO_NET_F_MAC) | (variant == 2 ? BIT(VIRTIO_NET_F_MRG_RXBUF) : 0);
        unsigned hdr_len = variant == 1 ? 10 : 12;
        struct sim_device *d = net_dev(modern, feats);
        uint8_t rxbuf[1600];
        memset(rxbuf, 0xaa, sizeof(rxbuf));
        post_rx(d, rxbuf, sizeof(rxbuf));
        send(d, hdr_len, frame, sizeof(frame));

        struct virtqueue *rx = sim_vdev(d)->vqs[SIM_NET_RX_QUEUE];
        void *cookie;
        uint32_t len;
        assert_int_equal(vq_pop(rx, &cookie, &len), 0);
        assert_ptr_equal(cookie, rxbuf);
        assert_int_equal(len, hdr_len + sizeof(frame));
        if (hdr_len == 12)
            assert_int_equal(rxbuf[10], 1); /* num_buffers */
        assert_memory_equal(rxbuf + hdr_len, frame, sizeof(frame));
        assert_int_equal(sim_stats(d)->net_tx, 1);
        assert_int_equal(sim_stats(d)->net_rx, 1);
        assert_int_equal(sim_stats(d)->driver_errors, 0);
        sim_destroy(d);
    }
}

static void net_backlog_inject_and_hook(void **state)
{
    (void)state;
    struct sim_device *d = net_dev(true, BIT(VIRTIO_NET_F_MAC));
    struct virtqueue *rx = sim_vdev(d)->vqs[SIM_NET_RX_QUEUE];
    uint8_t frame[60] = {1, 2, 3}, big[2000] = {0};
    uint8_t rxbuf[2][1600];
    void *cookie;
    uint32_t len;

    /* Sent with no rx buffer posted: waits in the backlog. */
    send(d, 12, frame, sizeof(frame));
    assert_int_equal(sim_net_backlog(d), 1);
    assert_int_equal(sim_net_inject(d, frame, 42), 0);
    assert_int_equal(sim_net_backlog(d), 2);
    post_rx(d, rxbuf[0], sizeof(rxbuf[0]));
    post_rx(d, rxbuf[1], sizeof(rxbuf[1]));
    assert_int_equal(sim_net_backlog(d), 0);
    assert_int_equal(vq_pop(rx, &cookie, &len), 0);
    assert_int_equal(len, 12 + 60);
    assert_int_equal(vq_pop(rx, &cookie, &len), 0);
    assert_int_equal(len, 12 + 42);

    /* The backlog holds 64 frames. */
    for (int i = 0; i < 64; i++)
        assert_int_equal(sim_net_inject(d, frame, sizeof(frame)), 0);
    assert_int_equal(sim_net_inject(d, frame, sizeof(frame)), -ENOSPC);
    assert_int_equal(sim_net_inject(d, big, sizeof(big)), -EINVAL);
    assert_int_equal(sim_net_backlog(d), 64);

    /* A buffer too small for the frame: the frame is dropped, the buffer kept. */
    struct sim_device *e = net_dev(true, BIT(VIRTIO_NET_F_MAC));
    uint8_t small[32];
    post_rx(e, small, sizeof(small));
    assert_int_equal(sim_net_inject(e, frame, sizeof(frame)), 0);
    assert_int_equal(sim_stats(e)->net_rx_dropped, 1);
    assert_int_equal(sim_pending(e, SIM_NET_RX_QUEUE), 1);
}

struct captured {
    unsigned frames;
    size_t last_len;
    uint8_t last[64];
};

static void capture(void *arg, const uint8_t *frame, size_t len)
{
    struct captured *c = arg;
    c->frames++;
    c->last_len = len;
    memcpy(c->last, frame, len < sizeof(c->last) ? len : sizeof(c->last));
}

static void net_tx_hook_link_and_deferred(void **state)
{
    (void)state;
    struct sim_device *d = net_dev(true, BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS));
    struct virtio_device *vdev = sim_vdev(d);
    struct captured cap = {0};
    uint8_t frame[20] = {9, 8, 7};
    uint64_t v;

    sim_net_set_tx_hook(d, capture, &cap);
    send(d, 12, frame, sizeof(frame));
    assert_int_equal(cap.frames, 1);
    assert_int_equal(cap.last_len, sizeof(frame));
    assert_memory_equal(cap.last, frame, sizeof(frame));
    assert_int_equal(sim_net_backlog(d), 0);

    assert_int_equal(virtio_config_read(vdev, SIM_NET_CFG_STATUS, 2, &v), 0);
    assert_int_equal(v & 1, 1);
    sim_net_set_link(d, false);
    assert_int_equal(virtio_config_read(vdev, SIM_NET_CFG_STATUS, 2, &v), 0);
    assert_int_equal(v & 1, 0);
    assert_int_equal(virtio_config_read(vdev, SIM_NET_CFG_MAC, 1, &v), 0);
    assert_int_equal(v, 0x52);

    /* Deferred: the kick only records; sim_run sends. */
    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    struct virtqueue *tx = vdev->vqs[SIM_NET_TX_QUEUE];
    static uint8_t hdr[12];
    struct vq_seg s[2] = {{os_virt_to_phys(hdr), 12}, {os_virt_to_phys(frame), sizeof(frame)}};
    assert_int_equal(vq_add(tx, s, 2, NULL, 0, frame), 0);
    vq_kick(tx);
    assert_int_equal(cap.frames, 1);
    assert_int_equal(sim_pending(d, SIM_NET_TX_QUEUE), 1);
    assert_int_equal(sim_run(), 1);
    assert_int_equal(cap.frames, 2);
    assert_int_equal(sim_pending(d, SIM_NET_TX_QUEUE), 0);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

static void os_wait_runs_the_device(void **state)
{
    (void)state;
    fw_use_test_plugin(SIM_TYPE_BLOCK, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_FLUSH));
    struct sim_device *d = sim_new(SIM_TYPE_BLOCK, true, NULL);
    struct virtqueue *vq = sim_vdev(d)->vqs[0];
    struct blk_hdr hdr = {SIM_BLK_T_FLUSH, 0, 0};
    uint8_t status = 0xee;
    struct vq_seg out = {os_virt_to_phys(&hdr), sizeof(hdr)};
    struct vq_seg in = {os_virt_to_phys(&status), 1};

    sim_set_completion(d, SIM_COMPLETE_DEFERRED, SIM_ORDER_FIFO);
    unsigned long flags = os_irq_disable();
    assert_false(os_host_irqs_enabled());
    assert_int_equal(vq_add(vq, &out, 1, &in, 1, &hdr), 0);
    vq_kick(vq);
    assert_false(vq_has_used(vq));
    while (fw_rec.interrupts == 0)
        os_wait();
    assert_false(os_host_irqs_enabled());
    os_irq_restore(flags);
    assert_true(os_host_irqs_enabled());
    assert_true(vq_has_used(vq));
    assert_int_equal(status, SIM_BLK_S_OK);

    /* Nothing pending: each wait moves the fake clock on by 1 ms. */
    uint64_t t0 = os_time_ns();
    for (int i = 0; i < 100; i++)
        os_wait();
    assert_true(os_time_ns() - t0 >= 100 * 1000000ull);
    os_host_advance_clock(5000000000ull);
    assert_true(os_time_ns() - t0 >= 5100 * 1000000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(blk_read_write, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(blk_injected_errors_and_ro, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(blk_shape_violations_are_driver_errors, fw_setup,
                                        fw_teardown),
        cmocka_unit_test_setup_teardown(chain_order_violation_detected, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(net_loopback_headers, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(net_backlog_inject_and_hook, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(net_tx_hook_link_and_deferred, fw_setup, fw_teardown),
        cmocka_unit_test_setup_teardown(os_wait_runs_the_device, fw_setup, fw_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
