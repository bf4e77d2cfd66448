/* PCI address-space allocator (see pci_alloc.h): sizes bridge windows bottom-up, places the
 * root bus in the host windows, then hands each bridge's children their final addresses.
 * Pure: touches only the arrays it is given; never reads or writes config space. */
#include "pci_alloc.h"

#include <errno.h>
#include <stddef.h>

#define MAX_ITEMS    (PCI_ALLOC_MAX_RES + PCI_BWIN_COUNT * PCI_ALLOC_MAX_BRIDGES)
#define MAX_BAR_SIZE (1ull << 48)

/* Everything the packer handles is an "item": a resource (id < n_res) or one window of a
 * bridge (id - n_res = bridge * PCI_BWIN_COUNT + window). */
struct alloc_ctx {
    const struct pci_alloc_window *host;
    struct pci_alloc_bridge *br;
    unsigned n_br;
    struct pci_alloc_res *res;
    unsigned n_res;
};

static bool is_res(const struct alloc_ctx *c, unsigned id)
{
    return id < c->n_res;
}

static unsigned item_bridge(const struct alloc_ctx *c, unsigned id)
{
    return (id - c->n_res) / PCI_BWIN_COUNT;
}

static unsigned item_bwin(const struct alloc_ctx *c, unsigned id)
{
    return (id - c->n_res) % PCI_BWIN_COUNT;
}

static bool res_valid(const struct pci_alloc_res *r)
{
    return r->size != 0 && (r->size & (r->size - 1)) == 0 && r->size <= MAX_BAR_SIZE &&
           r->kind < PCI_WIN_COUNT;
}

static uint64_t item_size(const struct alloc_ctx *c, unsigned id)
{
    if (is_res(c, id))
        return c->res[id].size;
    return c->br[item_bridge(c, id)].size[item_bwin(c, id)];
}

static uint64_t item_align(const struct alloc_ctx *c, unsigned id)
{
    if (is_res(c, id))
        return c->res[id].size;
    return c->br[item_bridge(c, id)].align_[item_bwin(c, id)];
}

/* The kind of address space an item asks of whatever it sits in. */
static void item_kind(const struct alloc_ctx *c, unsigned id, uint8_t *kind, bool *pref)
{
    if (is_res(c, id)) {
        *kind = c->res[id].kind;
        *pref = c->res[id].prefetchable;
        return;
    }
    const struct pci_alloc_bridge *b = &c->br[item_bridge(c, id)];
    switch (item_bwin(c, id)) {
    case PCI_BWIN_IO:
        *kind = PCI_WIN_IO;
        *pref = false;
        break;
    case PCI_BWIN_MEM:
        *kind = PCI_WIN_MEM32;
        *pref = false;
        break;
    default:
        *kind = b->pref64 ? PCI_WIN_MEM64 : PCI_WIN_MEM32;
        *pref = true;
        break;
    }
}

static int item_parent(const struct alloc_ctx *c, unsigned id)
{
    return is_res(c, id) ? c->res[id].parent : c->br[item_bridge(c, id)].parent;
}

/* Which window of bridge b an item of this kind goes through, -1 when b has none for it.
 * Only prefetchable 64-bit memory uses the prefetchable window; everything else memory goes
 * through the 32-bit window (a 64-bit BAR may live below 4 GiB). */
static int bridge_target(const struct pci_alloc_bridge *b, uint8_t kind, bool pref)
{
    if (kind == PCI_WIN_IO)
        return b->has_io ? PCI_BWIN_IO : -1;
    if (kind == PCI_WIN_MEM64 && pref && b->has_pref)
        return PCI_BWIN_PREF;
    return PCI_BWIN_MEM;
}

static int item_target(const struct alloc_ctx *c, unsigned id)
{
    uint8_t kind;
    bool pref;
    int p = item_parent(c, id);
    item_kind(c, id, &kind, &pref);
    if (p < 0)
        return kind;
    return bridge_target(&c->br[p], kind, pref);
}

