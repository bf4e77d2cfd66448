/* cmocka tests for the PCI address allocator (kernel/pci/pci_alloc.c): natural alignment, no
 * overlap, bridge windows covering their children, 64-bit fallback, devices that do not fit,
 * malformed input, and a randomized property check over many generated trees. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pci_alloc.h"

/* QEMU virt's windows (bus addresses), I/O starting at 0x1000. */
static const struct pci_alloc_window qemu_win[PCI_WIN_COUNT] = {
    [PCI_WIN_IO] = {0x1000, 0xf000},
    [PCI_WIN_MEM32] = {0x40000000, 0x40000000},
    [PCI_WIN_MEM64] = {0x400000000ull, 0x400000000ull},
};

static struct pci_alloc_res mk(uint64_t size, uint8_t kind, bool pref, int parent)
{
    return (struct pci_alloc_res){
        .size = size, .kind = kind, .prefetchable = pref, .parent = parent};
}

static struct pci_alloc_bridge mkbr(int parent)
{
    return (struct pci_alloc_bridge){
        .parent = parent, .has_io = true, .has_pref = true, .pref64 = true};
}

static bool inside(uint64_t a, uint64_t size, uint64_t base, uint64_t wsize)
{
    return a >= base && size <= wsize && a - base <= wsize - size;
}

static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

static bool in_host(const struct pci_alloc_window *w, bool io, uint64_t a, uint64_t size)
{
    if (io)
        return inside(a, size, w[PCI_WIN_IO].base, w[PCI_WIN_IO].size);
    return inside(a, size, w[PCI_WIN_MEM32].base, w[PCI_WIN_MEM32].size) ||
           inside(a, size, w[PCI_WIN_MEM64].base, w[PCI_WIN_MEM64].size);
}

/* Every invariant the allocator promises, for any input. */
static void check_invariants(const struct pci_alloc_window *w, const struct pci_alloc_bridge *br,
                             unsigned n_br, const struct pci_alloc_res *res, unsigned n_res)
{
    for (unsigned i = 0; i < n_res; i++) {
        const struct pci_alloc_res *r = &res[i];
        if (!r->placed)
            continue;
        bool io = r->kind == PCI_WIN_IO;
        assert_int_equal(r->addr % r->size, 0);
        assert_true(in_host(w, io, r->addr, r->size));
        if (r->kind == PCI_WIN_MEM32 || (r->parent >= 0 && !r->prefetchable && !io))
            assert_true(r->addr + r->size <= 0x100000000ull);
        if (r->parent >= 0) {
            const struct pci_alloc_bridge *b = &br[r->parent];
            bool found = false;
            for (unsigned bw = 0; bw < PCI_BWIN_COUNT; bw++)
                if (b->placed[bw] && (bw == PCI_BWIN_IO) == io &&
                    inside(r->addr, r->size, b->base[bw], b->size[bw]))
                    found = true;
            assert_true(found);
        }
        for (unsigned j = i + 1; j < n_res; j++) {
            const struct pci_alloc_res *q = &res[j];
            if (q->placed && (q->kind == PCI_WIN_IO) == io)
                assert_false(overlap(r->addr, r->size, q->addr, q->size));
        }
    }
    for (unsigned i = 0; i < n_br; i++) {
        for (unsigned bw = 0; bw < PCI_BWIN_COUNT; bw++) {
            if (!br[i].placed[bw])
                continue;
            bool io = bw == PCI_BWIN_IO;
            uint64_t gran = io ? PCI_BRIDGE_IO_GRAN : PCI_BRIDGE_MEM_GRAN;
            assert_int_equal(br[i].base[bw] % gran, 0);
            assert_int_equal(br[i].size[bw] % gran, 0);
            assert_true(in_host(w, io, br[i].base[bw], br[i].size[bw]));
            if (bw == PCI_BWIN_MEM)
                assert_true(br[i].base[bw] + br[i].size[bw] <= 0x100000000ull);
            /* Windows of one bridge never overlap each other or another bridge's, unless
             * one contains the other (parent and descendant). */
            for (unsigned j = 0; j < n_br; j++)
                for (unsigned bw2 = 0; bw2 < PCI_BWIN_COUNT; bw2++) {
                    if ((i == j && bw == bw2) || !br[j].placed[bw2] || (bw2 == PCI_BWIN_IO) != io)
                        continue;
                    uint64_t a = br[i].base[bw], as = br[i].size[bw];
                    uint64_t b = br[j].base[bw2], bs = br[j].size[bw2];
                    if (overlap(a, as, b, bs))
                        assert_true(i != j && (inside(a, as, b, bs) || inside(b, bs, a, as)));
                }
            /* A root-bus BAR never lands inside a bridge window. */
            for (unsigned r = 0; r < n_res; r++)
                if (res[r].placed && res[r].parent < 0 && (res[r].kind == PCI_WIN_IO) == io)
                    assert_false(overlap(res[r].addr, res[r].size, br[i].base[bw], br[i].size[bw]));
        }
    }
}

