/* Host tests for the virtio-net plugin against the simulated device: header size per
 * negotiation, MAC and link from config, receive buffers kept posted and refilled, interrupt
 * and polled receive, transmit buffer reuse when the device is slow, bad lengths dropped, a
 * broken queue contained, and the whole stack (ARP, ping, UDP echo) over the simulated wire. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/arp.h"
#include "net/dhcp.h"
#include "net/icmp.h"
#include "net/net.h"
#include "net/udp.h"
#include "net/virtio_net.h"
#include "sim.h"
#include "test_net_frames.h"
#include "virtio/os.h"

#define OUR_IP  NET_IP(10, 0, 2, 15)
#define PEER_IP NET_IP(10, 0, 2, 2)
#define MASK24  NET_IP(255, 255, 255, 0)

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static struct sim_device *dev;
static uint8_t f[2048];

static int setup(void **state)
{
    (void)state;
    net_reset();
    os_host_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sim_destroy_all();
    dev = NULL;
    assert_int_equal(net_netif_count(), 0);
    assert_int_equal(os_host_dma_bytes(), 0);
    net_reset();
    return 0;
}

static struct netif *add_net(struct sim_params *p)
{
    dev = sim_create(p);
    assert_non_null(dev);
    assert_int_equal(sim_add(dev), 0);
    assert_int_equal(sim_vdev(dev)->state, VIRTIO_STATE_READY);
    struct netif *nif = net_netif_default();
    assert_non_null(nif);
    return nif;
}

static struct netif *add_default(bool modern)
{
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_NET, modern);
    return add_net(&p);
}

static struct virtio_net_info info_of(struct netif *nif)
{
    struct virtio_net_info info;
    assert_int_equal(virtio_net_info(nif, &info), 0);
    return info;
}

static void test_probe_modern(void **state)
{
    (void)state;
    struct netif *nif = add_default(true);
    struct virtio_net_info info = info_of(nif);
    assert_int_equal(info.hdr_len, 12);
    assert_true(info.mac_from_device);
    assert_true(info.has_status);
    assert_string_equal(nif->name, "net0");
    assert_string_equal(sim_vdev(dev)->name, "net0");
    assert_int_equal(nif->mac[0], 0x52);
    assert_int_equal(nif->mac[1], 0x54);
    assert_int_equal(nif->mtu, 1500);
    assert_false(nif->polled);
    assert_true(nif->ops->link_up(nif));
    /* No offloads were asked for. */
    uint64_t drv = sim_driver_features(dev);
    assert_true(drv & (1ull << SIM_F_VERSION_1));
    assert_false(drv & 1ull); /* CSUM */
    assert_int_equal(info.rx_posted, info.rx_bufs);
    assert_true(info.rx_bufs >= 16);
    /* A NIC that is not ours is refused. */
    struct netif other = {0};
    assert_int_equal(virtio_net_info(&other, &info), -ENODEV);
}

/* The stack passes the driver's description through without knowing what is below. */
static void test_describe(void **state)
{
    (void)state;
    struct netif *nif = add_default(true);
    struct virtio_net_info info = info_of(nif);
    char want[160], got[384];
    snprintf(want, sizeof(want),
             "  virtio net0 %s %s, header 12, %u rx buffers (%u posted), %u tx buffers\n",
             sim_vdev(dev)->ops->name, sim_vdev(dev)->location, info.rx_bufs, info.rx_posted,
             info.tx_bufs);
    assert_int_equal(net_netif_describe(nif, got, sizeof(got)), strlen(want));
    assert_string_equal(got, want);
    /* Truncated, still terminated. */
    assert_int_equal(net_netif_describe(nif, got, 10), 9);
    assert_int_equal(strlen(got), 9);
    /* A driver without a description says nothing. */
    struct netif_ops bare = {.transmit = nif->ops->transmit};
    struct netif other = {.ops = &bare};
    assert_int_equal(net_netif_describe(&other, got, sizeof(got)), 0);
    assert_string_equal(got, "");
}

