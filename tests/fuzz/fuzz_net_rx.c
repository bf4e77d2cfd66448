/* libFuzzer target: the network receive path (netstack/) from the Ethernet frame up, over the
 * recording interface of tests/host/test_net_frames.c and the host OS layer of tests/sim.
 * Input byte 0 picks options (repair checksums, run a DHCP client, learn the peer first); the
 * rest is one Ethernet frame. Every frame the stack sends in reply must be well formed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "net/dhcp.h"
#include "net/net.h"
#include "net/udp.h"
#include "sim.h"
#include "test_net_frames.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    os_host_log_quiet(true);
    return 0;
}

static struct tnet_if t;

static void check_output(struct tnet_if *ti, const uint8_t *f, size_t len)
{
    (void)ti;
    FUZZ_CHECK(len >= 42 && len <= NET_FRAME_MAX, "sent a frame of %zu bytes", len);
    const char *why = tnet_get16(f + 12) == 0x0800 ? tnet_check_ip(f, len) : NULL;
    FUZZ_CHECK(why == NULL, "sent a malformed IPv4 frame: %s", why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[NET_FRAME_MAX + 64];
    if (size < 1 || size - 1 > sizeof frame)
        return 0;
    uint8_t mode = data[0];
    os_host_seed_random(1); /* DHCP xids, ports: the same for every run of an input */
    size_t len = size - 1;
    memcpy(frame, data + 1, len);
    if (mode & 1)
        tnet_fix_checksums(frame, len);

    tnet_setup(&t);
    t.respond = check_output;
    if (mode & 2)
        (void)dhcp_start(&t.nif);
    if (!(mode & 4))
        (void)net_configure(&t.nif, NET_IP(10, 0, 2, 15), NET_IP(255, 255, 255, 0),
                            NET_IP(10, 0, 2, 2));
    int s = udp_socket();
    (void)udp_bind(s, 5000);
    if (mode & 8) {
        static const uint8_t zero[6], bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        uint8_t arp[60];
        size_t n =
            tnet_arp(arp, bc, 1, tnet_peer_mac, NET_IP(10, 0, 2, 2), zero, NET_IP(10, 0, 2, 15));
        tnet_rx(&t, arp, n);
    }
    tnet_rx(&t, frame, len);
    char sink[64];
    (void)udp_recvfrom(s, sink, sizeof sink, NULL, NULL, 0);
    tnet_teardown();
    return 0;
}
