/* ION for ports (ports/ion.toml: CMD_PORT_READ/WRITE/CLOSE): a user fiber holding a capability
 * ("run -c org.example.port portecho") reads and writes it. The capability's object is the
 * port's entry in a table of names made at lookup, so it keeps naming the same port while
 * devices add and remove others. The port is opened for the fiber at its first read or write
 * and closed by CMD_PORT_CLOSE. Every argument from the fiber is checked; bytes reach it only
 * through os_user_copyin/out. */
#include <errno.h>
#include <string.h>

#include <ports.h>
#include <virtio/os.h>

#define PORT_NAMES    16u
#define PORT_IO_MAX   4096u
#define PORT_WAIT_MAX (60ull * 1000000000u)

int port_ion_find(const char *name);
int64_t port_ion_read(const struct os_ion_call *call);
int64_t port_ion_write(const struct os_ion_call *call);
int64_t port_ion_close(const struct os_ion_call *call);

static char names[PORT_NAMES][PORT_NAME_MAX];
static struct port *held[PORT_NAMES]; /* opened through ION (closed by CMD_PORT_CLOSE) */
static uint8_t io[PORT_IO_MAX];

/* A named port (not a console) -> its entry, made on first use; -ENODEV otherwise. */
int port_ion_find(const char *name)
{
    struct port *p = name ? port_find(name) : NULL;
    struct port_info info;
    if (!p)
        return -ENODEV;
    port_info(p, &info);
    if (info.console)
        return -ENODEV;
    for (unsigned i = 0; i < PORT_NAMES; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    for (unsigned i = 0; i < PORT_NAMES; i++)
        if (!names[i][0]) {
            memcpy(names[i], name, strlen(name) + 1); /* port_find: shorter than PORT_NAME_MAX */
            return (int)i;
        }
    return -ENODEV; /* more named ports than the table holds */
}

/* The port behind the capability, opened for ION if it is not yet: or NULL with *rc set. */
static struct port *port_of(uint32_t object, int64_t *rc)
{
    if (object >= PORT_NAMES || !names[object][0]) {
        *rc = -ENODEV;
        return NULL;
    }
    struct port *p = port_find(names[object]);
    if (held[object] && held[object] != p) {
        port_close(held[object]); /* gone: a port of that name later is a new opening */
        held[object] = NULL;
    }
    *rc = -ENODEV;
    if (!p)
        return NULL;
    if (!held[object]) {
        int r = port_open(p);
        if (r) {
            *rc = r; /* -EBUSY: the shell's `port` has it */
            return NULL;
        }
        held[object] = p;
    }
    return p;
}

/* arg: buf, len (1..4096), timeout_ns (0: do not wait; at most 60 s). Bytes read (0 when none
 * came in time), or -ENODEV once the port is gone. */
int64_t port_ion_read(const struct os_ion_call *call)
{
    uint64_t user = call->arg[0], len = (uint32_t)call->arg[1], timeout = call->arg[2];
    int64_t rc;

    if (len == 0 || len > PORT_IO_MAX || timeout > PORT_WAIT_MAX)
        return -EINVAL;
    struct port *p = port_of(call->object, &rc);
    if (!p)
        return rc;
    /* A wake-up may be left from bytes already taken: wait again until bytes or the deadline. */
    const uint64_t deadline = os_time_ns() + timeout;
    long n = port_read(p, io, (size_t)len);
    while (n == 0 && timeout && (int64_t)(deadline - os_time_ns()) > 0) {
        if (port_wait(p, deadline - os_time_ns()) != 0)
            break; /* timed out */
        n = port_read(p, io, (size_t)len);
    }
    if (n <= 0)
        return n;
    return os_user_copyout(user, io, (size_t)n) ? -EFAULT : n;
}

/* arg: buf, len (1..4096). len, or -ENODEV, -EIO. */
int64_t port_ion_write(const struct os_ion_call *call)
{
    uint64_t user = call->arg[0], len = (uint32_t)call->arg[1];
    int64_t rc;

    if (len == 0 || len > PORT_IO_MAX)
        return -EINVAL;
    if (os_user_copyin(io, user, (size_t)len))
        return -EFAULT;
    struct port *p = port_of(call->object, &rc);
    return p ? port_write(p, io, (size_t)len) : rc;
}

int64_t port_ion_close(const struct os_ion_call *call)
{
    if (call->object >= PORT_NAMES || !held[call->object])
        return -EBADF;
    port_close(held[call->object]);
    held[call->object] = NULL;
    return 0;
}
