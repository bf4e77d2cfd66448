/* libFuzzer target: PCI config space as a device presents it. The virtio capability parser
 * (transports/pci-common/virtio_pci_caps.c) and the notify offset over any 256 bytes and BAR
 * sizes; the bus layer's capability walk (kernel/pci/pci_enum.c) over the same bytes; and a
 * whole enumeration (scan, BAR sizing, bridges, address assignment) of a bus of up to four
 * functions whose config bytes and writable bits come from the input. Whatever is accepted must
 * lie inside config space and inside the BARs; nothing may read out of bounds or loop. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <virtio_pci/virtio_pci_caps.h>

#include "fuzz_check.h"
#include "pci_enum.h"
#include "sim.h"

#define NDEV 4

struct fdev {
    uint8_t cfg[256];
    uint8_t wmask[256];
};

static struct fdev devs[NDEV];
static unsigned n_devs;
static unsigned cfg_reads;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    os_host_log_quiet(true);
    return 0;
}

/* Bus 0, device slots 0..n_devs-1, function 0; everything else is absent (all ones). */
static struct fdev *dev_at(unsigned bdf)
{
    if ((bdf >> 8) != 0 || (bdf & 7) != 0 || ((bdf >> 3) & 31) >= n_devs)
        return NULL;
    return &devs[(bdf >> 3) & 31];
}

static uint32_t cfg_read(void *ctx, unsigned bdf, unsigned off, unsigned width)
{
    (void)ctx;
    cfg_reads++;
    FUZZ_CHECK((width == 1 || width == 2 || width == 4) && off % width == 0 && off < 4096,
               "config read of width %u at 0x%x", width, off);
    struct fdev *d = dev_at(bdf);
    if (!d || off + width > 256)
        return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
    uint32_t v = 0;
    for (unsigned k = 0; k < width; k++)
        v |= (uint32_t)d->cfg[off + k] << (8 * k);
    return v;
}

static void cfg_write(void *ctx, unsigned bdf, unsigned off, unsigned width, uint32_t v)
{
    (void)ctx;
    FUZZ_CHECK((width == 1 || width == 2 || width == 4) && off % width == 0 && off < 4096,
               "config write of width %u at 0x%x", width, off);
    struct fdev *d = dev_at(bdf);
    if (!d || off + width > 256)
        return;
    for (unsigned k = 0; k < width; k++) {
        uint8_t m = d->wmask[off + k], b = (uint8_t)(v >> (8 * k));
        d->cfg[off + k] = (uint8_t)((d->cfg[off + k] & ~m) | (b & m));
    }
}

static const struct pci_cfg_ops ops = {cfg_read, cfg_write, NULL};

static void check_region(const struct virtio_pci_region *r, const struct virtio_pci_bar_view *bars,
                         uint32_t min_len)
{
    if (!r->present)
        return;
    FUZZ_CHECK(r->bar <= 5, "bar %u", r->bar);
    FUZZ_CHECK(bars[r->bar].assigned && bars[r->bar].memory, "bar %u not usable", r->bar);
    FUZZ_CHECK((uint64_t)r->offset + r->length <= bars[r->bar].size,
               "region 0x%x+0x%x past bar of 0x%llx", r->offset, r->length,
               (unsigned long long)bars[r->bar].size);
    FUZZ_CHECK(r->length >= min_len, "length %u below %u", r->length, min_len);
}