static void test_header_sizes(void **state)
{
    (void)state;
    struct netif *nif = add_default(false);
    assert_int_equal(info_of(nif).hdr_len, 10);
    sim_destroy(dev);
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_NET, false);
    p.features |= 1ull << SIM_NET_F_MRG_RXBUF;
    nif = add_net(&p);
    assert_int_equal(info_of(nif).hdr_len, 12);
    assert_true(sim_driver_features(dev) & (1ull << SIM_NET_F_MRG_RXBUF));
}

/* With MRG_RXBUF a frame claiming to continue in a second buffer cannot be reassembled (each
 * buffer holds a whole frame): it is dropped and counted, with the buffer that would carry the
 * rest; the frame after that gets through. */
static void test_rx_merged_dropped(void **state)
{
    (void)state;
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_NET, false);
    p.features |= 1ull << SIM_NET_F_MRG_RXBUF;
    struct netif *nif = add_net(&p);
    assert_int_equal(net_configure(nif, OUR_IP, MASK24, PEER_IP), 0);
    net_poll();
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 2), 0);
    size_t n = tnet_udp(f, nif->mac, PEER_IP, 1, OUR_IP, 2, "x", 1, true);
    sim_fault(dev, SIM_FAULT_NET_NUM_BUFFERS, 1);
    assert_int_equal(sim_net_inject(dev, f, n), 0); /* "2 buffers": dropped */
    assert_int_equal(sim_net_inject(dev, f, n), 0); /* its supposed second half: skipped */
    net_poll();
    char c;
    assert_int_equal(udp_recvfrom(s, &c, 1, NULL, NULL, 0), -EAGAIN);
    struct virtio_net_info info = info_of(nif);
    assert_int_equal(info.stats.rx_merged, 1);
    assert_int_equal(sim_net_inject(dev, f, n), 0);
    net_poll();
    assert_int_equal(udp_recvfrom(s, &c, 1, NULL, NULL, 0), 1);
    assert_int_equal(c, 'x');
    assert_int_equal(udp_close(s), 0);
}

static void test_mac_fallback(void **state)
{
    (void)state;
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_NET, true);
    p.features &= ~(1ull << SIM_NET_F_MAC);
    struct netif *nif = add_net(&p);
    assert_false(info_of(nif).mac_from_device);
    assert_int_equal(nif->mac[0], 0x02); /* locally administered, unicast */
    sim_destroy(dev);
    sim_params_init(&p, SIM_TYPE_NET, true);
    p.config[0] = 0x01; /* multicast MAC offered */
    nif = add_net(&p);
    assert_false(info_of(nif).mac_from_device);
    assert_int_equal(nif->mac[0], 0x02);
    assert_true(os_host_log_contains("not a unicast address"));
}

/* A receive queue of one entry cannot hold a buffer (header and data take two descriptors):
 * probe refuses the device with one line instead of running without receive buffers. */
static void test_queues_too_small(void **state)
{
    (void)state;
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_NET, true);
    p.queue_max[SIM_NET_RX_QUEUE] = 1;
    dev = sim_create(&p);
    assert_non_null(dev);
    assert_int_equal(sim_add(dev), -EINVAL);
    assert_int_equal(sim_vdev(dev)->state, VIRTIO_STATE_FAILED);
    assert_true(os_host_log_contains("queues too small (rx 1, tx 256 entries)"));
    assert_int_equal(net_netif_count(), 0);
}

static void test_link_status(void **state)
{
    (void)state;
    struct netif *nif = add_default(true);
    assert_true(nif->ops->link_up(nif));
    sim_net_set_link(dev, false);
    assert_false(nif->ops->link_up(nif));
    assert_int_equal(dhcp_start(nif), -ENETDOWN);
    sim_net_set_link(dev, true);
    assert_true(nif->ops->link_up(nif));
    sim_destroy(dev);
    /* Without STATUS the link counts as up. */
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_NET, true);
    p.features &= ~(1ull << SIM_NET_F_STATUS);
    nif = add_net(&p);
    assert_false(info_of(nif).has_status);
    assert_true(nif->ops->link_up(nif));
}

