/* Flattened device tree parser: turns the DTB the firmware hands us into struct platform.
 * Pure and bounds-checked: it reads only inside [dtb, dtb + totalsize), keeps no globals and
 * never trusts an offset, length or cell count from the blob (host tests fuzz it under ASan). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kernel/platform.h>

#define FDT_MAGIC       0xd00dfeedu
#define FDT_HEADER_SIZE 40u
#define FDT_BEGIN_NODE  1u
#define FDT_END_NODE    2u
#define FDT_PROP        3u
#define FDT_NOP         4u
#define FDT_END         9u

#define FDT_MAX_DEPTH    12
#define FDT_MAX_PHANDLES 64
#define FDT_MAX_CELLS    4 /* largest #address-cells / #size-cells we accept */

#define RISCV_IRQ_S_EXT 9u

struct fdt_prop {
    const uint8_t *val;
    uint32_t len;
    bool present;
};

/* The properties this parser looks at, collected per node until its properties end. */
struct fdt_node_props {
    struct fdt_prop reg, interrupts, compatible, device_type, phandle, status;
    struct fdt_prop address_cells, size_cells, interrupt_cells, interrupt_controller;
    struct fdt_prop interrupts_extended, interrupt_map, interrupt_map_mask;
    struct fdt_prop ranges, bus_range, ndev, timebase, bootargs;
};

struct fdt_frame {
    const char *name;
    size_t name_len;
    struct fdt_node_props props;
    bool processed;
    bool is_hart0;            /* a /cpus/cpu node whose reg is 0 */
    uint32_t addr_cells;      /* this node's #address-cells (for its children) */
    uint32_t size_cells;      /* this node's #size-cells (for its children) */
    uint32_t interrupt_cells; /* this node's #interrupt-cells, 0 when absent */
};

struct fdt_phandle {
    uint32_t phandle;
    uint32_t addr_cells;      /* #address-cells, 0 when absent (interrupt-map parent unit) */
    uint32_t interrupt_cells; /* #interrupt-cells, 0 when absent */
};

/* Everything decoded after the walk, when every phandle is known. */
struct fdt_state {
    struct platform *out;
    struct fdt_phandle phandles[FDT_MAX_PHANDLES];
    unsigned n_phandles;
    uint32_t hart0_intc;
    bool have_hart0_intc;
    bool have_memory, have_uart, have_plic, have_test0, have_syscon, have_timebase, have_rtc;
    uint64_t syscon_base;
    struct fdt_prop plic_ints_ext;
    struct fdt_prop pci_map, pci_map_mask;
    uint32_t pci_addr_cells, pci_int_cells;
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t align4(uint64_t v)
{
    return (v + 3u) & ~(uint64_t)3u;
}

/* Reads `cells` (0..2) big-endian cells as one number. */
static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < cells; i++)
        v = v << 32 | be32(p + 4u * i);
    return v;
}

static int prop_u32(const struct fdt_prop *pr, uint32_t *v)
{
    if (pr->len != 4)
        return -EINVAL;
    *v = be32(pr->val);
    return 0;
}

/* A string property: non-empty and NUL-terminated inside its length. */
static int prop_is_string(const struct fdt_prop *pr)
{
    return pr->len > 0 && pr->val[pr->len - 1] == '\0';
}

/* 1 when the stringlist property contains `s`, 0 when not, -EINVAL when unterminated. */
static int prop_has_string(const struct fdt_prop *pr, const char *s)
{
    if (!pr->present)
        return 0;
    if (!prop_is_string(pr))
        return -EINVAL;
    size_t want = strlen(s) + 1;
    uint32_t off = 0;
    while (off < pr->len) {
        const char *cur = (const char *)pr->val + off;
        size_t n = strlen(cur) + 1; /* terminated: the last byte of the property is NUL */
        if (n == want && memcmp(cur, s, want) == 0)
            return 1;
        off += (uint32_t)n;
    }
    return 0;
}

static bool name_is(const struct fdt_frame *f, const char *s)
{
    size_t n = strlen(s);
    return f->name_len == n && memcmp(f->name, s, n) == 0;
}

