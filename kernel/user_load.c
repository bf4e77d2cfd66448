/* Loading a user program: checks an ELF64 RISC-V executable field by field before using any of
 * it (an image is as untrusted as a device), maps its PT_LOAD segments into the fiber's space
 * (never writable and executable at once), and builds the user stack with argv on it. */
#include <errno.h>
#include <string.h>

#include <kernel/vm.h>

#include "fiber_priv.h"

#define EHDR_SIZE    64u
#define PHDR_SIZE    56u
#define PHNUM_MAX    16u
#define ET_EXEC      2u
#define EM_RISCV     243u
#define PT_LOAD      1u
#define PF_X         1u
#define PF_W         2u
#define PF_R         4u
#define USTACK_PAGES 8u
#define USTACK_FILL  0x5a
#define ARGV_MAX     16
#define ARGS_BYTES   1024u
/* Programs load below the stack and its guard page. */
#define LOAD_END (VM_USER_STACK_TOP - (USTACK_PAGES + 1) * VM_PAGE)

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, filesz, memsz;
};

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void read_phdr(const uint8_t *p, struct phdr *h)
{
    h->type = (uint32_t)rd(p, 4);
    h->flags = (uint32_t)rd(p + 4, 4);
    h->offset = rd(p + 8, 8);
    h->vaddr = rd(p + 16, 8);
    h->filesz = rd(p + 32, 8);
    h->memsz = rd(p + 40, 8);
}

/* One PT_LOAD segment: checked, mapped page by page, its file bytes copied. */
static int load_segment(pte_t *root, const uint8_t *img, size_t size, const struct phdr *h)
{
    unsigned perm = 0;

    if (h->flags & PF_R)
        perm |= VM_R;
    if (h->flags & PF_W)
        perm |= VM_R | VM_W;
    if (h->flags & PF_X)
        perm |= VM_R | VM_X;
    if ((perm & VM_W) && (perm & VM_X))
        return -ENOEXEC; /* never writable and executable at once */
    if (h->filesz > h->memsz || h->offset > size || h->filesz > size - h->offset)
        return -ENOEXEC;
    if (h->vaddr < VM_USER_BASE || h->memsz > LOAD_END || h->vaddr > LOAD_END - h->memsz)
        return -ENOEXEC;
    if (h->memsz == 0)
        return 0;
    uint64_t first = h->vaddr & ~(VM_PAGE - 1);
    uint64_t end = (h->vaddr + h->memsz + VM_PAGE - 1) & ~(VM_PAGE - 1);
    for (uint64_t va = first; va < end; va += VM_PAGE) {
        uint8_t *page = vm_map_user(root, va, perm);
        if (!page)
            return -ENOEXEC; /* overlaps another segment, or out of pages */
        /* The part of [vaddr, vaddr + filesz) on this page comes from the file. */
        uint64_t lo = va > h->vaddr ? va : h->vaddr;
        uint64_t hi = va + VM_PAGE < h->vaddr + h->filesz ? va + VM_PAGE : h->vaddr + h->filesz;
        if (hi > lo)
            memcpy(page + (lo - va), img + h->offset + (lo - h->vaddr), hi - lo);
    }
    return 0;
}

static int load_elf(pte_t *root, const uint8_t *img, size_t size, uint64_t *entry)
{
    static const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    bool entry_ok = false;

    if (!img || size < EHDR_SIZE || memcmp(img, ident, sizeof(ident)) != 0)
        return -ENOEXEC;
    if (rd(img + 16, 2) != ET_EXEC || rd(img + 18, 2) != EM_RISCV || rd(img + 20, 4) != 1)
        return -ENOEXEC;
    uint64_t phoff = rd(img + 32, 8);
    unsigned phentsize = (unsigned)rd(img + 54, 2), phnum = (unsigned)rd(img + 56, 2);
    *entry = rd(img + 24, 8);
    if (phentsize != PHDR_SIZE || phnum == 0 || phnum > PHNUM_MAX || phoff > size ||
        (uint64_t)phnum * PHDR_SIZE > size - phoff)
        return -ENOEXEC;
    for (unsigned i = 0; i < phnum; i++) {
        struct phdr h;
        read_phdr(img + phoff + (uint64_t)i * PHDR_SIZE, &h);
        if (h.type != PT_LOAD)
            continue;
        int rc = load_segment(root, img, size, &h);
        if (rc)
            return rc;
        if ((h.flags & PF_X) && *entry >= h.vaddr && *entry - h.vaddr < h.memsz)
            entry_ok = true;
    }
    return entry_ok ? 0 : -ENOEXEC;
}

/* The stack: USTACK_PAGES below VM_USER_STACK_TOP, filled for the high-water mark, with the
 * argument strings and the argv array at its top. */
static int build_stack(struct fiber *f, int argc, const char *const argv[], struct trap_frame *tf)
{
    uint64_t lo = VM_USER_STACK_TOP - USTACK_PAGES * VM_PAGE;
    uint64_t ptrs[ARGV_MAX + 1];
    uint8_t *top = NULL;

    if (argc < 0 || argc > ARGV_MAX)
        return -E2BIG;
    for (unsigned i = 0; i < USTACK_PAGES; i++) {
        uint8_t *page = vm_map_user(f->space, lo + i * VM_PAGE, VM_R | VM_W);
        if (!page)
            return -ENOMEM;
        memset(page, USTACK_FILL, VM_PAGE);
        top = page;
    }
    /* Strings from the top of the last page down (the kernel's own copy: argv is ours). */
    uint64_t sp = VM_USER_STACK_TOP;
    size_t used = 0;
    for (int i = argc - 1; i >= 0; i--) {
        size_t n = strlen(argv[i]) + 1;
        if (used + n > ARGS_BYTES)
            return -E2BIG;
        used += n;
        sp -= n;
        memcpy(top + (sp - (VM_USER_STACK_TOP - VM_PAGE)), argv[i], n);
        ptrs[i] = sp;
    }
    ptrs[argc] = 0;
    sp -= (uint64_t)(argc + 1) * 8;
    sp &= ~15ull;
    memcpy(top + (sp - (VM_USER_STACK_TOP - VM_PAGE)), ptrs, (size_t)(argc + 1) * 8);
    tf->regs[REG_A0] = (unsigned long)argc;
    tf->regs[REG_A1] = sp;
    tf->regs[REG_SP] = sp - 16;
    f->ustack_lo = lo;
    f->ustack_size = USTACK_PAGES * VM_PAGE;
    return 0;
}

int user_load(struct fiber *f, const void *elf, size_t size, int argc, const char *const argv[],
              struct trap_frame *tf)
{
    uint64_t entry;
    int rc = load_elf(f->space, elf, size, &entry);

    if (rc)
        return rc;
    rc = build_stack(f, argc, argv, tf);
    if (rc)
        return rc;
    tf->sepc = entry;
    return 0;
}

size_t user_stack_used(const struct fiber *f)
{
    for (uint64_t va = f->ustack_lo; va < f->ustack_lo + f->ustack_size; va++) {
        uintptr_t k = vm_translate(f->space, va, VM_R);
        if (!k)
            return 0;
        if (*(const uint8_t *)k != USTACK_FILL)
            return (size_t)(f->ustack_lo + f->ustack_size - va);
    }
    return 0;
}
