/* The generic simulated device: a plugin author's own device model, given as a few callbacks
 * (struct sim_model_ops in sim.h). The simulator keeps doing the transport, the rings and their
 * checks; the callbacks see each chain as plain bytes (what the driver wrote, room for the
 * answer) and say what the device answers, including lies (a used length larger than the room,
 * zero bytes) and chains held until the device has something to say (receive queues). */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define MODEL_CHAIN_MAX (1u << 20) /* bytes a model chain may carry either way */

void sim_set_model(struct sim_device *d, const struct sim_model_ops *ops)
{
    d->model = ops;
}

bool sim_generic_holds(const struct sim_device *d, unsigned qi)
{
    return d->model && qi < 32 && (d->model->held_queues & (1u << qi));
}

/* Runs the model on one walked chain; false when it is to stay pending (held) or the driver
 * erred. *done is set when a used entry was written. */
static bool model_chain(struct sim_device *d, unsigned qi, const struct sim_chain *c, bool *done)
{
    *done = false;
    if (c->readable > MODEL_CHAIN_MAX || c->writable > MODEL_CHAIN_MAX) {
        sim_driver_error(d, "model chain larger than 1 MiB", c->head);
        return false;
    }
    uint8_t *in = malloc(c->readable ? (size_t)c->readable : 1);
    uint8_t *out = calloc(1, c->writable ? (size_t)c->writable : 1);
    if (!in || !out) {
        free(in);
        free(out);
        return false;
    }
    sim_chain_read(c, 0, in, c->readable);
    long used =
        d->model->chain(d->model->arg, d, qi, in, (size_t)c->readable, out, (size_t)c->writable);
    if (used >= 0) {
        /* the room is written whole; the used length is what the model claims */
        sim_chain_write(c, 0, out, c->writable);
        sim_push_used(d, qi, c, (uint32_t)used);
        *done = true;
    } else if (used == SIM_MODEL_ERROR) {
        sim_driver_error(d, "the device model refused a chain", c->head);
    }
    free(in);
    free(out);
    return used >= 0;
}

bool sim_generic_process(struct sim_device *d, unsigned qi, const struct sim_chain *c)
{
    bool done;
    if (model_chain(d, qi, c, &done) || done)
        return true;
    return !d->broken; /* a model that holds a chain of a non-held queue just drops it */
}

/* Offers the pending chains of held queue qi to the model, oldest first, until it holds one. */
static unsigned offer_held(struct sim_device *d, unsigned qi)
{
    struct sim_queue *q = &d->q[qi];
    unsigned n = 0;

    if (d->broken || !(d->status & VIRTIO_STATUS_DRIVER_OK) || !q->size || !sim_fetch(d, qi))
        return 0;
    while (q->n_pending && !d->broken) {
        struct sim_chain c;
        bool done;
        if (!sim_walk(d, qi, q->pending[0], &c))
            break;
        model_chain(d, qi, &c, &done);
        if (!done)
            break;
        sim_pending_remove(q, 0);
        n++;
    }
    return n;
}

void sim_generic_run(struct sim_device *d)
{
    for (unsigned qi = 0; qi < SIM_MAX_QUEUES && d->model; qi++)
        if (sim_generic_holds(d, qi))
            offer_held(d, qi);
}

unsigned sim_model_kick(struct sim_device *d, unsigned q)
{
    if (!d->model || q >= SIM_MAX_QUEUES || !sim_generic_holds(d, q))
        return 0;
    unsigned n = offer_held(d, q);
    if (n && (d->isr & VIRTIO_ISR_QUEUE))
        sim_raise(d, 0);
    return n;
}

unsigned sim_held(struct sim_device *d, unsigned q)
{
    if (q >= SIM_MAX_QUEUES || !d->q[q].size)
        return 0;
    (void)sim_fetch(d, q);
    return d->q[q].n_pending;
}