/* An item that takes part at all: a valid resource, or an open (non-empty) bridge window. */
static bool item_live(const struct alloc_ctx *c, unsigned id)
{
    if (is_res(c, id))
        return res_valid(&c->res[id]);
    return item_size(c, id) != 0;
}

/* Collects the live items whose parent is `parent` and whose target window is `win` (for the
 * root, `win` is a host window and MEM64 is matched separately by the caller). */
static unsigned collect(const struct alloc_ctx *c, int parent, int win, uint16_t *items)
{
    unsigned n = 0, total = c->n_res + c->n_br * PCI_BWIN_COUNT;
    for (unsigned id = 0; id < total; id++) {
        if (item_parent(c, id) != parent || !item_live(c, id))
            continue;
        if (item_target(c, id) == win)
            items[n++] = (uint16_t)id;
    }
    return n;
}

/* Largest alignment first; equal alignments keep discovery order (stable). */
static void sort_items(const struct alloc_ctx *c, uint16_t *items, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint16_t v = items[i];
        uint64_t a = item_align(c, v);
        unsigned j = i;
        while (j > 0 && item_align(c, items[j - 1]) < a) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = v;
    }
}

static bool align_up(uint64_t v, uint64_t a, uint64_t *out)
{
    uint64_t r = (v + (a - 1)) & ~(a - 1);
    if (r < v)
        return false;
    *out = r;
    return true;
}

static void set_item_offset(struct alloc_ctx *c, unsigned id, uint64_t off)
{
    if (is_res(c, id))
        c->res[id].offset_ = off;
    else
        c->br[item_bridge(c, id)].offset_[item_bwin(c, id)] = off;
}

static uint64_t item_offset(const struct alloc_ctx *c, unsigned id)
{
    if (is_res(c, id))
        return c->res[id].offset_;
    return c->br[item_bridge(c, id)].offset_[item_bwin(c, id)];
}

static void set_item_place(struct alloc_ctx *c, unsigned id, bool placed, uint64_t addr)
{
    if (is_res(c, id)) {
        c->res[id].placed = placed;
        c->res[id].addr = placed ? addr : 0;
    } else {
        struct pci_alloc_bridge *b = &c->br[item_bridge(c, id)];
        b->placed[item_bwin(c, id)] = placed;
        b->base[item_bwin(c, id)] = placed ? addr : 0;
    }
}

/* Sizes window w of bridge bi from its children, packed largest alignment first. */
static void size_bridge_window(struct alloc_ctx *c, unsigned bi, unsigned w, uint16_t *items)
{
    struct pci_alloc_bridge *b = &c->br[bi];
    uint64_t gran = w == PCI_BWIN_IO ? PCI_BRIDGE_IO_GRAN : PCI_BRIDGE_MEM_GRAN;
    uint64_t off = 0, max_align = gran;
    unsigned n = collect(c, (int)bi, (int)w, items);

    b->size[w] = 0;
    b->align_[w] = gran;
    if ((w == PCI_BWIN_IO && !b->has_io) || (w == PCI_BWIN_PREF && !b->has_pref))
        return;
    sort_items(c, items, n);
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = item_align(c, items[i]);
        if (!align_up(off, a, &off) || off + item_size(c, items[i]) < off)
            return; /* cannot happen with sizes <= 2^48 and bounded counts */
        set_item_offset(c, items[i], off);
        off += item_size(c, items[i]);
        if (a > max_align)
            max_align = a;
    }
    if (off != 0 && align_up(off, gran, &off)) {
        b->size[w] = off;
        b->align_[w] = max_align;
    }
}

/* Places items one after another from *cursor inside host window hw; what does not fit is
 * left for the caller (returned in `left`). */
