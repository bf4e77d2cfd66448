/* hostile: a user program that does, on request, what no program may: each attempt must end in
 * an error from the kernel or in this fiber's death with a report, and never harm the kernel or
 * another fiber. `hostile ATTEMPT`; the attempts are listed by `hostile` alone. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nexus.h>
#include <nexus_blk.h>
#include <nexus_caps.h>

#define KERNEL_TEXT 0x80200000ul /* where QEMU loads the kernel: mapped, but never for U-mode */
#define FLOOD       100000u
#define BUF_BYTES   (64u * 1024u)

int main(int argc, char **argv);

static uint8_t scratch[BUF_BYTES] __attribute__((aligned(4096)));

/* A small deterministic generator (xorshift64). */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One raw block command through slot `slot` with the arguments as given: its result. */
static long blk(unsigned op, unsigned slot, uint64_t lba, uint64_t buf, uint32_t count,
                uint32_t len)
{
    static uint64_t tag;
    struct BlkArgs a = {.lba = lba, .buf = buf, .count = count, .len = len};
    struct ion_cqe c;
    uint64_t t = ++tag;
    long rc = nexus_post(op, slot, t, &a, sizeof(a));

    if (rc)
        return rc;
    for (;;) {
        rc = nexus_enter(1);
        if (rc < 0)
            return rc;
        while (nexus_cq_pop(&nexus_chan(&rc)->cq, &c) == 0)
            if (c.tag == t)
                return (long)c.result;
    }
}

/* The table of argument checks at the ION boundary, one line each: `blkargs NAME = RESULT`.
 * Slot 0 must hold a read-only capability to a disk of 512-byte blocks. */
static int blkargs(void)
{
    struct BlkInfo info;
    long rc = nexus_blk_info(0, &info);
    if (rc < 0) {
        printf("hostile: blkargs needs a disk in slot 0 (%ld)\n", rc);
        return 2;
    }
    uint64_t end = info.blocks, buf = (uint64_t)(uintptr_t)scratch;
    /* The last byte of user memory: the end of the ring area, whose last page the rings do not
     * fill and above which nothing is mapped. */
    const struct ion_params *p = &nexus_chan(&rc)->params;
    uint64_t rings_end = p->cq + sizeof(struct ion_ring_header) + p->cq_entries * 16ul;
    const uint64_t top = (rings_end + 4095) & ~4095ul;
    if (top - rings_end < 1024) {
        printf("hostile: ring area too full for blkargs\n");
        return 2;
    }
    struct {
        const char *name;
        unsigned op, slot;
        uint64_t lba, buf;
        uint32_t count, len;
    } t[] = {
        {"lba-start-1", CMD_BLK_READ, 0, (uint64_t)-1, buf, 1, 512},
        {"lba-start", CMD_BLK_READ, 0, 0, buf, 1, 512},
        {"lba-end-count", CMD_BLK_READ, 0, end - 8, buf, 8, 4096},
        {"lba-end-count+1", CMD_BLK_READ, 0, end - 7, buf, 8, 4096},
        {"count-0", CMD_BLK_READ, 0, 0, buf, 0, 0},
        {"count-1", CMD_BLK_READ, 0, 0, buf, 1, 512},
        {"count-max", CMD_BLK_READ, 0, 0, buf, BUF_BYTES / 512, BUF_BYTES},
        {"count-too-big", CMD_BLK_READ, 0, 0, buf, 4096, 4096 * 512},
        {"len-mismatch", CMD_BLK_READ, 0, 0, buf, 2, 512},
        {"buf-last-byte", CMD_BLK_READ, 0, 0, top - 512, 1, 512},
        {"buf-crosses-unmapped", CMD_BLK_READ, 0, 0, top - 512, 2, 1024},
        {"buf-kernel", CMD_BLK_READ, 0, 0, KERNEL_TEXT, 1, 512},
        {"buf-unmapped", CMD_BLK_READ, 0, 0, 0x2000000000ul, 1, 512},
        {"buf-null", CMD_BLK_READ, 0, 0, 0, 1, 512},
        {"buf-readonly", CMD_BLK_READ, 0, 0, (uint64_t)(uintptr_t)main & ~511ul, 1, 512},
        {"buf-wraps", CMD_BLK_READ, 0, 0, (uint64_t)-512, 2, 1024},
        {"buf-unaligned", CMD_BLK_READ, 0, 0, buf + 1, 1, 512},
        {"write-readonly-cap", CMD_BLK_WRITE, 0, 0, buf, 1, 512},
        {"slot-empty", CMD_BLK_READ, 5, 0, buf, 1, 512},
        {"slot-forged", CMD_BLK_READ, 0x7fffffff, 0, buf, 1, 512},
        {"op-unknown", 0x6ff, 0, 0, buf, 1, 512},
        {"op-vfs", 0x2000, 0, 0, buf, 1, 512},
    };
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        printf("blkargs %s = %ld\n", t[i].name,
               blk(t[i].op, t[i].slot, t[i].lba, t[i].buf, t[i].count, t[i].len));
    return 0;
}

