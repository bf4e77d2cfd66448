/* Host-test helpers for the network stack: a fake interface that records what the stack sends
 * (and may answer it through a responder), and builders for well-formed frames that tests then
 * break on purpose. Checksums here are computed independently of the stack's code. */
#ifndef TEST_NET_FRAMES_H
#define TEST_NET_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net.h"

#define TNET_MAX_FRAMES 256

struct tnet_if;
typedef void (*tnet_responder)(struct tnet_if *t, const uint8_t *frame, size_t len);

struct tnet_if {
    struct netif nif;
    unsigned n; /* frames sent so far (only the first TNET_MAX_FRAMES are kept) */
    size_t len[TNET_MAX_FRAMES];
    uint8_t frame[TNET_MAX_FRAMES][NET_FRAME_MAX];
    tnet_responder respond; /* called for each frame sent, may net_input() answers */
    void *ctx;
    int fail_tx; /* non-zero: transmit returns this */
};

extern const uint8_t tnet_our_mac[6];  /* 52:54:00:12:34:56 */
extern const uint8_t tnet_peer_mac[6]; /* 52:55:0a:00:02:02 (like slirp's gateway) */

/* Resets the stack and registers t (zeroed) as net0 with tnet_our_mac. */
void tnet_setup(struct tnet_if *t);
/* net_reset and nothing registered. */
void tnet_teardown(void);
/* Inject a frame as if the driver received it, then net_poll(). */
void tnet_rx(struct tnet_if *t, const uint8_t *frame, size_t len);

uint16_t tnet_csum(const uint8_t *p, size_t len, uint32_t sum);

/* Builders: return the frame length. */
size_t tnet_arp(uint8_t *f, const uint8_t *dst_mac, uint16_t op, const uint8_t *sha, uint32_t spa,
                const uint8_t *tha, uint32_t tpa);
size_t tnet_ipv4(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
                 uint32_t dst, uint8_t proto, const void *l4, size_t l4_len);
/* UDP with a correct checksum (csum false: zero checksum field). */
size_t tnet_udp(uint8_t *f, const uint8_t *dst_mac, uint32_t src, uint16_t sport, uint32_t dst,
                uint16_t dport, const void *data, size_t len, bool csum);
size_t tnet_icmp(uint8_t *f, const uint8_t *dst_mac, uint32_t src, uint32_t dst, uint8_t type,
                 uint16_t id, uint16_t seq, const void *data, size_t len);

/* Recomputes the IPv4 header checksum and the UDP/ICMP checksum of a (possibly mutated) frame
 * wherever the claimed lengths fit inside len, so mutations reach the deeper parsers. */
void tnet_fix_checksums(uint8_t *f, size_t len);

/* Checks an IPv4 frame the stack produced: Ethernet type, version/IHL, lengths, header
 * checksum, and the UDP/ICMP checksum. Returns NULL or a reason. */
const char *tnet_check_ip(const uint8_t *f, size_t len);

static inline uint16_t tnet_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t tnet_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void tnet_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void tnet_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