static void record_prop(struct fdt_node_props *np, const char *name, const uint8_t *val,
                        uint32_t len)
{
    static const struct {
        const char *name;
        size_t offset;
    } known[] = {
        {"reg", offsetof(struct fdt_node_props, reg)},
        {"interrupts", offsetof(struct fdt_node_props, interrupts)},
        {"compatible", offsetof(struct fdt_node_props, compatible)},
        {"device_type", offsetof(struct fdt_node_props, device_type)},
        {"phandle", offsetof(struct fdt_node_props, phandle)},
        {"linux,phandle", offsetof(struct fdt_node_props, phandle)},
        {"status", offsetof(struct fdt_node_props, status)},
        {"#address-cells", offsetof(struct fdt_node_props, address_cells)},
        {"#size-cells", offsetof(struct fdt_node_props, size_cells)},
        {"#interrupt-cells", offsetof(struct fdt_node_props, interrupt_cells)},
        {"interrupt-controller", offsetof(struct fdt_node_props, interrupt_controller)},
        {"interrupts-extended", offsetof(struct fdt_node_props, interrupts_extended)},
        {"interrupt-map", offsetof(struct fdt_node_props, interrupt_map)},
        {"interrupt-map-mask", offsetof(struct fdt_node_props, interrupt_map_mask)},
        {"ranges", offsetof(struct fdt_node_props, ranges)},
        {"bus-range", offsetof(struct fdt_node_props, bus_range)},
        {"riscv,ndev", offsetof(struct fdt_node_props, ndev)},
        {"timebase-frequency", offsetof(struct fdt_node_props, timebase)},
        {"bootargs", offsetof(struct fdt_node_props, bootargs)},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(name, known[i].name) == 0) {
            struct fdt_prop *pr = (struct fdt_prop *)((char *)np + known[i].offset);
            pr->val = val;
            pr->len = len;
            pr->present = true;
            return;
        }
    }
}

/* The first (address, size) pair of `reg`, decoded with the parent's cell counts. */
static int reg_first(const struct fdt_frame *f, const struct fdt_frame *parent, uint64_t *base,
                     uint64_t *size)
{
    uint32_t ac = parent->addr_cells, sc = parent->size_cells;
    const struct fdt_prop *reg = &f->props.reg;
    if (ac < 1 || ac > 2 || sc > 2)
        return -EINVAL;
    if (!reg->present || reg->len < 4u * (ac + sc))
        return -EINVAL;
    *base = read_cells(reg->val, ac);
    *size = read_cells(reg->val + 4u * ac, sc);
    return 0;
}

/* First cell of `interrupts`, 0 when the node has none. */
static int first_interrupt(const struct fdt_frame *f, unsigned *irq)
{
    *irq = 0;
    if (!f->props.interrupts.present)
        return 0;
    if (f->props.interrupts.len < 4)
        return -EINVAL;
    *irq = be32(f->props.interrupts.val);
    return 0;
}

static int node_enabled(const struct fdt_frame *f)
{
    const struct fdt_prop *st = &f->props.status;
    if (!st->present)
        return 1;
    if (!prop_is_string(st))
        return -EINVAL;
    return strcmp((const char *)st->val, "okay") == 0 || strcmp((const char *)st->val, "ok") == 0;
}

static int decode_ranges(struct fdt_state *s, const struct fdt_frame *f,
                         const struct fdt_frame *parent)
{
    const struct fdt_prop *r = &f->props.ranges;
    uint32_t ca = f->addr_cells, pa = parent->addr_cells, sc = f->size_cells;
    if (!r->present)
        return 0;
    if (ca != 3 || pa < 1 || pa > 2 || sc < 1 || sc > 2)
        return -EINVAL;
    uint32_t row = 4u * (ca + pa + sc);
    if (r->len % row != 0)
        return -EINVAL;
    struct platform *out = s->out;
    for (uint32_t off = 0; off < r->len && out->n_ranges < PLATFORM_MAX_RANGES; off += row) {
        const uint8_t *p = r->val + off;
        uint32_t hi = be32(p);
        struct platform_pci_range *pr = &out->ranges[out->n_ranges];
        switch ((hi >> 24) & 3u) {
        case 1:
            pr->kind = PCI_RANGE_IO;
            break;
        case 2:
            pr->kind = PCI_RANGE_MEM32;
            break;
        case 3:
            pr->kind = PCI_RANGE_MEM64;
            break;
        default:
            continue; /* configuration space: not a window */
        }
        pr->prefetchable = (hi & 0x40000000u) != 0;
        pr->pci_addr = read_cells(p + 4, 2);
        pr->cpu_addr = read_cells(p + 4u * ca, pa);
        pr->size = read_cells(p + 4u * (ca + pa), sc);
        out->n_ranges++;
    }
    return 0;
}

