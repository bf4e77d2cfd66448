/* The kernel's ION dispatch: it owns every fiber's CSpace and command channel, takes the
 * commands a fiber posts (abi/ion.h, codes from abi/ion.toml), checks the capability each names,
 * pins the fiber's buffer and hands the request to the Valve as that fiber (its block subject),
 * and posts the completion back. What the shell and init use of it is here. */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

/* Gives fiber `fiber` an original capability to block device `dev` (a Valve name: "blk0") with
 * `rights` (CAP_R | CAP_W | CAP_G). Its slot, or -errno (-ENODEV, -ENOSPC, ...). */
int dispatch_grant_block(unsigned fiber, const char *dev, uint8_t rights);
/* Capabilities fiber `fiber` holds (for `ps`). */
unsigned dispatch_caps(unsigned fiber);

struct dispatch_stats {
    uint64_t commands; /* taken from submission rings */
    uint64_t denied;   /* refused for a missing capability or right (-EBADF, -EPERM) */
    uint64_t invalid;  /* refused for a bad argument (opcode, range, buffer) */
    uint64_t broken;   /* rings a fiber broke (indices out of range) */
    unsigned inflight; /* commands at the Valve now */
};
void dispatch_stats(struct dispatch_stats *out);

#endif
