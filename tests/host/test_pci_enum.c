/* cmocka tests for PCI enumeration (kernel/pci/pci_enum.c) against a simulated config space:
 * endpoints with I/O, 32-bit and 64-bit BARs, multi-function devices, PCI-to-PCI bridges that
 * route config cycles by their bus-number registers, QEMU virt's ranges and interrupt-map.
 * Checks what a real bus would see: BAR registers, bridge windows, command bits, INTx. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sim.h>

#include "pci_enum.h"

/* ---- the simulated bus ---------------------------------------------------------------- */

enum { BT_NONE, BT_IO, BT_MEM32, BT_MEM64, BT_MEM64_HI };

struct fdev {
    int parent; /* bridge (index in devs) whose secondary bus it sits on, -1 = root bus */
    unsigned dev, fn;
    uint8_t cfg[256];
    uint8_t wmask[256]; /* writable bits per byte */
    bool bridge;
    unsigned sized_while_decoding;
};

#define MAX_FDEV 32
static struct fdev devs[MAX_FDEV];
static unsigned n_devs;

static uint32_t get(const struct fdev *d, unsigned off, unsigned width)
{
    uint32_t v = 0;
    for (unsigned k = 0; k < width; k++)
        v |= (uint32_t)d->cfg[off + k] << (8 * k);
    return v;
}

static void set_ro(struct fdev *d, unsigned off, unsigned width, uint32_t v)
{
    for (unsigned k = 0; k < width; k++)
        d->cfg[off + k] = (uint8_t)(v >> (8 * k));
}

static void set_wmask(struct fdev *d, unsigned off, unsigned width, uint32_t m)
{
    for (unsigned k = 0; k < width; k++)
        d->wmask[off + k] = (uint8_t)(m >> (8 * k));
}

/* The bus a function answers on, -1 when no chain of bridges routes config cycles to it. */
static int bus_of(int i)
{
    int p = devs[i].parent;
    if (p < 0)
        return 0;
    if (bus_of(p) < 0)
        return -1;
    unsigned bus = devs[p].cfg[0x19];
    if (bus == 0)
        return -1;
    for (int a = p; a >= 0; a = devs[a].parent)
        if (bus < devs[a].cfg[0x19] || bus > devs[a].cfg[0x1a])
            return -1;
    return (int)bus;
}

static struct fdev *find(unsigned bdf)
{
    for (unsigned i = 0; i < n_devs; i++)
        if (devs[i].dev == ((bdf >> 3) & 31) && devs[i].fn == (bdf & 7) &&
            bus_of((int)i) == (int)(bdf >> 8))
            return &devs[i];
    return NULL;
}

static uint32_t sim_read(void *ctx, unsigned bdf, unsigned off, unsigned width)
{
    (void)ctx;
    assert_true(width == 1 || width == 2 || width == 4);
    assert_int_equal(off % width, 0);
    struct fdev *d = find(bdf);
    if (d == NULL || off >= 256)
        return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
    return get(d, off, width);
}

static void sim_write(void *ctx, unsigned bdf, unsigned off, unsigned width, uint32_t v)
{
    (void)ctx;
    assert_int_equal(off % width, 0);
    struct fdev *d = find(bdf);
    if (d == NULL || off >= 256)
        return;
    unsigned nbars = d->bridge ? 2 : 6;
    if (width == 4 && v == 0xffffffffu && off >= 0x10 && off < 0x10 + 4 * nbars &&
        (get(d, 0x04, 2) & 3) != 0)
        d->sized_while_decoding++;
    for (unsigned k = 0; k < width; k++) {
        uint8_t b = (uint8_t)(v >> (8 * k));
        d->cfg[off + k] =
            (uint8_t)((d->cfg[off + k] & ~d->wmask[off + k]) | (b & d->wmask[off + k]));
    }
}

static const struct pci_cfg_ops sim_ops = {sim_read, sim_write, NULL};

