/* The kernel's PCI bus: ECAM config access at the DTB's host bridge, enumeration at INIT_BUS,
 * and the function list the transports and lspci read. Owns the only pci_topology; never
 * drives a device itself (transports claim functions and own their registers). */
#include "pci_enum.h"

#include <errno.h>
#include <kernel/init.h>
#include <kernel/platform.h>
#include <pci/pci.h>
#include <virtio/os.h>

static struct pci_topology pci_topo;
static struct pci_host pci_host_info;

/* ECAM: one 4 KiB config page per function; the window starts at bus_start. */
static uintptr_t ecam_addr(unsigned bdf, unsigned off, unsigned width)
{
    const struct platform *p = platform();
    unsigned bus = bdf >> 8;
    if (!p->has_pci || bus < p->bus_start || bus > p->bus_end || off >= 4096 || (off & (width - 1)))
        return 0;
    uint64_t rel = (uint64_t)(bus - p->bus_start) << 20 | (uint64_t)(bdf & 0xff) << 12 | off;
    if (rel + width > p->ecam_size)
        return 0;
    return (uintptr_t)(p->ecam_base + rel);
}

static uint32_t ecam_read(void *ctx, unsigned bdf, unsigned off, unsigned width)
{
    (void)ctx;
    uintptr_t a = ecam_addr(bdf, off, width);
    if (a == 0)
        return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
    switch (width) {
    case 1:
        return os_mmio_read8(a);
    case 2:
        return os_mmio_read16(a);
    default:
        return os_mmio_read32(a);
    }
}

static void ecam_write(void *ctx, unsigned bdf, unsigned off, unsigned width, uint32_t v)
{
    (void)ctx;
    uintptr_t a = ecam_addr(bdf, off, width);
    if (a == 0)
        return;
    switch (width) {
    case 1:
        os_mmio_write8(a, (uint8_t)v);
        break;
    case 2:
        os_mmio_write16(a, (uint16_t)v);
        break;
    default:
        os_mmio_write32(a, v);
        break;
    }
}

static const struct pci_cfg_ops ecam_ops = {ecam_read, ecam_write, NULL};

static int pci_init(void)
{
    const struct platform *p = platform();
    if (!p->has_pci) {
        os_log("pci: no host bridge in the device tree");
        return 0;
    }
    pci_host_from_platform(p, &ecam_ops, &pci_host_info);
    os_log("pci: ecam 0x%llx buses %02x-%02x, io 0x%llx+0x%llx mem32 0x%llx+0x%llx mem64 "
           "0x%llx+0x%llx",
           (unsigned long long)p->ecam_base, p->bus_start, p->bus_end,
           (unsigned long long)pci_host_info.win[PCI_WIN_IO].base,
           (unsigned long long)pci_host_info.win[PCI_WIN_IO].size,
           (unsigned long long)pci_host_info.win[PCI_WIN_MEM32].base,
           (unsigned long long)pci_host_info.win[PCI_WIN_MEM32].size,
           (unsigned long long)pci_host_info.win[PCI_WIN_MEM64].base,
           (unsigned long long)pci_host_info.win[PCI_WIN_MEM64].size);
    int n = pci_enumerate(&pci_host_info, &pci_topo);
    if (n < 0)
        return n;
    os_log("pci: %d functions on buses %02x-%02x", n, p->bus_start, pci_topo.last_bus);
    return 0;
}
KERNEL_INIT(INIT_BUS, pci_init);

unsigned pci_func_count(void)
{
    return pci_topo.n_funcs;
}

struct pci_func *pci_func_at(unsigned i)
{
    return i < pci_topo.n_funcs ? &pci_topo.funcs[i] : NULL;
}

int pci_claim(struct pci_func *f)
{
    if (f->claimed)
        return -EBUSY;
    f->claimed = true;
    return 0;
}

static unsigned bdf_of(const struct pci_func *f)
{
    return (unsigned)f->bus << 8 | (unsigned)f->dev << 3 | f->fn;
}

static bool cfg_ok(unsigned off, unsigned width)
{
    return off < PCI_CFG_SIZE && (off & (width - 1)) == 0;
}

uint16_t pci_cfg_read16(const struct pci_func *f, unsigned off)
{
    return cfg_ok(off, 2) ? (uint16_t)ecam_read(NULL, bdf_of(f), off, 2) : 0xffff;
}

uint32_t pci_cfg_read32(const struct pci_func *f, unsigned off)
{
    return cfg_ok(off, 4) ? ecam_read(NULL, bdf_of(f), off, 4) : 0xffffffffu;
}

unsigned pci_find_cap(const struct pci_func *f, uint8_t cap_id)
{
    return pci_enum_find_cap(&ecam_ops, bdf_of(f), cap_id);
}
