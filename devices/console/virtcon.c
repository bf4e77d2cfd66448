/* virtio-console (virtio 1.2, 5.3): per port a receive and a transmit queue; with MULTIPORT a
 * control queue pair over which the device adds, names, opens and removes ports. Receive
 * buffers stay posted; what arrives goes to the OS's console (console ports) or to the port's
 * ring (named ports). Sends and control messages are polled with a deadline, so a console write
 * never hangs. Every control message and used length is checked before use. */
#include <errno.h>
#include <string.h>

#include <virtio/os.h>
#include <virtio/virtio.h>
#include <virtio/virtqueue.h>
#include <virtio_gen/virtio_ids.h>

#include "virtcon.h"

#define RX_BUFS     4
#define RX_BUF      128u
#define CTRL_BUFS   8
#define CTRL_BUF    64u
#define TX_MAX      256u
#define IN_RING     1024u
#define SEND_NS     200000000ull
#define DISCOVER_NS 300000000ull /* at probe: how long the host may take to list its ports */

enum {
    DEVICE_READY,
    DEVICE_ADD,
    DEVICE_REMOVE,
    PORT_READY,
    CONSOLE_PORT,
    RESIZE,
    PORT_OPEN,
    PORT_NAME
};

struct vc_port {
    struct vc_dev *dev;
    unsigned id;
    bool present, posted, console, host_open, in_use, tx_dead;
    char name[32];
    struct virtqueue *rxq, *txq;
    uint8_t *buf; /* DMA: RX_BUFS receive buffers, then TX_MAX to send */
    uint64_t pa;
    uint8_t in[IN_RING];
    unsigned in_head, in_tail;
    struct os_console con;
    bool con_added;
    struct os_event ev;
};

struct vc_dev {
    struct virtio_device *vdev;
    bool multiport;
    unsigned nports;
    struct virtqueue *crx, *ctx;
    uint8_t *cbuf; /* DMA: CTRL_BUFS receive buffers, then one to send */
    uint64_t cpa;
    uint64_t last_ctrl_ns;
    struct vc_port port[VC_MAX_PORTS];
};

extern const struct virtio_driver virtio_console_driver;
static unsigned hvc_next; /* console ports become hvc0, hvc1, ... in the order they appear */

static struct vc_dev *dev_of(struct virtio_device *vdev)
{
    if (!vdev || !vdev->plugin || vdev->plugin->driver != &virtio_console_driver)
        return NULL;
    return vdev->driver_priv;
}

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
    uint8_t *m = dev->cbuf + CTRL_BUFS * CTRL_BUF;
    uint8_t msg[8] = {(uint8_t)id,         (uint8_t)(id >> 8),   (uint8_t)(id >> 16),
                      (uint8_t)(id >> 24), (uint8_t)event,       (uint8_t)(event >> 8),
                      (uint8_t)value,      (uint8_t)(value >> 8)};
    memcpy(m, msg, sizeof(msg));
    if (send(dev->ctx, dev->cpa + CTRL_BUFS * CTRL_BUF, sizeof(msg), dev))
        os_log("%s: control message %u for port %u not taken", dev->vdev->name, event, id);
}

static void post_rx(struct vc_port *p, unsigned i)
{
    struct vq_seg in = {p->pa + i * RX_BUF, RX_BUF};
    (void)vq_add(p->rxq, NULL, 0, &in, 1, (void *)(uintptr_t)(i + 1));
}

static void console_write(void *arg, const char *buf, size_t len)
{
    (void)virtcon_port_write(arg, buf, len);
}

/* The port exists on the host side: receive buffers out, ready, and a console port offered to
 * the OS. */
static void port_add(struct vc_port *p)
{
    struct vc_dev *dev = p->dev;
    if (p->present)
        return;
    p->present = true;
    p->tx_dead = false;
    p->in_head = p->in_tail = 0;
    if (!p->posted) {
        for (unsigned i = 0; i < RX_BUFS; i++)
            post_rx(p, i);
        vq_kick(p->rxq);
        p->posted = true;
    }
    if (dev->multiport)
        send_ctrl(dev, p->id, PORT_READY, 1);
}

