/* The port registry (ports.h): a fixed table of named byte-stream ports, each with the ring of
 * bytes received and not yet read and the event its reader waits on. Devices feed it; it calls a
 * device only while that device's port is present, and takes no length or name from a device
 * without bounding it. A slot is reused only once its port is gone and no user holds it open.
 * Every change is made with interrupts disabled (devices feed it from their interrupts). */
#include <errno.h>
#include <string.h>

#include <ports.h>
#include <virtio/os.h>

struct port {
    const char *owner;
    const struct port_ops *ops;
    void *arg;
    bool present, opened, console, host_open;
    char name[PORT_NAME_MAX];
    uint8_t rx[PORT_RX_BUFFER];
    unsigned head, tail; /* head: next byte in (device), tail: next byte out (reader) */
    uint64_t dropped;
    struct os_event ev;
};

static struct port ports[PORTS_MAX];

struct port *port_add(const char *owner, const struct port_ops *ops, void *arg)
{
    struct port *p = NULL;
    unsigned long irq = os_irq_disable();
    for (unsigned i = 0; i < PORTS_MAX && !p; i++)
        if (!ports[i].present && !ports[i].opened)
            p = &ports[i];
    if (p) {
        *p = (struct port){.owner = owner, .ops = ops, .arg = arg, .present = true};
        os_event_init(&p->ev);
    }
    os_irq_restore(irq);
    return p;
}

void port_set_name(struct port *p, const void *name, size_t len)
{
    const uint8_t *b = name;
    size_t n = 0;
    unsigned long irq = os_irq_disable();
    while (n < len && n < PORT_NAME_MAX - 1 && b[n] > 0x20 && b[n] < 0x7f) {
        p->name[n] = (char)b[n];
        n++;
    }
    p->name[n] = '\0';
    os_irq_restore(irq);
}

void port_set_console(struct port *p, bool console)
{
    p->console = console;
}

void port_set_host_open(struct port *p, bool open)
{
    p->host_open = open;
}

void port_input(struct port *p, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    size_t k = 0;
    unsigned long irq = os_irq_disable();
    if (p->present) {
        for (; k < len && p->head - p->tail < PORT_RX_BUFFER; k++)
            p->rx[p->head++ % PORT_RX_BUFFER] = b[k];
        p->dropped += len - k;
        os_event_signal(&p->ev);
    }
    os_irq_restore(irq);
}

void port_remove(struct port *p)
{
    unsigned long irq = os_irq_disable();
    p->present = p->console = p->host_open = false;
    p->ops = NULL;
    p->arg = NULL;
    os_event_signal(&p->ev); /* a reader sees -ENODEV */
    os_irq_restore(irq);
}

struct port *port_find(const char *name)
{
    struct port *p = NULL;
    unsigned long irq = os_irq_disable(); /* a device may add, name or remove ports meanwhile */
    for (unsigned i = 0; name && name[0] && !p && i < PORTS_MAX; i++)
        if (ports[i].present && strcmp(ports[i].name, name) == 0)
            p = &ports[i];
    os_irq_restore(irq);
    return p;
}

struct port *port_at(unsigned n)
{
    struct port *p = NULL;
    unsigned long irq = os_irq_disable();
    for (unsigned i = 0; !p && i < PORTS_MAX; i++)
        if (ports[i].present && n-- == 0)
            p = &ports[i];
    os_irq_restore(irq);
    return p;
}

void port_info(const struct port *p, struct port_info *out)
{
    unsigned long irq = os_irq_disable();
    *out = (struct port_info){.name = p->name[0] ? p->name : "(unnamed)",
                              .owner = p->owner,
                              .console = p->console,
                              .host_open = p->host_open,
                              .dropped = p->dropped};
    os_irq_restore(irq);
}

int port_open(struct port *p)
{
    unsigned long irq = os_irq_disable();
    int rc = !p->present ? -ENODEV : p->opened || p->console ? -EBUSY : 0;
    if (rc == 0) {
        p->opened = true;
        p->head = p->tail = 0;
        if (p->ops->open)
            p->ops->open(p->arg, true);
    }
    os_irq_restore(irq);
    return rc;
}

void port_close(struct port *p)
{
    unsigned long irq = os_irq_disable();
    if (p->opened && p->present && p->ops->open)
        p->ops->open(p->arg, false);
    p->opened = false;
    os_irq_restore(irq);
}

long port_read(struct port *p, void *buf, size_t len)
{
    uint8_t *b = buf;
    size_t n = 0;
    unsigned long irq = os_irq_disable();
    if (p->present && p->ops->poll)
        p->ops->poll(p->arg); /* a polled device has no interrupt to bring the bytes */
    while (n < len && p->tail != p->head)
        b[n++] = p->rx[p->tail++ % PORT_RX_BUFFER];
    long rc = n || p->present ? (long)n : -ENODEV;
    os_irq_restore(irq);
    return rc;
}

long port_write(struct port *p, const void *buf, size_t len)
{
    unsigned long irq = os_irq_disable();
    long rc = p->present ? p->ops->write(p->arg, buf, len) : -ENODEV;
    os_irq_restore(irq);
    return rc;
}

int port_wait(struct port *p, uint64_t timeout_ns)
{
    return os_event_wait(&p->ev, timeout_ns);
}
