/* ION rings: the kernel's side (ion/ion_ring.c) against the fiber's (user/lib/ion.c) in one
 * shared area, as in the real pages; then a fiber that writes whatever it likes into the
 * indices and entries, which the kernel must refuse without reading past the ring or taking
 * an entry twice. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ion/ion_ring.h>
#include <nexus_ion.h>

#define N 8u

static _Alignas(64) uint8_t sq_mem[4096], cq_mem[4096];
static struct ion_sq ksq;
static struct ion_cq kcq;
static struct nexus_ring usq, ucq;

static int setup(void **state)
{
    (void)state;
    memset(sq_mem, 0xa5, sizeof(sq_mem));
    memset(cq_mem, 0xa5, sizeof(cq_mem));
    assert_int_equal(ion_sq_init(&ksq, sq_mem, sizeof(sq_mem), N), 0);
    assert_int_equal(ion_cq_init(&kcq, cq_mem, sizeof(cq_mem), N), 0);
    assert_int_equal(nexus_ring_attach(&usq, sq_mem), 0);
    assert_int_equal(nexus_ring_attach(&ucq, cq_mem), 0);
    return 0;
}

static struct ion_sqe cmd(uint64_t tag)
{
    struct ion_sqe e = {.op = 0x600, .slot = 3, .tag = tag, .arg = {tag, tag * 2, 4096, 1}};
    return e;
}

static void init_refuses_bad_sizes(void **state)
{
    (void)state;
    struct ion_sq q;
    assert_int_equal(ion_sq_init(&q, sq_mem, sizeof(sq_mem), 0), -EINVAL);
    assert_int_equal(ion_sq_init(&q, sq_mem, sizeof(sq_mem), 6), -EINVAL);
    assert_int_equal(ion_sq_init(&q, sq_mem, sizeof(sq_mem), ION_RING_MAX * 2), -EINVAL);
    assert_int_equal(ion_sq_init(&q, sq_mem, ion_sq_bytes(64) - 1, 64), -EINVAL);
    assert_int_equal(ion_sq_init(&q, sq_mem + 4, 1024, 8), -EINVAL);
    assert_int_equal(ion_sq_bytes(8), 16 + 8 * 48);
}

/* 100,000 commands and completions through rings of 8: every index wraps many times, and
 * 32-bit index wrap-around is crossed too. */
static void wrap_around(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        if (round == 1) { /* start near 2^32 so the indices themselves wrap */
            ((struct ion_ring_header *)sq_mem)->head = ((struct ion_ring_header *)sq_mem)->tail =
                ksq.head = UINT32_MAX - 5;
            ((struct ion_ring_header *)cq_mem)->head = ((struct ion_ring_header *)cq_mem)->tail =
                kcq.tail = UINT32_MAX - 5;
        }
        uint64_t next_tag = 1, expect = 1;
        for (int i = 0; i < 100000 / 5; i++) {
            for (int k = 0; k < 5; k++) {
                struct ion_sqe e = cmd(next_tag++);
                assert_int_equal(nexus_sq_push(&usq, &e), 0);
            }
            struct ion_sqe got;
            while (ion_sq_pop(&ksq, &got) == 0) {
                assert_int_equal(got.tag, expect);
                assert_int_equal(got.arg[1], expect * 2);
                assert_int_equal(ion_cq_push(&kcq, got.tag, (int64_t)got.arg[0]), 0);
                expect++;
            }
            struct ion_cqe c;
            for (int k = 0; k < 5; k++) {
                assert_int_equal(nexus_cq_pop(&ucq, &c), 0);
                assert_int_equal((uint64_t)c.result, c.tag);
            }
            assert_int_equal(nexus_cq_pop(&ucq, &c), -1);
        }
        assert_int_equal(expect, 100001);
    }
}