static void port_make_console(struct vc_port *p)
{
    if (p->con_added || !p->present)
        return;
    p->console = true;
    unsigned n = hvc_next++;
    memcpy(p->name, "hvc", 3);
    p->name[3] = (char)('0' + n % 10);
    p->name[4] = '\0';
    if (p->dev->multiport)
        send_ctrl(p->dev, p->id, PORT_OPEN, 1);
    p->con = (struct os_console){.name = p->name, .write = console_write, .arg = p};
    p->con_added = os_console_add(&p->con) == 0;
}

static void port_remove(struct vc_port *p)
{
    if (!p->present)
        return;
    if (p->con_added)
        os_console_remove(&p->con);
    p->con_added = false;
    p->present = p->console = p->host_open = false;
    p->name[0] = '\0';
    os_event_signal(&p->ev); /* a reader sees -ENODEV */
}

static void control(struct vc_dev *dev, const uint8_t *m, uint32_t len)
{
    if (len < 8) {
        os_log("%s: control message of %u bytes ignored", dev->vdev->name, (unsigned)len);
        return;
    }
    uint32_t id = m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    uint16_t event = (uint16_t)(m[4] | m[5] << 8), value = (uint16_t)(m[6] | m[7] << 8);
    if (id >= dev->nports) {
        os_log("%s: control event %u for port %u; this driver serves ports 0..%u", dev->vdev->name,
               event, (unsigned)id, dev->nports - 1);
        if (event == DEVICE_ADD)
            send_ctrl(dev, id, PORT_READY, 0);
        return;
    }
    struct vc_port *p = &dev->port[id];
    dev->last_ctrl_ns = os_time_ns();
    if (event == DEVICE_ADD) {
        port_add(p);
    } else if (event == DEVICE_REMOVE) {
        port_remove(p);
    } else if (event == CONSOLE_PORT && value == 1) {
        port_make_console(p);
    } else if (event == PORT_OPEN) {
        p->host_open = value == 1;
    } else if (event == PORT_NAME && p->present && !p->console) {
        unsigned n = 0;
        while (n < len - 8 && n < sizeof(p->name) - 1 && m[8 + n] > 0x20 && m[8 + n] < 0x7f) {
            p->name[n] = (char)m[8 + n];
            n++;
        }
        p->name[n] = '\0';
    }
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
        struct vq_seg in = {dev->cpa + i * CTRL_BUF, CTRL_BUF};
        (void)vq_add(dev->crx, NULL, 0, &in, 1, c);
        vq_kick(dev->crx);
    }
    for (unsigned n = 0; n < dev->nports; n++) {
        struct vc_port *p = &dev->port[n];
        while (p->posted && vq_pop(p->rxq, &c, &len) == 0) {
            uintptr_t i = (uintptr_t)c - 1;
            if (i >= RX_BUFS)
                continue;
            const uint8_t *data = p->buf + i * RX_BUF;
            if (p->con_added) {
                os_console_input(&p->con, (const char *)data, len);
            } else if (p->present) {
                for (uint32_t k = 0; k < len && p->in_head - p->in_tail < IN_RING; k++)
                    p->in[p->in_head++ % IN_RING] = data[k];
                os_event_signal(&p->ev);
            }
            post_rx(p, (unsigned)i);
            vq_kick(p->rxq);
        }
    }
}

static void read_size(struct vc_dev *dev, uint16_t *cols, uint16_t *rows)
{
    uint64_t c = 0, r = 0;
    if (virtio_config_read(dev->vdev, VIRTIO_CONSOLE_CFG_COLS, 2, &c) ||
        virtio_config_read(dev->vdev, VIRTIO_CONSOLE_CFG_ROWS, 2, &r))
        c = r = 0;
    *cols = (uint16_t)c;
    *rows = (uint16_t)r;
}

int virtcon_size(struct virtio_device *vdev, uint16_t *cols, uint16_t *rows)
{
    struct vc_dev *dev = dev_of(vdev);
    if (!dev || !virtio_has_feature(vdev, VIRTIO_CONSOLE_F_SIZE))
        return -ENOTSUP;
    read_size(dev, cols, rows);
    return 0;
}

