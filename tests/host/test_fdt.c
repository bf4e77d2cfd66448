/* Host tests of the DTB parser (kernel/fdt.c) and the command-line lookup (kernel/platform.c):
 * QEMU's own virt trees for several device mixes, a hand-written board, and malformed blobs
 * (truncated, corrupted, out-of-range offsets) that must give -EINVAL without a sanitizer error. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/boot.h>
#include <kernel/platform.h>

struct blob {
    uint8_t *data;
    size_t size;
};

static const char *dtb_dir(void)
{
    const char *d = getenv("RUMPK_DTB_DIR");
    return d ? d : "dtb";
}

/* Loads DIR/name.dtb into a buffer of exactly its size, so ASan sees any overread. */
static struct blob load(const char *name)
{
    char path[512];
    struct blob b = {0};
    snprintf(path, sizeof path, "%s/%s.dtb", dtb_dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run the fdt_make_dtbs fixture)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n > 40);
    b.data = malloc((size_t)n);
    assert_non_null(b.data);
    assert_int_equal(fread(b.data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b.size = (size_t)n;
    return b;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A copy of the first `n` bytes in a buffer of exactly `n` bytes. */
static uint8_t *copy_prefix(const struct blob *b, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, b->data, n);
    return p;
}

static int parse(const struct blob *b, struct platform *p)
{
    return fdt_parse_platform(b->data, b->size, p);
}

static const struct platform_pci_intmap *find_intmap(const struct platform *p, uint32_t hi,
                                                     uint32_t pin)
{
    for (unsigned i = 0; i < p->n_intmap; i++)
        if (p->intmap[i].addr_hi == hi && p->intmap[i].pin == pin)
            return &p->intmap[i];
    return NULL;
}

static void check_virt_common(const struct platform *p)
{
    assert_int_equal(p->ram_base, 0x80000000u);
    assert_int_equal(p->uart_base, 0x10000000u);
    assert_int_equal(p->uart_irq, 10);
    assert_int_equal(p->plic_base, 0x0c000000u);
    assert_int_equal(p->plic_size, 0x600000u);
    assert_int_equal(p->plic_ndev, 0x60);
    assert_int_equal(p->plic_s_context, 1);
    assert_int_equal(p->timebase_hz, 10000000u);
    assert_int_equal(p->test_base, 0x100000u);
    assert_int_equal(p->rtc_base, 0x101000u);
    assert_int_equal(p->rtc_size, 0x1000u);
    assert_int_equal(p->rtc_irq, 11);

    /* QEMU lists the eight slots from the last to the first. */
    assert_int_equal(p->n_mmio, 8);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(p->mmio[i].base, 0x10008000u - 0x1000u * i);
        assert_int_equal(p->mmio[i].size, 0x1000u);
        assert_int_equal(p->mmio[i].irq, 8 - i);
    }

    assert_true(p->has_pci);
    assert_int_equal(p->ecam_base, 0x30000000u);
    assert_int_equal(p->ecam_size, 0x10000000u);
    assert_int_equal(p->bus_start, 0);
    assert_int_equal(p->bus_end, 255);
    assert_int_equal(p->n_ranges, 3);
    assert_int_equal(p->ranges[0].kind, PCI_RANGE_IO);
    assert_int_equal(p->ranges[0].pci_addr, 0);
    assert_int_equal(p->ranges[0].cpu_addr, 0x3000000u);
    assert_int_equal(p->ranges[0].size, 0x10000u);
    assert_int_equal(p->ranges[1].kind, PCI_RANGE_MEM32);
    assert_false(p->ranges[1].prefetchable);
    assert_int_equal(p->ranges[1].pci_addr, 0x40000000u);
    assert_int_equal(p->ranges[1].cpu_addr, 0x40000000u);
    assert_int_equal(p->ranges[1].size, 0x40000000u);
    assert_int_equal(p->ranges[2].kind, PCI_RANGE_MEM64);
    assert_false(p->ranges[2].prefetchable);
    assert_int_equal(p->ranges[2].pci_addr, 0x400000000ull);
    assert_int_equal(p->ranges[2].cpu_addr, 0x400000000ull);
    assert_int_equal(p->ranges[2].size, 0x400000000ull);

    /* 4 slots x 4 pins, swizzled: slot s pin n -> 32 + (s + n - 1) % 4. */
    assert_int_equal(p->n_intmap, 16);
    assert_int_equal(p->intmap_mask_hi, 0x1800u);
    assert_int_equal(p->intmap_mask_pin, 7u);
    for (uint32_t slot = 0; slot < 4; slot++) {
        for (uint32_t pin = 1; pin <= 4; pin++) {
            const struct platform_pci_intmap *m = find_intmap(p, slot << 11, pin);
            assert_non_null(m);
            assert_int_equal(m->irq, 32 + (slot + pin - 1) % 4);
        }
    }
}