static void full_and_empty(void **state)
{
    (void)state;
    struct ion_sqe got;
    assert_int_equal(ion_sq_pop(&ksq, &got), -EAGAIN);
    for (unsigned i = 0; i < N; i++) {
        struct ion_sqe e = cmd(i + 1);
        assert_int_equal(nexus_sq_push(&usq, &e), 0);
    }
    struct ion_sqe extra = cmd(99);
    assert_int_equal(nexus_sq_push(&usq, &extra), -1); /* full */
    assert_int_equal(ion_sq_pending(&ksq), N);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(ion_cq_push(&kcq, i, 0), 0);
    assert_int_equal(ion_cq_push(&kcq, 99, 0), -EAGAIN); /* the fiber has taken none */
}

/* A fiber's tail claims more than the ring holds, or runs backwards: nothing is taken. */
static void hostile_tail(void **state)
{
    (void)state;
    volatile struct ion_ring_header *h = (struct ion_ring_header *)sq_mem;
    static const uint32_t tails[] = {N + 1, 1000, UINT32_MAX, 0x80000000u};
    struct ion_sqe got;

    for (unsigned i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        h->tail = tails[i];
        assert_int_equal(ion_sq_pop(&ksq, &got), -EPROTO);
        assert_int_equal(ion_sq_pending(&ksq), 0);
        assert_int_equal(ksq.head, 0);
    }
    /* It also rewrote the ring size and our head in the header: the kernel's copies rule. */
    h->entries = 1u << 30;
    h->head = 12345;
    h->tail = 3;
    for (int i = 0; i < 3; i++)
        assert_int_equal(ion_sq_pop(&ksq, &got), 0);
    assert_int_equal(ksq.head, 3);
    assert_int_equal(h->head, 3);
    assert_int_equal(ion_sq_pop(&ksq, &got), -EAGAIN);
}

/* A command is copied out whole: rewriting the entry afterwards changes nothing we hold. */
static void entry_copied_before_use(void **state)
{
    (void)state;
    struct ion_sqe e = cmd(7), got;
    assert_int_equal(nexus_sq_push(&usq, &e), 0);
    assert_int_equal(ion_sq_pop(&ksq, &got), 0);
    struct ion_sqe *shared = (struct ion_sqe *)(sq_mem + sizeof(struct ion_ring_header));
    memset(shared, 0xff, sizeof(*shared));
    assert_int_equal(got.tag, 7);
    assert_int_equal(got.op, 0x600);
    assert_int_equal(got.slot, 3);
}

/* A fiber's completion head beyond what was posted, or far behind: refused. */
static void hostile_head(void **state)
{
    (void)state;
    volatile struct ion_ring_header *h = (struct ion_ring_header *)cq_mem;
    assert_int_equal(ion_cq_push(&kcq, 1, 0), 0);
    h->head = 5; /* ahead of our tail (1) */
    assert_int_equal(ion_cq_push(&kcq, 2, 0), -EPROTO);
    h->head = (uint32_t)-100; /* behind by more than the ring */
    assert_int_equal(ion_cq_push(&kcq, 2, 0), -EPROTO);
    h->head = 1;
    assert_int_equal(ion_cq_push(&kcq, 2, 0), 0);
    assert_int_equal(kcq.tail, 2);
}

static void random_scribbles(void **state)
{
    (void)state;
    srand(7);
    struct ion_sqe got;
    for (int i = 0; i < 200000; i++) {
        volatile struct ion_ring_header *h = (struct ion_ring_header *)sq_mem;
        uint32_t before = ksq.head;
        h->tail = (uint32_t)rand() * 2654435761u;
        int rc = ion_sq_pop(&ksq, &got);
        uint32_t n = h->tail - before;
        if (n == 0)
            assert_int_equal(rc, -EAGAIN);
        else if (n > N)
            assert_int_equal(rc, -EPROTO);
        else
            assert_int_equal(rc, 0);
        assert_true(ksq.head - before <= 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(init_refuses_bad_sizes, setup),
        cmocka_unit_test_setup(wrap_around, setup),
        cmocka_unit_test_setup(full_and_empty, setup),
        cmocka_unit_test_setup(hostile_tail, setup),
        cmocka_unit_test_setup(entry_copied_before_use, setup),
        cmocka_unit_test_setup(hostile_head, setup),
        cmocka_unit_test_setup(random_scribbles, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
