/* NipBox's `port [name]`: without a name, the console devices' ports; with one, a line echo
 * through that named port (each line received is sent back) until Ctrl-C or the port goes.
 * Carried by the console plugin (manifest.toml [nipbox]). */
#include <errno.h>
#include <stdio.h>
#include <virtio/virtio.h>

#include <abi/parse_uint.h>
#include <services/service.h>

#include "virtcon.h"

#define LINE_MAX 256u

static int list_ports(void)
{
    struct virtio_device *vdev;
    struct vc_port *p;
    unsigned shown = 0;
    for (unsigned d = 0; (vdev = virtio_device_find("console", d)) != NULL; d++)
        for (unsigned i = 0; (p = virtcon_port_at(vdev, i)) != NULL; i++, shown++)
            printf("%s %s %s host %s\n", vdev->name, virtcon_port_name(p),
                   virtcon_port_is_console(p) ? "console" : "named",
                   virtcon_port_host_open(p) ? "open" : "closed");
    if (!shown)
        printf("port: no virtio-console ports\n");
    return shown ? 0 : 1;
}

static int echo(const char *name)
{
    static char line[LINE_MAX];
    unsigned len = 0, lines = 0;
    struct vc_port *p = virtcon_port_find(name);
    int rc = p ? virtcon_port_open(p) : -1;
    if (rc) {
        printf("port: %s: %s\n", name,
               !p             ? "no such port"
               : rc == -EBUSY ? "busy (a console, or open)"
                              : "gone");
        return 1;
    }
    printf("port: echoing lines on %s; Ctrl-C stops\n", name);
    while (!service_interrupted()) {
        char c;
        long n = virtcon_port_read(p, &c, 1);
        if (n < 0) {
            printf("port: %s went away after %u lines\n", name, lines);
            return 1;
        }
        if (n == 0) {
            (void)virtcon_port_wait(p, 10000000u);
            continue;
        }
        line[len++] = c;
        if (c == '\n' || len == LINE_MAX) {
            if (virtcon_port_write(p, line, len) < 0)
                printf("port: %s: a line could not be sent back\n", name);
            lines++;
            len = 0;
        }
    }
    virtcon_port_close(p);
    printf("port: %s: %u lines echoed\n", name, lines);
    return 0;
}

static int run_port(int argc, char **argv)
{
    if (argc > 2) {
        printf("port: usage: port [name]\n");
        return 1;
    }
    return argc == 1 ? list_ports() : echo(argv[1]);
}
SERVICE_COMMAND(port, "port", "port [name]",
                "virtio-console ports; with a name, echo lines through that port", run_port);
