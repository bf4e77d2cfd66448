/* The kernel's ION dispatch: it owns every fiber's CSpace and command channel, takes the
 * commands a fiber posts (abi/ion.h, codes from abi/ion.toml), checks the capability each names,
 * pins the fiber's buffer and hands the request to the Valve as that fiber (its block subject),
 * and posts the completion back. What the shell and init use of it is here. */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

struct block_subject;

/* Gives fiber `fiber` an original capability to the object `name` names: a block device (a
 * Valve name: "blk0") or an object of a plugin's capability kind ("rng0"), with `rights`
 * (CAP_R | CAP_W | CAP_G). Its slot, or -errno (-ENODEV no such object, -ENOSPC, ...). */
int dispatch_grant(unsigned fiber, const char *name, uint8_t rights);
/* The VFS endpoint (N of "vfsN") whose NexFS fiber mounted block device `dev`, or -1: such a
 * disk is that fiber's alone (no capability to it can be given, the shell's dd is refused). */
int dispatch_mounted(unsigned dev);
/* Called (in the ending server's fiber) when a disk NexFS mounted is free again: whoever gave
 * capabilities to it before the mount revoked them may give them again (init, to the shell). */
void dispatch_set_unmount_hook(void (*hook)(unsigned dev));
/* 0 when `name` names something a capability can be made for, else -ENODEV. */
int dispatch_lookup(const char *name);
/* The calling fiber's Valve subject (the Valve then checks its capabilities), or the kernel's
 * for a kernel fiber: what the shell's services act as. */
const struct block_subject *dispatch_subject(void);
/* True when the calling fiber is a kernel fiber, or holds a capability to (kind, object) with
 * every right in `need`. */
bool dispatch_holds(unsigned kind, uint32_t object, uint8_t need);
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
