/* The shell's `lspci` service (kernel/services, run through SYS_SERVICE): every PCI function the
 * bus layer found, with its BARs as assigned, its INTx line, and bridge windows. Read-only: reads
 * the bus layer's records, never config space. */
#include <stdio.h>

#include <abi/parse_uint.h>
#include <services/service.h>

#include <pci/pci.h>

static const char *const win_names[3] = {"io", "mem", "pref"};

static void print_function(const struct pci_func *f)
{
    printf("%02x:%02x.%x %04x:%04x class %06x", f->bus, f->dev, f->fn, f->vendor, f->device,
           (unsigned)f->class_code);
    if (f->pin != 0)
        printf(" pin %c irq %u", 'A' + f->pin - 1, f->irq);
    printf(" %s%s\n", f->enabled ? "enabled" : "disabled", f->claimed ? " claimed" : "");
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        const struct pci_bar *b = &f->bar[i];
        if (b->kind == PCI_BAR_NONE)
            continue;
        if (b->assigned)
            printf("    BAR%u %-5s 0x%llx size 0x%llx bus 0x%llx%s\n", i,
                   pci_bar_kind_name(b->kind), (unsigned long long)b->cpu_addr,
                   (unsigned long long)b->size, (unsigned long long)b->pci_addr,
                   b->prefetchable ? " pref" : "");
        else
            printf("    BAR%u %-5s unassigned size 0x%llx\n", i, pci_bar_kind_name(b->kind),
                   (unsigned long long)b->size);
    }
    if (f->header_type == 1) {
        printf("    bridge buses %02x-%02x", f->secondary, f->subordinate);
        for (unsigned w = 0; w < 3; w++) {
            if (f->win_size[w])
                printf(" %s 0x%llx+0x%llx", win_names[w], (unsigned long long)f->win_base[w],
                       (unsigned long long)f->win_size[w]);
            else
                printf(" %s closed", win_names[w]);
        }
        printf("\n");
    }
}

static int lspci_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    unsigned n = pci_func_count();
    for (unsigned i = 0; i < n; i++)
        print_function(pci_func_at(i));
    if (n == 0)
        printf("no PCI functions\n");
    return 0;
}

SERVICE_COMMAND(lspci, "lspci", "lspci", "list PCI functions with their BARs as assigned",
                lspci_run);
