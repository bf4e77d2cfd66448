/* The shell's `bench blk -k` service: the in-kernel side of `bench blk` (the shell runs the
 * user-space side, blkbench through ION, without -k), as the calling fiber (its capability to
 * the disk decides). Block throughput and latency measured inside the guest with the timer,
 * through the Block Valve's asynchronous interface (several requests kept in flight).
 *   bench blk [-w] [-p] [-s us] [-t test] [dev] [ms]
 *     -w  also the write test (overwrites the device!)   -p  polled completion
 *     -t  only that test (seq_read_1m, rand_read_4k_qd32, ...), as blkbench -t; and
 *         seq_write_flush_64m (-w -t only): 64 MiB written as the 1 MiB test does, then a flush
 *     -s  interrupt mode: watch the ring this many us before sleeping (default: the device's)
 * Prints one machine-readable line per test:
 *   BENCH test=<name> dev= transport= mode=irq|hybrid|polled spin_us= req_bytes= qd= ... ns=
 *         iops= kib_s= kicks= irqs= kicks_per_kreq= irqs_per_kreq= inflight=
 * (inflight: device requests outstanding once the first qd requests were handed out, what the
 * queue could take of them).
 * (rates are integers: iops requests/s, kib_s KiB/s; per_kreq = per 1000 requests).
 * Ctrl-C stops at once: no new request after it, and the phase it cut short prints nothing. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/parse_uint.h>
#include <dispatch/dispatch.h>
#include <kernel/kernel.h>
#include <services/service.h>
#include <valve.h>

#define BENCH_QD_MAX     32u
#define BENCH_BIG        (1u << 20)
#define BENCH_BIG_QD     4u
#define BENCH_SMALL      4096u
#define BENCH_DEFAULT_MS 1000u

struct bench_test {
    const char *name;
    enum block_op op;
    uint32_t req_bytes;
    unsigned qd;
    bool random;
    /* A fixed amount instead of a time, then one flush inside the measured time (only when
     * named with -t): what a file's write and fsync costs the raw device (bench fs). */
    uint64_t total_bytes;
};

struct bench_state {
    unsigned dev;
    struct block_info info;
    bool polled;
    uint32_t spin_us;
    uint64_t ms;
    uint8_t *bufs[BENCH_QD_MAX];
    uint32_t buf_bytes[BENCH_QD_MAX];
    uint64_t rng;
    uint64_t next_seq; /* next sequential request index */
    /* Who the requests are from: the kernel, once the caller has shown it owns the device (the
     * settings below need its write and grant rights), so the loop measures the Valve's path
     * as a kernel client sees it, without a capability lookup per request. */
    const struct block_subject *subj;
};

static struct block_req reqs[BENCH_QD_MAX];

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: plenty for spreading 4 KiB reads over a disk. */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static void setup_req(struct bench_state *b, const struct bench_test *t, unsigned slot)
{
    const uint32_t count = t->req_bytes / b->info.block_size;
    const uint64_t slots = b->info.total_blocks / count;
    uint64_t idx = t->random ? rng_next(&b->rng) % slots : b->next_seq++ % slots;

    reqs[slot] = (struct block_req){.owner = b->subj,
                                    .op = t->op,
                                    .dev = b->dev,
                                    .lba = idx * count,
                                    .count = count,
                                    .buf = b->bufs[slot],
                                    .flags = BLOCK_F_NOKICK};
}

static void print_u3(const char *key, uint64_t milli)
{
    printf(" %s=%llu.%03llu", key, (unsigned long long)(milli / 1000),
           (unsigned long long)(milli % 1000));
}

