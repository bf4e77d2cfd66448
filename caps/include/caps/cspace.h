/* Capabilities (seL4's shape, small): every fiber has a CSpace of slots; a slot holds a
 * capability to one kernel object (a block device today; a VFS endpoint, the console, a network
 * interface later) with rights and a badge. Rights only shrink when a capability is copied; any
 * holder may drop its own; the holder of a capability may revoke every copy derived from it.
 * Slot numbers come from fibers: every one is checked. Portable: no kernel header. */
#ifndef CAPS_CSPACE_H
#define CAPS_CSPACE_H

#include <stdbool.h>
#include <stdint.h>

#define CSPACE_SLOTS 32u   /* per fiber */
#define CAP_NODES    1024u /* capabilities in the whole system */

/* CAP_MACHINE: the machine itself (object 0): "w" powers it off or resets it; "g" lets its
 * holder (the shell) make capabilities to named objects (SYS_CAP_MINT) and end any fiber. */
enum cap_kind { CAP_NONE, CAP_BLOCK, CAP_VFS, CAP_CONSOLE, CAP_NET, CAP_MACHINE };
/* Kinds device plugins declare (tools/gen_ion.py numbers them from here). */
#define CAP_PLUGIN_FIRST 16u
#define CAP_PLUGIN_LAST  63u

#define CAP_R 0x1u /* read (CMD_BLK_READ, CMD_BLK_INFO) */
#define CAP_W 0x2u /* write (CMD_BLK_WRITE, CMD_BLK_FLUSH) */
#define CAP_G 0x4u /* grant: may copy it to another CSpace */

struct cap_view {
    enum cap_kind kind;
    uint32_t object; /* which device, endpoint, ...: its stable handle */
    uint8_t rights;
    uint64_t badge;
};

struct cspace {
    uint16_t slot[CSPACE_SLOTS]; /* node index + 1; 0 = empty */
};

/* An empty CSpace. */
void cspace_init(struct cspace *cs);
/* Drops every capability it holds (copies made from them elsewhere stay). */
void cspace_clear(struct cspace *cs);
/* Capabilities held. */
unsigned cspace_count(const struct cspace *cs);
/* Capabilities in the whole system (for leak checks). */
unsigned caps_live(void);

/* The kernel makes an original capability in `cs` (the first free slot): the slot, or -ENOSPC
 * (CSpace full), -ENOMEM (no node left), -EINVAL (kind or rights). */
int cap_create(struct cspace *cs, enum cap_kind kind, uint32_t object, uint8_t rights,
               uint64_t badge);
/* Copies `from`'s slot into `to` with `rights` (a subset of the original's) and `badge`: the new
 * slot, or -EBADF (no such slot), -EPERM (no grant right, or rights not a subset), -ENOSPC,
 * -ENOMEM. The copy is derived from the original: revoking the original removes it. */
int cap_copy(struct cspace *from, unsigned slot, struct cspace *to, uint8_t rights, uint64_t badge);
/* Empties a slot: 0 or -EBADF. */
int cap_drop(struct cspace *cs, unsigned slot);
/* Removes every capability derived from the one in `slot` (copies of copies too), wherever it
 * is; the capability itself stays. How many went, or -EBADF. */
int cap_revoke(struct cspace *cs, unsigned slot);
/* Removes every capability to (kind, object) except the one in (keep_cs, keep_slot); how many
 * went. For a holder that must be alone, such as NexFS on the disk it mounts. */
int cap_revoke_object(enum cap_kind kind, uint32_t object, const struct cspace *keep_cs,
                      unsigned keep_slot);

/* The one check before a command acts: the slot (from a fiber: anything) holds a capability of
 * `kind` with every right in `need`. 0 with *out filled, -EBADF (bad slot), -EPERM (wrong kind
 * or missing right). */
int cap_check(const struct cspace *cs, uint64_t slot, enum cap_kind kind, uint8_t need,
              struct cap_view *out);
/* What a slot holds (for `caps`): 0 or -EBADF. */
int cap_get(const struct cspace *cs, unsigned slot, struct cap_view *out);

#endif