/* FLOOD random and malformed commands (ops, slots, buffers, ranges) in batches, then bogus ring
 * indices. Slot 0 should hold a read-only capability, so nothing can reach the disk but reads
 * into the scratch buffer. */
static int ionflood(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    const uint64_t bufs[] = {KERNEL_TEXT,
                             0,
                             0x2000000000ul,
                             (uint64_t)(uintptr_t)main,
                             (uint64_t)(uintptr_t)scratch,
                             (uint64_t)(uintptr_t)scratch + 3,
                             (uint64_t)-4096,
                             0x3ffffff000ul};
    long err = 0, ok = 0, errors = 0;
    struct nexus_chan *c = nexus_chan(&err);
    if (!c) {
        printf("hostile: no channel (%ld)\n", err);
        return 2;
    }
    for (unsigned sent = 0; sent < FLOOD;) {
        unsigned batch = 0;
        for (; batch < 48 && sent < FLOOD; batch++, sent++) {
            uint64_t r = rnd(&seed);
            struct ion_sqe e;
            e.op = (uint16_t)(r % 3 == 0 ? rnd(&seed) : 0x600 + rnd(&seed) % 6);
            e.flags = (uint16_t)rnd(&seed);
            uint64_t r2 = rnd(&seed);
            e.slot = (uint32_t)(r2 % 5 == 0 ? rnd(&seed) : r2 % 3);
            e.tag = sent;
            e.arg[0] = r % 7 == 0 ? rnd(&seed) : rnd(&seed) % 9000;
            e.arg[1] = bufs[rnd(&seed) % (sizeof(bufs) / sizeof(bufs[0]))];
            uint64_t k = rnd(&seed) % 8; /* blocks; len right for them, most of the time */
            e.arg[2] = rnd(&seed) % 4 == 0 ? rnd(&seed) : k | (k * 512) << 32;
            e.arg[3] = rnd(&seed);
            if (nexus_sq_push(&c->sq, &e))
                break;
        }
        long rc = nexus_enter(batch);
        if (rc < 0) {
            printf("hostile: enter failed %ld after %u\n", rc, sent);
            return 1;
        }
        struct ion_cqe q;
        while (nexus_cq_pop(&c->cq, &q) == 0)
            q.result >= 0 ? ok++ : errors++;
    }
    printf("hostile: ionflood %u commands: %ld ok, %ld errors\n", FLOOD, ok, errors);
    /* Indices that cannot be: a tail far past the head, then a completion head past the tail. */
    c->sq.hdr->tail += 100000;
    long a = nexus_enter(0);
    long b = nexus_enter(1);
    c->cq.hdr->head += 7777;
    long d = nexus_enter(0);
    printf("hostile: bogus indices %ld %ld %ld\n", a, b, d);
    return 0;
}