static void test_root_bus_places_everything(void **state)
{
    (void)state;
    struct pci_alloc_res res[] = {
        mk(0x80, PCI_WIN_IO, false, -1),     mk(0x1000, PCI_WIN_MEM32, false, -1),
        mk(0x20, PCI_WIN_IO, false, -1),     mk(0x1000, PCI_WIN_MEM32, false, -1),
        mk(0x4000, PCI_WIN_MEM64, true, -1), mk(0x4000, PCI_WIN_MEM64, true, -1),
    };
    assert_int_equal(pci_alloc_run(qemu_win, NULL, 0, res, 6), 0);
    for (unsigned i = 0; i < 6; i++)
        assert_true(res[i].placed);
    /* I/O never at bus address 0; the two I/O BARs are distinct (the seed's bug). */
    assert_true(res[0].addr >= 0x1000 && res[2].addr >= 0x1000);
    assert_int_not_equal(res[0].addr, res[2].addr);
    /* 64-bit BARs go to the 64-bit window when there is one. */
    assert_true(res[4].addr >= 0x400000000ull && res[5].addr >= 0x400000000ull);
    assert_true(res[1].addr < 0x80000000ull);
    check_invariants(qemu_win, NULL, 0, res, 6);
}

static void test_mem64_falls_back_to_mem32(void **state)
{
    (void)state;
    struct pci_alloc_window w[PCI_WIN_COUNT] = {qemu_win[0], qemu_win[1], {0, 0}};
    struct pci_alloc_res res[] = {mk(0x4000, PCI_WIN_MEM64, true, -1),
                                  mk(0x1000, PCI_WIN_MEM32, false, -1)};
    assert_int_equal(pci_alloc_run(w, NULL, 0, res, 2), 0);
    assert_true(res[0].placed);
    assert_true(inside(res[0].addr, 0x4000, 0x40000000, 0x40000000));
    check_invariants(w, NULL, 0, res, 2);

    /* A 64-bit window too small for it: the 32-bit window takes it. */
    struct pci_alloc_window w2[PCI_WIN_COUNT] = {
        qemu_win[0], qemu_win[1], {0x400000000ull, 0x1000}};
    struct pci_alloc_res res2[] = {mk(0x4000, PCI_WIN_MEM64, true, -1),
                                   mk(0x1000, PCI_WIN_MEM64, true, -1)};
    assert_int_equal(pci_alloc_run(w2, NULL, 0, res2, 2), 0);
    assert_true(inside(res2[0].addr, 0x4000, 0x40000000, 0x40000000));
    assert_int_equal(res2[1].addr, 0x400000000ull);
    check_invariants(w2, NULL, 0, res2, 2);
}

static void test_too_big_is_left_out_rest_continue(void **state)
{
    (void)state;
    struct pci_alloc_res res[] = {
        mk(0x80000000ull, PCI_WIN_MEM32, false, -1), /* 2 GiB in a 1 GiB window */
        mk(0x1000, PCI_WIN_MEM32, false, -1),
        mk(0x20000, PCI_WIN_IO, false, -1), /* larger than all I/O space */
        mk(0x40, PCI_WIN_IO, false, -1),
    };
    assert_int_equal(pci_alloc_run(qemu_win, NULL, 0, res, 4), 2);
    assert_false(res[0].placed);
    assert_true(res[1].placed);
    assert_false(res[2].placed);
    assert_true(res[3].placed);
    check_invariants(qemu_win, NULL, 0, res, 4);
}

static void test_window_exactly_full(void **state)
{
    (void)state;
    struct pci_alloc_window w[PCI_WIN_COUNT] = {{0x1000, 0x100}, {0x40000000, 0x3000}, {0, 0}};
    struct pci_alloc_res res[] = {
        mk(0x1000, PCI_WIN_MEM32, false, -1), mk(0x2000, PCI_WIN_MEM32, false, -1),
        mk(0x1000, PCI_WIN_MEM32, false, -1), mk(0x80, PCI_WIN_IO, false, -1),
        mk(0x80, PCI_WIN_IO, false, -1),      mk(0x80, PCI_WIN_IO, false, -1),
    };
    /* 0x2000 at 0x40000000, then one 0x1000; the second 0x1000 has no room left. */
    assert_int_equal(pci_alloc_run(w, NULL, 0, res, 6), 2);
    assert_int_equal(res[1].addr, 0x40000000);
    assert_true(res[0].placed);
    assert_false(res[2].placed);
    assert_false(res[5].placed);
    check_invariants(w, NULL, 0, res, 6);
}