static int process_pci(struct fdt_state *s, const struct fdt_frame *f,
                       const struct fdt_frame *parent)
{
    struct platform *out = s->out;
    uint32_t lo = 0, hi = 0xff;
    int err = reg_first(f, parent, &out->ecam_base, &out->ecam_size);
    if (err)
        return err;
    if (f->props.bus_range.present) {
        if (f->props.bus_range.len != 8)
            return -EINVAL;
        lo = be32(f->props.bus_range.val);
        hi = be32(f->props.bus_range.val + 4);
        if (lo > hi || hi > 0xff)
            return -EINVAL;
    }
    out->bus_start = lo;
    out->bus_end = hi;
    err = decode_ranges(s, f, parent);
    if (err)
        return err;
    s->pci_map = f->props.interrupt_map;
    s->pci_map_mask = f->props.interrupt_map_mask;
    s->pci_addr_cells = f->addr_cells;
    s->pci_int_cells = f->interrupt_cells;
    out->has_pci = true;
    return 0;
}

static int process_chosen(struct fdt_state *s, const struct fdt_frame *f)
{
    const struct fdt_prop *b = &f->props.bootargs;
    if (!b->present)
        return 0;
    if (!prop_is_string(b))
        return -EINVAL;
    size_t n = b->len - 1;
    if (n >= PLATFORM_BOOTARGS_LEN)
        n = PLATFORM_BOOTARGS_LEN - 1;
    memcpy(s->out->bootargs, b->val, n);
    s->out->bootargs[n] = '\0';
    return 0;
}

static int process_timebase(struct fdt_state *s, const struct fdt_frame *f)
{
    const struct fdt_prop *t = &f->props.timebase;
    if (!t->present || s->have_timebase)
        return 0;
    if (t->len != 4 && t->len != 8)
        return -EINVAL;
    s->out->timebase_hz = read_cells(t->val, t->len / 4);
    s->have_timebase = s->out->timebase_hz != 0;
    return 0;
}

/* Compatible-matched devices, wherever they sit in the tree. */
static int process_devices(struct fdt_state *s, const struct fdt_frame *f,
                           const struct fdt_frame *parent)
{
    struct platform *out = s->out;
    uint64_t base, size;
    int m, err;

    if ((m = prop_has_string(&f->props.compatible, "virtio,mmio")) != 0) {
        if (m < 0)
            return m;
        if (out->n_mmio >= PLATFORM_MAX_MMIO)
            return 0;
        struct platform_mmio *mm = &out->mmio[out->n_mmio];
        if ((err = reg_first(f, parent, &mm->base, &mm->size)) != 0 ||
            (err = first_interrupt(f, &mm->irq)) != 0)
            return err;
        out->n_mmio++;
        return 0;
    }
    if ((m = prop_has_string(&f->props.compatible, "ns16550a")) == 0)
        m = prop_has_string(&f->props.compatible, "ns16550");
    if (m != 0) {
        if (m < 0 || s->have_uart)
            return m < 0 ? m : 0;
        if ((err = reg_first(f, parent, &out->uart_base, &size)) != 0 ||
            (err = first_interrupt(f, &out->uart_irq)) != 0)
            return err;
        s->have_uart = true;
        return 0;
    }
    if ((m = prop_has_string(&f->props.compatible, "riscv,plic0")) == 0)
        m = prop_has_string(&f->props.compatible, "sifive,plic-1.0.0");
    if (m != 0) {
        uint32_t ndev = 0;
        if (m < 0 || s->have_plic)
            return m < 0 ? m : 0;
        if ((err = reg_first(f, parent, &out->plic_base, &out->plic_size)) != 0)
            return err;
        if (f->props.ndev.present && (err = prop_u32(&f->props.ndev, &ndev)) != 0)
            return err;
        out->plic_ndev = ndev;
        s->plic_ints_ext = f->props.interrupts_extended;
        s->have_plic = true;
        return 0;
    }
    if ((m = prop_has_string(&f->props.compatible, "sifive,test0")) != 0) {
        if (m < 0 || s->have_test0)
            return m < 0 ? m : 0;
        if ((err = reg_first(f, parent, &out->test_base, &size)) != 0)
            return err;
        s->have_test0 = true;
        return 0;
    }
    if ((m = prop_has_string(&f->props.compatible, "syscon")) != 0) {
        if (m < 0 || s->have_syscon)
            return m < 0 ? m : 0;
        if ((err = reg_first(f, parent, &base, &size)) != 0)
            return err;
        s->syscon_base = base;
        s->have_syscon = true;
        return 0;
    }
    if ((m = prop_has_string(&f->props.compatible, "google,goldfish-rtc")) != 0) {
        unsigned irq;
        if (m < 0 || s->have_rtc)
            return m < 0 ? m : 0;
        if ((err = reg_first(f, parent, &base, &size)) != 0 ||
            (err = first_interrupt(f, &irq)) != 0)
            return err;
        /* A region that cannot hold TIME_LOW and TIME_HIGH, or that wraps: not a usable clock. */
        if (base == 0 || base % 4 != 0 || size < 8 || base + size < base)
            return 0;
        out->rtc_base = base;
        out->rtc_size = size;
        out->rtc_irq = irq;
        s->have_rtc = true;
        return 0;
    }
    if ((m = prop_has_string(&f->props.compatible, "pci-host-ecam-generic")) != 0) {
        if (m < 0 || out->has_pci)
            return m < 0 ? m : 0;
        return process_pci(s, f, parent);
    }
    return 0;
}

