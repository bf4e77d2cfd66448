/* blkbench: `bench blk` from a user fiber, through ION (CMD_BLK_*: the device DMAs straight into
 * this fiber's buffers), on the capability in slot 0. The same tests and the same BENCH line as
 * the kernel's `bench blk` (nipbox/cmd_bench.c), with path=ion, so one boot compares both.
 *   blkbench [-w] [-t test] [ms]   -w: the write test too (overwrites the device!)
 *                                  -t: only that test (seq_read_1m, rand_read_4k_qd32, ...) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nexus.h>
#include <nexus_blk.h>

#define QD_MAX 32u
#define BIG    (1u << 20)
#define BIG_QD 4u
#define SMALL  4096u
#define SLOT   0u

struct test {
    const char *name;
    unsigned op;
    uint32_t bytes;
    unsigned qd;
    int random;
};

static const struct test tests[] = {
    {"seq_read_1m", CMD_BLK_READ, BIG, BIG_QD, 0},
    {"seq_write_1m", CMD_BLK_WRITE, BIG, BIG_QD, 0},
    {"rand_read_4k_qd1", CMD_BLK_READ, SMALL, 1, 1},
    {"rand_read_4k_qd32", CMD_BLK_READ, SMALL, QD_MAX, 1},
    {"seq_read_4k_qd1", CMD_BLK_READ, SMALL, 1, 0},
};

static uint8_t big[BIG_QD][BIG] __attribute__((aligned(4096)));
static uint8_t small[QD_MAX][SMALL] __attribute__((aligned(4096)));
static struct BlkInfo info;
static uint64_t rng = 0x9e3779b97f4a7c15ull, next_seq;

static uint64_t rng_next(void)
{
    uint64_t x = rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

static long post(const struct test *t, unsigned slot)
{
    uint32_t count = t->bytes / info.block_size;
    uint64_t slots = info.blocks / count;
    uint64_t idx = t->random ? rng_next() % slots : next_seq++ % slots;
    void *buf = t->bytes == BIG ? (void *)big[slot] : (void *)small[slot];
    struct BlkArgs a = {
        .lba = idx * count, .buf = (uint64_t)(uintptr_t)buf, .count = count, .len = t->bytes};
    return nexus_post(t->op, SLOT, slot, &a, sizeof(a));
}

static int run(const struct test *t, uint64_t ms)
{
    struct BlkStats s0, s1;
    struct BlkArgs sa = {.buf = (uint64_t)(uintptr_t)&s0, .len = sizeof(s0)};
    long err = 0;
    struct nexus_chan *c = nexus_chan(&err);
    uint64_t done = 0;

    if (!c || nexus_post(CMD_BLK_STATS, SLOT, 999, &sa, sizeof(sa)) || nexus_enter(1) < 0)
        return printf("blkbench: no channel (%ld)\n", err), 1;
    struct ion_cqe q;
    while (nexus_cq_pop(&c->cq, &q) == 0)
        ;
    for (unsigned i = 0; i < t->qd; i++)
        if (post(t, i))
            return printf("blkbench: ring full\n"), 1;
    const uint64_t t0 = nexus_time_ns(), end = t0 + ms * 1000000ull;
    unsigned outstanding = t->qd;
    uint64_t now = t0;
    while (outstanding) {
        long rc = nexus_enter(1);
        if (rc < 0)
            return printf("blkbench: %s: enter: %ld\n", t->name, rc), 1;
        now = nexus_time_ns();
        while (nexus_cq_pop(&c->cq, &q) == 0) {
            outstanding--;
            if (q.result < 0) {
                const char *m = ion_error_message(q.result);
                return printf("blkbench: %s: %s\n", t->name, m ? m : "error"), 1;
            }
            done++;
            if (now < end) {
                post(t, (unsigned)q.tag);
                outstanding++;
            }
        }
    }
    const uint64_t ns = now - t0;
    sa.buf = (uint64_t)(uintptr_t)&s1;
    if (nexus_post(CMD_BLK_STATS, SLOT, 999, &sa, sizeof(sa)) || nexus_enter(1) < 0)
        return 1;
    while (nexus_cq_pop(&c->cq, &q) == 0)
        ;
    const uint64_t bytes = done * t->bytes, us = ns / 1000 ? ns / 1000 : 1;
    const uint64_t kicks = s1.kicks - s0.kicks, irqs = s1.interrupts - s0.interrupts;
    const uint64_t mib_milli = bytes * 1000u / 1048576u * 1000000u / us;
    printf("BENCH test=%s path=ion req_bytes=%u qd=%u requests=%llu bytes=%llu ns=%llu "
           "iops=%llu kib_s=%llu kicks=%llu irqs=%llu mib_s=%llu.%03llu kicks_per_kreq=%llu "
           "irqs_per_kreq=%llu\n",
           t->name, (unsigned)t->bytes, t->qd, (unsigned long long)done, (unsigned long long)bytes,
           (unsigned long long)ns, (unsigned long long)(done * 1000000u / us),
           (unsigned long long)(bytes / 1024 * 1000000u / us), (unsigned long long)kicks,
           (unsigned long long)irqs, (unsigned long long)(mib_milli / 1000),
           (unsigned long long)(mib_milli % 1000),
           (unsigned long long)(done ? kicks * 1000u / done : 0),
           (unsigned long long)(done ? irqs * 1000u / done : 0));
    return 0;
}

int main(int argc, char **argv)
{
    int writes = 0;
    uint64_t ms = 1000;
    const char *only = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-w") == 0)
            writes = 1;
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
            only = argv[++i];
        else if ((ms = strtoull(argv[i], NULL, 10)) == 0)
            return printf("usage: blkbench [-w] [-t test] [ms]\n"), 2;
    }
    long rc = nexus_blk_info(SLOT, &info);
    if (rc < 0)
        return printf("blkbench: slot 0: %s\n", ion_error_message(rc)), 1;
    for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        if ((tests[i].op == CMD_BLK_WRITE && !writes) || (only && strcmp(only, tests[i].name)))
            continue;
        if (run(&tests[i], ms))
            return 1;
    }
    return 0;
}
