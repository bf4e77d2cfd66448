/* PCI enumeration (see pci_enum.h): depth-first scan with bus numbering, BAR sizing with decode
 * off, placement through pci_alloc, bridge windows, command bits, INTx routing. Reaches config
 * space only through the accessor it is given; never keeps state of its own between calls. */
#include "pci_enum.h"

#include <errno.h>
#include <virtio/os.h>

#define CFG_REVISION       0x08
#define CFG_HEADER_TYPE    0x0e
#define CFG_BAR0           0x10
#define CFG_BUS_NUMBERS    0x18
#define CFG_SUBORDINATE    0x1a
#define CFG_IO_BASE        0x1c
#define CFG_IO_LIMIT       0x1d
#define CFG_MEM_BASE       0x20
#define CFG_MEM_LIMIT      0x22
#define CFG_PREF_BASE      0x24
#define CFG_PREF_LIMIT     0x26
#define CFG_PREF_BASE_HI   0x28
#define CFG_PREF_LIMIT_HI  0x2c
#define CFG_SUBSYS_VENDOR  0x2c
#define CFG_SUBSYS_ID      0x2e
#define CFG_IO_BASE_HI     0x30
#define CFG_IO_LIMIT_HI    0x32
#define CFG_INT_LINE       0x3c
#define CFG_INT_PIN        0x3d
#define CMD_IO             0x0001
#define CMD_MEM            0x0002
#define CMD_MASTER         0x0004
#define CMD_INTX_DISABLE   0x0400
#define MAX_BRIDGE_DEPTH   8
#define CAP_WALK_MAX_STEPS 48

struct scan {
    const struct pci_host *h;
    struct pci_topology *t;
    unsigned next_bus; /* last bus number handed out */
    bool full_logged;
};

static unsigned bdf_of(unsigned bus, unsigned dev, unsigned fn)
{
    return bus << 8 | dev << 3 | fn;
}

static unsigned func_bdf(const struct pci_func *f)
{
    return bdf_of(f->bus, f->dev, f->fn);
}

static uint32_t rd(const struct pci_host *h, unsigned bdf, unsigned off, unsigned width)
{
    return h->cfg->read(h->cfg->ctx, bdf, off, width);
}

static void wr(const struct pci_host *h, unsigned bdf, unsigned off, unsigned width, uint32_t v)
{
    h->cfg->write(h->cfg->ctx, bdf, off, width, v);
}

static uint64_t lowest_bit(uint64_t v)
{
    return v & (~v + 1);
}

/* Sizes BARs 0..nbars-1 (decode is already off): all-ones, read back, restore. */
static void size_bars(const struct pci_host *h, unsigned bdf, struct pci_func *f, unsigned nbars)
{
    for (unsigned i = 0; i < nbars; i++) {
        unsigned off = CFG_BAR0 + 4 * i;
        uint32_t orig = rd(h, bdf, off, 4);
        wr(h, bdf, off, 4, 0xffffffffu);
        uint32_t v = rd(h, bdf, off, 4);
        wr(h, bdf, off, 4, orig);
        struct pci_bar *b = &f->bar[i];
        if (v == 0 || v == 0xffffffffu)
            continue;
        if (v & 1) {
            uint32_t mask = v & ~3u;
            if ((mask & 0xffff0000u) == 0) /* 16-bit decoder: upper half reads back 0 */
                mask |= 0xffff0000u;
            if ((mask & 0xffff) == 0)
                continue;
            b->kind = PCI_BAR_IO;
            b->size = lowest_bit(mask);
            continue;
        }
        uint64_t mask = v & ~0xfu;
        bool is64 = ((v >> 1) & 3) == 2 && i + 1 < nbars;
        if (is64) {
            uint32_t orig_hi = rd(h, bdf, off + 4, 4);
            wr(h, bdf, off + 4, 4, 0xffffffffu);
            mask |= (uint64_t)rd(h, bdf, off + 4, 4) << 32;
            wr(h, bdf, off + 4, 4, orig_hi);
        } else {
            mask |= 0xffffffff00000000ull;
        }
        if ((uint32_t)mask == 0 && !is64)
            continue;
        b->kind = is64 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
        b->prefetchable = (v & 8) != 0;
        b->size = lowest_bit(mask);
        if (b->size == 0)
            b->kind = PCI_BAR_NONE;
        if (is64)
            i++; /* the upper half stays PCI_BAR_NONE */
    }
}

static int bridge_index_of(const struct pci_topology *t, int func)
{
    for (unsigned i = 0; i < t->n_br; i++)
        if (t->br_func[i] == func)
            return (int)i;
    return -1;
}

