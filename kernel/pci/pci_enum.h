/* PCI enumeration over an abstract config-space accessor: scan, BAR sizing, bus numbering,
 * address assignment, bridge windows, command bits and INTx routing. It never touches hardware
 * except through the accessor, so the host tests run it against a simulated bus. */
#ifndef KERNEL_PCI_ENUM_H
#define KERNEL_PCI_ENUM_H

#include "pci_alloc.h"

#include <kernel/platform.h>
#include <pci/pci.h>
#include <stdint.h>

/* bdf = bus << 8 | dev << 3 | fn. width is 1, 2 or 4; off is naturally aligned and < 4096. */
struct pci_cfg_ops {
    uint32_t (*read)(void *ctx, unsigned bdf, unsigned off, unsigned width);
    void (*write)(void *ctx, unsigned bdf, unsigned off, unsigned width, uint32_t v);
    void *ctx;
};

struct pci_host {
    const struct pci_cfg_ops *cfg;
    unsigned bus_start, bus_end;
    struct pci_alloc_window win[PCI_WIN_COUNT]; /* bus addresses, size 0 = none */
    uint64_t cpu_base[PCI_WIN_COUNT];           /* CPU address of win[w].base */
    const struct platform_pci_intmap *intmap;
    unsigned n_intmap;
    uint32_t intmap_mask_hi, intmap_mask_pin;
};

/* Everything enumeration produces; the caller keeps it (the kernel: one static instance). */
struct pci_topology {
    struct pci_func funcs[PCI_MAX_FUNCS];
    unsigned n_funcs;
    unsigned last_bus;
    /* Scratch for the allocator. */
    struct pci_alloc_res res[PCI_ALLOC_MAX_RES];
    uint8_t res_func[PCI_ALLOC_MAX_RES], res_bar[PCI_ALLOC_MAX_RES];
    unsigned n_res;
    struct pci_alloc_bridge br[PCI_ALLOC_MAX_BRIDGES];
    uint8_t br_func[PCI_ALLOC_MAX_BRIDGES];
    unsigned n_br;
};

/* Fills host windows from the DTB ranges (largest range of each kind; I/O starts at bus address
 * 0x1000 at the lowest). */
void pci_host_from_platform(const struct platform *p, const struct pci_cfg_ops *cfg,
                            struct pci_host *host);

/* Enumerates the whole hierarchy and programs it. Logs one line per BAR assigned and one per
 * device left disabled. Returns the number of functions found, or -errno. */
int pci_enumerate(const struct pci_host *host, struct pci_topology *t);

/* Capability walk over any config accessor: offset of cap_id, 0 when absent (at most 48
 * steps, pointers 4-aligned in 0x40..0xfc). */
unsigned pci_enum_find_cap(const struct pci_cfg_ops *cfg, unsigned bdf, uint8_t cap_id);

#endif
