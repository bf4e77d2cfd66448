/* portecho: the console plugin's shim from a user fiber (tests/qemu/test_virtio_console.py).
 *   portecho N   echoes N lines received on the named port in slot 0 back through it (waiting
 *                up to 10 s for each), closes the port and says how many; then what the kernel
 *                answers for a length of 0 and of 4097 and a buffer in kernel memory. */
#include <stdio.h>
#include <stdlib.h>

#include <ion_gen/ion_cmds.h>
#include <nexus_port.h>

#define WAIT_NS (10ull * 1000000000u)

static char line[4096];
static unsigned len;
static unsigned long lines;

/* One received byte: kept, and the line sent back when it ends. 0, or 1 when the write failed. */
static int take(char c)
{
    line[len++] = c;
    if (c != '\n' && len < sizeof(line))
        return 0;
    long w = nexus_port_write(0, line, len);
    if (w != (long)len)
        return printf("portecho: write: %ld\n", w), 1;
    lines++;
    len = 0;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long want = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
    char c;

    if (want == 0 || want > 1000)
        return printf("usage: portecho [1..1000]\n"), 2;
    /* A first look, not waiting, opens the port: the host's side sees it open before we say
     * we are ready (what it sends to a closed port QEMU does not keep). */
    long n = nexus_port_read(0, &c, 1, 0);
    if (n < 0)
        return printf("portecho: read: %s\n", ion_error_message(n)), 1;
    if (n == 1 && take(c))
        return 1;
    printf("portecho: echoing %lu lines\n", want);
    fflush(stdout);
    while (lines < want) {
        n = nexus_port_read(0, &c, 1, WAIT_NS);
        if (n < 0)
            return printf("portecho: read: %s\n", ion_error_message(n)), 1;
        if (n == 0)
            return printf("portecho: no line within 10 s after %lu\n", lines), 1;
        if (take(c))
            return 1;
    }
    printf("portecho: %lu lines echoed\n", lines);
    printf("portecho len0 = %ld\n", nexus_port_write(0, line, 0));
    printf("portecho len4097 = %ld\n", nexus_port_read(0, line, 4097, 0));
    printf("portecho kernel = %ld\n", nexus_port_write(0, (const void *)0x80200000ul, 16));
    printf("portecho close = %ld\n", nexus_port_close(0));
    return 0;
}