/* Which windows a bridge implements: the I/O and prefetchable ones are optional. */
static void probe_bridge_windows(const struct pci_host *h, unsigned bdf, struct pci_alloc_bridge *b)
{
    wr(h, bdf, CFG_IO_BASE, 2, 0xf0f0);
    b->has_io = rd(h, bdf, CFG_IO_BASE, 2) != 0;
    wr(h, bdf, CFG_PREF_BASE, 2, 0xfff0);
    uint32_t pref = rd(h, bdf, CFG_PREF_BASE, 2);
    b->has_pref = pref != 0;
    b->pref64 = (pref & 0xf) == 1;
}

static void scan_bus(struct scan *s, unsigned bus, int parent, unsigned depth);

static void scan_bridge(struct scan *s, unsigned bus, int fi, int parent, unsigned depth)
{
    const struct pci_host *h = s->h;
    struct pci_topology *t = s->t;
    struct pci_func *f = &t->funcs[fi];
    unsigned bdf = func_bdf(f);

    if (depth >= MAX_BRIDGE_DEPTH || t->n_br >= PCI_ALLOC_MAX_BRIDGES ||
        s->next_bus >= h->bus_end) {
        os_log("pci %02x:%02x.%x: bridge not scanned (no bus number or too deep)", f->bus, f->dev,
               f->fn);
        wr(h, bdf, CFG_BUS_NUMBERS, 4, rd(h, bdf, CFG_BUS_NUMBERS, 4) & 0xff000000u);
        return;
    }
    unsigned bi = t->n_br++;
    t->br_func[bi] = (uint8_t)fi;
    t->br[bi] = (struct pci_alloc_bridge){.parent = bridge_index_of(t, parent)};
    probe_bridge_windows(h, bdf, &t->br[bi]);

    unsigned sec = ++s->next_bus;
    uint32_t keep = rd(h, bdf, CFG_BUS_NUMBERS, 4) & 0xff000000u; /* secondary latency */
    /* Subordinate = the last bus for now, so config cycles reach everything below. */
    wr(h, bdf, CFG_BUS_NUMBERS, 4, keep | (uint32_t)h->bus_end << 16 | sec << 8 | bus);
    scan_bus(s, sec, fi, depth + 1);
    wr(h, bdf, CFG_SUBORDINATE, 1, s->next_bus);
    f = &t->funcs[fi];
    f->secondary = (uint8_t)sec;
    f->subordinate = (uint8_t)s->next_bus;
}

/* Records one function; returns its index, or -1 when the table is full. */
static int add_function(struct scan *s, unsigned bus, unsigned dev, unsigned fn, uint32_t id,
                        uint8_t hdr, int parent)
{
    const struct pci_host *h = s->h;
    struct pci_topology *t = s->t;
    unsigned bdf = bdf_of(bus, dev, fn);

    if (t->n_funcs >= PCI_MAX_FUNCS) {
        if (!s->full_logged)
            os_log("pci: more than %d functions; the rest are ignored", PCI_MAX_FUNCS);
        s->full_logged = true;
        return -1;
    }
    int fi = (int)t->n_funcs++;
    struct pci_func *f = &t->funcs[fi];
    *f = (struct pci_func){.bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn};
    f->vendor = (uint16_t)id;
    f->device = (uint16_t)(id >> 16);
    f->header_type = hdr & 0x7f;
    uint32_t rc = rd(h, bdf, CFG_REVISION, 4);
    f->revision = (uint8_t)rc;
    f->class_code = rc >> 8;
    f->parent = parent;

    /* Nothing decodes while we size and place. */
    uint32_t cmd = rd(h, bdf, PCI_COMMAND, 2);
    wr(h, bdf, PCI_COMMAND, 2, cmd & ~(uint32_t)(CMD_IO | CMD_MEM | CMD_MASTER));

    if (f->header_type == 0) {
        f->subsys_vendor = (uint16_t)rd(h, bdf, CFG_SUBSYS_VENDOR, 2);
        f->subsys_id = (uint16_t)rd(h, bdf, CFG_SUBSYS_ID, 2);
        size_bars(h, bdf, f, 6);
    } else if (f->header_type == 1) {
        size_bars(h, bdf, f, 2);
    }
    if (f->header_type <= 1) {
        uint32_t pin = rd(h, bdf, CFG_INT_PIN, 1);
        f->pin = pin <= 4 ? (uint8_t)pin : 0;
    }
    return fi;
}