static int remember_phandle(struct fdt_state *s, const struct fdt_frame *f)
{
    uint32_t ph;
    int err;
    if (!f->props.phandle.present)
        return 0;
    if ((err = prop_u32(&f->props.phandle, &ph)) != 0)
        return err;
    if (!f->props.interrupt_controller.present && !f->props.interrupt_cells.present)
        return 0; /* only interrupt parents are ever looked up */
    if (s->n_phandles >= FDT_MAX_PHANDLES)
        return 0;
    s->phandles[s->n_phandles].phandle = ph;
    s->phandles[s->n_phandles].addr_cells = f->props.address_cells.present ? f->addr_cells : 0;
    s->phandles[s->n_phandles].interrupt_cells = f->interrupt_cells;
    s->n_phandles++;
    return 0;
}

/* Called once per node, when its properties are complete (its first child or its end). */
static int process_node(struct fdt_state *s, struct fdt_frame *f, const struct fdt_frame *parent,
                        int depth, const struct fdt_frame *grandparent)
{
    const struct fdt_node_props *np = &f->props;
    int err, en;
    f->processed = true;

    f->addr_cells = 2;
    f->size_cells = 1;
    f->interrupt_cells = 0;
    if (np->address_cells.present && (err = prop_u32(&np->address_cells, &f->addr_cells)) != 0)
        return err;
    if (np->size_cells.present && (err = prop_u32(&np->size_cells, &f->size_cells)) != 0)
        return err;
    if (np->interrupt_cells.present &&
        (err = prop_u32(&np->interrupt_cells, &f->interrupt_cells)) != 0)
        return err;
    if (f->addr_cells > FDT_MAX_CELLS || f->size_cells > FDT_MAX_CELLS ||
        f->interrupt_cells > FDT_MAX_CELLS)
        return -EINVAL;
    if ((err = remember_phandle(s, f)) != 0)
        return err;
    if (!parent)
        return 0; /* the root */
    if ((en = node_enabled(f)) <= 0)
        return en;

    if (depth == 1 && name_is(f, "chosen"))
        return process_chosen(s, f);
    if (depth == 1 && name_is(f, "cpus"))
        return process_timebase(s, f);
    if (depth == 2 && name_is(parent, "cpus") && prop_has_string(&np->device_type, "cpu") == 1) {
        uint64_t hart = 0, unused;
        if ((err = reg_first(f, parent, &hart, &unused)) != 0)
            return err;
        f->is_hart0 = hart == 0;
        return f->is_hart0 ? process_timebase(s, f) : 0;
    }
    if (depth == 3 && parent->is_hart0 && grandparent && name_is(grandparent, "cpus")) {
        int m = prop_has_string(&np->compatible, "riscv,cpu-intc");
        if (m < 0)
            return m;
        if (m && np->phandle.present && !s->have_hart0_intc) {
            s->hart0_intc = be32(np->phandle.val);
            s->have_hart0_intc = true;
        }
        return 0;
    }
    if (!s->have_memory && prop_has_string(&np->device_type, "memory") == 1) {
        struct platform *out = s->out;
        if ((err = reg_first(f, parent, &out->ram_base, &out->ram_size)) != 0)
            return err;
        s->have_memory = out->ram_size != 0;
        return 0;
    }
    return process_devices(s, f, parent);
}