static int add_fn(int parent, unsigned dev, unsigned fn, uint16_t vendor, uint16_t device,
                  uint32_t class_code, uint8_t pin)
{
    assert_true(n_devs < MAX_FDEV);
    int i = (int)n_devs++;
    struct fdev *d = &devs[i];
    memset(d, 0, sizeof(*d));
    d->parent = parent;
    d->dev = dev;
    d->fn = fn;
    set_ro(d, 0x00, 2, vendor);
    set_ro(d, 0x02, 2, device);
    set_ro(d, 0x08, 4, class_code << 8 | 0x01);
    set_ro(d, 0x2c, 2, 0x1af4);
    set_ro(d, 0x2e, 2, 0x0002);
    set_ro(d, 0x3d, 1, pin);
    set_ro(d, 0x04, 2, 0x0400); /* INTx disabled at reset: enumeration must clear it */
    set_wmask(d, 0x04, 2, 0x0407);
    set_wmask(d, 0x3c, 1, 0xff);
    return i;
}

/* BAR i: type BT_*, size a power of two. A 64-bit BAR also takes i + 1. */
static void add_bar(int i, unsigned bar, int type, uint64_t size, bool pref, bool io16)
{
    struct fdev *d = &devs[i];
    unsigned off = 0x10 + 4 * bar;
    uint64_t mask = ~(size - 1);
    if (type == BT_IO) {
        set_ro(d, off, 4, 0x1);
        set_wmask(d, off, 4, (uint32_t)mask & ~3u & (io16 ? 0xffffu : 0xffffffffu));
    } else {
        uint32_t flags = (type == BT_MEM64 ? 0x4 : 0) | (pref ? 0x8 : 0);
        set_ro(d, off, 4, flags);
        set_wmask(d, off, 4, (uint32_t)mask & ~0xfu);
        if (type == BT_MEM64)
            set_wmask(d, off + 4, 4, (uint32_t)(mask >> 32));
    }
}

static int add_bridge(int parent, unsigned dev, bool io, bool pref, uint8_t pin)
{
    int i = add_fn(parent, dev, 0, 0x1b36, 0x000c, 0x060400, pin);
    struct fdev *d = &devs[i];
    d->bridge = true;
    set_ro(d, 0x0e, 1, 0x01);
    set_wmask(d, 0x18, 4, 0xffffffffu);
    if (io) {
        set_ro(d, 0x1c, 2, 0x0101); /* 32-bit I/O addressing */
        set_wmask(d, 0x1c, 2, 0xf0f0);
        set_wmask(d, 0x30, 4, 0xffffffffu);
    }
    set_wmask(d, 0x20, 4, 0xfff0fff0u);
    if (pref) {
        set_ro(d, 0x24, 4, 0x00010001); /* 64-bit prefetchable */
        set_wmask(d, 0x24, 4, 0xfff0fff0u);
        set_wmask(d, 0x28, 4, 0xffffffffu);
        set_wmask(d, 0x2c, 4, 0xffffffffu);
    }
    return i;
}

/* ---- QEMU virt's host bridge ------------------------------------------------------------ */

static struct platform plat;
static struct pci_host host;
static struct pci_topology topo;

static void qemu_platform(void)
{
    memset(&plat, 0, sizeof(plat));
    plat.has_pci = true;
    plat.bus_start = 0;
    plat.bus_end = 255;
    plat.ranges[0] = (struct platform_pci_range){PCI_RANGE_IO, false, 0, 0x3000000, 0x10000};
    plat.ranges[1] =
        (struct platform_pci_range){PCI_RANGE_MEM32, false, 0x40000000, 0x40000000, 0x40000000};
    plat.ranges[2] = (struct platform_pci_range){PCI_RANGE_MEM64, false, 0x400000000ull,
                                                 0x400000000ull, 0x400000000ull};
    plat.n_ranges = 3;
    for (unsigned slot = 0; slot < 4; slot++)
        for (unsigned pin = 1; pin <= 4; pin++)
            plat.intmap[plat.n_intmap++] =
                (struct platform_pci_intmap){slot << 11, pin, 0x20 + (slot + pin - 1) % 4};
    plat.intmap_mask_hi = 0x1800;
    plat.intmap_mask_pin = 7;
    pci_host_from_platform(&plat, &sim_ops, &host);
}

static int setup(void **state)
{
    (void)state;
    n_devs = 0;
    qemu_platform();
    os_host_log_clear();
    return 0;
}

/* ---- checks ---------------------------------------------------------------------------- */

static const struct pci_func *func(unsigned bus, unsigned dev, unsigned fn)
{
    for (unsigned i = 0; i < topo.n_funcs; i++)
        if (topo.funcs[i].bus == bus && topo.funcs[i].dev == dev && topo.funcs[i].fn == fn)
            return &topo.funcs[i];
    return NULL;
}