static void test_plain(void **state)
{
    (void)state;
    struct blob b = load("plain");
    struct platform p;
    assert_int_equal(parse(&b, &p), 0);
    check_virt_common(&p);
    assert_int_equal(p.ram_size, 128u << 20);
    assert_string_equal(p.bootargs, "");
    free(b.data);
}

static void test_ram_follows_m(void **state)
{
    (void)state;
    struct blob b = load("m256");
    struct platform p;
    assert_int_equal(parse(&b, &p), 0);
    check_virt_common(&p);
    assert_int_equal(p.ram_size, 256u << 20);
    free(b.data);
}

static void test_smp_context_of_hart0(void **state)
{
    (void)state;
    struct blob b = load("smp4");
    struct platform p;
    assert_int_equal(parse(&b, &p), 0);
    check_virt_common(&p);
    free(b.data);
}

static void test_device_mixes(void **state)
{
    (void)state;
    static const char *const names[] = {"mmio2", "blkpci"};
    for (unsigned i = 0; i < 2; i++) {
        struct blob b = load(names[i]);
        struct platform p;
        assert_int_equal(parse(&b, &p), 0);
        check_virt_common(&p);
        free(b.data);
    }
}

static void test_bootargs_and_cmdline(void **state)
{
    (void)state;
    struct blob b = load("append");
    struct platform p;
    char buf[32];
    assert_int_equal(parse(&b, &p), 0);
    check_virt_common(&p);
    assert_string_equal(p.bootargs, "console=hvc0 virtio.pci=legacy  quiet virtio.pci=modern");

    assert_int_equal(platform_init(b.data, b.size), 0);
    assert_string_equal(platform()->bootargs, p.bootargs);
    assert_string_equal(cmdline_get("virtio.pci", buf, sizeof buf), "modern"); /* last wins */
    assert_string_equal(cmdline_get("console", buf, sizeof buf), "hvc0");
    assert_string_equal(cmdline_get("quiet", buf, sizeof buf), "");
    assert_null(cmdline_get("virtio", buf, sizeof buf));
    assert_null(cmdline_get("hvc0", buf, sizeof buf));
    assert_null(cmdline_get("", buf, sizeof buf));
    assert_string_equal(cmdline_get("console", buf, 3), "hv"); /* truncated to fit */
    assert_null(cmdline_get("console", buf, 0));
    free(b.data);
}

