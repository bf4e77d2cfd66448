/* The shell's `ion` service: the ION dispatch's counters (commands taken, refused for a missing
 * capability or a bad argument, broken rings, commands at the Valve now), pages pinned for DMA,
 * bytes the kernel copied to or from fibers, and capabilities alive in the whole system. */
#include <errno.h>
#include <stdio.h>

#include <abi/parse_uint.h>
#include <caps/cspace.h>
#include <dispatch/dispatch.h>
#include <kernel/vm.h>
#include <services/service.h>

static int cmd_ion(int argc, char **argv)
{
    struct dispatch_stats s;
    (void)argv;

    if (argc != 1) {
        printf("usage: ion\n");
        return -EINVAL;
    }
    dispatch_stats(&s);
    printf("ion: %llu commands, %llu denied, %llu invalid, %llu broken rings, %u in flight\n",
           (unsigned long long)s.commands, (unsigned long long)s.denied,
           (unsigned long long)s.invalid, (unsigned long long)s.broken, s.inflight);
    printf("ion: %zu pages pinned, %llu bytes copied to/from fibers, %u capabilities\n",
           vm_pinned_pages(), (unsigned long long)vm_copied_bytes(), caps_live());
    return 0;
}

SERVICE_COMMAND(ion, "ion", "ion", "ION dispatch counters: commands, refusals, pinned pages",
                cmd_ion);