struct vc_port *virtcon_port_at(struct virtio_device *vdev, unsigned n)
{
    struct vc_dev *dev = dev_of(vdev);
    for (unsigned i = 0; dev && i < dev->nports; i++)
        if (dev->port[i].present && n-- == 0)
            return &dev->port[i];
    return NULL;
}

struct vc_port *virtcon_port_find(const char *name)
{
    struct virtio_device *vdev;
    for (unsigned d = 0; (vdev = virtio_device_find("console", d)) != NULL; d++) {
        struct vc_port *p;
        for (unsigned i = 0; (p = virtcon_port_at(vdev, i)) != NULL; i++)
            if (strcmp(p->name, name) == 0)
                return p;
    }
    return NULL;
}

const char *virtcon_port_name(const struct vc_port *p)
{
    return p->name[0] ? p->name : "(unnamed)";
}

bool virtcon_port_is_console(const struct vc_port *p)
{
    return p->console;
}

bool virtcon_port_host_open(const struct vc_port *p)
{
    return p->host_open;
}

int virtcon_port_open(struct vc_port *p)
{
    unsigned long irq = os_irq_disable();
    int rc = !p->present ? -ENODEV : p->in_use || p->console ? -EBUSY : 0;
    if (rc == 0) {
        p->in_use = true;
        p->in_head = p->in_tail = 0;
        send_ctrl(p->dev, p->id, PORT_OPEN, 1);
    }
    os_irq_restore(irq);
    return rc;
}

void virtcon_port_close(struct vc_port *p)
{
    unsigned long irq = os_irq_disable();
    if (p->in_use && p->present)
        send_ctrl(p->dev, p->id, PORT_OPEN, 0);
    p->in_use = false;
    os_irq_restore(irq);
}

long virtcon_port_read(struct vc_port *p, void *buf, size_t len)
{
    uint8_t *b = buf;
    size_t n = 0;
    unsigned long irq = os_irq_disable();
    collect(p->dev); /* a polled device has no interrupt to bring the bytes */
    while (n < len && p->in_tail != p->in_head)
        b[n++] = p->in[p->in_tail++ % IN_RING];
    long rc = n || p->present ? (long)n : -ENODEV;
    os_irq_restore(irq);
    return rc;
}

long virtcon_port_write(struct vc_port *p, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    size_t done = 0;
    unsigned long irq = os_irq_disable();
    while (done < len && p->present && !p->tx_dead) {
        size_t n = len - done < TX_MAX ? len - done : TX_MAX;
        memcpy(p->buf + RX_BUFS * RX_BUF, b + done, n);
        if (send(p->txq, p->pa + RX_BUFS * RX_BUF, (uint32_t)n, p)) {
            p->tx_dead = true; /* said once; a console must not stall every later write */
            os_log("%s: port %u does not take output; dropped from now on", p->dev->vdev->name,
                   p->id);
        }
        done += n;
    }
    long rc = !p->present ? -ENODEV : p->tx_dead ? -EIO : (long)len;
    os_irq_restore(irq);
    return rc;
}

int virtcon_port_wait(struct vc_port *p, uint64_t timeout_ns)
{
    return os_event_wait(&p->ev, timeout_ns);
}

static void vc_free(struct vc_dev *dev)
{
    for (unsigned n = 0; n < VC_MAX_PORTS; n++)
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
    os_event_init(&p->ev);
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
    dev->nports = max < VC_MAX_PORTS ? (unsigned)max : VC_MAX_PORTS;
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
        port_add(&dev->port[0]);
        port_make_console(&dev->port[0]);
        return 0;
    }
    vq_disable_cb(dev->ctx);
    for (uintptr_t i = 0; i < CTRL_BUFS; i++) {
        struct vq_seg in = {dev->cpa + i * CTRL_BUF, CTRL_BUF};
        (void)vq_add(dev->crx, NULL, 0, &in, 1, (void *)(i + 1));
    }
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
        port_remove(&dev->port[n]);
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
