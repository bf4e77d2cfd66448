/* virtio-console (virtio 1.2, 5.3): per port a receive and a transmit queue; with MULTIPORT a
 * control queue pair over which the device adds, names, opens and removes ports. Receive
 * buffers stay posted; what arrives goes to the OS's console (console ports) or to the port in
 * the OS's port registry (ports.h, which owns names, opens and buffering). Sends and control
 * messages are polled with a deadline, so a console write never hangs. Every control message
 * and used length is checked before use. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ports.h>
#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_gen/virtio_ids.h>

#include "virtcon.h"

#define MAX_PORTS   4 /* ports per device this driver serves (port ids 0..3) */
#define RX_BUFS     4
#define RX_BUF      128u
#define CTRL_BUFS   8
#define CTRL_BUF    64u
#define TX_MAX      256u
#define SEND_NS     200000000ull
#define DISCOVER_NS 300000000ull /* at probe: how long the host may take to list its ports */
/* Control events (virtio 1.2, 5.3.6.2); RESIZE (5) is not used. */
#define DEVICE_READY  0
#define DEVICE_ADD    1
#define DEVICE_REMOVE 2
#define PORT_READY    3
#define CONSOLE_PORT  4
#define PORT_OPEN     6
#define PORT_NAME     7

struct vc_ctrl { /* a control message (little-endian, as riscv64), then PORT_NAME's name */
    uint32_t id;
    uint16_t event, value;
};

struct vc_port {
    struct vc_dev *dev;
    unsigned id;
    bool posted, tx_dead, con_added;
    struct port *port; /* in the registry while the host has the port, else NULL */
    char hvc[5];       /* "hvcN" once the host made it a console port, else "" */
    struct virtqueue *rxq, *txq;
    uint8_t *buf; /* DMA: RX_BUFS receive buffers, then TX_MAX to send */
    uint64_t pa;
    struct os_console con;
};

struct vc_dev {
    struct virtio_device *vdev;
    bool multiport;
    unsigned nports;
    struct virtqueue *crx, *ctx;
    uint8_t *cbuf; /* DMA: CTRL_BUFS receive buffers, then one to send */
    uint64_t cpa, last_ctrl_ns;
    struct vc_port port[MAX_PORTS];
};

extern const struct virtio_driver virtio_console_driver;
static unsigned hvc_next; /* console ports become hvc0, hvc1, ... in the order they appear */

/* Sends one buffer on txq and polls it back. 0, or -EIO (queue broken, no answer in time). */
static int send(struct virtqueue *txq, uint64_t pa, uint32_t len, void *cookie)
{
    struct vq_seg out = {pa, len};
    void *c = NULL;
    uint32_t used;
    int rc = vq_add(txq, &out, 1, NULL, 0, cookie);
    if (rc)
        return -EIO;
    vq_kick(txq);
    uint64_t deadline = os_time_ns() + SEND_NS;
    while ((rc = vq_pop(txq, &c, &used)) == -EAGAIN)
        if (os_time_ns() >= deadline)
            return -EIO;
    return rc || c != cookie ? -EIO : 0;
}

static void send_ctrl(struct vc_dev *dev, unsigned id, uint16_t event, uint16_t value)
{
    struct vc_ctrl msg = {id, event, value};
    memcpy(dev->cbuf + CTRL_BUFS * CTRL_BUF, &msg, sizeof(msg));
    if (send(dev->ctx, dev->cpa + CTRL_BUFS * CTRL_BUF, sizeof(msg), dev))
        os_log("%s: control message %u for port %u not taken", dev->vdev->name, event, id);
}

/* Offers receive buffer i (of `size` bytes from pa on) to the device; its cookie is i + 1. */
static void post(struct virtqueue *q, uint64_t pa, uint32_t size, uintptr_t i)
{
    struct vq_seg in = {pa + i * size, size};
    (void)vq_add(q, NULL, 0, &in, 1, (void *)(i + 1));
}

/* Sends len bytes, TX_MAX at a time: len, or -EIO once the port stopped taking output. */
static long port_send(void *arg, const void *buf, size_t len)
{
    struct vc_port *p = arg;
    for (size_t done = 0, n; done < len && !p->tx_dead; done += n) {
        n = len - done < TX_MAX ? len - done : TX_MAX;
        memcpy(p->buf + RX_BUFS * RX_BUF, (const uint8_t *)buf + done, n);
        if (send(p->txq, p->pa + RX_BUFS * RX_BUF, (uint32_t)n, p)) {
            p->tx_dead = true; /* said once; a console must not stall every later write */
            os_log("%s: port %u does not take output; dropped from now on", p->dev->vdev->name,
                   p->id);
        }
    }
    return p->tx_dead ? -EIO : (long)len;
}