static void test_bridge_windows_cover_children(void **state)
{
    (void)state;
    struct pci_alloc_bridge br[] = {mkbr(-1)};
    struct pci_alloc_res res[] = {
        mk(0x80, PCI_WIN_IO, false, 0),       mk(0x1000, PCI_WIN_MEM32, false, 0),
        mk(0x4000, PCI_WIN_MEM64, true, 0),   mk(0x80, PCI_WIN_IO, false, -1),
        mk(0x1000, PCI_WIN_MEM32, false, -1), mk(0x4000, PCI_WIN_MEM64, true, -1),
    };
    assert_int_equal(pci_alloc_run(qemu_win, br, 1, res, 6), 0);
    assert_true(br[0].placed[PCI_BWIN_IO] && br[0].placed[PCI_BWIN_MEM] &&
                br[0].placed[PCI_BWIN_PREF]);
    assert_int_equal(br[0].size[PCI_BWIN_IO], PCI_BRIDGE_IO_GRAN);
    assert_int_equal(br[0].size[PCI_BWIN_MEM], PCI_BRIDGE_MEM_GRAN);
    assert_int_equal(br[0].size[PCI_BWIN_PREF], PCI_BRIDGE_MEM_GRAN);
    assert_true(inside(res[0].addr, 0x80, br[0].base[PCI_BWIN_IO], 0x1000));
    assert_true(inside(res[1].addr, 0x1000, br[0].base[PCI_BWIN_MEM], 0x100000));
    assert_true(inside(res[2].addr, 0x4000, br[0].base[PCI_BWIN_PREF], 0x100000));
    assert_true(br[0].base[PCI_BWIN_PREF] >= 0x400000000ull); /* pref64: the 64-bit window */
    check_invariants(qemu_win, br, 1, res, 6);
}

static void test_nested_bridges(void **state)
{
    (void)state;
    struct pci_alloc_bridge br[] = {mkbr(-1), mkbr(0), mkbr(1), mkbr(-1)};
    struct pci_alloc_res res[] = {
        mk(0x80, PCI_WIN_IO, false, 2),     mk(0x200000, PCI_WIN_MEM32, false, 2),
        mk(0x4000, PCI_WIN_MEM64, true, 1), mk(0x1000, PCI_WIN_MEM32, false, 0),
        mk(0x100, PCI_WIN_IO, false, 3),    mk(0x1000, PCI_WIN_MEM32, false, -1),
    };
    assert_int_equal(pci_alloc_run(qemu_win, br, 4, res, 6), 0);
    /* Inner windows sit inside outer ones. */
    for (unsigned w = 0; w < PCI_BWIN_COUNT; w++) {
        if (!br[2].placed[w])
            continue;
        assert_true(br[1].placed[w] && br[0].placed[w]);
        assert_true(inside(br[2].base[w], br[2].size[w], br[1].base[w], br[1].size[w]));
        assert_true(inside(br[1].base[w], br[1].size[w], br[0].base[w], br[0].size[w]));
    }
    assert_int_equal(br[2].size[PCI_BWIN_MEM], 0x200000);
    assert_int_equal(br[0].size[PCI_BWIN_MEM] % PCI_BRIDGE_MEM_GRAN, 0);
    assert_true(br[0].size[PCI_BWIN_MEM] >= 0x300000);
    assert_false(br[3].placed[PCI_BWIN_MEM]); /* nothing behind it needs memory */
    assert_int_equal(br[3].size[PCI_BWIN_MEM], 0);
    check_invariants(qemu_win, br, 4, res, 6);
}

static void test_nonpref_64bit_behind_bridge_stays_below_4g(void **state)
{
    (void)state;
    struct pci_alloc_bridge br[] = {mkbr(-1)};
    struct pci_alloc_res res[] = {mk(0x4000, PCI_WIN_MEM64, false, 0)};
    assert_int_equal(pci_alloc_run(qemu_win, br, 1, res, 1), 0);
    assert_true(inside(res[0].addr, 0x4000, br[0].base[PCI_BWIN_MEM], br[0].size[PCI_BWIN_MEM]));
    assert_true(res[0].addr < 0x100000000ull);
    assert_int_equal(br[0].size[PCI_BWIN_PREF], 0);
    check_invariants(qemu_win, br, 1, res, 1);
}

static void test_bridge_without_io_or_pref(void **state)
{
    (void)state;
    struct pci_alloc_bridge br[] = {{.parent = -1}};
    struct pci_alloc_res res[] = {mk(0x80, PCI_WIN_IO, false, 0),
                                  mk(0x4000, PCI_WIN_MEM64, true, 0)};
    assert_int_equal(pci_alloc_run(qemu_win, br, 1, res, 2), 1);
    assert_false(res[0].placed); /* no I/O window to put it in */
    assert_true(res[1].placed);  /* the 32-bit window takes the prefetchable BAR */
    assert_true(res[1].addr < 0x100000000ull);
    check_invariants(qemu_win, br, 1, res, 2);
}

