/* Sv39 page tables (RISC-V privileged spec, 10.3): the kernel's one-to-one map of the low
 * 32 GiB in gigapages, the kernel-stack region in 4 KiB pages with guard pages, and user spaces.
 * A walk never trusts a table it did not build: every table page comes from page_alloc. */
#include <errno.h>
#include <string.h>

#include <kernel/cpu.h>
#include <kernel/kernel.h>
#include <kernel/vm.h>

#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)

#define PTE_PA(pte)    (((pte) >> 10) << 12)
#define PA_PTE(pa)     (((uint64_t)(pa) >> 12) << 10)
#define VPN(va, level) (((va) >> (12 + 9 * (level))) & 511u)
#define ENTRIES        512u
#define KERNEL_GIGAS   32u /* 0 .. 32 GiB one to one */
#define KSTACK_INDEX   (VM_KSTACK_BASE >> 30)
#define USER_FIRST     (VM_USER_BASE >> 30)
#define USER_LAST      ((VM_USER_TOP >> 30) - 1)
#define SATP_SV39      (8ul << 60)
#define KSTACK_SLOT    16u  /* pages per kernel-stack slot: the lowest one is the guard */
#define KSTACK_SLOTS   256u /* of the region's 1 GiB, the first 16 MiB are used */
#define PIN_BASE       (VM_KSTACK_BASE + (512ul << 20)) /* pin windows: the region's upper half */

static pte_t *kernel_root;
static pte_t *kstack_l1;
static uint8_t kstack_used[KSTACK_SLOTS];
static size_t user_pages;
static pte_t *pin_table[VM_PIN_WINDOWS]; /* each window's one leaf table: no walk per page */
/* A free window may keep mapping the buffer it last pinned (at least PIN_KEEP_MIN pages): the
 * same buffer pinned again takes it as it is. A space's mappings never change while it lives
 * (vm_map_user_page refuses to replace one), so such a window stays right until the space is
 * destroyed, which forgets it. */
#define PIN_KEEP_MIN 8u
static const pte_t *kept_root[VM_PIN_WINDOWS]; /* NULL: nothing kept */
static uint64_t kept_first[VM_PIN_WINDOWS];
static size_t kept_pages[VM_PIN_WINDOWS];
static unsigned kept_need[VM_PIN_WINDOWS];
static void forget_kept(unsigned w);
static uint8_t pin_used[VM_PIN_WINDOWS];
static uint8_t pin_stale[VM_PIN_WINDOWS]; /* unmapped since the last TLB flush */
static unsigned pin_next;                 /* windows are taken round robin */
static size_t pinned_pages;
static uint64_t copied_bytes;

static pte_t *table_of(pte_t pte)
{
    return (pte_t *)(uintptr_t)PTE_PA(pte);
}

static uint64_t satp_of(const pte_t *root)
{
    return SATP_SV39 | ((uintptr_t)root >> 12);
}

void vm_activate(pte_t *root)
{
    static uint64_t active; /* satp as last written */
    uint64_t satp = satp_of(root ? root : kernel_root);

    /* Switching between kernel fibers (the shell, idle) keeps the kernel's table: no write, no
     * TLB flush (which QEMU's TCG pays for dearly on every block-request wake-up). */
    if (satp == active)
        return;
    active = satp;
    cpu_set_satp(satp);
}

pte_t *vm_kernel_root(void)
{
    return kernel_root;
}

static pte_t *walk(pte_t *root, uint64_t va, bool create, size_t *tables);

int vm_init(const struct platform *p)
{
    (void)p; /* the whole low 32 GiB is mapped, whatever the DTB places there */
    kernel_root = page_alloc(1);
    kstack_l1 = page_alloc(1);
    if (!kernel_root || !kstack_l1)
        return -ENOMEM;
    for (uint64_t i = 0; i < KERNEL_GIGAS; i++)
        kernel_root[i] = PA_PTE(i << 30) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D;
    kernel_root[KSTACK_INDEX] = PA_PTE((uintptr_t)kstack_l1) | PTE_V | PTE_G;
    /* The pin windows' tables, all at once: pinning never allocates. */
    for (unsigned w = 0; w < VM_PIN_WINDOWS; w++)
        if (!(pin_table[w] =
                  walk(kernel_root, PIN_BASE + (uint64_t)w * VM_PIN_WINDOW_BYTES, true, NULL)))
            return -ENOMEM;
    vm_activate(kernel_root);
    return 0;
}

/* The leaf entry for `va` under `root`, creating tables on the way when `create` (their
 * entries get `flags`: PTE_G for the kernel-stack region, none for user tables); NULL if absent
 * or out of pages. Level-2 entries are never leaves here except the kernel's gigapages. */
