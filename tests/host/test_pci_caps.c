/* cmocka tests for the virtio PCI capability parser (transports/pci-common/virtio_pci_caps.c):
 * a QEMU-like layout, then every way a device can lie: offsets and lengths past the BAR,
 * unassigned or I/O BARs, short capabilities, loops, bad pointers, bad multipliers, and notify
 * offsets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <virtio_pci/virtio_pci_caps.h>

static uint8_t cfg[256];
static struct virtio_pci_bar_view bars[6];

static void put32(unsigned off, uint32_t v)
{
    cfg[off] = (uint8_t)v;
    cfg[off + 1] = (uint8_t)(v >> 8);
    cfg[off + 2] = (uint8_t)(v >> 16);
    cfg[off + 3] = (uint8_t)(v >> 24);
}

/* One virtio capability at `pos` linking to `next`. */
static void cap(unsigned pos, unsigned next, uint8_t type, uint8_t bar, uint32_t offset,
                uint32_t length)
{
    cfg[pos] = 0x09;
    cfg[pos + 1] = (uint8_t)next;
    cfg[pos + 2] = type == 2 ? 20 : 16;
    cfg[pos + 3] = type;
    cfg[pos + 4] = bar;
    put32(pos + 8, offset);
    put32(pos + 12, length);
    if (type == 2)
        put32(pos + 16, 4); /* notify_off_multiplier */
}

/* QEMU's modern virtio-blk-pci: MSI-X first, then the virtio caps in BAR4 (16 KiB). */
static int setup(void **state)
{
    (void)state;
    memset(cfg, 0, sizeof(cfg));
    memset(bars, 0, sizeof(bars));
    cfg[0x06] = 0x10; /* status: capability list */
    cfg[0x34] = 0x98;
    cfg[0x98] = 0x11; /* MSI-X */
    cfg[0x99] = 0x84;
    cap(0x84, 0x74, 1, 4, 0x0000, 0x1000);
    cap(0x74, 0x64, 3, 4, 0x1000, 0x1000);
    cap(0x64, 0x50, 4, 4, 0x2000, 0x1000);
    cap(0x50, 0x40, 2, 4, 0x3000, 0x1000); /* 20 bytes: 0x50..0x63 */
    cap(0x40, 0x00, 5, 0, 0, 0);           /* PCI config access: ignored */
    bars[1] = (struct virtio_pci_bar_view){.assigned = true, .memory = true, .size = 0x1000};
    bars[4] = (struct virtio_pci_bar_view){.assigned = true, .memory = true, .size = 0x4000};
    return 0;
}

static void test_qemu_layout(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), 0);
    assert_true(c.common.present && c.notify.present && c.isr.present && c.device.present);
    assert_int_equal(c.common.bar, 4);
    assert_int_equal(c.common.offset, 0);
    assert_int_equal(c.isr.offset, 0x1000);
    assert_int_equal(c.device.offset, 0x2000);
    assert_int_equal(c.device.length, 0x1000);
    assert_int_equal(c.notify.offset, 0x3000);
    assert_int_equal(c.notify_off_multiplier, 4);
    assert_null(c.why);
}

static void test_offset_past_bar(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    put32(0x84 + 8, 0x3ff0); /* common: 0x1000 bytes from 0x3ff0 in a 0x4000 BAR */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);
    assert_false(c.common.present);
    assert_non_null(c.why);

    /* Exactly up to the end is fine. */
    put32(0x84 + 8, 0x3000);
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), 0);
}

static void test_length_overflow_wraps_32_bits(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    put32(0x74 + 8, 0xfffffff0u); /* ISR: offset + length wraps around in 32 bits */
    put32(0x74 + 12, 0x20);
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);
    assert_false(c.isr.present);
}

static void test_unassigned_io_and_bad_bar_index(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    bars[4].assigned = false;
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);

    setup(NULL);
    bars[4].memory = false; /* an I/O BAR */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);

    setup(NULL);
    cfg[0x50 + 4] = 6; /* notify names BAR 6 */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);
    assert_false(c.notify.present);
    assert_true(c.common.present);
}

static void test_short_structures_and_caps(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    put32(0x84 + 12, 0x37); /* common one byte shorter than the 1.0 layout */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);

    setup(NULL);
    cfg[0x50 + 2] = 16; /* notify cap without its multiplier */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);

    setup(NULL);
    cfg[0x84 + 2] = 12; /* cap_len below struct virtio_pci_cap */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);

    setup(NULL);
    put32(0x74 + 12, 0); /* empty ISR */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);
}

