/* net_strerror: the words for every -errno the network stack and its drivers return, so the
 * shell never prints a raw number. One table, one place. */
#include <errno.h>

#include "net/net.h"

const char *net_strerror(int rc)
{
    switch (rc) {
    case 0:
        return "success";
    case -ETIMEDOUT:
        return "no answer in time";
    case -ENETDOWN:
        return "link down";
    case -ENETUNREACH:
        return "network unreachable (no route)";
    case -EHOSTUNREACH:
        return "host unreachable (no ARP answer)";
    case -EMSGSIZE:
        return "packet too large for the interface";
    case -EINVAL:
        return "invalid address or argument";
    case -EAGAIN:
        return "no transmit buffer free";
    case -ENOBUFS:
        return "too many packets waiting for ARP";
    case -EIO:
        return "device error";
    case -ENODEV:
        return "no such interface";
    case -ENOSPC:
        return "too many interfaces";
    case -EADDRINUSE:
        return "port already in use";
    case -EBADF:
        return "bad socket";
    case -ENFILE:
        return "no free socket";
    case -ENOENT:
        return "not found";
    }
    return "unexpected error";
}
