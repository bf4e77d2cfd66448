/* The entropy pool (kernel/entropy.c): the ChaCha20 block function against RFC 8439's test
 * vector, and the pool's promises: input changes the output, a draw rekeys (the same state never
 * gives the same bytes twice), long draws are whole, and the order of inputs matters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/entropy.h>

/* RFC 8439, 2.3.2: key 00..1f, counter 1, nonce 00:00:00:09:00:00:00:4a:00:00:00:00. */
static const uint8_t rfc_block[64] = {
    0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
    0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e,
    0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
    0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e};

static void test_chacha20_rfc8439(void **state)
{
    (void)state;
    uint32_t key[8];
    for (unsigned i = 0; i < 8; i++) /* bytes 00..1f read as little-endian words */
        key[i] = (uint32_t)(4 * i) | (uint32_t)(4 * i + 1) << 8 | (uint32_t)(4 * i + 2) << 16 |
                 (uint32_t)(4 * i + 3) << 24;
    const uint32_t nonce[3] = {0x09000000u, 0x4a000000u, 0};
    uint8_t out[64];
    chacha20_block(key, 1, nonce, out);
    assert_memory_equal(out, rfc_block, sizeof(out));
}

static void test_draws_never_repeat(void **state)
{
    (void)state;
    struct entropy_pool p;
    uint8_t a[64], b[64];
    entropy_pool_init(&p);
    entropy_pool_read(&p, a, sizeof(a));
    entropy_pool_read(&p, b, sizeof(b));
    assert_memory_not_equal(a, b, sizeof(a));
}

static void test_input_changes_output(void **state)
{
    (void)state;
    struct entropy_pool p, q;
    uint8_t a[32], b[32];
    entropy_pool_init(&p);
    entropy_pool_init(&q);
    entropy_pool_add(&p, "seed-one", 8);
    entropy_pool_add(&q, "seed-two", 8);
    entropy_pool_read(&p, a, sizeof(a));
    entropy_pool_read(&q, b, sizeof(b));
    assert_memory_not_equal(a, b, sizeof(a));

    /* the same inputs in the same order give the same pool (deterministic), another order not */
    struct entropy_pool r, s;
    entropy_pool_init(&r);
    entropy_pool_init(&s);
    entropy_pool_add(&r, "x", 1);
    entropy_pool_add(&r, "y", 1);
    entropy_pool_add(&s, "y", 1);
    entropy_pool_add(&s, "x", 1);
    assert_memory_not_equal(r.key, s.key, sizeof(r.key));
    struct entropy_pool t;
    entropy_pool_init(&t);
    entropy_pool_add(&t, "x", 1);
    entropy_pool_add(&t, "y", 1);
    assert_memory_equal(r.key, t.key, sizeof(r.key));
}

/* A one-bit change anywhere in a long input (past the first 32-byte chunk) reaches the key. */
static void test_long_input_all_absorbed(void **state)
{
    (void)state;
    uint8_t in[200];
    memset(in, 0x5a, sizeof(in));
    struct entropy_pool p, q;
    entropy_pool_init(&p);
    entropy_pool_add(&p, in, sizeof(in));
    in[199] ^= 1;
    entropy_pool_init(&q);
    entropy_pool_add(&q, in, sizeof(in));
    assert_memory_not_equal(p.key, q.key, sizeof(p.key));
    /* an empty add still moves the pool */
    struct entropy_pool e;
    entropy_pool_init(&e);
    entropy_pool_add(&e, NULL, 0);
    struct entropy_pool z;
    entropy_pool_init(&z);
    assert_memory_not_equal(e.key, z.key, sizeof(e.key));
}

/* A long draw: every byte written (none left at the canary), blocks differ from each other,
 * and the key afterwards is none of the bytes handed out. */
static void test_long_draw(void **state)
{
    (void)state;
    uint8_t out[300 + 1];
    struct entropy_pool p;
    entropy_pool_init(&p);
    entropy_pool_add(&p, "k", 1);
    memset(out, 0xee, sizeof(out));
    entropy_pool_read(&p, out, 300);
    assert_int_equal(out[300], 0xee);
    unsigned ee = 0;
    for (unsigned i = 0; i < 300; i++)
        ee += out[i] == 0xee;
    assert_true(ee < 10);
    for (unsigned off = 32; off + 64 <= 300; off += 64)
        assert_memory_not_equal(out, out + off, 32);
    for (unsigned off = 0; off + 32 <= 300; off++)
        assert_memory_not_equal(p.key, out + off, 32);
    /* a zero-length draw still rekeys */
    uint32_t before[8];
    memcpy(before, p.key, sizeof(before));
    entropy_pool_read(&p, out, 0);
    assert_memory_not_equal(before, p.key, sizeof(before));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chacha20_rfc8439),
        cmocka_unit_test(test_draws_never_repeat),
        cmocka_unit_test(test_input_changes_output),
        cmocka_unit_test(test_long_input_all_absorbed),
        cmocka_unit_test(test_long_draw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