static void scan_bus(struct scan *s, unsigned bus, int parent, unsigned depth)
{
    for (unsigned dev = 0; dev < 32; dev++) {
        unsigned n_fn = 1;
        for (unsigned fn = 0; fn < n_fn; fn++) {
            unsigned bdf = bdf_of(bus, dev, fn);
            uint32_t id = rd(s->h, bdf, PCI_VENDOR_ID, 4);
            uint16_t vendor = (uint16_t)id;
            if (vendor == 0xffff || vendor == 0)
                continue;
            uint8_t hdr = (uint8_t)rd(s->h, bdf, CFG_HEADER_TYPE, 1);
            if (fn == 0 && (hdr & 0x80))
                n_fn = 8;
            int fi = add_function(s, bus, dev, fn, id, hdr, parent);
            if (fi < 0)
                return;
            if ((hdr & 0x7f) == 1)
                scan_bridge(s, bus, fi, parent, depth);
        }
    }
}

static uint8_t bar_win(const struct pci_bar *b)
{
    if (b->kind == PCI_BAR_IO)
        return PCI_WIN_IO;
    return b->kind == PCI_BAR_MEM64 ? PCI_WIN_MEM64 : PCI_WIN_MEM32;
}

static int collect_resources(struct pci_topology *t)
{
    t->n_res = 0;
    for (unsigned fi = 0; fi < t->n_funcs; fi++) {
        const struct pci_func *f = &t->funcs[fi];
        int parent = f->parent < 0 ? -1 : bridge_index_of(t, f->parent);
        for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
            const struct pci_bar *b = &f->bar[i];
            if (b->kind == PCI_BAR_NONE)
                continue;
            if (t->n_res >= PCI_ALLOC_MAX_RES)
                return -ENOSPC;
            unsigned r = t->n_res++;
            t->res[r] = (struct pci_alloc_res){.size = b->size,
                                               .kind = bar_win(b),
                                               .prefetchable = b->prefetchable,
                                               .parent = parent};
            t->res_func[r] = (uint8_t)fi;
            t->res_bar[r] = (uint8_t)i;
        }
    }
    return 0;
}

static uint64_t bus_to_cpu(const struct pci_host *h, bool io, uint64_t addr)
{
    for (unsigned w = 0; w < PCI_WIN_COUNT; w++) {
        const struct pci_alloc_window *win = &h->win[w];
        if ((w == PCI_WIN_IO) != io || win->size == 0)
            continue;
        if (addr >= win->base && addr - win->base < win->size)
            return h->cpu_base[w] + (addr - win->base);
    }
    return 0;
}

static void fmt_bdf(const struct pci_func *f, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    buf[0] = hex[f->bus >> 4];
    buf[1] = hex[f->bus & 15];
    buf[2] = ':';
    buf[3] = hex[f->dev >> 4];
    buf[4] = hex[f->dev & 15];
    buf[5] = '.';
    buf[6] = hex[f->fn & 7];
    buf[7] = 0;
}

/* Writes the placed BARs of f and records them, or logs why f stays disabled. */
static bool program_bars(const struct pci_host *h, struct pci_topology *t, unsigned fi)
{
    struct pci_func *f = &t->funcs[fi];
    unsigned bdf = func_bdf(f);
    char name[8];
    fmt_bdf(f, name);

    for (unsigned r = 0; r < t->n_res; r++) {
        if (t->res_func[r] != fi || t->res[r].placed)
            continue;
        const struct pci_bar *b = &f->bar[t->res_bar[r]];
        os_log("pci %s %04x:%04x: BAR%u (%s, size 0x%llx) does not fit; device left disabled", name,
               f->vendor, f->device, t->res_bar[r], pci_bar_kind_name(b->kind),
               (unsigned long long)b->size);
        return false;
    }
    for (unsigned r = 0; r < t->n_res; r++) {
        if (t->res_func[r] != fi)
            continue;
        unsigned i = t->res_bar[r];
        struct pci_bar *b = &f->bar[i];
        uint64_t a = t->res[r].addr;
        wr(h, bdf, CFG_BAR0 + 4 * i, 4, (uint32_t)a);
        if (b->kind == PCI_BAR_MEM64)
            wr(h, bdf, CFG_BAR0 + 4 * i + 4, 4, (uint32_t)(a >> 32));
        b->pci_addr = a;
        b->cpu_addr = bus_to_cpu(h, b->kind == PCI_BAR_IO, a);
        b->assigned = true;
        os_log("pci %s %04x:%04x: BAR%u %s%s at 0x%llx (bus 0x%llx) size 0x%llx", name, f->vendor,
               f->device, i, pci_bar_kind_name(b->kind), b->prefetchable ? " pref" : "",
               (unsigned long long)b->cpu_addr, (unsigned long long)a, (unsigned long long)b->size);
    }
    return true;
}