static void test_custom_board(void **state)
{
    (void)state;
    struct blob b = load("custom");
    struct platform p;
    char buf[16];
    assert_int_equal(parse(&b, &p), 0);
    assert_int_equal(p.ram_base, 0x80000000u);
    assert_int_equal(p.ram_size, 512u << 20);
    assert_int_equal(p.timebase_hz, 1000000u);
    assert_int_equal(p.uart_base, 0x10000000u);
    assert_int_equal(p.uart_irq, 10);
    assert_int_equal(p.plic_base, 0x0c000000u);
    assert_int_equal(p.plic_ndev, 53);
    assert_int_equal(p.plic_s_context, 3); /* hart 0's entry comes after hart 1's */
    assert_int_equal(p.test_base, 0x100000u);
    assert_int_equal(p.rtc_base, 0x103000u); /* the 4-byte one at 0x102000 is skipped */
    assert_int_equal(p.rtc_size, 0x1000u);
    assert_int_equal(p.rtc_irq, 13);
    assert_int_equal(p.n_mmio, 1); /* the disabled node is skipped */
    assert_int_equal(p.mmio[0].base, 0x10001000u);
    assert_int_equal(p.mmio[0].irq, 1);
    assert_true(p.has_pci);
    assert_int_equal(p.ecam_base, 0x30000000u);
    assert_int_equal(p.ecam_size, 0x1000000u);
    assert_int_equal(p.bus_start, 0);
    assert_int_equal(p.bus_end, 15);
    assert_int_equal(p.n_ranges, 3);
    assert_int_equal(p.ranges[2].kind, PCI_RANGE_MEM64);
    assert_true(p.ranges[2].prefetchable);
    assert_int_equal(p.ranges[2].pci_addr, 0x100000000ull);
    assert_int_equal(p.ranges[2].cpu_addr, 0x60000000u);
    assert_int_equal(p.ranges[2].size, 0x20000000u);
    assert_int_equal(p.n_intmap, 4);
    assert_int_equal(find_intmap(&p, 0x800, 2)->irq, 32);
    assert_string_equal(p.bootargs, "virtio.pci=modern  loglevel=7 quiet");

    assert_int_equal(platform_init(b.data, b.size), 0);
    assert_string_equal(cmdline_get("loglevel", buf, sizeof buf), "7");
    free(b.data);
}

static void expect_einval(uint8_t *data, size_t size)
{
    struct platform p;
    memset(&p, 0xa5, sizeof p);
    assert_int_equal(fdt_parse_platform(data, size, &p), -EINVAL);
    assert_int_equal(p.n_mmio, 0); /* nothing half-filled is left behind */
    assert_int_equal(p.ram_size, 0);
}

static void test_header_errors(void **state)
{
    (void)state;
    struct blob b = load("custom");
    uint8_t *c;

    expect_einval(NULL, 0);
    expect_einval(b.data, 39);         /* shorter than a header */
    expect_einval(b.data, b.size - 1); /* totalsize larger than the buffer */

    static const struct {
        unsigned field; /* byte offset in the header */
        uint32_t value;
    } bad[] = {
        {0, 0xd00dfeee},   /* magic */
        {4, 39},           /* totalsize below a header */
        {8, 0xfffffff0u},  /* off_dt_struct past the end */
        {8, 41},           /* misaligned structure block */
        {12, 0xfffffff0u}, /* off_dt_strings past the end */
        {16, 0xfffffff0u}, /* off_mem_rsvmap past the end */
        {20, 16},          /* version without size_dt_struct */
        {24, 18},          /* incompatible last_comp_version */
        {32, 0xffffffffu}, /* size_dt_strings overflows */
        {36, 0xffffffffu}, /* size_dt_struct overflows */
        {36, 8},           /* structure block cut short */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = copy_prefix(&b, b.size);
        put32(c + bad[i].field, bad[i].value);
        expect_einval(c, b.size);
        free(c);
    }
    free(b.data);
}

/* A well-formed structure block moved to an offset that is not 4-aligned: the format requires
 * the alignment, so it is refused even though its tokens would parse. */
static void test_unaligned_structure_block(void **state)
{
    (void)state;
    struct blob b = load("custom");
    uint32_t off_struct = get32(b.data + 8), size_struct = get32(b.data + 36);
    size_t at = ((b.size + 3) & ~(size_t)3) + 1, total = at + size_struct;
    uint8_t *c = calloc(1, total);
    struct platform p;

    assert_non_null(c);
    memcpy(c, b.data, b.size);
    memcpy(c + at, b.data + off_struct, size_struct);
    put32(c + 4, (uint32_t)total);
    put32(c + 8, (uint32_t)(at - 1)); /* aligned: the same tree, accepted */
    memmove(c + at - 1, c + at, size_struct);
    assert_int_equal(fdt_parse_platform(c, total, &p), 0);
    memmove(c + at, c + at - 1, size_struct);
    put32(c + 8, (uint32_t)at);
    expect_einval(c, total);
    free(c);
    free(b.data);
}