/* Deliberately without end: it runs into the guard page below the user stack. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int depth)
{
    volatile char pad[256];
    pad[0] = (char)depth;
    return recurse(depth + 1) + pad[0];
}
#pragma GCC diagnostic pop

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";

    if (strcmp(what, "kread") == 0) {
        printf("hostile: reading kernel memory\n");
        printf("read 0x%lx\n", *(volatile unsigned long *)KERNEL_TEXT);
    } else if (strcmp(what, "kwrite") == 0) {
        printf("hostile: writing kernel memory\n");
        *(volatile unsigned long *)KERNEL_TEXT = 0;
    } else if (strcmp(what, "kjump") == 0) {
        printf("hostile: jumping into kernel text\n");
        ((void (*)(void))KERNEL_TEXT)();
    } else if (strcmp(what, "priv") == 0) {
        printf("hostile: a privileged instruction\n");
        __asm__ volatile(".word 0x10001073"); /* csrw sstatus, zero */
    } else if (strcmp(what, "wfi") == 0) {
        printf("hostile: wfi\n");
        __asm__ volatile("wfi");
        printf("hostile: wfi returned\n"); /* the spec lets U-mode wfi trap or not */
        return 0;
    } else if (strcmp(what, "stack") == 0) {
        printf("hostile: overflowing the stack\n");
        return recurse(0);
    } else if (strcmp(what, "textwrite") == 0) {
        printf("hostile: writing its own code\n");
        *(volatile uint32_t *)(uintptr_t)main = 0;
    } else if (strcmp(what, "badptr") == 0) {
        /* Pointers into the kernel, unmapped space, and across the address-space edge. */
        long a = nexus_write((const void *)KERNEL_TEXT, 16);
        long b = nexus_write((const void *)0x2000000000ul, 16);
        long c = nexus_write((const void *)(0x4000000000ul - 8), 16);
        long d = nexus_read((void *)main, 1); /* read-only text as a read buffer */
        long e = nexus_syscall(999, 0, 0, 0);
        printf("hostile: badptr %ld %ld %ld %ld %ld\n", a, b, c, d, e);
        return 0;
    } else if (strcmp(what, "shellcalls") == 0) {
        /* The calls the shell uses, from a fiber without the shell's capabilities and with
         * hostile arguments: each refused with a code, nothing else happens. */
        static const uint8_t junk[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
        const char *const one[] = {"mem"};
        struct spawn_image img = {(uint64_t)(uintptr_t)junk, sizeof(junk), "junk"};
        struct spawn_image big = {(uint64_t)(uintptr_t)junk, SPAWN_IMAGE_MAX + 1, "big"};
        struct spawn_image kimg = {KERNEL_TEXT, 4096, "k"};
        printf("hostile: shellcalls %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld\n",
               nexus_syscall(SYS_SERVICE, KERNEL_TEXT, 1, 0),             /* argv in the kernel */
               nexus_syscall(SYS_SERVICE, (long)one, 0, 0),               /* no words */
               nexus_syscall(SYS_SERVICE, (long)one, 17, 0),              /* too many */
               nexus_syscall(SYS_SERVICE_LIST, 0, KERNEL_TEXT, 0),        /* out in the kernel */
               nexus_syscall(SYS_CAP_MINT, (long)"blk0", 7, 0),           /* no machine cap */
               nexus_syscall(SYS_CONSOLE_STATS, KERNEL_TEXT, 0, 0),       /* out in the kernel */
               nexus_spawn_image(&img, 1, one, NULL, 0),                  /* not a program */
               nexus_spawn_image(&big, 1, one, NULL, 0),                  /* too large */
               nexus_spawn_image(&kimg, 1, one, NULL, 0),                 /* image in the kernel */
               nexus_syscall(SYS_SPAWN_IMAGE, KERNEL_TEXT, (long)one, 1), /* descriptor too */
               nexus_kill(2),                                             /* the shell: not ours */
               nexus_wait_ns(2, 1));                                      /* nor to wait for */
        return 0;
    } else if (strcmp(what, "blkargs") == 0) {
        return blkargs();
    } else if (strcmp(what, "ionflood") == 0) {
        return ionflood();
    } else if (strcmp(what, "blkkernel") == 0) {
        /* A device write into kernel memory, through a capability this fiber does hold. */
        printf("hostile: blkkernel %ld\n", blk(CMD_BLK_READ, 0, 0, KERNEL_TEXT, 8, 4096));
        return 0;
    } else if (strcmp(what, "blkat") == 0 && argc > 2) {
        /* A device write to an address of another program's (NipBox's buffers: the test reads
         * them from nipbox.elf): this fiber's own table decides, where nothing is mapped there. */
        uint64_t at = strtoull(argv[2], NULL, 0);
        printf("hostile: blkat 0x%llx %ld\n", (unsigned long long)at,
               blk(CMD_BLK_READ, 0, 0, at, 8, 4096));
        return 0;
    } else {
        printf("hostile: kread kwrite kjump priv wfi stack textwrite badptr blkargs ionflood "
               "blkkernel blkat shellcalls\n");
        return 2;
    }
    printf("hostile: %s did not trap\n", what);
    return 1;
}
