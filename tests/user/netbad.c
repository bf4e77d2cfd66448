/* netbad: the net channel's argument checks from a user fiber (tests/qemu/test_net_fiber.py),
 * on the CAP_NET capability in slot 0 with an address applied. Each case prints
 * "netbad: NAME ok" or "netbad: NAME FAIL: got X, want Y"; the last line says whether all
 * passed. Also a datagram to our own address (loopback): source, length and truncation. */
#include <stdio.h>
#include <string.h>

#include <nexus.h>
#include <nexus_blk.h>
#include <nexus_net.h>

#define SLOT      0u
#define KERNEL_VA 0x80200000ul
#define USER_TOP  0x4000000000ul
#define SELF      0x0a00020fu /* 10.0.2.15 */
#define GATEWAY   0x0a000202u
#define MS        1000000ull

static uint8_t buf[2048];
static unsigned failures;

static void expect(const char *name, long got, long want)
{
    if (got == want) {
        printf("netbad: %s ok\n", name);
    } else {
        printf("netbad: %s FAIL: got %ld, want %ld\n", name, got, want);
        failures++;
    }
}

static long raw(unsigned op, unsigned slot, const void *args, unsigned len)
{
    return nexus_call(op, slot, args, len);
}

static void sends(long port)
{
    expect("send kernel buffer",
           nexus_net_sendto(SLOT, (uint16_t)port, GATEWAY, 9, (void *)KERNEL_VA, 16), -ION_EFAULT);
    expect("send past user memory",
           nexus_net_sendto(SLOT, (uint16_t)port, GATEWAY, 9, (void *)(USER_TOP - 8), 16),
           -ION_EFAULT);
    expect("send port 0", nexus_net_sendto(SLOT, (uint16_t)port, GATEWAY, 0, buf, 4), -ION_EINVAL);
    expect("send broadcast", nexus_net_sendto(SLOT, (uint16_t)port, 0xffffffffu, 9, buf, 4),
           -ION_EINVAL);
    expect("send to 0.0.0.0", nexus_net_sendto(SLOT, (uint16_t)port, 0, 9, buf, 4), -ION_EINVAL);
    expect("send multicast", nexus_net_sendto(SLOT, (uint16_t)port, 0xe0000001u, 9, buf, 4),
           -ION_EINVAL);
    expect("send 1473 bytes", nexus_net_sendto(SLOT, (uint16_t)port, GATEWAY, 9, buf, 1473),
           -ION_EMSGSIZE);
    expect("send from unbound port", nexus_net_sendto(SLOT, 1, GATEWAY, 9, buf, 4),
           -ION_EADDRNOTAVAIL);
    struct NetSendArgs a = {.buf = (uint64_t)(uintptr_t)buf,
                            .len = 4,
                            .ip = GATEWAY,
                            .port = 9,
                            .sport = (uint16_t)port,
                            .pad = 1};
    expect("send pad not zero", raw(CMD_NET_SENDTO, SLOT, &a, sizeof(a)), -ION_EINVAL);
}

static void receives(long port)
{
    struct NetFrom from;
    expect("recv unbound port", nexus_net_recvfrom(SLOT, 1, buf, 16, NULL, 0), -ION_EADDRNOTAVAIL);
    expect("recv kernel buffer",
           nexus_net_recvfrom(SLOT, (uint16_t)port, (void *)KERNEL_VA, 16, NULL, 0), -ION_EFAULT);
    expect("recv into program text",
           nexus_net_recvfrom(SLOT, (uint16_t)port, (void *)(uintptr_t)&expect, 16, NULL, 0),
           -ION_EFAULT);
    expect("recv bad from", nexus_net_recvfrom(SLOT, (uint16_t)port, buf, 16, (void *)KERNEL_VA, 0),
           -ION_EFAULT);
    expect("recv wrapping buffer",
           nexus_net_recvfrom(SLOT, (uint16_t)port, (void *)~0xful, 32, NULL, 0), -ION_EFAULT);
    expect("recv nothing, no wait", nexus_net_recvfrom(SLOT, (uint16_t)port, buf, 16, &from, 0),
           -ION_EAGAIN);
    expect("recv nothing, 20 ms", nexus_net_recvfrom(SLOT, (uint16_t)port, buf, 16, &from, 20 * MS),
           -ION_ETIMEDOUT);
    expect("recv timeout too long",
           nexus_net_recvfrom(SLOT, (uint16_t)port, buf, 16, &from, 3601000ull * MS), -ION_EINVAL);
}