static pte_t *walk(pte_t *root, uint64_t va, bool create, size_t *tables)
{
    pte_t *t = root;

    for (int level = 2; level > 0; level--) {
        pte_t *e = &t[VPN(va, level)];
        if (*e & PTE_V) {
            if (*e & (PTE_R | PTE_W | PTE_X))
                return NULL; /* a gigapage or megapage: not ours to split */
            t = table_of(*e);
            continue;
        }
        if (!create)
            return NULL;
        pte_t *n = page_alloc(1);
        if (!n)
            return NULL;
        if (tables)
            (*tables)++;
        *e = PA_PTE((uintptr_t)n) | PTE_V;
        t = n;
    }
    return &t[VPN(va, 0)];
}

pte_t *vm_space_create(void)
{
    pte_t *root = page_alloc(1);

    if (!root)
        return NULL;
    for (unsigned i = 0; i < USER_FIRST; i++)
        root[i] = kernel_root[i];
    user_pages++;
    return root;
}

void *vm_map_user(pte_t *root, uint64_t va, unsigned perm)
{
    size_t tables = 0;

    if (va < VM_USER_BASE || va >= VM_USER_TOP || va % VM_PAGE || !(perm & (VM_R | VM_X)) ||
        ((perm & VM_W) && (perm & VM_X)))
        return NULL;
    pte_t *e = walk(root, va, true, &tables);
    user_pages += tables;
    if (!e || (*e & PTE_V))
        return NULL;
    void *page = page_alloc(1);
    if (!page)
        return NULL;
    user_pages++;
    *e = PA_PTE((uintptr_t)page) | PTE_V | PTE_U | PTE_A | PTE_D | (perm & (VM_R | VM_W | VM_X));
    return page;
}

int vm_map_user_page(pte_t *root, uint64_t va, void *page, unsigned perm)
{
    size_t tables = 0;

    if (va < VM_USER_BASE || va >= VM_USER_TOP || va % VM_PAGE || !page ||
        (uintptr_t)page % VM_PAGE || !(perm & VM_R) || (perm & VM_X))
        return -EINVAL;
    pte_t *e = walk(root, va, true, &tables);
    user_pages += tables;
    if (!e)
        return -ENOMEM;
    if (*e & PTE_V)
        return -EEXIST;
    user_pages++;
    *e = PA_PTE((uintptr_t)page) | PTE_V | PTE_U | PTE_A | PTE_D | (perm & (VM_R | VM_W));
    return 0;
}

static void free_table(pte_t *t, int level)
{
    for (unsigned i = 0; i < ENTRIES; i++) {
        if (!(t[i] & PTE_V))
            continue;
        if (level > 0 && !(t[i] & (PTE_R | PTE_W | PTE_X)))
            free_table(table_of(t[i]), level - 1);
        else
            page_free(table_of(t[i]), 1);
        user_pages--;
        t[i] = 0;
    }
    page_free(t, 1);
}

void vm_space_destroy(pte_t *root)
{
    if (!root)
        return;
    for (unsigned w = 0; w < VM_PIN_WINDOWS; w++) /* its pages go back: no window keeps them */
        if (kept_root[w] == root)
            forget_kept(w);
    for (unsigned i = USER_FIRST; i <= USER_LAST; i++) {
        if (root[i] & PTE_V) {
            free_table(table_of(root[i]), 1);
            user_pages--;
        }
    }
    page_free(root, 1);
    user_pages--;
}

uintptr_t vm_kstack_alloc(unsigned pages)
{
    if (pages == 0 || pages >= KSTACK_SLOT)
        return 0;
    for (unsigned s = 0; s < KSTACK_SLOTS; s++) {
        if (kstack_used[s])
            continue;
        uint64_t base = VM_KSTACK_BASE + (uint64_t)s * KSTACK_SLOT * VM_PAGE;
        uint64_t lo = base + (uint64_t)(KSTACK_SLOT - pages) * VM_PAGE;
        for (unsigned i = 0; i < pages; i++) {
            pte_t *e = walk(kernel_root, lo + i * VM_PAGE, true, NULL);
            void *page = e ? page_alloc(1) : NULL;
            if (!page) {
                vm_kstack_free(lo, i);
                return 0;
            }
            *e = PA_PTE((uintptr_t)page) | PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D;
        }
        kstack_used[s] = 1;
        cpu_tlb_flush();
        return (uintptr_t)lo;
    }
    return 0;
}

void vm_kstack_free(uintptr_t lo, unsigned pages)
{
    for (unsigned i = 0; i < pages; i++) {
        pte_t *e = walk(kernel_root, lo + i * VM_PAGE, false, NULL);
        if (e && (*e & PTE_V)) {
            page_free(table_of(*e), 1);
            *e = 0;
        }
    }
    cpu_tlb_flush();
    uint64_t slot = (lo - VM_KSTACK_BASE) / (KSTACK_SLOT * VM_PAGE);
    if (slot < KSTACK_SLOTS && pages)
        kstack_used[slot] = 0;
}

