/* libFuzzer target for the network receive path (built with clang by tests/host/net.cmake when
 * clang is installed). Input byte 0 picks options (repair checksums, run a DHCP client, learn the
 * peer first); the rest is one Ethernet frame. Brings its own tiny OS shim: no simulator. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/dhcp.h"
#include "net/net.h"
#include "net/udp.h"
#include "test_net_frames.h"
#include "virtio/os.h"

static uint64_t fake_now = 1000000000ull;

uint64_t os_time_ns(void)
{
    return fake_now += 1000;
}

unsigned long os_irq_disable(void)
{
    return 0;
}

void os_irq_restore(unsigned long s)
{
    (void)s;
}

void os_event_signal(struct os_event *ev)
{
    ev->pending = 1;
}

int os_event_wait(struct os_event *ev, uint64_t timeout_ns)
{
    if (ev->pending) {
        ev->pending = 0;
        return 0;
    }
    fake_now += timeout_ns; /* nothing will come: the waiter's time runs out */
    return -ETIMEDOUT;
}

void os_mb(void) {}

void os_rmb(void) {}

void os_wmb(void) {}

void os_log(const char *fmt, ...)
{
    (void)fmt;
}

/* Deterministic "random" bytes, so a crash replays from its input alone. */
void os_random(void *buf, size_t len)
{
    memset(buf, 0x5a, len);
}

static struct tnet_if t;

static void check_output(struct tnet_if *ti, const uint8_t *f, size_t len)
{
    (void)ti;
    if (len < 42 || len > NET_FRAME_MAX)
        __builtin_trap();
    if (tnet_get16(f + 12) == 0x0800 && tnet_check_ip(f, len) != NULL)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[NET_FRAME_MAX + 64];
    if (size < 1 || size - 1 > sizeof frame)
        return 0;
    uint8_t mode = data[0];
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
