/* nexus_port_* (nexus_port.h): CMD_PORT_* through the fiber's ION channel. */
#include <stddef.h>

#include <ion_gen/ion_cmds.h>
#include <nexus_blk.h>
#include <nexus_port.h>

long nexus_port_read(unsigned slot, void *buf, uint32_t len, uint64_t timeout_ns)
{
    struct PortIo a = {.buf = (uint64_t)(uintptr_t)buf, .len = len, .timeout_ns = timeout_ns};
    return nexus_call(CMD_PORT_READ, slot, &a, sizeof(a));
}

long nexus_port_write(unsigned slot, const void *buf, uint32_t len)
{
    struct PortIo a = {.buf = (uint64_t)(uintptr_t)buf, .len = len};
    return nexus_call(CMD_PORT_WRITE, slot, &a, sizeof(a));
}

long nexus_port_close(unsigned slot)
{
    return nexus_call(CMD_PORT_CLOSE, slot, NULL, 0);
}
