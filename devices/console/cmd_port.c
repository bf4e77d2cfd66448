/* NipBox's `port [name]`: without a name, the ports in the OS's registry (ports.h); with one, a
 * line echo through that named port (each line received is sent back) until Ctrl-C or the port
 * goes. Carried by the console plugin (manifest.toml [nipbox]). */
#include <errno.h>
#include <stdio.h>

#include <ports.h>
#include <services/service.h>

#define LINE_MAX 256u

static int list_ports(void)
{
    struct port *p;
    struct port_info i;
    unsigned n = 0;
    for (; (p = port_at(n)) != NULL; n++) {
        port_info(p, &i);
        printf("%s %s %s host %s\n", i.owner, i.name, i.console ? "console" : "named",
               i.host_open ? "open" : "closed");
    }
    if (!n)
        printf("port: no virtio-console ports\n");
    return n ? 0 : 1;
}

static int echo(const char *name)
{
    static char line[LINE_MAX];
    unsigned len = 0, lines = 0;
    long n = 0;
    struct port *p = port_find(name);
    int rc = p ? port_open(p) : -1;
    if (rc) {
        printf("port: %s: %s\n", name,
               !p             ? "no such port"
               : rc == -EBUSY ? "busy (a console, or open)"
                              : "gone");
        return 1;
    }
    printf("port: echoing lines on %s; Ctrl-C stops\n", name);
    while (!service_interrupted() && (n = port_read(p, line + len, 1)) >= 0) {
        if (n == 0) {
            (void)port_wait(p, 10000000u);
        } else if (line[len++] == '\n' || len == LINE_MAX) {
            if (port_write(p, line, len) < 0)
                printf("port: %s: a line could not be sent back\n", name);
            lines++;
            len = 0;
        }
    }
    port_close(p); /* also when it went away: lets go of its place in the registry */
    if (n < 0)
        printf("port: %s went away after %u lines\n", name, lines);
    else
        printf("port: %s: %u lines echoed\n", name, lines);
    return n < 0;
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
