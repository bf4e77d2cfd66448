/* The PCI bus layer's public interface: the list of functions found at boot with their BARs as
 * assigned, their INTx line, and config-space access for the transports and lspci.
 * Kernel-side only (the virtio core never sees it). The bus layer's only public header. */
#ifndef KERNEL_PCI_PCI_H
#define KERNEL_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_FUNCS 64
#define PCI_NUM_BARS  6

/* Config-space registers and bits used outside the bus layer. */
#define PCI_VENDOR_ID       0x00
#define PCI_COMMAND         0x04
#define PCI_STATUS          0x06
#define PCI_CAP_PTR         0x34
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_CAP_ID_MSIX     0x11
#define PCI_CFG_SIZE        256

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
    enum pci_bar_kind kind; /* NONE: not implemented (or the upper half of a 64-bit BAR) */
    bool prefetchable;
    bool assigned;     /* placed, programmed and decoding */
    uint64_t size;     /* bytes the BAR decodes */
    uint64_t pci_addr; /* bus address */
    uint64_t cpu_addr; /* where the CPU reaches it (I/O: the port token for os_pio_*) */
};

struct pci_func {
    uint8_t bus, dev, fn;
    uint8_t header_type; /* 0 endpoint, 1 PCI-to-PCI bridge (multi-function bit removed) */
    uint16_t vendor, device;
    uint16_t subsys_vendor, subsys_id; /* endpoints only */
    uint8_t revision;
    uint32_t class_code; /* base class << 16 | subclass << 8 | prog-if */
    uint8_t pin;         /* 1..4 = INTA..INTD, 0 = none */
    unsigned irq;        /* PLIC source from the interrupt-map, 0 = none */
    struct pci_bar bar[PCI_NUM_BARS];
    bool enabled; /* every BAR placed: decode and bus mastering on */
    bool claimed; /* a transport drives it */
    int parent;   /* index of the bridge function above it, -1 = root bus */
    /* Bridges: bus numbers and windows (bus addresses; size 0 = closed). */
    uint8_t secondary, subordinate;
    uint64_t win_base[3], win_size[3]; /* I/O, memory, prefetchable */
};

/* Functions found by pci_init (depth-first bus order). NULL past the end. */
unsigned pci_func_count(void);
struct pci_func *pci_func_at(unsigned i);

/* Marks f as driven by a transport. Returns 0, or -EBUSY when already claimed. */
int pci_claim(struct pci_func *f);

/* Reads f's config space; `off` must be naturally aligned and below 256 (else all-ones).
 * Writes stay inside the bus layer: enumeration programs BARs and command bits. */
uint16_t pci_cfg_read16(const struct pci_func *f, unsigned off);
uint32_t pci_cfg_read32(const struct pci_func *f, unsigned off);

/* Offset of the first capability with this ID in f's list (bounded walk), 0 when absent. */
unsigned pci_find_cap(const struct pci_func *f, uint8_t cap_id);

const char *pci_bar_kind_name(enum pci_bar_kind kind); /* "io", "mem32", "mem64", "-" */

#endif
