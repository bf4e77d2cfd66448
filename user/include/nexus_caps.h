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
long nexus_wait(long id);
long nexus_kill(long id);
long nexus_cap_grant(unsigned slot, long child, unsigned rights);
long nexus_cap_revoke(unsigned slot);

#endif
