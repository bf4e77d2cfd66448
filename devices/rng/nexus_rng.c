/* nexus_rng_read (devices/rng/nexus_rng.h): one CMD_RNG_READ through the fiber's ION channel. */
#include <ion_gen/ion_cmds.h>
#include <nexus_blk.h>
#include <nexus_rng.h>

long nexus_rng_read(unsigned slot, void *buf, uint32_t len)
{
    struct RngArgs a = {.buf = (uint64_t)(uintptr_t)buf, .len = len};
    return nexus_call(CMD_RNG_READ, slot, &a, sizeof(a));
}