static void console_write(void *arg, const char *buf, size_t len)
{
    unsigned long irq = os_irq_disable();
    (void)port_send(arg, buf, len);
    os_irq_restore(irq);
}

static void port_opened(void *arg, bool open)
{
    struct vc_port *p = arg;
    send_ctrl(p->dev, p->id, PORT_OPEN, open);
}

static void collect(struct vc_dev *dev);
static void port_poll(void *arg)
{
    collect(((struct vc_port *)arg)->dev); /* a polled device has no interrupt to bring bytes */
}

static const struct port_ops vc_port_ops = {port_send, port_opened, port_poll};

/* The port exists on the host side: in the registry, receive buffers out, ready. */
static void add_port(struct vc_port *p)
{
    struct vc_dev *dev = p->dev;
    if (p->port)
        return;
    p->port = port_add(dev->vdev->name, &vc_port_ops, p);
    if (!p->port)
        os_log("%s: port %u refused: the OS's port table is full", dev->vdev->name, p->id);
    p->tx_dead = false;
    if (p->port && !p->posted) {
        for (unsigned i = 0; i < RX_BUFS; i++)
            post(p->rxq, p->pa, RX_BUF, i);
        vq_kick(p->rxq);
        p->posted = true;
    }
    if (dev->multiport)
        send_ctrl(dev, p->id, PORT_READY, p->port != NULL);
}

/* The host made the port a console: offered to the OS as hvcN. */
static void make_console(struct vc_port *p)
{
    if (p->con_added || !p->port)
        return;
    snprintf(p->hvc, sizeof(p->hvc), "hvc%u", hvc_next++ % 10);
    port_set_name(p->port, p->hvc, 4);
    port_set_console(p->port, true);
    if (p->dev->multiport)
        send_ctrl(p->dev, p->id, PORT_OPEN, 1);
    p->con = (struct os_console){.name = p->hvc, .write = console_write, .arg = p};
    p->con_added = os_console_add(&p->con) == 0;
}

static void remove_port(struct vc_port *p)
{
    if (!p->port)
        return;
    if (p->con_added)
        os_console_remove(&p->con);
    p->con_added = false;
    p->hvc[0] = '\0';
    port_remove(p->port); /* a reader sees -ENODEV */
    p->port = NULL;
}

static void control(struct vc_dev *dev, const uint8_t *m, uint32_t len)
{
    if (len < sizeof(struct vc_ctrl)) {
        os_log("%s: control message of %u bytes ignored", dev->vdev->name, (unsigned)len);
        return;
    }
    struct vc_ctrl c;
    memcpy(&c, m, sizeof(c));
    if (c.id >= dev->nports) {
        os_log("%s: control event %u for port %u; this driver serves ports 0..%u", dev->vdev->name,
               c.event, (unsigned)c.id, dev->nports - 1);
        if (c.event == DEVICE_ADD)
            send_ctrl(dev, c.id, PORT_READY, 0);
        return;
    }
    struct vc_port *p = &dev->port[c.id];
    dev->last_ctrl_ns = os_time_ns();
    if (c.event == DEVICE_ADD)
        add_port(p);
    else if (c.event == DEVICE_REMOVE)
        remove_port(p);
    else if (c.event == CONSOLE_PORT && c.value == 1)
        make_console(p);
    else if (c.event == PORT_OPEN && p->port)
        port_set_host_open(p->port, c.value == 1);
    else if (c.event == PORT_NAME && p->port && !p->hvc[0])
        port_set_name(p->port, m + sizeof(c), len - sizeof(c));
}

static void collect(struct vc_dev *dev)
{
    void *c;
    uint32_t len;
    while (dev->multiport && vq_pop(dev->crx, &c, &len) == 0) {
        uintptr_t i = (uintptr_t)c - 1;
        if (i >= CTRL_BUFS)
            continue;
        control(dev, dev->cbuf + i * CTRL_BUF, len);
        post(dev->crx, dev->cpa, CTRL_BUF, i);
        vq_kick(dev->crx);
    }
    for (unsigned n = 0; n < dev->nports; n++) {
        struct vc_port *p = &dev->port[n];
        while (p->posted && vq_pop(p->rxq, &c, &len) == 0) {
            uintptr_t i = (uintptr_t)c - 1;
            if (i >= RX_BUFS)
                continue;
            if (p->con_added)
                os_console_input(&p->con, (const char *)p->buf + i * RX_BUF, len);
            else if (p->port)
                port_input(p->port, p->buf + i * RX_BUF, len);
            post(p->rxq, p->pa, RX_BUF, i);
            vq_kick(p->rxq);
        }
    }
}

