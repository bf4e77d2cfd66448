/* ICMP: answers echo requests addressed to us (never to broadcasts) and runs ping's echo
 * requests. A reply counts only when its source, identifier, sequence and payload are exactly
 * what we sent; its time comes from our own clock, never from the packet. */
#include <errno.h>
#include <string.h>

#include "net/icmp.h"
#include "net_priv.h"

#define ICMP_ECHO_REPLY   0
#define ICMP_ECHO_REQUEST 8
#define PING_IDENT        0x524b /* "RK" */

static struct {
    bool waiting, answered;
    uint32_t dst;
    uint16_t seq;
    size_t size;
    uint64_t sent_ns, rtt_ns;
} ping;

static uint8_t pattern(size_t i, uint16_t seq)
{
    return (uint8_t)(i * 7 + seq);
}

static void echo_reply_in(uint32_t src, const uint8_t *l4, size_t len)
{
    net_cnt.icmp_reply_in++;
    if (!ping.waiting || src != ping.dst || net_get16(l4 + 4) != PING_IDENT ||
        net_get16(l4 + 6) != ping.seq)
        return;
    if (len - ICMP_HLEN != ping.size) {
        net_cnt.icmp_bad++;
        return;
    }
    for (size_t i = 0; i < ping.size; i++) {
        if (l4[ICMP_HLEN + i] != pattern(i, ping.seq)) {
            net_cnt.icmp_bad++;
            return;
        }
    }
    ping.rtt_ns = net_now_ns() - ping.sent_ns;
    ping.answered = true;
    ping.waiting = false;
}

void icmp_input(struct netif *nif, uint32_t src, uint32_t dst, const uint8_t *l4, size_t len)
{
    if (len < ICMP_HLEN) {
        net_cnt.icmp_bad++;
        return;
    }
    if (net_csum_fold(net_csum_add(0, l4, len)) != 0) {
        net_cnt.icmp_bad_csum++;
        return;
    }
    if (l4[0] == ICMP_ECHO_REPLY && l4[1] == 0) {
        echo_reply_in(src, l4, len);
        return;
    }
    if (l4[0] != ICMP_ECHO_REQUEST || l4[1] != 0) {
        net_cnt.icmp_other++;
        return;
    }
    net_cnt.icmp_echo_in++;
    if (!nif->configured || dst != nif->ip)
        return; /* no replies to broadcast pings */
    uint8_t *frame = net_tx_frame();
    uint8_t *out = frame + NET_OFF_L4;
    if (NET_OFF_L4 + len > NET_FRAME_MAX)
        return;
    memcpy(out, l4, len);
    out[0] = ICMP_ECHO_REPLY;
    net_put16(out + 2, 0);
    net_put16(out + 2, net_csum_fold(net_csum_add(0, out, len)));
    if (ip_output(nif, nif->ip, src, IP_PROTO_ICMP, frame, len) == 0)
        net_cnt.icmp_echo_out++;
}

int icmp_echo_send(uint32_t dst, uint16_t seq, size_t size)
{
    if (size > ICMP_PING_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (!net_ip_is_unicast(dst))
        return -EINVAL;
    if (ping.waiting || ping.answered) /* another caller's echo, or its reply not taken yet */
        return -EBUSY;
    uint8_t *frame = net_tx_frame();
    uint8_t *out = frame + NET_OFF_L4;
    out[0] = ICMP_ECHO_REQUEST;
    out[1] = 0;
    net_put16(out + 2, 0);
    net_put16(out + 4, PING_IDENT);
    net_put16(out + 6, seq);
    for (size_t i = 0; i < size; i++)
        out[ICMP_HLEN + i] = pattern(i, seq);
    net_put16(out + 2, net_csum_fold(net_csum_add(0, out, ICMP_HLEN + size)));

    ping.waiting = true;
    ping.answered = false;
    ping.dst = dst;
    ping.seq = seq;
    ping.size = size;
    ping.sent_ns = net_now_ns();
    int rc = ip_output(NULL, 0, dst, IP_PROTO_ICMP, frame, ICMP_HLEN + size);
    if (rc < 0)
        ping.waiting = false;
    return rc < 0 ? rc : 0;
}

int icmp_echo_poll(uint64_t *rtt_ns)
{
    net_poll();
    if (ping.answered) {
        ping.answered = false;
        if (rtt_ns)
            *rtt_ns = ping.rtt_ns;
        return 0;
    }
    return ping.waiting ? -EAGAIN : -ENOENT;
}

void icmp_echo_cancel(void)
{
    ping.waiting = false;
    ping.answered = false;
}

int icmp_ping(uint32_t dst, uint16_t seq, size_t size, uint64_t timeout_ns, uint64_t *rtt_ns)
{
    uint64_t start = net_now_ns();
    int rc;
    while ((rc = icmp_echo_send(dst, seq, size)) == -EBUSY) { /* another caller's echo */
        if (net_now_ns() - start >= timeout_ns)
            return -ETIMEDOUT;
        net_poll();
        net_wait();
    }
    if (rc < 0)
        return rc;
    for (;;) {
        rc = icmp_echo_poll(rtt_ns);
        if (rc != -EAGAIN)
            return rc;
        if (net_now_ns() - ping.sent_ns >= timeout_ns) {
            icmp_echo_cancel();
            return -ETIMEDOUT;
        }
        net_wait();
    }
}

void icmp_reset(void)
{
    memset(&ping, 0, sizeof ping);
}