/* Window w maps nothing kept any more (its entries cleared; flushed before its next use). */
static void forget_kept(unsigned w)
{
    if (!kept_root[w])
        return;
    for (size_t i = 0; i < kept_pages[w]; i++)
        pin_table[w][i] = 0;
    kept_root[w] = NULL;
    kept_pages[w] = 0; /* matches no pin (at least PIN_KEEP_MIN pages) */
    pin_stale[w] = 1;
}

/* va lies in a user space's range (and there is a space). */
static bool user_range(const pte_t *root, uint64_t va)
{
    return root && va >= VM_USER_BASE && va < VM_USER_TOP;
}

/* A user leaf entry maps a page user-accessible with every right in `need`. */
static bool user_pte_allows(pte_t e, unsigned need)
{
    return (e & PTE_V) && (e & PTE_U) && (!(need & VM_R) || (e & PTE_R)) &&
           (!(need & VM_W) || (e & PTE_W));
}

uintptr_t vm_pin(pte_t *root, uint64_t va, size_t len, unsigned need, int *err)
{
    uint64_t first = va - va % VM_PAGE;
    size_t pages = len ? (size_t)((va % VM_PAGE + len + VM_PAGE - 1) / VM_PAGE) : 0;
    unsigned w = 0;

    *err = va + len < va ? -EFAULT : -EINVAL; /* wrapping the address space: not mapped */
    if (!len || len > VM_PIN_WINDOW_BYTES - VM_PAGE || va + len < va)
        return 0;
    if (pages == 1) { /* within one page: its address in the one-to-one map, no window */
        const pte_t *e = user_range(root, first) ? walk(root, first, false, NULL) : NULL;
        pte_t u = e ? *e : 0;
        if (!user_pte_allows(u, need | VM_R)) {
            *err = -EFAULT;
            return 0;
        }
        pinned_pages++;
        *err = 0;
        return (uintptr_t)PTE_PA(u) + va % VM_PAGE;
    }
    if (pages >= PIN_KEEP_MIN) /* pinned before and let go: already mapped */
        for (w = 0; w < VM_PIN_WINDOWS; w++)
            if (root && !pin_used[w] && kept_root[w] == root && kept_first[w] == first &&
                kept_pages[w] == pages && (kept_need[w] & need) == need) {
                pin_used[w] = 1;
                pinned_pages += pages;
                *err = 0;
                return (uintptr_t)(PIN_BASE + (uint64_t)w * VM_PIN_WINDOW_BYTES + va % VM_PAGE);
            }
    unsigned n = 0;
    for (w = pin_next; n < VM_PIN_WINDOWS && pin_used[w]; n++)
        w = (w + 1) % VM_PIN_WINDOWS;
    *err = -EAGAIN;
    if (n == VM_PIN_WINDOWS)
        return 0;
    forget_kept(w);
    /* The TLB may still hold what this window mapped last time: one flush forgets that of
     * every window at once (with round-robin use, one flush per VM_PIN_WINDOWS pins). */
    if (pin_stale[w]) {
        cpu_tlb_flush();
        memset(pin_stale, 0, sizeof(pin_stale));
    }
    pin_next = (w + 1) % VM_PIN_WINDOWS;
    uint64_t base = PIN_BASE + (uint64_t)w * VM_PIN_WINDOW_BYTES;
    const pte_t *leaf = NULL; /* the user leaf table of the 2 MiB the last page was in */
    uint64_t leaf_of = 1;     /* which 2 MiB that was (1: none, never an aligned address) */
    for (size_t i = 0; i < pages; i++) {
        uint64_t uva = first + i * VM_PAGE;
        if ((uva & ~(VM_PIN_WINDOW_BYTES - 1)) != leaf_of) {
            leaf_of = uva & ~(VM_PIN_WINDOW_BYTES - 1);
            const pte_t *e = user_range(root, uva) ? walk(root, uva, false, NULL) : NULL;
            leaf = e ? e - VPN(uva, 0) : NULL;
        }
        pte_t u = leaf ? leaf[VPN(uva, 0)] : 0;
        if (!user_pte_allows(u, need | VM_R)) {
            *err = -EFAULT;
            for (size_t j = 0; j < i; j++)
                pin_table[w][j] = 0;
            pin_stale[w] = 1; /* never used by the CPU, but flushed before reuse all the same */
            return 0;
        }
        pin_table[w][i] = PA_PTE(PTE_PA(u)) | PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D;
    }
    pin_used[w] = 1;
    pinned_pages += pages;
    if (pages >= PIN_KEEP_MIN) {
        kept_root[w] = root;
        kept_first[w] = first;
        kept_pages[w] = pages;
        kept_need[w] = need | VM_R;
    }
    *err = 0;
    return (uintptr_t)(base + va % VM_PAGE);
}