static const struct fdt_phandle *find_phandle(const struct fdt_state *s, uint32_t ph)
{
    for (unsigned i = 0; i < s->n_phandles; i++)
        if (s->phandles[i].phandle == ph)
            return &s->phandles[i];
    return NULL;
}

/* The PLIC context whose interrupts-extended entry is (hart 0's intc, S-mode external). */
static int decode_plic_context(struct fdt_state *s)
{
    const struct fdt_prop *ie = &s->plic_ints_ext;
    struct platform *out = s->out;
    bool found = false;
    if (!s->have_plic)
        return 0;
    if (ie->present && ie->len % 4 != 0)
        return -EINVAL;
    uint32_t ncells = ie->present ? ie->len / 4 : 0;
    unsigned ctx = 0;
    for (uint32_t i = 0; i < ncells && !found; ctx++) {
        uint32_t ph = be32(ie->val + 4u * i);
        const struct fdt_phandle *t = find_phandle(s, ph);
        if (!t || t->interrupt_cells == 0 || t->interrupt_cells > ncells - i - 1)
            return -EINVAL;
        uint32_t irq = be32(ie->val + 4u * (i + 1));
        if (s->have_hart0_intc && ph == s->hart0_intc && irq == RISCV_IRQ_S_EXT) {
            out->plic_s_context = ctx;
            found = true;
        }
        i += 1 + t->interrupt_cells;
    }
    if (!found) {
        /* No S-mode context for hart 0: the PLIC is unusable, interrupts fall back to polling. */
        out->plic_base = 0;
        out->plic_size = 0;
        out->plic_s_context = 0;
    }
    return 0;
}

static int decode_pci_intmap(struct fdt_state *s)
{
    struct platform *out = s->out;
    const struct fdt_prop *map = &s->pci_map, *mask = &s->pci_map_mask;
    uint32_t ac = s->pci_addr_cells, ic = s->pci_int_cells;
    if (!out->has_pci || !map->present)
        return 0;
    if (ac != 3 || ic != 1 || map->len % 4 != 0)
        return -EINVAL;
    if (mask->present) {
        if (mask->len != 4u * (ac + ic))
            return -EINVAL;
        out->intmap_mask_hi = be32(mask->val);
        out->intmap_mask_pin = be32(mask->val + 4u * ac);
    } else {
        out->intmap_mask_hi = 0xffffffffu;
        out->intmap_mask_pin = 0xffffffffu;
    }
    uint32_t ncells = map->len / 4;
    for (uint32_t i = 0; i < ncells;) {
        if (ncells - i < ac + ic + 1)
            return -EINVAL;
        const uint8_t *row = map->val + 4u * i;
        const struct fdt_phandle *t = find_phandle(s, be32(row + 4u * (ac + ic)));
        if (!t || t->interrupt_cells == 0)
            return -EINVAL;
        uint32_t parent_cells = t->addr_cells + t->interrupt_cells;
        if (parent_cells > ncells - i - (ac + ic + 1))
            return -EINVAL;
        if (out->n_intmap < PLATFORM_MAX_INTMAP) {
            struct platform_pci_intmap *im = &out->intmap[out->n_intmap++];
            im->addr_hi = be32(row);
            im->pin = be32(row + 4u * ac);
            im->irq = be32(row + 4u * (ac + ic + 1 + t->addr_cells));
        }
        i += ac + ic + 1 + parent_cells;
    }
    return 0;
}

struct fdt_header {
    uint32_t totalsize, off_struct, off_strings, off_rsvmap, version, last_comp;
    uint32_t size_strings, size_struct;
};