/* Every prefix of the blob, with totalsize claiming the whole blob or patched to the prefix. */
static void test_truncated(void **state)
{
    (void)state;
    struct blob b = load("custom");
    for (size_t n = 0; n < b.size; n++) {
        uint8_t *c = copy_prefix(&b, n);
        expect_einval(c, n);
        if (n >= 40) {
            uint32_t off_struct = get32(c + 8), off_strings = get32(c + 12);
            put32(c + 4, (uint32_t)n);
            if (off_struct + get32(c + 36) > n && n > off_struct)
                put32(c + 36, (uint32_t)(n - off_struct));
            if (off_strings + get32(c + 32) > n && n > off_strings)
                put32(c + 32, (uint32_t)(n - off_strings));
            struct platform p;
            int r = fdt_parse_platform(c, n, &p);
            assert_true(r == -EINVAL || r == 0);
        }
        free(c);
    }
    free(b.data);
}

/* Offsets of each FDT_PROP token whose name is `prop` in the structure block. */
static size_t find_prop(const struct blob *b, const char *prop, size_t start)
{
    uint32_t off_struct = get32(b->data + 8), off_strings = get32(b->data + 12);
    uint32_t size = get32(b->data + 36);
    for (size_t o = off_struct + start; o + 12 <= off_struct + size; o += 4) {
        if (get32(b->data + o) != 3)
            continue;
        uint32_t nameoff = get32(b->data + o + 8);
        if (off_strings + nameoff < b->size &&
            strcmp((const char *)b->data + off_strings + nameoff, prop) == 0)
            return o;
    }
    fail_msg("property %s not found", prop);
    return 0;
}

static void test_bad_properties(void **state)
{
    (void)state;
    struct blob b = load("append");
    uint8_t *c;
    size_t o;

    /* bootargs whose length leaves out its NUL: a string without terminator. */
    c = copy_prefix(&b, b.size);
    o = find_prop(&b, "bootargs", 0);
    put32(c + o + 4, get32(c + o + 4) - 1);
    expect_einval(c, b.size);
    free(c);

    /* A property length running past the structure block. */
    c = copy_prefix(&b, b.size);
    put32(c + o + 4, 0x7ffffff0u);
    expect_einval(c, b.size);
    free(c);

    /* A name offset past the strings block. */
    c = copy_prefix(&b, b.size);
    put32(c + o + 8, get32(c + 32) + 4);
    expect_einval(c, b.size);
    free(c);

    /* The strings block cut so the last name loses its NUL. */
    c = copy_prefix(&b, b.size);
    put32(c + 32, get32(c + 32) - 1);
    expect_einval(c, b.size);
    free(c);

    /* A reg too short for #address-cells + #size-cells. */
    c = copy_prefix(&b, b.size);
    o = find_prop(&b, "reg", 0);
    put32(c + o + 4, 4);
    expect_einval(c, b.size);
    free(c);

    /* interrupts-extended naming a phandle that does not exist. */
    c = copy_prefix(&b, b.size);
    o = find_prop(&b, "interrupts-extended", 0);
    put32(c + o + 12, 0x7777);
    expect_einval(c, b.size);
    free(c);

    /* interrupt-map naming an unknown interrupt parent in its first row. */
    c = copy_prefix(&b, b.size);
    o = find_prop(&b, "interrupt-map", 0);
    put32(c + o + 12 + 16, 0x7777);
    expect_einval(c, b.size);
    free(c);

    /* interrupt-map ending with half a row (two NOP tokens fill the bytes given back). */
    c = copy_prefix(&b, b.size);
    {
        uint32_t len = get32(c + o + 4);
        put32(c + o + 4, len - 8);
        put32(c + o + 12 + len - 8, 4);
        put32(c + o + 12 + len - 4, 4);
    }
    expect_einval(c, b.size);
    free(c);

    /* An unknown token. */
    c = copy_prefix(&b, b.size);
    put32(c + get32(c + 8), 0x42);
    expect_einval(c, b.size);
    free(c);

    /* A node name without NUL up to the end of the structure block. */
    c = copy_prefix(&b, b.size);
    {
        uint32_t off_struct = get32(c + 8), size = get32(c + 36);
        memset(c + off_struct + 4, 'x', size - 4);
    }
    expect_einval(c, b.size);
    free(c);
    free(b.data);
}