static struct fdev *fdev_of(const struct pci_func *f)
{
    struct fdev *d = find((unsigned)f->bus << 8 | f->dev << 3 | f->fn);
    assert_non_null(d);
    return d;
}

struct window {
    uint64_t base, limit; /* limit < base: closed */
};

static void bridge_windows(const struct fdev *d, struct window w[3])
{
    w[0].base = (uint64_t)(get(d, 0x1c, 1) & 0xf0) << 8 | (uint64_t)get(d, 0x30, 2) << 16;
    w[0].limit = ((uint64_t)(get(d, 0x1d, 1) & 0xf0) << 8 | 0xfff) | (uint64_t)get(d, 0x32, 2)
                                                                         << 16;
    w[1].base = (uint64_t)(get(d, 0x20, 2) & 0xfff0) << 16;
    w[1].limit = (uint64_t)(get(d, 0x22, 2) & 0xfff0) << 16 | 0xfffff;
    w[2].base = (uint64_t)(get(d, 0x24, 2) & 0xfff0) << 16 | (uint64_t)get(d, 0x28, 4) << 32;
    w[2].limit = ((uint64_t)(get(d, 0x26, 2) & 0xfff0) << 16 | 0xfffff) | (uint64_t)get(d, 0x2c, 4)
                                                                              << 32;
}

static bool in_window(const struct window *w, uint64_t a, uint64_t size)
{
    return w->limit >= w->base && a >= w->base && a + size - 1 <= w->limit;
}

/* Every assigned BAR: register holds the address, aligned, inside the host window, CPU address
 * right, inside every ancestor bridge's window, and no two BARs overlap. */
static void check_bars(void)
{
    for (unsigned i = 0; i < topo.n_funcs; i++) {
        const struct pci_func *f = &topo.funcs[i];
        for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
            const struct pci_bar *bar = &f->bar[b];
            if (!bar->assigned)
                continue;
            const struct fdev *d = fdev_of(f);
            bool io = bar->kind == PCI_BAR_IO;
            uint64_t reg = get(d, 0x10 + 4 * b, 4) & (io ? ~3u : ~0xfu);
            if (bar->kind == PCI_BAR_MEM64)
                reg |= (uint64_t)get(d, 0x14 + 4 * b, 4) << 32;
            assert_int_equal(reg, bar->pci_addr);
            assert_int_equal(bar->pci_addr % bar->size, 0);
            if (io) {
                assert_true(bar->pci_addr >= 0x1000 && bar->pci_addr + bar->size <= 0x10000);
                assert_int_equal(bar->cpu_addr, 0x3000000 + bar->pci_addr);
            } else {
                assert_int_equal(bar->cpu_addr, bar->pci_addr); /* identity on QEMU virt */
                assert_true(bar->pci_addr >= 0x40000000);
            }
            for (int a = f->parent; a >= 0; a = topo.funcs[a].parent) {
                struct window w[3];
                bridge_windows(fdev_of(&topo.funcs[a]), w);
                bool ok = io ? in_window(&w[0], bar->pci_addr, bar->size)
                             : in_window(&w[1], bar->pci_addr, bar->size) ||
                                   in_window(&w[2], bar->pci_addr, bar->size);
                assert_true(ok);
            }
            for (unsigned j = 0; j < topo.n_funcs; j++)
                for (unsigned c = 0; c < PCI_NUM_BARS; c++) {
                    const struct pci_bar *o = &topo.funcs[j].bar[c];
                    if ((j == i && c == b) || !o->assigned || (o->kind == PCI_BAR_IO) != io)
                        continue;
                    assert_true(o->pci_addr + o->size <= bar->pci_addr ||
                                bar->pci_addr + bar->size <= o->pci_addr);
                }
        }
    }
    for (unsigned i = 0; i < n_devs; i++)
        assert_int_equal(devs[i].sized_while_decoding, 0);
}