static int check_header(const uint8_t *b, uint64_t max, struct fdt_header *h)
{
    if (max < FDT_HEADER_SIZE || be32(b) != FDT_MAGIC)
        return -EINVAL;
    h->totalsize = be32(b + 4);
    h->off_struct = be32(b + 8);
    h->off_strings = be32(b + 12);
    h->off_rsvmap = be32(b + 16);
    h->version = be32(b + 20);
    h->last_comp = be32(b + 24);
    h->size_strings = be32(b + 32);
    h->size_struct = be32(b + 36);
    if (h->totalsize < FDT_HEADER_SIZE || h->totalsize > max)
        return -EINVAL;
    if (h->version < 17 || h->last_comp > 17)
        return -EINVAL;
    uint64_t total = h->totalsize;
    if (h->off_struct % 4 != 0 || h->off_struct < FDT_HEADER_SIZE ||
        (uint64_t)h->off_struct + h->size_struct > total)
        return -EINVAL;
    if (h->off_strings < FDT_HEADER_SIZE || (uint64_t)h->off_strings + h->size_strings > total)
        return -EINVAL;
    if (h->off_rsvmap < FDT_HEADER_SIZE || h->off_rsvmap >= total)
        return -EINVAL;
    return 0;
}

/* Walks the structure block. Properties of a node precede its children, so a node is
 * processed at its first child or at its end, whichever comes first. */
static int walk(struct fdt_state *s, const uint8_t *blob, const struct fdt_header *h)
{
    const uint8_t *st = blob + h->off_struct;
    const char *strings = (const char *)blob + h->off_strings;
    uint32_t size = h->size_struct, off = 0;
    struct fdt_frame stack[FDT_MAX_DEPTH];
    int depth = 0; /* frames in use */
    bool seen_root = false;
    int err;

    for (;;) {
        if (size - off < 4)
            return -EINVAL;
        uint32_t tok = be32(st + off);
        off += 4;
        switch (tok) {
        case FDT_BEGIN_NODE: {
            const char *name = (const char *)st + off;
            const char *nul = memchr(name, '\0', size - off);
            if (!nul)
                return -EINVAL;
            uint32_t n = (uint32_t)(nul - name);
            if (align4(n + 1) > size - off)
                return -EINVAL;
            off += (uint32_t)align4(n + 1);
            if (depth == 0 && seen_root)
                return -EINVAL; /* a second root */
            if (depth >= FDT_MAX_DEPTH)
                return -EINVAL;
            if (depth > 0 && !stack[depth - 1].processed) {
                err = process_node(s, &stack[depth - 1], depth > 1 ? &stack[depth - 2] : NULL,
                                   depth - 1, depth > 2 ? &stack[depth - 3] : NULL);
                if (err)
                    return err;
            }
            memset(&stack[depth], 0, sizeof stack[depth]);
            stack[depth].name = name;
            stack[depth].name_len = n;
            depth++;
            seen_root = true;
            break;
        }
        case FDT_END_NODE:
            if (depth == 0)
                return -EINVAL;
            if (!stack[depth - 1].processed) {
                err = process_node(s, &stack[depth - 1], depth > 1 ? &stack[depth - 2] : NULL,
                                   depth - 1, depth > 2 ? &stack[depth - 3] : NULL);
                if (err)
                    return err;
            }
            depth--;
            break;
        case FDT_PROP: {
            if (depth == 0 || size - off < 8)
                return -EINVAL;
            uint32_t len = be32(st + off), nameoff = be32(st + off + 4);
            off += 8;
            if (len > size - off || align4(len) > size - off)
                return -EINVAL;
            if (nameoff >= h->size_strings ||
                !memchr(strings + nameoff, '\0', h->size_strings - nameoff))
                return -EINVAL;
            /* A property after a child node breaks the format's ordering rule: ignored. */
            if (!stack[depth - 1].processed)
                record_prop(&stack[depth - 1].props, strings + nameoff, st + off, len);
            off += (uint32_t)align4(len);
            break;
        }
        case FDT_NOP:
            break;
        case FDT_END:
            return depth == 0 && seen_root ? 0 : -EINVAL;
        default:
            return -EINVAL;
        }
    }
}

int fdt_parse_platform(const void *dtb, uint64_t dtb_max_size, struct platform *out)
{
    struct fdt_header h;
    struct fdt_state s;
    int err;

    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    if (!dtb)
        return -EINVAL;
    if ((err = check_header(dtb, dtb_max_size, &h)) != 0)
        return err;
    memset(&s, 0, sizeof s);
    s.out = out;
    if ((err = walk(&s, dtb, &h)) != 0 || (err = decode_plic_context(&s)) != 0 ||
        (err = decode_pci_intmap(&s)) != 0) {
        memset(out, 0, sizeof *out);
        return err;
    }
    if (!s.have_test0 && s.have_syscon)
        out->test_base = s.syscon_base;
    return 0;
}