/* Frames sent through the plugin come back through the simulated wire byte for byte. */
static void loopback_sizes(bool modern)
{
    struct netif *nif = add_default(modern);
    assert_int_equal(net_configure(nif, OUR_IP, MASK24, PEER_IP), 0);
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 7000), 0);
    static uint8_t data[UDP_MAX_PAYLOAD], got[UDP_MAX_PAYLOAD];
    for (size_t len = 0; len <= UDP_MAX_PAYLOAD; len += (len < 64 ? 1 : 37)) {
        for (size_t i = 0; i < len; i++)
            data[i] = (uint8_t)(i * 31 + len);
        /* Addressed to us from the peer: the loopback returns it to our receive queue. */
        size_t n = tnet_udp(f, nif->mac, PEER_IP, 4000, OUR_IP, 7000, data, len, true);
        assert_int_equal(nif->ops->transmit(nif, f, n), 0);
        uint32_t ip;
        uint16_t port;
        int r = udp_recvfrom(s, got, sizeof got, &ip, &port, NET_S);
        assert_int_equal(r, (int)len);
        assert_memory_equal(got, data, len);
        assert_int_equal(ip, PEER_IP);
        assert_int_equal(port, 4000);
    }
    assert_int_equal(net_malformed_total(), 0);
    assert_int_equal(nif->stats.rx_errors, 0);
    struct virtio_net_info info = info_of(nif);
    assert_int_equal(info.rx_posted, info.rx_bufs);
    assert_int_equal(sim_stats(dev)->driver_errors, 0);
    udp_close(s);
}

static void test_loopback_modern(void **state)
{
    (void)state;
    loopback_sizes(true);
}

static void test_loopback_legacy(void **state)
{
    (void)state;
    loopback_sizes(false);
}

/* Received frames arrive by interrupt, without anyone polling the device. */
static void test_rx_interrupt_and_refill(void **state)
{
    (void)state;
    struct netif *nif = add_default(true);
    assert_int_equal(net_configure(nif, OUR_IP, MASK24, PEER_IP), 0);
    net_poll(); /* first kick: the device gets its buffers */
    unsigned n_rx = info_of(nif).rx_bufs;
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 7000), 0);
    unsigned total = 0;
    uint64_t irqs = sim_stats(dev)->irqs;
    for (unsigned round = 0; round < 50; round++) {
        for (unsigned i = 0; i < UDP_RX_SLOTS; i++) {
            uint8_t b = (uint8_t)total;
            size_t n = tnet_udp(f, nif->mac, PEER_IP, 4000, OUR_IP, 7000, &b, 1, true);
            assert_int_equal(sim_net_inject(dev, f, n), 0);
            total++;
        }
        /* The interrupt handler has queued them in the stack already. */
        assert_int_equal(net_rx_pending(), UDP_RX_SLOTS);
        assert_int_equal(sim_net_backlog(dev), 0);
        net_poll();
        for (unsigned i = 0; i < UDP_RX_SLOTS; i++) {
            uint8_t b;
            assert_int_equal(udp_recvfrom(s, &b, 1, NULL, NULL, 0), 1);
        }
    }
    assert_true(sim_stats(dev)->irqs > irqs);
    assert_int_equal(sim_stats(dev)->net_rx, total);
    assert_true(total > 4 * n_rx); /* every buffer was reused several times */
    assert_int_equal(info_of(nif).rx_posted, n_rx);
    assert_int_equal(nif->stats.rx_frames, total);
    udp_close(s);
}