static uint16_t command_of(const struct pci_func *f)
{
    return (uint16_t)get(fdev_of(f), 0x04, 2);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_qemu_crowded_machine(void **state)
{
    (void)state;
    add_fn(-1, 0, 0, 0x1b36, 0x0008, 0x060000, 0); /* host bridge, no BARs */
    int lblk = add_fn(-1, 1, 0, 0x1af4, 0x1001, 0x010000, 1);
    add_bar(lblk, 0, BT_IO, 0x80, false, false);
    add_bar(lblk, 1, BT_MEM32, 0x1000, false, false);
    int lnet = add_fn(-1, 2, 0, 0x1af4, 0x1000, 0x020000, 1);
    add_bar(lnet, 0, BT_IO, 0x20, false, false);
    add_bar(lnet, 1, BT_MEM32, 0x1000, false, false);
    int mblk = add_fn(-1, 3, 0, 0x1af4, 0x1042, 0x010000, 1);
    add_bar(mblk, 1, BT_MEM32, 0x1000, false, false);
    add_bar(mblk, 4, BT_MEM64, 0x4000, true, false);
    int rp = add_bridge(-1, 4, true, true, 1);
    int tblk = add_fn(rp, 0, 0, 0x1af4, 0x1001, 0x010000, 1);
    add_bar(tblk, 0, BT_IO, 0x80, false, false);
    add_bar(tblk, 1, BT_MEM32, 0x1000, false, false);
    add_bar(tblk, 4, BT_MEM64, 0x4000, true, false);
    int outer = add_bridge(-1, 6, true, true, 1);
    int inner = add_bridge(outer, 0, true, true, 1);
    int deep = add_fn(inner, 1, 0, 0x1af4, 0x1000, 0x020000, 2);
    add_bar(deep, 0, BT_IO, 0x20, false, true); /* 16-bit I/O decoder */
    add_bar(deep, 1, BT_MEM32, 0x1000, false, false);

    assert_int_equal(pci_enumerate(&host, &topo), 9);
    assert_int_equal(topo.last_bus, 3);

    /* Depth-first bus numbers. */
    const struct pci_func *frp = func(0, 4, 0), *fo = func(0, 6, 0), *fi = func(2, 0, 0);
    assert_non_null(frp);
    assert_non_null(fo);
    assert_non_null(fi);
    assert_int_equal(frp->secondary, 1);
    assert_int_equal(frp->subordinate, 1);
    assert_int_equal(fo->secondary, 2);
    assert_int_equal(fo->subordinate, 3);
    assert_int_equal(fi->secondary, 3);
    assert_int_equal(get(&devs[inner], 0x18, 1), 2); /* primary */
    assert_non_null(func(1, 0, 0));
    assert_non_null(func(3, 1, 0));

    for (unsigned i = 0; i < topo.n_funcs; i++)
        assert_true(topo.funcs[i].enabled);
    check_bars();
    const struct pci_func *t = func(1, 0, 0);
    assert_int_equal(t->bar[4].kind, PCI_BAR_MEM64);
    assert_true(t->bar[4].prefetchable);
    assert_true(t->bar[4].pci_addr >= 0x400000000ull); /* via the root port's pref window */
    assert_int_equal(t->bar[5].kind, PCI_BAR_NONE);
    assert_int_equal(func(3, 1, 0)->bar[0].size, 0x20);

    /* Command bits: I/O + memory + bus master where used; INTx not disabled. */
    assert_int_equal(command_of(func(0, 1, 0)), 0x0007);
    assert_int_equal(command_of(func(0, 3, 0)), 0x0006);
    assert_int_equal(command_of(frp), 0x0007);
    assert_int_equal(command_of(func(0, 0, 0)) & 0x0407, 0);

    /* Bridge windows as recorded match the registers. */
    struct window w[3];
    bridge_windows(&devs[rp], w);
    assert_int_equal(w[0].base, frp->win_base[0]);
    assert_int_equal(w[0].limit + 1 - w[0].base, frp->win_size[0]);
    assert_int_equal(w[2].base, frp->win_base[2]);

    /* INTx through QEMU's interrupt-map, swizzled at each bridge. */
    assert_int_equal(func(0, 1, 0)->irq, 0x21);
    assert_int_equal(func(0, 2, 0)->irq, 0x22);
    assert_int_equal(func(0, 3, 0)->irq, 0x23);
    assert_int_equal(func(1, 0, 0)->irq, 0x20); /* pin A, dev 0 behind slot 4 */
    /* 03:01.0 pin B -> C at 02:00.0 -> C at 00:06.0 -> (6 + 3 - 1) % 4 = 0 */
    assert_int_equal(func(3, 1, 0)->irq, 0x20);
    assert_int_equal(get(&devs[lblk], 0x3c, 1), 0x21);
    assert_int_equal(func(0, 0, 0)->irq, 0);
}

static void test_seed_pair_io_distinct(void **state)
{
    (void)state;
    int blk = add_fn(-1, 1, 0, 0x1af4, 0x1001, 0x010000, 1);
    add_bar(blk, 0, BT_IO, 0x80, false, false);
    add_bar(blk, 1, BT_MEM32, 0x1000, false, false);
    int net = add_fn(-1, 2, 0, 0x1af4, 0x1000, 0x020000, 1);
    add_bar(net, 0, BT_IO, 0x20, false, false);
    add_bar(net, 1, BT_MEM32, 0x1000, false, false);
    assert_int_equal(pci_enumerate(&host, &topo), 2);
    check_bars();
    const struct pci_bar *a = &func(0, 1, 0)->bar[0], *b = &func(0, 2, 0)->bar[0];
    assert_true(a->assigned && b->assigned);
    assert_true(a->pci_addr + a->size <= b->pci_addr || b->pci_addr + b->size <= a->pci_addr);
    assert_true(os_host_log_contains("pci 00:01.0 1af4:1001: BAR0 io at 0x"));
}

static void test_device_that_does_not_fit_is_disabled(void **state)
{
    (void)state;
    int big = add_fn(-1, 1, 0, 0x1234, 0x5678, 0x030000, 1);
    add_bar(big, 0, BT_MEM32, 0x1000, false, false);
    add_bar(big, 1, BT_MEM32, 0x80000000ull, false, false); /* 2 GiB, window is 1 GiB */
    int ok = add_fn(-1, 2, 0, 0x1af4, 0x1001, 0x010000, 1);
    add_bar(ok, 0, BT_IO, 0x80, false, false);
    assert_int_equal(pci_enumerate(&host, &topo), 2);
    const struct pci_func *fb = func(0, 1, 0), *fo = func(0, 2, 0);
    assert_false(fb->enabled);
    assert_false(fb->bar[0].assigned);
    assert_int_equal(command_of(fb) & 0x7, 0);
    assert_true(os_host_log_contains("pci 00:01.0 1234:5678: BAR1 (mem32, size 0x80000000) "
                                     "does not fit; device left disabled"));
    assert_true(fo->enabled);
    assert_int_equal(command_of(fo) & 0x7, 0x5);
    check_bars();
}

static void test_multifunction(void **state)
{
    (void)state;
    int f0 = add_fn(-1, 5, 0, 0x1af4, 0x1001, 0x010000, 1);
    set_ro(&devs[f0], 0x0e, 1, 0x80);
    add_bar(f0, 0, BT_IO, 0x40, false, false);
    int f3 = add_fn(-1, 5, 3, 0x1af4, 0x1000, 0x020000, 2);
    add_bar(f3, 0, BT_IO, 0x40, false, false);
    /* Single-function device: function 1 must not be probed (it may alias function 0). */
    add_fn(-1, 6, 0, 0x1af4, 0x1005, 0x00ff00, 1);
    add_fn(-1, 6, 1, 0x1af4, 0x1009, 0x00ff00, 1);
    assert_int_equal(pci_enumerate(&host, &topo), 3);
    assert_non_null(func(0, 5, 0));
    assert_non_null(func(0, 5, 3));
    assert_null(func(0, 6, 1));
    /* Pin B on slot 5 (5 % 4 = 1): (1 + 2 - 1) % 4 = 2. */
    assert_int_equal(func(0, 5, 3)->irq, 0x22);
    check_bars();
}

static void test_bridge_without_io_window(void **state)
{
    (void)state;
    int br = add_bridge(-1, 1, false, false, 1);
    int io = add_fn(br, 0, 0, 0x1af4, 0x1001, 0x010000, 1);
    add_bar(io, 0, BT_IO, 0x80, false, false);
    int mem = add_fn(br, 1, 0, 0x1af4, 0x1042, 0x010000, 1);
    add_bar(mem, 4, BT_MEM64, 0x4000, true, false);
    assert_int_equal(pci_enumerate(&host, &topo), 3);
    assert_false(func(1, 0, 0)->enabled);
    assert_true(func(1, 1, 0)->enabled);
    /* No prefetchable window either: the 64-bit BAR lives in the 32-bit memory window. */
    assert_true(func(1, 1, 0)->bar[4].pci_addr < 0x100000000ull);
    assert_int_equal(func(0, 1, 0)->win_size[0], 0);
    assert_int_equal(command_of(func(0, 1, 0)) & 0x7, 0x6);
    check_bars();
}

static void test_no_functions(void **state)
{
    (void)state;
    assert_int_equal(pci_enumerate(&host, &topo), 0);
    assert_int_equal(topo.n_funcs, 0);
}

/* The capability walk over config space a device wrote: found when the list is sane; absent
 * when a pointer leaves 0x40..0xfc, is unaligned, or the list loops (bounded, never forever). */
static void test_find_cap(void **state)
{
    (void)state;
    int i = add_fn(-1, 1, 0, 0x1af4, 0x1001, 0x010000, 1);
    struct fdev *d = &devs[i];
    unsigned bdf = 1 << 3;

    set_ro(d, 0x06, 2, 0x0010); /* status: capability list */
    set_ro(d, 0x34, 1, 0x40);
    set_ro(d, 0x40, 2, 0x5005); /* MSI, next 0x50 */
    set_ro(d, 0x50, 2, 0x0011); /* MSI-X, end */
    assert_int_equal(pci_enum_find_cap(&sim_ops, bdf, 0x05), 0x40);
    assert_int_equal(pci_enum_find_cap(&sim_ops, bdf, 0x11), 0x50);
    assert_int_equal(pci_enum_find_cap(&sim_ops, bdf, 0x09), 0);

    /* A pointer into the standard header, whose byte there happens to match. */
    set_ro(d, 0x20, 2, 0x0009);
    set_ro(d, 0x51, 1, 0x20);
    assert_int_equal(pci_enum_find_cap(&sim_ops, bdf, 0x09), 0);
    /* Unaligned: 0x42 holds a matching byte but is no capability. */
    set_ro(d, 0x42, 1, 0x09);
    set_ro(d, 0x51, 1, 0x42);
    assert_int_equal(pci_enum_find_cap(&sim_ops, bdf, 0x09), 0);
    /* A loop: the walk ends. */
    set_ro(d, 0x51, 1, 0x40);
    assert_int_equal(pci_enum_find_cap(&sim_ops, bdf, 0x09), 0);
    /* No capability list at all. */
    set_ro(d, 0x51, 1, 0x00);
    set_ro(d, 0x06, 2, 0x0000);
    assert_int_equal(pci_enum_find_cap(&sim_ops, bdf, 0x05), 0);
}

static void test_host_windows_from_platform(void **state)
{
    (void)state;
    /* I/O starts at bus address 0x1000 (CPU 0x3001000); the largest range of a kind wins. */
    assert_int_equal(host.win[PCI_WIN_IO].base, 0x1000);
    assert_int_equal(host.win[PCI_WIN_IO].size, 0xf000);
    assert_int_equal(host.cpu_base[PCI_WIN_IO], 0x3001000);
    assert_int_equal(host.win[PCI_WIN_MEM32].base, 0x40000000);
    assert_int_equal(host.win[PCI_WIN_MEM64].size, 0x400000000ull);
    plat.ranges[3] =
        (struct platform_pci_range){PCI_RANGE_MEM32, true, 0x10000000, 0x10000000, 0x100000};
    plat.n_ranges = 4;
    pci_host_from_platform(&plat, &sim_ops, &host);
    assert_int_equal(host.win[PCI_WIN_MEM32].base, 0x40000000);
    /* An I/O range too small to survive the 0x1000 floor is dropped. */
    plat.ranges[0].size = 0x800;
    pci_host_from_platform(&plat, &sim_ops, &host);
    assert_int_equal(host.win[PCI_WIN_IO].size, 0);
}

static void test_bad_bus_range(void **state)
{
    (void)state;
    host.bus_start = 5;
    host.bus_end = 4;
    assert_int_equal(pci_enumerate(&host, &topo), -EINVAL);
}

int main(void)
{
    os_host_log_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_qemu_crowded_machine, setup),
        cmocka_unit_test_setup(test_seed_pair_io_distinct, setup),
        cmocka_unit_test_setup(test_device_that_does_not_fit_is_disabled, setup),
        cmocka_unit_test_setup(test_multifunction, setup),
        cmocka_unit_test_setup(test_bridge_without_io_window, setup),
        cmocka_unit_test_setup(test_no_functions, setup),
        cmocka_unit_test_setup(test_find_cap, setup),
        cmocka_unit_test_setup(test_host_windows_from_platform, setup),
        cmocka_unit_test_setup(test_bad_bus_range, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