static int run_test(struct bench_state *b, const struct bench_test *t)
{
    bool active[BENCH_QD_MAX] = {false};
    struct block_stats s0, s1, sq;
    uint64_t done = 0;
    unsigned live = 0;
    bool interrupted = false;
    int rc = 0;

    if (t->req_bytes % b->info.block_size || t->req_bytes / b->info.block_size == 0 ||
        b->info.total_blocks < t->req_bytes / b->info.block_size) {
        printf("bench: %s: device too small for %u-byte requests\n", t->name,
               (unsigned)t->req_bytes);
        return -ERANGE;
    }
    b->next_seq = 0;
    /* A fixed amount ends with a flush: one first, outside the time, so that the measured
     * flush makes only these writes stable, not what earlier tests left in a write cache. */
    if (t->total_bytes && (rc = block_flush(b->subj, b->dev)) != 0) {
        printf("bench: %s: %s\n", t->name, block_strerror(rc));
        return rc;
    }
    block_stats(&block_kernel, b->dev, &s0);
    const uint64_t t0 = time_ns(), end = t0 + b->ms * 1000000u;
    for (unsigned i = 0; i < t->qd; i++) {
        setup_req(b, t, i);
        while ((rc = block_submit(&reqs[i])) == -EAGAIN) /* a queue smaller than qd */
            block_wait_any(b->subj, b->dev);
        if (rc)
            break;
        active[i] = true;
        live++;
    }
    block_stats(&block_kernel, b->dev, &sq);
    block_kick(b->subj, b->dev);
    while (live) {
        unsigned finished = 0, resubmitted = 0;
        /* Ctrl-C: nothing more is submitted; what is in flight completes, then we return. */
        if (!interrupted && service_interrupted())
            interrupted = true;
        for (unsigned i = 0; i < t->qd; i++) {
            if (!active[i])
                continue;
            int st = block_poll(&reqs[i]);
            if (st == -EINPROGRESS)
                continue;
            finished++;
            active[i] = false;
            live--;
            if (st) {
                rc = rc ? rc : st;
                continue;
            }
            done++;
            const bool more =
                t->total_bytes ? (done + live) * t->req_bytes < t->total_bytes : time_ns() < end;
            if (rc == 0 && !interrupted && more) {
                setup_req(b, t, i);
                int src;
                while ((src = block_submit(&reqs[i])) == -EAGAIN)
                    block_wait_any(b->subj, b->dev);
                if (src == 0) {
                    active[i] = true;
                    live++;
                    resubmitted++;
                }
            }
        }
        if (resubmitted)
            block_kick(b->subj, b->dev);
        if (!finished)
            block_wait_any(b->subj, b->dev); /* the next sweep takes whatever completed */
    }
    if (rc == 0 && !interrupted && t->total_bytes)
        rc = block_flush(b->subj, b->dev);
    const uint64_t ns = time_ns() - t0;
    block_stats(&block_kernel, b->dev, &s1);
    if (rc) {
        printf("bench: %s: %s\n", t->name, block_strerror(rc));
        return rc;
    }
    if (interrupted)
        return -EINTR; /* a phase cut short is no measurement */
    const uint64_t bytes = done * t->req_bytes;
    const uint64_t kicks = s1.kicks - s0.kicks, irqs = s1.interrupts - s0.interrupts;
    const uint64_t us = ns / 1000 ? ns / 1000 : 1;
    printf("BENCH test=%s dev=%s transport=%s mode=%s spin_us=%u req_bytes=%u qd=%u "
           "requests=%llu bytes=%llu ns=%llu iops=%llu kib_s=%llu kicks=%llu irqs=%llu",
           t->name, b->info.name, b->info.transport,
           b->polled    ? "polled"
           : b->spin_us ? "hybrid"
                        : "irq",
           (unsigned)b->spin_us, (unsigned)t->req_bytes, t->qd, (unsigned long long)done,
           (unsigned long long)bytes, (unsigned long long)ns,
           (unsigned long long)(done * 1000000u / us),
           (unsigned long long)(bytes / 1024 * 1000000u / us), (unsigned long long)kicks,
           (unsigned long long)irqs);
    print_u3("mib_s", bytes * 1000u / 1048576u * 1000000u / us);
    printf(" kicks_per_kreq=%llu irqs_per_kreq=%llu inflight=%u\n",
           (unsigned long long)(done ? kicks * 1000u / done : 0),
           (unsigned long long)(done ? irqs * 1000u / done : 0), sq.inflight);
    return 0;
}