static void test_bridge_window_too_big_fails_its_children_only(void **state)
{
    (void)state;
    struct pci_alloc_window w[PCI_WIN_COUNT] = {qemu_win[0], {0x40000000, 0x200000}, {0, 0}};
    struct pci_alloc_bridge br[] = {mkbr(-1)};
    struct pci_alloc_res res[] = {
        mk(0x200000, PCI_WIN_MEM32, false, 0),
        mk(0x1000, PCI_WIN_MEM32, false, 0),
        mk(0x1000, PCI_WIN_MEM32, false, -1),
        mk(0x80, PCI_WIN_IO, false, 0),
    };
    /* The bridge needs 3 MiB of memory; only 2 MiB exist. Its I/O child still fits. */
    assert_int_equal(pci_alloc_run(w, br, 1, res, 4), 2);
    assert_false(br[0].placed[PCI_BWIN_MEM]);
    assert_false(res[0].placed);
    assert_false(res[1].placed);
    assert_true(res[2].placed);
    assert_true(res[3].placed);
    check_invariants(w, br, 1, res, 4);
}

static void test_malformed_input(void **state)
{
    (void)state;
    struct pci_alloc_bridge br[] = {mkbr(1), mkbr(-1)}; /* parent after child */
    struct pci_alloc_res res[] = {mk(0x1000, PCI_WIN_MEM32, false, 5)};
    assert_int_equal(pci_alloc_run(qemu_win, br, 2, NULL, 0), -EINVAL);
    assert_int_equal(pci_alloc_run(qemu_win, NULL, 0, res, 1), -EINVAL);
    assert_int_equal(pci_alloc_run(qemu_win, NULL, 0, res, PCI_ALLOC_MAX_RES + 1), -EINVAL);

    /* Sizes that are not a power of two are never placed. */
    struct pci_alloc_res odd[] = {mk(0x1800, PCI_WIN_MEM32, false, -1),
                                  mk(0, PCI_WIN_MEM32, false, -1),
                                  mk(0x1000, PCI_WIN_MEM32, false, -1)};
    assert_int_equal(pci_alloc_run(qemu_win, NULL, 0, odd, 3), 2);
    assert_true(odd[2].placed);
}

/* Deterministic xorshift so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_random_trees_keep_invariants(void **state)
{
    (void)state;
    static struct pci_alloc_res res[PCI_ALLOC_MAX_RES];
    static struct pci_alloc_bridge br[PCI_ALLOC_MAX_BRIDGES];
    for (unsigned round = 0; round < 400; round++) {
        unsigned n_br = (unsigned)(rnd() % 8), n_res = 1 + (unsigned)(rnd() % 60);
        for (unsigned i = 0; i < n_br; i++) {
            br[i] = mkbr(i == 0 ? -1 : (int)(rnd() % (i + 1)) - 1);
            br[i].has_io = rnd() % 4 != 0;
            br[i].has_pref = rnd() % 4 != 0;
            br[i].pref64 = br[i].has_pref && rnd() % 2;
        }
        for (unsigned i = 0; i < n_res; i++) {
            uint8_t kind = (uint8_t)(rnd() % 3);
            unsigned shift = kind == PCI_WIN_IO ? 2 + rnd() % 7 : 4 + rnd() % (round % 2 ? 26 : 14);
            res[i] = mk(1ull << shift, kind, rnd() % 2, (int)(rnd() % (n_br + 1)) - 1);
        }
        struct pci_alloc_window w[PCI_WIN_COUNT];
        memcpy(w, qemu_win, sizeof(w));
        if (round % 3 == 0)
            w[PCI_WIN_MEM64].size = 0;
        if (round % 5 == 0)
            w[PCI_WIN_MEM32].size = 0x1000000; /* 16 MiB: forces failures */
        int left = pci_alloc_run(w, br, n_br, res, n_res);
        assert_true(left >= 0);
        int counted = 0;
        for (unsigned i = 0; i < n_res; i++)
            counted += !res[i].placed;
        assert_int_equal(left, counted);
        check_invariants(w, br, n_br, res, n_res);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_bus_places_everything),
        cmocka_unit_test(test_mem64_falls_back_to_mem32),
        cmocka_unit_test(test_too_big_is_left_out_rest_continue),
        cmocka_unit_test(test_window_exactly_full),
        cmocka_unit_test(test_bridge_windows_cover_children),
        cmocka_unit_test(test_nested_bridges),
        cmocka_unit_test(test_nonpref_64bit_behind_bridge_stays_below_4g),
        cmocka_unit_test(test_bridge_without_io_or_pref),
        cmocka_unit_test(test_bridge_window_too_big_fails_its_children_only),
        cmocka_unit_test(test_malformed_input),
        cmocka_unit_test(test_random_trees_keep_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