static unsigned place_root(struct alloc_ctx *c, const struct pci_alloc_window *hw, uint64_t *cursor,
                           const uint16_t *items, unsigned n, uint16_t *left)
{
    unsigned n_left = 0;
    uint64_t end = hw->base + hw->size;
    for (unsigned i = 0; i < n; i++) {
        uint64_t a, sz = item_size(c, items[i]);
        if (hw->size != 0 && align_up(*cursor, item_align(c, items[i]), &a) && a + sz >= a &&
            a + sz <= end) {
            set_item_place(c, items[i], true, a);
            *cursor = a + sz;
        } else {
            left[n_left++] = items[i];
        }
    }
    return n_left;
}

static void place_root_bus(struct alloc_ctx *c, uint16_t *items, uint16_t *left)
{
    uint64_t cursor[PCI_WIN_COUNT];
    for (unsigned w = 0; w < PCI_WIN_COUNT; w++)
        cursor[w] = c->host[w].base;

    for (unsigned w = 0; w < PCI_WIN_COUNT; w++) {
        unsigned n = collect(c, -1, (int)w, items), n_left;
        sort_items(c, items, n);
        if (w == PCI_WIN_MEM64) {
            /* No 64-bit window, or full: try the space left in the 32-bit one. */
            n_left = place_root(c, &c->host[w], &cursor[w], items, n, left);
            n_left =
                place_root(c, &c->host[PCI_WIN_MEM32], &cursor[PCI_WIN_MEM32], left, n_left, items);
            for (unsigned i = 0; i < n_left; i++)
                set_item_place(c, items[i], false, 0);
        } else {
            n_left = place_root(c, &c->host[w], &cursor[w], items, n, left);
            for (unsigned i = 0; i < n_left; i++)
                set_item_place(c, left[i], false, 0);
        }
    }
}

/* Top-down: a bridge's window is placed (or not) before its children are visited. */
static void place_children(struct alloc_ctx *c, uint16_t *items)
{
    for (unsigned bi = 0; bi < c->n_br; bi++) {
        struct pci_alloc_bridge *b = &c->br[bi];
        for (unsigned w = 0; w < PCI_BWIN_COUNT; w++) {
            unsigned n = collect(c, (int)bi, (int)w, items);
            bool open = b->placed[w] && b->size[w] != 0;
            for (unsigned i = 0; i < n; i++)
                set_item_place(c, items[i], open, b->base[w] + item_offset(c, items[i]));
        }
    }
}

static int check_input(const struct pci_alloc_bridge *br, unsigned n_br,
                       const struct pci_alloc_res *res, unsigned n_res)
{
    if (n_br > PCI_ALLOC_MAX_BRIDGES || n_res > PCI_ALLOC_MAX_RES)
        return -EINVAL;
    for (unsigned i = 0; i < n_br; i++)
        if (br[i].parent < -1 || br[i].parent >= (int)i)
            return -EINVAL;
    for (unsigned i = 0; i < n_res; i++)
        if (res[i].parent < -1 || res[i].parent >= (int)n_br)
            return -EINVAL;
    return 0;
}

int pci_alloc_run(const struct pci_alloc_window host[PCI_WIN_COUNT], struct pci_alloc_bridge *br,
                  unsigned n_br, struct pci_alloc_res *res, unsigned n_res)
{
    uint16_t items[MAX_ITEMS], left[MAX_ITEMS];
    struct alloc_ctx c = {host, br, n_br, res, n_res};
    int err = check_input(br, n_br, res, n_res);
    if (err)
        return err;

    for (unsigned i = 0; i < n_res; i++) {
        res[i].placed = false;
        res[i].addr = 0;
    }
    for (unsigned bi = 0; bi < n_br; bi++)
        for (unsigned w = 0; w < PCI_BWIN_COUNT; w++) {
            br[bi].placed[w] = false;
            br[bi].base[w] = 0;
        }

    for (unsigned bi = n_br; bi-- > 0;)
        for (unsigned w = 0; w < PCI_BWIN_COUNT; w++)
            size_bridge_window(&c, bi, w, items);
    place_root_bus(&c, items, left);
    place_children(&c, items);

    int unplaced = 0;
    for (unsigned i = 0; i < n_res; i++)
        if (!res[i].placed)
            unplaced++;
    return unplaced;
}