static void fuzz_caps(const uint8_t cfg[256], struct fuzz_in *in)
{
    struct virtio_pci_bar_view bars[6];
    struct virtio_pci_caps caps;

    for (unsigned i = 0; i < 6; i++) {
        uint8_t b = fuzz_u8(in);
        bars[i] = (struct virtio_pci_bar_view){
            .assigned = b & 1, .memory = b & 2, .size = 1ull << ((b >> 2) % 48)};
    }
    int rc = virtio_pci_parse_caps(cfg, bars, &caps);
    FUZZ_CHECK(rc == 0 || rc == -ENODEV || rc == -EINVAL, "parse returned %d", rc);
    FUZZ_CHECK(rc == 0 || caps.why != NULL, "rejected without a reason");
    if (rc == 0)
        FUZZ_CHECK(caps.common.present && caps.notify.present && caps.isr.present,
                   "accepted without common, notify and ISR");
    check_region(&caps.common, bars, VIRTIO_PCI_COMMON_MIN_LEN);
    check_region(&caps.notify, bars, 2);
    check_region(&caps.isr, bars, 1);
    check_region(&caps.device, bars, 1);
    uint32_t m = caps.notify_off_multiplier;
    FUZZ_CHECK((m & (m - 1)) == 0, "multiplier %u", m);

    uint64_t off;
    uint16_t q = fuzz_u16(in);
    if (virtio_pci_notify_offset(&caps, q, &off) == 0)
        FUZZ_CHECK(caps.notify.present && off >= caps.notify.offset &&
                       off + 2 <= (uint64_t)caps.notify.offset + caps.notify.length,
                   "doorbell 0x%llx outside the notify structure", (unsigned long long)off);
}

static void fuzz_find_cap(struct fuzz_in *in)
{
    uint8_t id = fuzz_u8(in);
    cfg_reads = 0;
    unsigned at = pci_enum_find_cap(&ops, 0, id);
    FUZZ_CHECK(cfg_reads <= 2 + 2 * 48, "capability walk took %u reads", cfg_reads);
    if (at)
        FUZZ_CHECK(at >= 0x40 && at <= 0xfc && at % 4 == 0 && devs[0].cfg[at] == id,
                   "found cap 0x%x at 0x%x", id, at);
}

static void fuzz_enumerate(void)
{
    static struct pci_topology t;
    struct pci_host h = {.cfg = &ops, .bus_start = 0, .bus_end = 3};

    h.win[PCI_WIN_IO] = (struct pci_alloc_window){0x1000, 0xf000};
    h.win[PCI_WIN_MEM32] = (struct pci_alloc_window){0x40000000, 0x40000000};
    h.win[PCI_WIN_MEM64] = (struct pci_alloc_window){0x400000000ull, 0x400000000ull};
    for (unsigned w = 0; w < PCI_WIN_COUNT; w++)
        h.cpu_base[w] = h.win[w].base;
    int n = pci_enumerate(&h, &t);
    if (n < 0)
        return;
    FUZZ_CHECK((unsigned)n == t.n_funcs && t.n_funcs <= PCI_MAX_FUNCS, "%d functions", n);
    for (unsigned i = 0; i < t.n_funcs; i++) {
        const struct pci_func *f = &t.funcs[i];
        if (!f->enabled)
            continue;
        for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
            const struct pci_bar *bar = &f->bar[b];
            if (!bar->assigned)
                continue;
            FUZZ_CHECK((bar->size & (bar->size - 1)) == 0, "BAR%u size 0x%llx", b,
                       (unsigned long long)bar->size);
            FUZZ_CHECK(bar->pci_addr % bar->size == 0, "BAR%u at 0x%llx size 0x%llx", b,
                       (unsigned long long)bar->pci_addr, (unsigned long long)bar->size);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint8_t mode = fuzz_u8(&in);

    memset(devs, 0, sizeof devs);
    n_devs = 1 + mode % NDEV;
    fuzz_bytes(&in, devs[0].cfg, sizeof devs[0].cfg);
    fuzz_caps(devs[0].cfg, &in);
    fuzz_find_cap(&in);
    if (!(mode & 4))
        return 0;
    /* Enumeration: every function's writable bits (command and BAR/bridge registers), then
     * the other functions' config bytes. */
    for (unsigned i = 0; i < n_devs; i++) {
        if (i > 0)
            fuzz_bytes(&in, devs[i].cfg, 64);
        fuzz_bytes(&in, devs[i].wmask + 0x04, 2);
        fuzz_bytes(&in, devs[i].wmask + 0x10, 0x30 - 0x10);
    }
    fuzz_enumerate();
    return 0;
}