int virtcon_size(struct virtio_device *vdev, uint16_t *cols, uint16_t *rows)
{
    uint64_t c = 0, r = 0;
    if (!vdev || !vdev->plugin || vdev->plugin->driver != &virtio_console_driver ||
        !vdev->driver_priv || !virtio_has_feature(vdev, VIRTIO_CONSOLE_F_SIZE))
        return -ENOTSUP;
    if (virtio_config_read(vdev, VIRTIO_CONSOLE_CFG_COLS, 2, &c) ||
        virtio_config_read(vdev, VIRTIO_CONSOLE_CFG_ROWS, 2, &r))
        c = r = 0;
    *cols = (uint16_t)c;
    *rows = (uint16_t)r;
    return 0;
}

static void vc_free(struct vc_dev *dev)
{
    for (unsigned n = 0; n < MAX_PORTS; n++)
        os_dma_free(dev->port[n].buf, RX_BUFS * RX_BUF + TX_MAX);
    os_dma_free(dev->cbuf, (CTRL_BUFS + 1) * CTRL_BUF);
    os_free(dev, sizeof(*dev));
}

static int port_queues(struct vc_dev *dev, unsigned n)
{
    struct vc_port *p = &dev->port[n];
    unsigned rx = n == 0 ? 0 : 2 * (n + 1);
    p->dev = dev;
    p->id = n;
    p->buf = os_dma_alloc(RX_BUFS * RX_BUF + TX_MAX, &p->pa);
    if (!p->buf)
        return -ENOMEM;
    int err = virtio_find_vq(dev->vdev, rx, RX_BUFS, &p->rxq);
    if (!err)
        err = virtio_find_vq(dev->vdev, rx + 1, 4, &p->txq);
    if (!err)
        vq_disable_cb(p->txq); /* sends are polled */
    return err;
}

static int vc_probe(struct virtio_device *vdev)
{
    struct vc_dev *dev = os_alloc(sizeof(*dev));
    uint64_t max = 1;
    if (!dev)
        return -ENOMEM;
    dev->vdev = vdev;
    dev->multiport = virtio_has_feature(vdev, VIRTIO_CONSOLE_F_MULTIPORT);
    if (dev->multiport && (virtio_config_read(vdev, VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4, &max) ||
                           max == 0 || max > 0x8000)) {
        os_log("%s: max_nr_ports %llu out of range", vdev->name, (unsigned long long)max);
        vc_free(dev);
        return -EINVAL;
    }
    dev->nports = max < MAX_PORTS ? (unsigned)max : MAX_PORTS;
    int err = port_queues(dev, 0);
    if (!err && dev->multiport) {
        dev->cbuf = os_dma_alloc((CTRL_BUFS + 1) * CTRL_BUF, &dev->cpa);
        err = dev->cbuf ? virtio_find_vq(vdev, 2, CTRL_BUFS, &dev->crx) : -ENOMEM;
        if (!err)
            err = virtio_find_vq(vdev, 3, 4, &dev->ctx);
        for (unsigned n = 1; !err && n < dev->nports; n++)
            err = port_queues(dev, n);
    }
    if (err) {
        vc_free(dev);
        return err;
    }
    vdev->driver_priv = dev;
    virtio_device_ready(vdev);
    if (!dev->multiport) {
        add_port(&dev->port[0]);
        make_console(&dev->port[0]);
        return 0;
    }
    vq_disable_cb(dev->ctx);
    for (unsigned i = 0; i < CTRL_BUFS; i++)
        post(dev->crx, dev->cpa, CTRL_BUF, i);
    vq_kick(dev->crx);
    unsigned long irq = os_irq_disable();
    send_ctrl(dev, 0, DEVICE_READY, 1);
    /* The host lists its ports now: take what comes until it has been quiet a while. */
    uint64_t start = os_time_ns();
    dev->last_ctrl_ns = start;
    while (os_time_ns() - start < DISCOVER_NS && os_time_ns() - dev->last_ctrl_ns < DISCOVER_NS / 6)
        collect(dev);
    os_irq_restore(irq);
    return 0;
}

static void vc_remove(struct virtio_device *vdev)
{
    struct vc_dev *dev = vdev->driver_priv;
    vdev->driver_priv = NULL;
    if (!dev)
        return;
    for (unsigned n = 0; n < dev->nports; n++)
        remove_port(&dev->port[n]);
    vc_free(dev);
}

static void vc_interrupt(struct virtio_device *vdev)
{
    struct vc_dev *dev = vdev->driver_priv;
    if (dev)
        collect(dev);
}

const struct virtio_driver virtio_console_driver = {
    .name = "console",
    .probe = vc_probe,
    .remove = vc_remove,
    .interrupt = vc_interrupt,
};