static void test_rx_polled(void **state)
{
    (void)state;
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_NET, true);
    p.irq = 0;
    struct netif *nif = add_net(&p);
    assert_true(nif->polled);
    assert_int_equal(net_configure(nif, OUR_IP, MASK24, PEER_IP), 0);
    net_poll();
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 7000), 0);
    size_t n = tnet_udp(f, nif->mac, PEER_IP, 4000, OUR_IP, 7000, "poll", 4, true);
    assert_int_equal(sim_net_inject(dev, f, n), 0);
    assert_int_equal(net_rx_pending(), 0); /* nobody interrupted */
    char got[8];
    assert_int_equal(udp_recvfrom(s, got, sizeof got, NULL, NULL, NET_S), 4);
    assert_memory_equal(got, "poll", 4);
    udp_close(s);
}

/* More frames than posted buffers wait at the device and flow in as buffers come back. */
static void test_rx_backlog(void **state)
{
    (void)state;
    struct sim_params p;
    sim_params_init(&p, SIM_TYPE_NET, false);
    p.queue_max[0] = 32;
    struct netif *nif = add_net(&p);
    net_poll();
    unsigned n_rx = info_of(nif).rx_bufs;
    assert_int_equal(n_rx, 16);
    unsigned sent = n_rx + 20;
    unsigned long st = os_irq_disable(); /* the device fills every buffer before we look */
    for (unsigned i = 0; i < sent; i++) {
        size_t n = tnet_udp(f, nif->mac, PEER_IP, 4000, OUR_IP, 7000, "b", 1, true);
        assert_int_equal(sim_net_inject(dev, f, n), 0);
    }
    assert_int_equal(sim_net_backlog(dev), sent - n_rx);
    os_irq_restore(st);
    for (unsigned tries = 0; tries < 100 && nif->stats.rx_frames < sent; tries++) {
        net_poll();
        sim_run();
    }
    assert_int_equal(nif->stats.rx_frames, sent);
    assert_int_equal(nif->stats.rx_dropped, 0);
    assert_int_equal(sim_net_backlog(dev), 0);
    assert_int_equal(sim_stats(dev)->net_rx_dropped, 0);
    assert_int_equal(info_of(nif).rx_posted, n_rx);
}

/* A slow device: every transmit buffer in flight, the next send waits and reuses one. */
static void test_tx_waits_for_buffers(void **state)
{
    (void)state;
    struct netif *nif = add_default(true);
    sim_set_completion(dev, SIM_COMPLETE_DEFERRED, SIM_ORDER_SHUFFLE);
    unsigned n_tx = info_of(nif).tx_bufs;
    size_t n = tnet_udp(f, bcast, PEER_IP, 1, OUR_IP, 2, "x", 1, true);
    for (unsigned i = 0; i < 3 * n_tx; i++)
        assert_int_equal(nif->ops->transmit(nif, f, n), 0);
    struct virtio_net_info info = info_of(nif);
    assert_true(info.stats.tx_waits > 0);
    assert_int_equal(info.stats.tx_timeouts, 0);
    sim_run();
    assert_int_equal(sim_stats(dev)->net_tx, 3 * n_tx);
    assert_int_equal(sim_stats(dev)->driver_errors, 0);
    /* Refuses what is not a frame. */
    assert_int_equal(nif->ops->transmit(nif, f, 13), -EMSGSIZE);
    assert_int_equal(nif->ops->transmit(nif, f, NET_FRAME_MAX + 1), -EMSGSIZE);
}

/* A device asking for a reset stops transmitting; a re-probe brings the interface back. */
static void test_needs_reset_recovery(void **state)
{
    (void)state;
    struct netif *nif = add_default(true);
    size_t n = tnet_udp(f, bcast, PEER_IP, 1, OUR_IP, 2, "x", 1, true);
    assert_int_equal(nif->ops->transmit(nif, f, n), 0);
    sim_raise_needs_reset(dev);
    assert_int_equal(sim_vdev(dev)->state, VIRTIO_STATE_NEEDS_RESET);
    assert_int_equal(nif->ops->transmit(nif, f, n), -ENETDOWN);
    assert_false(nif->ops->link_up(nif));
    assert_int_equal(virtio_device_reprobe(sim_vdev(dev)), 0);
    nif = net_netif_default();
    assert_non_null(nif);
    uint64_t before = sim_stats(dev)->net_tx;
    assert_int_equal(nif->ops->transmit(nif, f, n), 0);
    assert_int_equal(sim_stats(dev)->net_tx, before + 1);
}

