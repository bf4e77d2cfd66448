/* PCI address-space allocator: places BARs and bridge windows in the host bridge's windows.
 * Pure computation over the arrays it is given (no config space, no MMIO, no allocation), so it
 * runs unchanged in the cmocka tests. It never programs hardware: the enumerator does that. */
#ifndef KERNEL_PCI_ALLOC_H
#define KERNEL_PCI_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

/* Host windows, and the kind of address space a BAR asks for. */
enum pci_win {
    PCI_WIN_IO,    /* I/O space */
    PCI_WIN_MEM32, /* memory below 4 GiB */
    PCI_WIN_MEM64, /* memory anywhere (a 64-bit BAR); falls back to MEM32 */
    PCI_WIN_COUNT
};

/* The three windows of a PCI-to-PCI bridge. */
enum pci_bwin {
    PCI_BWIN_IO,   /* 4 KiB granularity */
    PCI_BWIN_MEM,  /* non-prefetchable, 32-bit, 1 MiB granularity */
    PCI_BWIN_PREF, /* prefetchable, 64-bit when pref64, 1 MiB granularity */
    PCI_BWIN_COUNT
};

#define PCI_BRIDGE_IO_GRAN    0x1000u
#define PCI_BRIDGE_MEM_GRAN   0x100000u
#define PCI_ALLOC_MAX_RES     384
#define PCI_ALLOC_MAX_BRIDGES 32

/* A host window in bus addresses; size 0 = the host has none of this kind. */
struct pci_alloc_window {
    uint64_t base, size;
};

/* One BAR to place. */
struct pci_alloc_res {
    uint64_t size;     /* in: decode size, a power of two */
    uint8_t kind;      /* in: PCI_WIN_IO, PCI_WIN_MEM32 or PCI_WIN_MEM64 */
    bool prefetchable; /* in */
    int parent;        /* in: index of the bridge it sits behind, -1 = root bus */
    bool placed;       /* out */
    uint64_t addr;     /* out: bus address when placed */
    uint64_t offset_;  /* private: offset inside the parent's window */
};

/* One PCI-to-PCI bridge. A bridge's parent must have a smaller index (depth-first order). */
struct pci_alloc_bridge {
    int parent;                    /* in: bridge it sits behind, -1 = root bus */
    bool has_io;                   /* in: I/O window implemented */
    bool has_pref;                 /* in: prefetchable window implemented */
    bool pref64;                   /* in: ...and it decodes 64-bit addresses */
    uint64_t base[PCI_BWIN_COUNT]; /* out: bus address of each window */
    uint64_t size[PCI_BWIN_COUNT]; /* out: 0 = nothing behind it: keep the window closed */
    bool placed[PCI_BWIN_COUNT];   /* out: false when size is 0 or it did not fit */
    uint64_t align_[PCI_BWIN_COUNT], offset_[PCI_BWIN_COUNT]; /* private */
};

/* Places every resource at its natural alignment without overlap: bridge windows are sized to
 * cover what sits behind them (rounded to the bridge granularity), then everything on the root
 * bus goes into the host windows, largest alignment first; a 64-bit BAR goes to the MEM64 window
 * when there is one and falls back to MEM32 when there is none or it does not fit there.
 * Something that does not fit is left unplaced (with everything behind it) and the rest carry
 * on. Returns the number of resources left unplaced, or -EINVAL for malformed input (too many
 * entries, a parent index out of order). */
int pci_alloc_run(const struct pci_alloc_window host[PCI_WIN_COUNT], struct pci_alloc_bridge *br,
                  unsigned n_br, struct pci_alloc_res *res, unsigned n_res);

#endif
