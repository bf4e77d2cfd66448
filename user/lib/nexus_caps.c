/* The Membrane's capability and child-fiber calls (user/include/nexus_caps.h). */
#include <abi/syscall.h>
#include <nexus.h>
#include <nexus_caps.h>

long nexus_cap_info(unsigned slot, struct cap_info *out)
{
    return nexus_syscall(SYS_CAP_INFO, (long)slot, (long)out, 0);
}

long nexus_cap_drop(unsigned slot)
{
    return nexus_syscall(SYS_CAP_DROP, (long)slot, 0, 0);
}

long nexus_spawn(int argc, const char *const argv[], const struct spawn_cap *caps, unsigned ncaps)
{
    return nexus_syscall5(SYS_SPAWN, (long)argv[0], (long)argv, argc, (long)caps, ncaps);
}

long nexus_spawn_image(const struct spawn_image *img, int argc, const char *const argv[],
                       const struct spawn_cap *caps, unsigned ncaps)
{
    return nexus_syscall5(SYS_SPAWN_IMAGE, (long)img, (long)argv, argc, (long)caps, ncaps);
}

long nexus_wait(long id)
{
    return nexus_syscall(SYS_WAIT, id, 0, 0);
}

long nexus_wait_ns(long id, uint64_t timeout_ns)
{
    return nexus_syscall(SYS_WAIT, id, (long)timeout_ns, 0);
}

long nexus_cap_mint(const char *name, unsigned rights, int32_t *holder)
{
    return nexus_syscall(SYS_CAP_MINT, (long)name, (long)rights, (long)holder);
}

long nexus_kill(long id)
{
    return nexus_syscall(SYS_KILL, id, 0, 0);
}

long nexus_cap_grant(unsigned slot, long child, unsigned rights)
{
    return nexus_syscall(SYS_CAP_GRANT, (long)slot, child, (long)rights);
}

long nexus_cap_revoke(unsigned slot)
{
    return nexus_syscall(SYS_CAP_REVOKE, (long)slot, 0, 0);
}
