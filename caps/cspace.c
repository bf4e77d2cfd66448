/* Capabilities and CSpaces (caps/include/caps/cspace.h). One table of nodes for the whole system;
 * a CSpace slot names a node; each node remembers who holds it and the node it was copied from,
 * so revoke finds every copy and a dropped node's copies keep their place in the tree. */
#include <errno.h>
#include <stddef.h>

#include <caps/cspace.h>

struct cap_node {
    bool used;
    enum cap_kind kind;
    uint32_t object;
    uint8_t rights;
    uint64_t badge;
    uint16_t parent; /* node index + 1 it was copied from; 0 for an original */
    struct cspace *holder;
    uint8_t holder_slot;
};

static struct cap_node nodes[CAP_NODES];

void cspace_init(struct cspace *cs)
{
    for (unsigned i = 0; i < CSPACE_SLOTS; i++)
        cs->slot[i] = 0;
}

static struct cap_node *node_at(const struct cspace *cs, uint64_t slot)
{
    if (!cs || slot >= CSPACE_SLOTS || cs->slot[slot] == 0)
        return NULL;
    return &nodes[cs->slot[slot] - 1];
}

static int free_slot(const struct cspace *cs)
{
    for (unsigned i = 0; i < CSPACE_SLOTS; i++)
        if (cs->slot[i] == 0)
            return (int)i;
    return -ENOSPC;
}

static struct cap_node *new_node(void)
{
    for (unsigned i = 0; i < CAP_NODES; i++)
        if (!nodes[i].used)
            return &nodes[i];
    return NULL;
}

static uint16_t id_of(const struct cap_node *n)
{
    return (uint16_t)(n - nodes + 1);
}

/* Frees a node: its holder's slot empties, and its copies now hang from its own parent. */
static void delete_node(struct cap_node *n)
{
    uint16_t id = id_of(n);

    for (unsigned i = 0; i < CAP_NODES; i++)
        if (nodes[i].used && nodes[i].parent == id)
            nodes[i].parent = n->parent;
    n->holder->slot[n->holder_slot] = 0;
    n->used = false;
}

static int place(struct cspace *cs, struct cap_node *n, enum cap_kind kind, uint32_t object,
                 uint8_t rights, uint64_t badge, uint16_t parent)
{
    int slot = free_slot(cs);

    if (slot < 0)
        return slot;
    if (!n)
        return -ENOMEM;
    n->used = true;
    n->kind = kind;
    n->object = object;
    n->rights = rights;
    n->badge = badge;
    n->parent = parent;
    n->holder = cs;
    n->holder_slot = (uint8_t)slot;
    cs->slot[slot] = id_of(n);
    return slot;
}

int cap_create(struct cspace *cs, enum cap_kind kind, uint32_t object, uint8_t rights,
               uint64_t badge)
{
    bool known = (kind > CAP_NONE && kind <= CAP_MACHINE) ||
                 ((unsigned)kind >= CAP_PLUGIN_FIRST && (unsigned)kind <= CAP_PLUGIN_LAST);
    if (!cs || !known || (rights & ~(CAP_R | CAP_W | CAP_G)))
        return -EINVAL;
    return place(cs, new_node(), kind, object, rights, badge, 0);
}

int cap_copy(struct cspace *from, unsigned slot, struct cspace *to, uint8_t rights, uint64_t badge)
{
    struct cap_node *src = node_at(from, slot);

    if (!src || !to)
        return -EBADF;
    if (!(src->rights & CAP_G) || (rights & ~src->rights))
        return -EPERM;
    return place(to, new_node(), src->kind, src->object, rights, badge, id_of(src));
}

int cap_drop(struct cspace *cs, unsigned slot)
{
    struct cap_node *n = node_at(cs, slot);

    if (!n)
        return -EBADF;
    delete_node(n);
    return 0;
}

static bool derived_from(const struct cap_node *n, uint16_t ancestor)
{
    for (unsigned depth = 0; n->parent && depth < CAP_NODES; depth++) {
        if (n->parent == ancestor)
            return true;
        n = &nodes[n->parent - 1];
    }
    return false;
}

int cap_revoke(struct cspace *cs, unsigned slot)
{
    struct cap_node *n = node_at(cs, slot);
    int gone = 0;

    if (!n)
        return -EBADF;
    uint16_t id = id_of(n);
    /* Deleting re-parents the victim's copies to its parent, which is still within the subtree,
     * so one pass from the leaves' point of view repeats until nothing derived is left. */
    for (bool again = true; again;) {
        again = false;
        for (unsigned i = 0; i < CAP_NODES; i++) {
            if (nodes[i].used && derived_from(&nodes[i], id)) {
                delete_node(&nodes[i]);
                gone++;
                again = true;
            }
        }
    }
    return gone;
}

int cap_revoke_object(enum cap_kind kind, uint32_t object, const struct cspace *keep_cs,
                      unsigned keep_slot)
{
    const struct cap_node *keep = node_at(keep_cs, keep_slot);
    int gone = 0;

    for (unsigned i = 0; i < CAP_NODES; i++) {
        struct cap_node *n = &nodes[i];
        if (n->used && n != keep && n->kind == kind && n->object == object) {
            delete_node(n);
            gone++;
        }
    }
    return gone;
}

static void view(const struct cap_node *n, struct cap_view *out)
{
    out->kind = n->kind;
    out->object = n->object;
    out->rights = n->rights;
    out->badge = n->badge;
}

int cap_check(const struct cspace *cs, uint64_t slot, enum cap_kind kind, uint8_t need,
              struct cap_view *out)
{
    const struct cap_node *n = node_at(cs, slot);

    if (!n)
        return -EBADF;
    if (n->kind != kind || (n->rights & need) != need)
        return -EPERM;
    if (out)
        view(n, out);
    return 0;
}

int cap_get(const struct cspace *cs, unsigned slot, struct cap_view *out)
{
    const struct cap_node *n = node_at(cs, slot);

    if (!n)
        return -EBADF;
    view(n, out);
    return 0;
}

void cspace_clear(struct cspace *cs)
{
    for (unsigned i = 0; i < CSPACE_SLOTS; i++)
        if (cs->slot[i])
            delete_node(&nodes[cs->slot[i] - 1]);
}

unsigned cspace_count(const struct cspace *cs)
{
    unsigned n = 0;

    for (unsigned i = 0; i < CSPACE_SLOTS; i++)
        n += cs->slot[i] != 0;
    return n;
}

unsigned caps_live(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < CAP_NODES; i++)
        n += nodes[i].used;
    return n;
}