static void test_cap_past_config_space(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    /* Move the notify cap to 0xf0: its 20 bytes would run past 0x100. */
    cfg[0x64 + 1] = 0xf0;
    cfg[0xf0] = 0x09;
    cfg[0xf1] = 0x40;
    cfg[0xf2] = 20;
    cfg[0xf3] = 2;
    cfg[0xf4] = 4;
    put32(0xf8, 0x3000);
    put32(0xfc, 0x1000); /* the multiplier would be at 0x100 */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);
    assert_false(c.notify.present);
}

static void test_loops_and_bad_pointers(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    cfg[0x40 + 1] = 0x84; /* last cap points back into the list */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -EINVAL);
    /* Found as a loop (the reason the transport logs), not only by the step limit. */
    assert_string_equal(c.why, "capability list loops");

    setup(NULL);
    cfg[0x50 + 1] = 0x50; /* self loop */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -EINVAL);
    assert_string_equal(c.why, "capability list loops");

    setup(NULL);
    cfg[0x34] = 0x20; /* inside the standard header */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -EINVAL);

    setup(NULL);
    cfg[0x64 + 1] = 0x52; /* unaligned */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -EINVAL);

    setup(NULL);
    cfg[0x06] = 0; /* no capability list at all */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);
}

static void test_longest_chain_is_walked(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    /* A 36-entry chain ending at the last dword, 0xfc, with the virtio caps near the end. */
    memset(cfg + 0x40, 0, 0xc0);
    cfg[0x34] = 0x40;
    for (unsigned pos = 0x40; pos < 0xc0; pos += 4) {
        cfg[pos] = 0x01; /* power management-like, uninteresting */
        cfg[pos + 1] = (uint8_t)(pos + 4);
    }
    cap(0xc0, 0xd0, 1, 4, 0, 0x1000);
    cap(0xd0, 0xe0, 3, 4, 0x1000, 0x1000);
    cap(0xe0, 0xfc, 2, 4, 0x3000, 0x1000); /* 0xe0..0xf3 */
    cfg[0xfc] = 0x01;
    cfg[0xfd] = 0x00;
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), 0);
    assert_false(c.device.present);
}

static void test_first_valid_duplicate_wins(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    /* A broken common cap first, a good one later: the good one is used. */
    cfg[0x34] = 0xa0;
    cap(0xa0, 0x98, 1, 4, 0x3ff0, 0x1000);
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), 0);
    assert_int_equal(c.common.offset, 0);
    assert_non_null(c.why);

    /* Two good ones: the first is kept. */
    setup(NULL);
    cfg[0x34] = 0xa0;
    cap(0xa0, 0x98, 1, 1, 0x0, 0x1000);
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), 0);
    assert_int_equal(c.common.bar, 1);
}

static void test_notify_multiplier(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    put32(0x50 + 16, 6);
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), -ENODEV);
    put32(0x50 + 16, 0); /* every queue on one doorbell: allowed */
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), 0);
    assert_int_equal(c.notify_off_multiplier, 0);
}

static void test_notify_offset_bounds(void **state)
{
    (void)state;
    struct virtio_pci_caps c;
    uint64_t off = 0;
    assert_int_equal(virtio_pci_parse_caps(cfg, bars, &c), 0);
    assert_int_equal(virtio_pci_notify_offset(&c, 0, &off), 0);
    assert_int_equal(off, 0x3000);
    assert_int_equal(virtio_pci_notify_offset(&c, 3, &off), 0);
    assert_int_equal(off, 0x300c);
    /* 0x1000 bytes, multiplier 4: the last doorbell is queue_notify_off 0x3ff. */
    assert_int_equal(virtio_pci_notify_offset(&c, 0x3ff, &off), 0);
    assert_int_equal(off, 0x3ffc);
    assert_int_equal(virtio_pci_notify_offset(&c, 0x400, &off), -EINVAL);
    assert_int_equal(virtio_pci_notify_offset(&c, 0xffff, &off), -EINVAL);

    struct virtio_pci_caps none = {0};
    assert_int_equal(virtio_pci_notify_offset(&none, 0, &off), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_qemu_layout, setup),
        cmocka_unit_test_setup(test_offset_past_bar, setup),
        cmocka_unit_test_setup(test_length_overflow_wraps_32_bits, setup),
        cmocka_unit_test_setup(test_unassigned_io_and_bad_bar_index, setup),
        cmocka_unit_test_setup(test_short_structures_and_caps, setup),
        cmocka_unit_test_setup(test_cap_past_config_space, setup),
        cmocka_unit_test_setup(test_loops_and_bad_pointers, setup),
        cmocka_unit_test_setup(test_longest_chain_is_walked, setup),
        cmocka_unit_test_setup(test_first_valid_duplicate_wins, setup),
        cmocka_unit_test_setup(test_notify_multiplier, setup),
        cmocka_unit_test_setup(test_notify_offset_bounds, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
