/* libFuzzer target: the DTB parser (kernel/fdt.c) and the command-line lookup that reads what
 * it stored (kernel/platform.c). The input is the blob, exactly as long as libFuzzer hands it
 * over (so ASan sees any read past it). A blob is either refused with -EINVAL and an all-zero
 * platform, or accepted with every table within its bounds and the bootargs terminated. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kernel/boot.h>
#include <kernel/platform.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct platform p, zero;
    int rc = fdt_parse_platform(data, size, &p);

    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "fdt_parse_platform returned %d", rc);
    if (rc) {
        FUZZ_CHECK(memcmp(&p, &zero, sizeof p) == 0, "a refused blob left data behind");
        return 0;
    }
    FUZZ_CHECK(p.n_mmio <= PLATFORM_MAX_MMIO, "%u mmio", p.n_mmio);
    FUZZ_CHECK(p.n_ranges <= PLATFORM_MAX_RANGES, "%u ranges", p.n_ranges);
    FUZZ_CHECK(p.n_intmap <= PLATFORM_MAX_INTMAP, "%u intmap rows", p.n_intmap);
    FUZZ_CHECK(memchr(p.bootargs, '\0', sizeof p.bootargs) != NULL, "bootargs unterminated");
    FUZZ_CHECK(!p.has_pci || p.bus_start <= p.bus_end, "buses %u..%u", p.bus_start, p.bus_end);

    /* The same blob as the boot platform, and every lookup the kernel makes in its bootargs. */
    FUZZ_CHECK(platform_init(data, size) == 0, "second parse disagrees");
    static const char *const keys[] = {"virtio.pci", "virtio.ring", "ramdisk", "console", "x"};
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char buf[16];
        const char *v = cmdline_get(keys[i], buf, sizeof buf);
        FUZZ_CHECK(v == NULL || (v == buf && memchr(buf, '\0', sizeof buf)),
                   "cmdline_get(%s) gave no terminated copy", keys[i]);
    }
    return 0;
}
