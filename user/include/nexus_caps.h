/* The Membrane's capability and child-fiber calls (abi/syscall.h): what a slot holds, giving a
 * capability up, starting a program as a child with copies of some of this fiber's capabilities
 * (each with at most the rights held, and only where this fiber holds the grant right), giving
 * a child a copy later, revoking every copy derived from a capability, waiting for and ending a
 * child. Results: >= 0, or -errno. */
#ifndef NEXUS_CAPS_H
#define NEXUS_CAPS_H

#include <stdint.h>

#include <abi/ion.h>

long nexus_cap_info(unsigned slot, struct cap_info *out);
long nexus_cap_drop(unsigned slot);
/* argv[0] names the embedded program; caps[i] becomes the child's slot i. Its fiber id. */
long nexus_spawn(int argc, const char *const argv[], const struct spawn_cap *caps, unsigned ncaps);
/* The same for a program image in this fiber's memory (read from a file). */
long nexus_spawn_image(const struct spawn_image *img, int argc, const char *const argv[],
                       const struct spawn_cap *caps, unsigned ncaps);
long nexus_wait(long id);
/* As nexus_wait, but -ETIMEDOUT after timeout_ns with the child still running. */
long nexus_wait_ns(long id, uint64_t timeout_ns);
/* For the holder of the machine capability's grant right (the shell): a new capability to the
 * object `name` names ("blk0", "vfs0", "rng0"), its slot; rights 0 only asks whether one could
 * be made. -EBUSY for a disk NexFS mounted, with its endpoint's number at holder. */
long nexus_cap_mint(const char *name, unsigned rights, int32_t *holder);
long nexus_kill(long id);
long nexus_cap_grant(unsigned slot, long child, unsigned rights);
long nexus_cap_revoke(unsigned slot);

#endif
