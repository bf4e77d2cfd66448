/* The kernel side of os.h's console devices: hands a driver's console (a virtio-console port)
 * to the console layer (kernel/console.c), which switches to it when console= names it. */
#include <errno.h>

#include <kernel/console.h>
#include <virtio/os.h>

int os_console_add(struct os_console *c)
{
    c->os_id = console_attach(c->name, c->write, c->arg);
    return c->os_id < 0 ? -ENOSPC : 0;
}

void os_console_remove(struct os_console *c)
{
    console_detach(c->os_id);
    c->os_id = -1;
}

void os_console_input(struct os_console *c, const char *buf, size_t len)
{
    console_input(c->os_id, buf, len);
}
