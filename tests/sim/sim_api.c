/* The simulator's public side (sim.h): building, adding and destroying devices, defaults per
 * device type, fault switches and what tests read back. It never touches rings itself; the
 * transport side (sim_transport.c) and the models (sim_devices.c) do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <virtio/os.h>

#include "sim_internal.h"

static struct sim_device *sim_list;
static unsigned sim_seq;

unsigned sim_run(void)
{
    unsigned done = 0;
    for (struct sim_device *d = sim_list; d; d = d->next)
        done += sim_device_run(d, false);
    return done;
}

void sim_params_config(struct sim_params *p, uint32_t offset, unsigned width, uint64_t value)
{
    for (unsigned i = 0; i < width && offset + i < SIM_CONFIG_MAX; i++)
        p->config[offset + i] = (uint8_t)(value >> (8 * i));
}

void sim_params_init(struct sim_params *p, uint16_t type, bool modern)
{
    unsigned seq = sim_seq;

    memset(p, 0, sizeof(*p));
    p->type = type;
    p->modern = modern;
    p->fixed_queue_size = !modern;
    p->irq = 40 + seq % 8;
    p->n_queues = type == SIM_TYPE_NET ? 2 : 1;
    for (unsigned i = 0; i < p->n_queues; i++)
        p->queue_max[i] = 256;
    snprintf(p->location, sizeof(p->location), "sim:%u", seq);
    p->features = (1ull << SIM_F_INDIRECT_DESC) | (1ull << SIM_F_EVENT_IDX);
    if (modern)
        p->features |= 1ull << SIM_F_VERSION_1;
    p->blk_sectors = 2048;
    if (type == SIM_TYPE_BLOCK) {
        p->features |= (1ull << SIM_BLK_F_SIZE_MAX) | (1ull << SIM_BLK_F_SEG_MAX) |
                       (1ull << SIM_BLK_F_BLK_SIZE) | (1ull << SIM_BLK_F_FLUSH);
        p->config_len = SIM_BLK_CFG_LEN;
        sim_params_config(p, SIM_BLK_CFG_CAPACITY, 8, p->blk_sectors);
        sim_params_config(p, SIM_BLK_CFG_SIZE_MAX, 4, 65536);
        sim_params_config(p, SIM_BLK_CFG_SEG_MAX, 4, 126);
        sim_params_config(p, SIM_BLK_CFG_BLK_SIZE, 4, 512);
    } else if (type == SIM_TYPE_NET) {
        static const uint8_t mac[5] = {0x52, 0x54, 0x00, 0x12, 0x34};
        p->features |= (1ull << SIM_NET_F_MAC) | (1ull << SIM_NET_F_STATUS);
        p->config_len = SIM_NET_CFG_LEN;
        memcpy(&p->config[SIM_NET_CFG_MAC], mac, sizeof(mac));
        p->config[SIM_NET_CFG_MAC + 5] = (uint8_t)seq;
        sim_params_config(p, SIM_NET_CFG_STATUS, 2, 1);
        sim_params_config(p, SIM_NET_CFG_MAX_VQP, 2, 1);
        sim_params_config(p, SIM_NET_CFG_MTU, 2, 1500);
    } else {
        p->config_len = 16;
        for (unsigned i = 0; i < 16; i++)
            p->config[i] = (uint8_t)(0xa0 + i);
    }
}

struct sim_device *sim_create(const struct sim_params *p)
{
    struct sim_device *d = calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    d->p = *p;
    if (d->p.config_len > SIM_CONFIG_MAX)
        d->p.config_len = SIM_CONFIG_MAX;
    if (d->p.n_queues > SIM_MAX_QUEUES)
        d->p.n_queues = SIM_MAX_QUEUES;
    d->seq = sim_seq++;
    d->rng = 0x1234567u + d->seq;
    memcpy(d->config, p->config, sizeof(d->config));
    for (unsigned i = 0; i < d->p.n_queues; i++)
        d->q[i].max = p->queue_max[i];
    if (sim_model_init(d) != 0) {
        free(d);
        return NULL;
    }

    d->vdev.ops = sim_transport_ops(!d->p.fixed_queue_size);
    d->vdev.transport_priv = d;
    d->vdev.type = p->type;
    d->vdev.modern = p->modern;
    d->vdev.config_len = d->p.config_len;
    d->vdev.irq = p->irq;
    snprintf(d->vdev.location, sizeof(d->vdev.location), "%s", p->location);

    d->next = sim_list;
    sim_list = d;
    return d;
}

int sim_add(struct sim_device *d)
{
    return virtio_device_add(&d->vdev);
}

struct sim_device *sim_new(uint16_t type, bool modern, int *add_rc)
{
    struct sim_params p;
    struct sim_device *d;
    int rc;

    sim_params_init(&p, type, modern);
    d = sim_create(&p);
    if (!d)
        return NULL;
    rc = sim_add(d);
    if (add_rc)
        *add_rc = rc;
    return d;
}

void sim_destroy(struct sim_device *d)
{
    if (!d)
        return;
    virtio_device_remove(&d->vdev);
    for (struct sim_device **pp = &sim_list; *pp; pp = &(*pp)->next) {
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    }
    for (unsigned i = 0; i < SIM_MAX_QUEUES; i++)
        sim_queue_free(&d->q[i]);
    sim_model_free(d);
    free(d);
}

void sim_destroy_all(void)
{
    while (sim_list)
        sim_destroy(sim_list);
}

struct virtio_device *sim_vdev(struct sim_device *d)
{
    return d ? &d->vdev : NULL;
}

struct sim_device *sim_of(struct virtio_device *vdev)
{
    if (!vdev || (vdev->ops != sim_transport_ops(false) && vdev->ops != sim_transport_ops(true)))
        return NULL;
    return (struct sim_device *)vdev->transport_priv;
}

void sim_set_completion(struct sim_device *d, enum sim_completion mode, enum sim_order order)
{
    d->mode = mode;
    d->order = order;
}

unsigned sim_pending(struct sim_device *d, unsigned q)
{
    if (q >= SIM_MAX_QUEUES || !d->q[q].size)
        return 0;
    return d->q[q].n_pending + sim_unfetched(&d->q[q]);
}

void sim_fault(struct sim_device *d, enum sim_fault f, uint32_t count)
{
    if ((unsigned)f < SIM_FAULT_COUNT_)
        d->faults[f] = count;
}

void sim_set_dma_check(struct sim_device *d, sim_dma_ok_fn ok, void *arg)
{
    d->dma_ok = ok;
    d->dma_arg = arg;
}

void sim_set_queue_max(struct sim_device *d, unsigned q, uint16_t max)
{
    if (q < SIM_MAX_QUEUES)
        d->q[q].max = max;
}

void sim_raise_needs_reset(struct sim_device *d)
{
    d->status |= VIRTIO_STATUS_NEEDS_RESET;
    sim_raise(d, VIRTIO_ISR_CONFIG);
}

void sim_set_config(struct sim_device *d, uint32_t offset, unsigned width, uint64_t value)
{
    for (unsigned i = 0; i < width && offset + i < SIM_CONFIG_MAX; i++)
        d->config[offset + i] = (uint8_t)(value >> (8 * i));
    d->generation++;
    sim_raise(d, VIRTIO_ISR_CONFIG);
}

uint8_t sim_status(struct sim_device *d)
{
    return d->status;
}

uint64_t sim_driver_features(struct sim_device *d)
{
    return d->driver_features;
}

uint16_t sim_queue_size(struct sim_device *d, unsigned q)
{
    return q < SIM_MAX_QUEUES ? d->q[q].size : 0;
}

const struct sim_stats *sim_stats(struct sim_device *d)
{
    return &d->stats;
}

const char *sim_last_error(struct sim_device *d)
{
    return d->last_error;
}