static void program_bridge(const struct pci_host *h, struct pci_topology *t, unsigned bi)
{
    const struct pci_alloc_bridge *b = &t->br[bi];
    struct pci_func *f = &t->funcs[t->br_func[bi]];
    unsigned bdf = func_bdf(f);
    bool open[PCI_BWIN_COUNT];
    uint64_t base[PCI_BWIN_COUNT], limit[PCI_BWIN_COUNT];

    for (unsigned w = 0; w < PCI_BWIN_COUNT; w++) {
        open[w] = b->placed[w] && b->size[w] != 0;
        base[w] = open[w] ? b->base[w] : 0;
        limit[w] = open[w] ? b->base[w] + b->size[w] - 1 : 0;
        f->win_base[w] = base[w];
        f->win_size[w] = open[w] ? b->size[w] : 0;
    }
    /* A closed window has base above limit. */
    if (b->has_io) {
        wr(h, bdf, CFG_IO_BASE_HI, 2, (uint32_t)(base[PCI_BWIN_IO] >> 16));
        wr(h, bdf, CFG_IO_LIMIT_HI, 2, (uint32_t)(limit[PCI_BWIN_IO] >> 16));
        wr(h, bdf, CFG_IO_BASE, 1, open[PCI_BWIN_IO] ? (base[PCI_BWIN_IO] >> 8) & 0xf0 : 0xf0);
        wr(h, bdf, CFG_IO_LIMIT, 1, (limit[PCI_BWIN_IO] >> 8) & 0xf0);
    }
    wr(h, bdf, CFG_MEM_BASE, 2, open[PCI_BWIN_MEM] ? (base[PCI_BWIN_MEM] >> 16) & 0xfff0 : 0xfff0);
    wr(h, bdf, CFG_MEM_LIMIT, 2, (limit[PCI_BWIN_MEM] >> 16) & 0xfff0);
    if (b->has_pref) {
        if (b->pref64) {
            wr(h, bdf, CFG_PREF_BASE_HI, 4, (uint32_t)(base[PCI_BWIN_PREF] >> 32));
            wr(h, bdf, CFG_PREF_LIMIT_HI, 4, (uint32_t)(limit[PCI_BWIN_PREF] >> 32));
        }
        wr(h, bdf, CFG_PREF_BASE, 2,
           open[PCI_BWIN_PREF] ? (base[PCI_BWIN_PREF] >> 16) & 0xfff0 : 0xfff0);
        wr(h, bdf, CFG_PREF_LIMIT, 2, (limit[PCI_BWIN_PREF] >> 16) & 0xfff0);
    }
    char name[8];
    fmt_bdf(f, name);
    os_log("pci %s bridge: buses %02x-%02x io 0x%llx+0x%llx mem 0x%llx+0x%llx pref "
           "0x%llx+0x%llx",
           name, f->secondary, f->subordinate, (unsigned long long)f->win_base[0],
           (unsigned long long)f->win_size[0], (unsigned long long)f->win_base[1],
           (unsigned long long)f->win_size[1], (unsigned long long)f->win_base[2],
           (unsigned long long)f->win_size[2]);
}

static unsigned intx_lookup(const struct pci_host *h, unsigned bus, unsigned dev, unsigned fn,
                            unsigned pin)
{
    uint32_t hi = (uint32_t)(bus << 16 | dev << 11 | fn << 8);
    for (unsigned i = 0; i < h->n_intmap; i++) {
        const struct platform_pci_intmap *m = &h->intmap[i];
        if ((hi & h->intmap_mask_hi) == (m->addr_hi & h->intmap_mask_hi) &&
            (pin & h->intmap_mask_pin) == (m->pin & h->intmap_mask_pin))
            return m->irq;
    }
    return 0;
}

/* INTx: swizzle the pin at every bridge on the way up, then look the root-bus slot up in the
 * host bridge's interrupt-map. */
static void route_intx(const struct pci_host *h, struct pci_topology *t, unsigned fi)
{
    struct pci_func *f = &t->funcs[fi];
    if (f->pin == 0)
        return;
    const struct pci_func *cur = f;
    unsigned pin = f->pin;
    while (cur->parent >= 0) {
        pin = (pin - 1 + cur->dev) % 4 + 1;
        cur = &t->funcs[cur->parent];
    }
    f->irq = intx_lookup(h, cur->bus, cur->dev, cur->fn, pin);
    wr(h, func_bdf(f), CFG_INT_LINE, 1, f->irq != 0 && f->irq < 0xff ? f->irq : 0xff);
}

