/* Sv39 address spaces. The kernel maps the low 32 GiB one to one (gigapages, never
 * user-accessible): devices, PCI windows and all of RAM, so a physical address is also the
 * kernel's address for it. Kernel stacks live apart, in 4 KiB pages with an unmapped guard page
 * below each. A user fiber's space shares those kernel entries and adds its own pages from
 * VM_USER_BASE up, never writable and executable at once. The kernel never dereferences a user
 * address: vm_copyin/vm_copyout/vm_translate walk the fiber's table and check the permission. */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/platform.h>

#define VM_PAGE           4096ul
#define VM_KSTACK_BASE    0x0800000000ul /* 32 GiB: kernel stacks, 4 KiB pages, guard below each */
#define VM_KSTACK_END     0x0840000000ul /* one gigapage of them */
#define VM_USER_BASE      0x1000000000ul /* 64 GiB: where user programs are linked */
#define VM_USER_TOP       0x4000000000ul /* the end of Sv39's lower half (2^38) */
#define VM_USER_STACK_TOP (VM_USER_TOP - VM_PAGE) /* one unmapped page above the stack */

/* User page permissions (vm_map_user, vm_translate). */
#define VM_R 0x2u
#define VM_W 0x4u
#define VM_X 0x8u

typedef uint64_t pte_t;

/* Builds the kernel's table, switches paging on. Called once, before any fiber. */
int vm_init(const struct platform *p);
/* The table of a new user space: the kernel's entries and nothing else; NULL when out of pages. */
pte_t *vm_space_create(void);
/* Frees every user page of the space, its tables and the root. */
void vm_space_destroy(pte_t *root);
/* Maps one fresh zeroed page at user address `va` with `perm` (VM_R|VM_W|VM_X, W and X never
 * both). Returns the page's kernel address, or NULL (out of pages, bad address, taken). */
void *vm_map_user(pte_t *root, uint64_t va, unsigned perm);
/* Maps the kernel page `page` (from page_alloc) at user address `va` with `perm`; the space owns
 * it from then on (vm_space_destroy frees it). 0, or -EINVAL (bad address or permission),
 * -EEXIST (taken), -ENOMEM. For pages the kernel shares with the fiber (ION rings). */
int vm_map_user_page(pte_t *root, uint64_t va, void *page, unsigned perm);
/* Makes `root` the current space (the kernel's when NULL). */
void vm_activate(pte_t *root);
pte_t *vm_kernel_root(void);

/* Kernel stacks: `pages` mapped pages at the top of a slot whose lowest page stays unmapped.
 * Returns the stack's lowest mapped address (its top is that + pages * VM_PAGE), or 0. */
uintptr_t vm_kstack_alloc(unsigned pages);
void vm_kstack_free(uintptr_t lo, unsigned pages);

/* The physical address of kernel address `va` (itself but in the kernel-stack region). */
uintptr_t vm_kernel_phys(uintptr_t va);
/* The same, and in *run how many of the len bytes from va on are physically contiguous (the
 * one-to-one map: all of them; a pin window: as long as its pages follow one another; else the
 * rest of the page). */
uintptr_t vm_kernel_phys_run(uintptr_t va, size_t len, size_t *run);

/* The kernel address of user address `va` in `root` when the page is mapped user-accessible with
 * every bit of `need` (VM_R, VM_W); else 0. */
uintptr_t vm_translate(pte_t *root, uint64_t va, unsigned need);
/* Copies between a user range and kernel memory, page by page through vm_translate. 0, or
 * -EFAULT when any byte is not mapped with the permission (nothing is written past it). */
int vm_copyin(pte_t *root, void *dst, uint64_t src, size_t len);
int vm_copyout(pte_t *root, uint64_t dst, const void *src, size_t len);
/* Pinning a user buffer for DMA (zero copy): every page of [va, va + len) must be mapped
 * user-accessible with `need` (VM_W for a device that writes into it). Its pages are mapped in
 * order into a kernel window (VM_PIN_WINDOW_BYTES at most), so the Valve and the drivers see one
 * kernel buffer whose physical pages (vm_kernel_phys) are the fiber's own. The pages belong to
 * the fiber's space, which is destroyed only after its requests ended (block_cancel), so a pin
 * needs no reference counts. A buffer within one page takes no window: its kernel address is the
 * page's own in the one-to-one map (no entry written, no TLB flush; most requests are 4 KiB).
 * The kernel address (same offset in its page as va), or 0: *err is -EFAULT (a page not mapped
 * so), -EINVAL (len 0 or too large), -EAGAIN (no free window: try after a completion). */
#define VM_PIN_WINDOW_BYTES (2ul << 20) /* one page table's reach: made at boot, never later */
#define VM_PIN_WINDOWS      64u
uintptr_t vm_pin(pte_t *root, uint64_t va, size_t len, unsigned need, int *err);
/* Unpins what vm_pin returned (len as given to it): a window is unmapped. Both run with interrupts
 * disabled (a completion unpins from the interrupt handler). */
void vm_unpin(uintptr_t kva, size_t len);
/* Pages pinned now (for leak checks and `mem`). */
size_t vm_pinned_pages(void);

/* Bytes vm_copyin/vm_copyout moved since boot: what the kernel copied to or from fibers
 * (system-call arguments, small results), which a zero-copy path never adds to. */
uint64_t vm_copied_bytes(void);
/* Pages in use by user spaces and their tables, for `mem`. */
size_t vm_user_pages(void);

#endif