/* A datagram to our own address comes back through the stack's loopback. */
static void loopback(long a, long b)
{
    struct NetFrom from;
    memcpy(buf, "0123456789", 10);
    expect("loop send", nexus_net_sendto(SLOT, (uint16_t)a, SELF, (uint16_t)b, buf, 10), 10);
    memset(buf, 0, 16);
    expect("loop recv cut to 4", nexus_net_recvfrom(SLOT, (uint16_t)b, buf, 4, &from, 1000 * MS),
           4);
    expect("loop bytes", memcmp(buf, "0123", 4) == 0 && buf[4] == 0, 1);
    expect("loop source ip", from.ip, SELF);
    expect("loop source port", from.port, a);
    expect("loop full length", from.len, 10);
}

static void others(void)
{
    expect("ping timeout 0", nexus_net_ping(SLOT, GATEWAY, 0, 56, 0), -ION_EINVAL);
    expect("ping timeout 61 s", nexus_net_ping(SLOT, GATEWAY, 0, 56, 61000 * MS), -ION_EINVAL);
    expect("ping broadcast", nexus_net_ping(SLOT, 0xffffffffu, 0, 56, 100 * MS), -ION_EINVAL);
    expect("ping loopback net", nexus_net_ping(SLOT, 0x7f000001u, 0, 56, 100 * MS), -ION_EINVAL);
    expect("ping 1025 bytes", nexus_net_ping(SLOT, GATEWAY, 0, 1025, 100 * MS), -ION_EMSGSIZE);
    struct NetBufArgs ia = {.buf = (uint64_t)(uintptr_t)buf, .len = sizeof(struct NetInfo) - 1};
    expect("info short", raw(CMD_NET_INFO, SLOT, &ia, sizeof(ia)), -ION_EINVAL);
    ia.len = sizeof(struct NetInfo);
    ia.buf = KERNEL_VA;
    expect("info kernel buffer", raw(CMD_NET_INFO, SLOT, &ia, sizeof(ia)), -ION_EFAULT);
    expect("slot 31", nexus_net_bind(31, 0), -ION_EBADF);
    expect("slot 1000", nexus_net_bind(1000, 0), -ION_EBADF);
    expect("unknown code", raw(0x80f, SLOT, NULL, 0), -ION_ENOSYS);
}

int main(void)
{
    long a = nexus_net_bind(SLOT, 0);
    expect("bind ephemeral", a >= 49152 && a <= 65535, 1);
    long b = nexus_net_bind(SLOT, 40000);
    expect("bind 40000", b, 40000);
    expect("bind 40000 again", nexus_net_bind(SLOT, 40000), -ION_EADDRINUSE);
    struct NetPortArgs pa = {.port = 40001, .pad1 = 7};
    expect("bind pad not zero", raw(CMD_NET_BIND, SLOT, &pa, sizeof(pa)), -ION_EINVAL);
    sends(a);
    receives(b);
    loopback(a, b);
    others();
    long c = nexus_net_bind(SLOT, 0), d = nexus_net_bind(SLOT, 0);
    expect("bind 3rd and 4th", c > 0 && d > 0, 1);
    expect("bind 5th", nexus_net_bind(SLOT, 0), -ION_ENFILE);
    expect("close", nexus_net_close(SLOT, (uint16_t)d), 0);
    expect("close again", nexus_net_close(SLOT, (uint16_t)d), -ION_EADDRNOTAVAIL);
    expect("bind after close", nexus_net_bind(SLOT, (uint16_t)d), d);
    if (failures)
        printf("netbad: %u checks failed\n", failures);
    else
        printf("netbad: all checks passed\n");
    return failures ? 1 : 0;
}