/* Random byte corruption of the structure and strings blocks: any answer is fine as long as it
 * is 0 or -EINVAL and the sanitizers stay quiet. */
/* A blob made here: header, an empty reservation map, the strings, and the structure block
 * last, so that a read past the structure block is a read past the heap block (ASan). */
static uint8_t *build_dtb(const uint8_t *st, uint32_t st_len, size_t *size)
{
    const uint32_t off_struct = 40 + 16 + 4; /* strings: one empty name */
    uint8_t *b = calloc(1, off_struct + st_len);
    assert_non_null(b);
    put32(b, 0xd00dfeed);
    put32(b + 4, off_struct + st_len);
    put32(b + 8, off_struct);
    put32(b + 12, 56);
    put32(b + 16, 40);
    put32(b + 20, 17);
    put32(b + 24, 16);
    put32(b + 32, 4);
    put32(b + 36, st_len);
    memcpy(b + off_struct, st, st_len);
    *size = off_struct + st_len;
    return b;
}

/* Node names and nesting the parser must refuse without reading past what it was given. */
static void test_bad_structure(void **state)
{
    (void)state;
    size_t size;
    uint8_t st[1024];
    uint32_t n = 0;

    /* A node name whose padding would run past the end of the structure block. */
    memset(st, 0, sizeof st);
    put32(st, 1); /* BEGIN_NODE "" (root) */
    put32(st + 8, 1);
    memcpy(st + 12, "abcde", 6); /* BEGIN_NODE "abcde": 6 bytes, padded to 8: 2 missing */
    uint8_t *b = build_dtb(st, 18, &size);
    expect_einval(b, size);
    free(b);

    /* Nesting deeper than the parser keeps track of: refused, not a stack overrun. */
    memset(st, 0, sizeof st);
    for (unsigned d = 0; d < 40; d++, n += 8)
        put32(st + n, 1); /* BEGIN_NODE "" */
    for (unsigned d = 0; d < 40; d++, n += 4)
        put32(st + n, 2); /* END_NODE */
    put32(st + n, 9);     /* END */
    b = build_dtb(st, n + 4, &size);
    expect_einval(b, size);
    free(b);
}

static void test_random_corruption(void **state)
{
    (void)state;
    static const char *const names[] = {"custom", "plain"};
    static const unsigned rounds[] = {4000, 400}; /* plain is a 1 MiB blob: fewer copies */
    uint32_t seed = 12345;
    unsigned einval = 0;
    for (unsigned k = 0; k < 2; k++) {
        struct blob b = load(names[k]);
        uint32_t off_struct = get32(b.data + 8);
        uint32_t end = get32(b.data + 12) + get32(b.data + 32);
        for (unsigned iter = 0; iter < rounds[k]; iter++) {
            uint8_t *c = copy_prefix(&b, b.size);
            unsigned flips = 1 + iter % 4;
            for (unsigned f = 0; f < flips; f++) {
                seed = seed * 1103515245u + 12345u;
                uint32_t at = off_struct + (seed >> 8) % (end - off_struct);
                seed = seed * 1103515245u + 12345u;
                c[at] ^= (uint8_t)(1u << ((seed >> 16) % 8));
            }
            struct platform p;
            int r = fdt_parse_platform(c, b.size, &p);
            assert_true(r == 0 || r == -EINVAL);
            einval += r == -EINVAL;
            free(c);
        }
        free(b.data);
    }
    assert_true(einval > 0); /* the corruption did reach the checks */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_ram_follows_m),
        cmocka_unit_test(test_smp_context_of_hart0),
        cmocka_unit_test(test_device_mixes),
        cmocka_unit_test(test_bootargs_and_cmdline),
        cmocka_unit_test(test_custom_board),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_unaligned_structure_block),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_properties),
        cmocka_unit_test(test_bad_structure),
        cmocka_unit_test(test_random_corruption),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
