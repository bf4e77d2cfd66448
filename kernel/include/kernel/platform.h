/* What the device tree told us about the board: filled once at boot by fdt_parse_platform(),
 * read-only afterwards. Nothing here is a constant: every address comes from the DTB. */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#define PLATFORM_MAX_MMIO     16
#define PLATFORM_MAX_RANGES   8
#define PLATFORM_MAX_INTMAP   64
#define PLATFORM_BOOTARGS_LEN 256

struct platform_mmio {
    uint64_t base, size;
    unsigned irq; /* PLIC source, 0 when absent */
};

enum pci_range_kind { PCI_RANGE_IO, PCI_RANGE_MEM32, PCI_RANGE_MEM64 };

struct platform_pci_range {
    enum pci_range_kind kind;
    bool prefetchable;
    uint64_t pci_addr; /* address on the PCI bus */
    uint64_t cpu_addr; /* where the CPU sees it */
    uint64_t size;
};

/* One interrupt-map row: (device address hi, pin) -> PLIC source. */
struct platform_pci_intmap {
    uint32_t addr_hi; /* phys.hi cell: bus/dev/fn bits */
    uint32_t pin;     /* 1 = INTA .. 4 = INTD */
    unsigned irq;     /* PLIC source */
};

struct platform {
    uint64_t ram_base, ram_size;
    uint64_t uart_base;
    unsigned uart_irq;
    uint64_t plic_base, plic_size;
    unsigned plic_ndev;
    unsigned plic_s_context; /* hart 0 S-mode context, from interrupts-extended */
    uint64_t timebase_hz;
    uint64_t test_base; /* sifive,test0 syscon, 0 when absent */
    /* google,goldfish-rtc: the first node whose region holds both 32-bit time registers
     * (4-byte aligned, at least 8 bytes); 0 when absent. */
    uint64_t rtc_base, rtc_size;
    unsigned rtc_irq;

    struct platform_mmio mmio[PLATFORM_MAX_MMIO];
    unsigned n_mmio;

    bool has_pci;
    uint64_t ecam_base, ecam_size;
    unsigned bus_start, bus_end;
    struct platform_pci_range ranges[PLATFORM_MAX_RANGES];
    unsigned n_ranges;
    struct platform_pci_intmap intmap[PLATFORM_MAX_INTMAP];
    unsigned n_intmap;
    uint32_t intmap_mask_hi, intmap_mask_pin;

    char bootargs[PLATFORM_BOOTARGS_LEN]; /* /chosen/bootargs, "" when absent */
};

/* Parses the flattened device tree at `dtb` into *out. Returns 0, or -EINVAL for a malformed
 * blob (bad magic, version, offsets outside totalsize, unterminated strings). Pure: no globals,
 * so the host tests feed it QEMU's DTBs. */
int fdt_parse_platform(const void *dtb, uint64_t dtb_max_size, struct platform *out);

/* The platform found at boot. */
const struct platform *platform(void);

/* Kernel command line: the value of `key=value` in bootargs copied to buf, or NULL when absent.
 * Example: cmdline_get("virtio.pci", buf, sizeof buf) -> "legacy". */
const char *cmdline_get(const char *key, char *buf, unsigned len);

#endif
