/* Private to kernel/dispatch: a fiber's dispatch state (its CSpace, block subject and command
 * channel), a command in flight, and what the files share. */
#ifndef DISPATCH_PRIV_H
#define DISPATCH_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <abi/ion.h>
#include <caps/cspace.h>
#include <dispatch/dispatch.h>
#include <ion/ion_ring.h>
#include <valve.h>
#include <virtio/os.h>

#define ION_SQ_MAX 256u /* submission entries a channel may have; the completion ring has twice */

struct ion_chan;

/* One command the Valve holds for a fiber. */
struct ion_cmd {
    struct block_req br;
    struct ion_chan *ch;
    uint64_t tag;
    uintptr_t kva; /* the pinned window of the fiber's buffer (0: none) */
    size_t len;
    bool busy; /* at the Valve */
    struct ion_cmd *next;
};

struct ion_chan {
    bool open;
    bool broken; /* the fiber wrote an impossible index: the channel is dead */
    struct ion_sq sq;
    struct ion_cq cq;
    uint32_t cq_entries;
    uint32_t inflight; /* taken commands whose completion is not posted yet */
    struct ion_cmd *cmds, *free;
    unsigned cmd_pages;
    struct os_event ev; /* a completion was posted */
};

struct proc {
    bool live;
    struct cspace cs;
    struct block_subject subj;
    struct ion_chan ch;
    uint32_t kick; /* devices (bit = handle) with requests queued unnotified by this batch */
};

/* The calling fiber's state (made on first use); NULL for a kernel fiber. */
struct proc *proc_self(void);
/* Fiber id's state (made on first use), or NULL for an id out of range. */
struct proc *proc_of_fiber(unsigned id);
/* The state behind a block subject, or NULL. */
struct proc *proc_of_subject(const struct block_subject *s);

/* Posts the completion of a command and wakes its fiber; interrupts disabled. */
void chan_complete(struct ion_chan *ch, uint64_t tag, int64_t result);
/* A command of the blk channel (ion_blk.c): takes it (result posted later through
 * chan_complete, cmd given back by chan_cmd_put) or returns its final result at once. */
int64_t ion_blk_command(struct proc *p, const struct ion_sqe *e, struct ion_cmd *cmd, bool more,
                        bool *taken);
/* Notifies the devices of the requests a batch queued without notifying (proc.kick). */
void ion_blk_kick(struct proc *p);
void chan_cmd_put(struct ion_chan *ch, struct ion_cmd *cmd);
/* A command of the net channel (ion_net.c): synchronous, its result (it may sleep). */
int64_t ion_net_command(struct proc *p, const struct ion_sqe *e);
/* Frees every port fiber `fiber` bound (the exit hook). */
void ion_net_exit(unsigned fiber);
/* The interface `name` names ("net0"): its stack index, or -ENODEV. */
int ion_net_find(const char *name);

extern struct dispatch_stats dispatch_counters;

/* Endpoints (endpoint.c): the VFS channel's commands go to the fiber serving the endpoint the
 * capability names; a fiber that ends leaves (as client and as server); "vfsN" -> N. */
int64_t endpoint_forward(struct proc *p, const struct ion_sqe *e, struct ion_cmd *cmd, bool *taken);
void endpoint_fiber_gone(unsigned id);
int endpoint_find(const char *name);
/* The endpoint whose server mounted block device `dev` (it alone reaches it), or -1. */
int endpoint_disk_holder(unsigned dev);
/* True when block subject s is endpoint ep's server. */
bool endpoint_server_subject(int ep, const struct block_subject *s);
long sys_ep_serve(const unsigned long a[6]);
long sys_ep_recv(const unsigned long a[6]);
long sys_ep_copy(const unsigned long a[6]);
long sys_ep_reply(const unsigned long a[6]);

/* System calls (spawn.c). */
long sys_spawn(const unsigned long a[6]);
long sys_spawn_image(const unsigned long a[6]);
long sys_wait(const unsigned long a[6]);
long sys_kill(const unsigned long a[6]);
long sys_cap_grant(const unsigned long a[6]);
long sys_cap_revoke(const unsigned long a[6]);
/* A fiber ends: the children it never waited for are detached (reaped as they end). */
void spawn_orphan_children(unsigned parent);

#endif