static const struct bench_test tests[] = {
    {"seq_read_1m", BLOCK_OP_READ, BENCH_BIG, BENCH_BIG_QD, false, 0},
    {"seq_write_1m", BLOCK_OP_WRITE, BENCH_BIG, BENCH_BIG_QD, false, 0},
    {"rand_read_4k_qd1", BLOCK_OP_READ, BENCH_SMALL, 1, true, 0},
    {"rand_read_4k_qd32", BLOCK_OP_READ, BENCH_SMALL, BENCH_QD_MAX, true, 0},
    {"seq_read_4k_qd1", BLOCK_OP_READ, BENCH_SMALL, 1, false, 0},
    {"seq_write_flush_64m", BLOCK_OP_WRITE, BENCH_BIG, BENCH_BIG_QD, false, 64ull << 20},
};

static int bench_blk(int argc, char **argv)
{
    static struct bench_state b;
    bool writes = false, polled = false, spin_given = false;
    const char *name = "blk0", *only = NULL;
    uint64_t ms = BENCH_DEFAULT_MS, spin_us = 0;
    int rc = 0;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-w") == 0) {
            writes = true;
        } else if (strcmp(argv[i], "-p") == 0) {
            polled = true;
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc &&
                   parse_uint(argv[i + 1], 1000000, &spin_us) == 0) {
            spin_given = true;
            i++;
        } else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strncmp(argv[i], "blk", 3) == 0 || strncmp(argv[i], "ram", 3) == 0) {
            name = argv[i];
        } else {
            if (parse_uint(argv[i], 600000, &ms) || ms == 0) {
                printf("usage: bench blk [-w] [-p] [-s us] [-t test] [dev] [ms]\n");
                return -EINVAL;
            }
        }
    }
    bool known = !only;
    for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
        known = known || strcmp(tests[i].name, only) == 0;
    if (!known) {
        printf("bench: no test %s\n", only);
        return -EINVAL;
    }
    memset(&b, 0, sizeof(b));
    int dev = block_find(name);
    if (dev < 0 || block_info(&block_kernel, (unsigned)dev, &b.info)) {
        printf("bench: no block device %s\n", name);
        return -ENODEV;
    }
    if (writes && b.info.read_only) {
        printf("bench: %s is read-only; no write test\n", name);
        writes = false;
    }
    b.dev = (unsigned)dev;
    b.polled = polled;
    b.spin_us = spin_given ? (uint32_t)spin_us : b.info.spin_us;
    b.ms = ms;
    b.rng = 0x9e3779b97f4a7c15ull ^ time_ns();
    for (unsigned i = 0; i < BENCH_QD_MAX; i++) {
        b.buf_bytes[i] = i < BENCH_BIG_QD ? BENCH_BIG : BENCH_SMALL;
        b.bufs[i] = page_alloc(b.buf_bytes[i] / PAGE_SIZE);
        if (!b.bufs[i]) {
            printf("bench: out of memory\n");
            rc = -ENOMEM;
            goto out;
        }
    }
    rc = block_set_polled(dispatch_subject(), b.dev, polled);
    if (rc == 0 || rc == -EOPNOTSUPP) /* a RAM disk has no completion modes */
        rc = block_set_spin(dispatch_subject(), b.dev, b.spin_us);
    if (rc == -EOPNOTSUPP)
        rc = 0;
    if (rc) {
        printf("bench: %s: %s\n", name, block_strerror(rc));
        goto out;
    }
    b.subj = &block_kernel;
    for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]) && rc == 0; i++) {
        if ((tests[i].op == BLOCK_OP_WRITE && !writes) || (only && strcmp(tests[i].name, only)) ||
            (!only && tests[i].total_bytes))
            continue;
        rc = run_test(&b, &tests[i]);
        if (rc == -EINTR)
            printf("bench: interrupted\n");
    }
    block_set_polled(dispatch_subject(), b.dev, b.info.polled);
    block_set_spin(dispatch_subject(), b.dev, b.info.spin_us);
out:
    for (unsigned i = 0; i < BENCH_QD_MAX; i++)
        if (b.bufs[i])
            page_free(b.bufs[i], b.buf_bytes[i] / PAGE_SIZE);
    return rc;
}

static int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "blk") == 0)
        return bench_blk(argc - 2, argv + 2);
    printf("usage: bench blk [-w] [-p] [-s us] [-t test] [dev] [ms]\n");
    return -EINVAL;
}

SERVICE_COMMAND(bench, "bench", "bench blk [-w] [-p] [-t test] [dev] [ms]",
                "measure block throughput and latency in the guest", cmd_bench);