static void test_rx_bad_lengths(void **state)
{
    (void)state;
    struct netif *nif = add_default(true);
    assert_int_equal(net_configure(nif, OUR_IP, MASK24, PEER_IP), 0);
    net_poll();
    memset(f, 0xab, sizeof f);
    memcpy(f, nif->mac, 6);
    /* Empty and runt frames: shorter than an Ethernet header. */
    assert_int_equal(sim_net_inject(dev, f, 0), 0);
    assert_int_equal(sim_net_inject(dev, f, 13), 0);
    /* Longer than any Ethernet frame but within the buffer: dropped by the driver. */
    assert_int_equal(sim_net_inject(dev, f, NET_FRAME_MAX + 1), 0);
    assert_int_equal(sim_net_inject(dev, f, 1536), 0);
    net_poll();
    struct virtio_net_info info = info_of(nif);
    assert_int_equal(info.stats.rx_long, 2);
    assert_int_equal(nif->stats.rx_errors, 4);
    assert_int_equal(net_rx_pending(), 0);
    /* The device claims more bytes than the buffer holds. */
    sim_fault(dev, SIM_FAULT_USED_LEN_LARGE, 1);
    size_t n = tnet_udp(f, nif->mac, PEER_IP, 1, OUR_IP, 2, "x", 1, true);
    assert_int_equal(sim_net_inject(dev, f, n), 0);
    net_poll();
    info = info_of(nif);
    assert_int_equal(info.stats.rx_long, 3);
    assert_int_equal(nif->stats.rx_errors, 5);
    /* The device says it wrote less than the virtio-net header: counted as short, not long. */
    sim_fault(dev, SIM_FAULT_USED_LEN_SHORT, 1);
    assert_int_equal(sim_net_inject(dev, f, n), 0);
    net_poll();
    info = info_of(nif);
    assert_int_equal(info.stats.rx_short, 1);
    assert_int_equal(info.stats.rx_long, 3);
    assert_int_equal(nif->stats.rx_errors, 6);
    /* Buffers all went back. */
    assert_int_equal(info.rx_posted, info.rx_bufs);
    /* And a good frame still gets through. */
    int s = udp_socket();
    assert_int_equal(udp_bind(s, 2), 0);
    assert_int_equal(sim_net_inject(dev, f, n), 0);
    char c;
    assert_int_equal(udp_recvfrom(s, &c, 1, NULL, NULL, NET_S), 1);
    udp_close(s);
}

static void test_rx_queue_broken(void **state)
{
    (void)state;
    struct netif *nif = add_default(true);
    assert_int_equal(net_configure(nif, OUR_IP, MASK24, PEER_IP), 0);
    net_poll();
    sim_fault(dev, SIM_FAULT_USED_ID_RANGE, 1);
    size_t n = tnet_udp(f, nif->mac, PEER_IP, 1, OUR_IP, 2, "x", 1, true);
    assert_int_equal(sim_net_inject(dev, f, n), 0);
    net_poll();
    net_poll();
    struct virtio_net_info info = info_of(nif);
    assert_int_equal(info.stats.queue_broken, 1);
    assert_int_equal(info.rx_posted, 0);
    assert_true(os_host_log_contains("receive queue broken"));
    /* Transmit still works. */
    assert_int_equal(nif->ops->transmit(nif, f, n), 0);
}