uintptr_t vm_kernel_phys_run(uintptr_t va, size_t len, size_t *run)
{
    if (va + len > va && (va + len <= VM_KSTACK_BASE || va >= VM_KSTACK_END)) {
        *run = len; /* the one-to-one map */
        return va;
    }
    uintptr_t pa = vm_kernel_phys(va);
    size_t n = VM_PAGE - va % VM_PAGE;
    if (pa && va >= PIN_BASE && va < PIN_BASE + VM_PIN_WINDOWS * VM_PIN_WINDOW_BYTES) {
        const pte_t *t = pin_table[(va - PIN_BASE) / VM_PIN_WINDOW_BYTES];
        for (unsigned i = (unsigned)VPN(va, 0); n < len && i + 1 < VM_PAGE / sizeof(pte_t); i++) {
            pte_t e = t[i + 1];
            if (!(e & PTE_V) || PTE_PA(e) != PTE_PA(t[i]) + VM_PAGE)
                break;
            n += VM_PAGE;
        }
    }
    *run = n < len ? n : len;
    return pa;
}

void vm_unpin(uintptr_t kva, size_t len)
{
    uint64_t w = (kva - PIN_BASE) / VM_PIN_WINDOW_BYTES;
    size_t pages = (size_t)((kva % VM_PAGE + len + VM_PAGE - 1) / VM_PAGE);

    if (pages == 1 && (kva < PIN_BASE || w >= VM_PIN_WINDOWS)) { /* a one-page pin: no window */
        pinned_pages--;
        return;
    }
    if (kva < PIN_BASE || w >= VM_PIN_WINDOWS || !pin_used[w])
        panic("vm_unpin: 0x%lx is not a pinned window", (unsigned long)kva);
    if (!kept_root[w]) /* a kept window goes on mapping its buffer (forget_kept) */
        for (size_t i = 0; i < pages; i++)
            pin_table[w][i] = 0;
    /* No flush here: the window is flushed before it maps anything again (vm_pin), and until
     * then nothing reaches it (the device was given physical addresses). */
    pin_stale[w] = 1;
    pin_used[w] = 0;
    pinned_pages -= pages;
}

uint64_t vm_copied_bytes(void)
{
    return copied_bytes;
}

size_t vm_pinned_pages(void)
{
    return pinned_pages;
}

uintptr_t vm_kernel_phys(uintptr_t va)
{
    if (va < VM_KSTACK_BASE || va >= VM_KSTACK_END)
        return va; /* the one-to-one map */
    if (va >= PIN_BASE && va < PIN_BASE + VM_PIN_WINDOWS * VM_PIN_WINDOW_BYTES) {
        pte_t e = pin_table[(va - PIN_BASE) / VM_PIN_WINDOW_BYTES][VPN(va, 0)];
        return e & PTE_V ? (uintptr_t)PTE_PA(e) + va % VM_PAGE : 0;
    }
    pte_t *e = walk(kernel_root, va, false, NULL);
    return e && (*e & PTE_V) ? (uintptr_t)PTE_PA(*e) + va % VM_PAGE : 0;
}

uintptr_t vm_translate(pte_t *root, uint64_t va, unsigned need)
{
    pte_t *e = user_range(root, va) ? walk(root, va, false, NULL) : NULL;
    if (!e || !user_pte_allows(*e, need))
        return 0;
    return (uintptr_t)PTE_PA(*e) + va % VM_PAGE;
}

int vm_copyin(pte_t *root, void *dst, uint64_t src, size_t len)
{
    uint8_t *d = dst;

    while (len) {
        uintptr_t k = vm_translate(root, src, VM_R);
        size_t n = VM_PAGE - src % VM_PAGE;
        if (!k)
            return -EFAULT;
        if (n > len)
            n = len;
        memcpy(d, (const void *)k, n);
        copied_bytes += n;
        d += n;
        src += n;
        len -= n;
    }
    return 0;
}

int vm_copyout(pte_t *root, uint64_t dst, const void *src, size_t len)
{
    const uint8_t *s = src;

    while (len) {
        uintptr_t k = vm_translate(root, dst, VM_W);
        size_t n = VM_PAGE - dst % VM_PAGE;
        if (!k)
            return -EFAULT;
        if (n > len)
            n = len;
        memcpy((void *)k, s, n);
        copied_bytes += n;
        s += n;
        dst += n;
        len -= n;
    }
    return 0;
}

size_t vm_user_pages(void)
{
    return user_pages;
}