static void enable_function(const struct pci_host *h, struct pci_func *f)
{
    uint32_t set = 0;
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        if (f->bar[i].kind == PCI_BAR_IO)
            set |= CMD_IO | CMD_MASTER;
        else if (f->bar[i].kind != PCI_BAR_NONE)
            set |= CMD_MEM | CMD_MASTER;
    }
    if (f->header_type == 1) {
        set |= CMD_MASTER;
        if (f->win_size[PCI_BWIN_IO])
            set |= CMD_IO;
        if (f->win_size[PCI_BWIN_MEM] || f->win_size[PCI_BWIN_PREF])
            set |= CMD_MEM;
    }
    uint32_t cmd = rd(h, func_bdf(f), PCI_COMMAND, 2);
    cmd &= ~(uint32_t)(CMD_IO | CMD_MEM | CMD_MASTER | CMD_INTX_DISABLE);
    wr(h, func_bdf(f), PCI_COMMAND, 2, cmd | set);
}

void pci_host_from_platform(const struct platform *p, const struct pci_cfg_ops *cfg,
                            struct pci_host *host)
{
    *host = (struct pci_host){.cfg = cfg, .bus_start = p->bus_start, .bus_end = p->bus_end};
    for (unsigned i = 0; i < p->n_ranges && i < PLATFORM_MAX_RANGES; i++) {
        const struct platform_pci_range *r = &p->ranges[i];
        unsigned w = r->kind == PCI_RANGE_IO      ? PCI_WIN_IO
                     : r->kind == PCI_RANGE_MEM32 ? PCI_WIN_MEM32
                                                  : PCI_WIN_MEM64;
        uint64_t base = r->pci_addr, size = r->size, cpu = r->cpu_addr;
        if (w == PCI_WIN_IO && base < 0x1000) {
            /* Bus I/O address 0 is a valid-looking "unassigned" value: start at 0x1000. */
            uint64_t cut = 0x1000 - base;
            if (size <= cut)
                continue;
            base += cut;
            cpu += cut;
            size -= cut;
        }
        if (size > host->win[w].size) {
            host->win[w] = (struct pci_alloc_window){base, size};
            host->cpu_base[w] = cpu;
        }
    }
    host->intmap = p->intmap;
    host->n_intmap = p->n_intmap < PLATFORM_MAX_INTMAP ? p->n_intmap : PLATFORM_MAX_INTMAP;
    host->intmap_mask_hi = p->intmap_mask_hi;
    host->intmap_mask_pin = p->intmap_mask_pin;
}

int pci_enumerate(const struct pci_host *h, struct pci_topology *t)
{
    struct scan s = {.h = h, .t = t, .next_bus = h->bus_start};
    t->n_funcs = 0;
    t->n_br = 0;
    if (h->bus_end < h->bus_start || h->bus_end > 255)
        return -EINVAL;
    scan_bus(&s, h->bus_start, -1, 0);
    t->last_bus = s.next_bus;

    int err = collect_resources(t);
    if (err == 0) {
        int left = pci_alloc_run(h->win, t->br, t->n_br, t->res, t->n_res);
        err = left < 0 ? left : 0;
    }
    if (err) {
        os_log("pci: address assignment failed (%d); every device left disabled", err);
        return err;
    }
    for (unsigned bi = 0; bi < t->n_br; bi++)
        program_bridge(h, t, bi);
    for (unsigned fi = 0; fi < t->n_funcs; fi++) {
        struct pci_func *f = &t->funcs[fi];
        f->enabled = program_bars(h, t, fi);
        route_intx(h, t, fi);
        if (f->enabled)
            enable_function(h, f);
    }
    return (int)t->n_funcs;
}

unsigned pci_enum_find_cap(const struct pci_cfg_ops *cfg, unsigned bdf, uint8_t cap_id)
{
    if (!(cfg->read(cfg->ctx, bdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return 0;
    unsigned ptr = cfg->read(cfg->ctx, bdf, PCI_CAP_PTR, 1);
    for (unsigned step = 0; step < CAP_WALK_MAX_STEPS; step++) {
        if (ptr < 0x40 || ptr > 0xfc || (ptr & 3))
            return 0;
        if (cfg->read(cfg->ctx, bdf, ptr, 1) == cap_id)
            return ptr;
        ptr = cfg->read(cfg->ctx, bdf, ptr + 1, 1);
    }
    return 0;
}

const char *pci_bar_kind_name(enum pci_bar_kind kind)
{
    switch (kind) {
    case PCI_BAR_IO:
        return "io";
    case PCI_BAR_MEM32:
        return "mem32";
    case PCI_BAR_MEM64:
        return "mem64";
    default:
        return "-";
    }
}