/* The simulated wire's far end: answers ARP for the peer, echo requests, and echoes UDP. */
static void wire_peer(void *arg, const uint8_t *fr, size_t len)
{
    struct netif *nif = arg;
    static uint8_t out[2048];
    if (len < 42)
        return;
    if (tnet_get16(fr + 12) == 0x0806 && tnet_get16(fr + 20) == 1 &&
        tnet_get32(fr + 38) == PEER_IP) {
        size_t n = tnet_arp(out, nif->mac, 2, tnet_peer_mac, PEER_IP, nif->mac, OUR_IP);
        (void)sim_net_inject(dev, out, n);
        return;
    }
    if (tnet_get16(fr + 12) != 0x0800 || tnet_check_ip(fr, len) != NULL)
        return;
    size_t l4 = tnet_get16(fr + 16) - 20;
    if (fr[23] == 1 && fr[34] == 8) {
        size_t n = tnet_icmp(out, nif->mac, tnet_get32(fr + 30), tnet_get32(fr + 26), 0,
                             tnet_get16(fr + 38), tnet_get16(fr + 40), fr + 42, l4 - 8);
        (void)sim_net_inject(dev, out, n);
    } else if (fr[23] == 17) {
        size_t n = tnet_udp(out, nif->mac, tnet_get32(fr + 30), tnet_get16(fr + 36),
                            tnet_get32(fr + 26), tnet_get16(fr + 34), fr + 42, l4 - 8, true);
        (void)sim_net_inject(dev, out, n);
    }
}

static void stack_over_wire(bool modern)
{
    struct netif *nif = add_default(modern);
    sim_net_set_tx_hook(dev, wire_peer, nif);
    assert_int_equal(net_configure(nif, OUR_IP, MASK24, PEER_IP), 0);
    uint64_t rtt;
    for (uint16_t seq = 0; seq < 20; seq++)
        assert_int_equal(icmp_ping(PEER_IP, seq, 56, NET_S, &rtt), 0);
    assert_int_equal(arp_lookup(nif, PEER_IP, NULL), 0);
    int s = udp_socket();
    static uint8_t data[UDP_MAX_PAYLOAD], got[UDP_MAX_PAYLOAD];
    for (size_t len = 1; len <= 1400; len += 7) {
        for (size_t i = 0; i < len; i++)
            data[i] = (uint8_t)(i ^ len);
        assert_int_equal(udp_sendto(s, data, len, PEER_IP, 9999), (int)len);
        uint16_t port;
        assert_int_equal(udp_recvfrom(s, got, sizeof got, NULL, &port, NET_S), (int)len);
        assert_int_equal(port, 9999);
        assert_memory_equal(got, data, len);
    }
    assert_int_equal(net_malformed_total(), 0);
    assert_int_equal(sim_stats(dev)->driver_errors, 0);
    udp_close(s);
}

static void test_stack_over_wire_modern(void **state)
{
    (void)state;
    stack_over_wire(true);
}

static void test_stack_over_wire_legacy(void **state)
{
    (void)state;
    stack_over_wire(false);
}

static void test_remove_and_reprobe(void **state)
{
    (void)state;
    struct netif *nif = add_default(true);
    assert_int_equal(net_netif_count(), 1);
    (void)nif;
    assert_int_equal(virtio_device_reprobe(sim_vdev(dev)), 0);
    assert_int_equal(net_netif_count(), 1);
    nif = net_netif_default();
    assert_int_equal(info_of(nif).rx_posted, info_of(nif).rx_bufs);
    sim_destroy(dev);
    dev = NULL;
    assert_int_equal(net_netif_count(), 0);
    assert_int_equal(os_host_dma_bytes(), 0);
}

int main(void)
{
    os_host_log_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe_modern, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_merged_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mac_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queues_too_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_modern, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_legacy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_interrupt_and_refill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_polled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_backlog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_waits_for_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_needs_reset_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_bad_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_queue_broken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stack_over_wire_modern, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stack_over_wire_legacy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_and_reprobe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
