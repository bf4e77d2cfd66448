/* The page allocator: 4 KiB pages of the RAM the DTB describes, from the end of the kernel image
 * to the end of RAM, minus the DTB. A bitmap (kept in the first free pages) with first-fit
 * search gives physically contiguous runs for DMA rings. It never hands out a page twice. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kernel/boot.h>
#include <kernel/cpu.h>
#include <kernel/kernel.h>

static uint8_t *bitmap; /* bit set = page in use */
static uintptr_t pool_base;
static size_t pool_pages, pool_free, search_hint;

static bool page_used(size_t i)
{
    return bitmap[i / 8] & (1u << (i % 8));
}

static void mark(size_t first, size_t n, bool used)
{
    for (size_t i = first; i < first + n; i++) {
        if (used)
            bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
        else
            bitmap[i / 8] &= (uint8_t) ~(1u << (i % 8));
    }
}

static uintptr_t align_up(uintptr_t v)
{
    return (v + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
}

int page_init(uint64_t ram_base, uint64_t ram_size, uintptr_t free_start, uintptr_t keep_start,
              uintptr_t keep_end)
{
    uintptr_t start = align_up(free_start);
    uintptr_t end = (uintptr_t)(ram_base + ram_size) & ~(uintptr_t)(PAGE_SIZE - 1);
    if (start < ram_base || start >= end)
        return -EINVAL;
    size_t pages = (end - start) / PAGE_SIZE;
    size_t map_pages = (pages / 8 + PAGE_SIZE) / PAGE_SIZE;
    if (map_pages >= pages)
        return -EINVAL;
    bitmap = (uint8_t *)start;
    memset(bitmap, 0, map_pages * PAGE_SIZE);
    pool_base = start;
    pool_pages = pages;
    mark(0, map_pages, true);
    pool_free = pages - map_pages;
    if (keep_end > keep_start && keep_end > start && keep_start < end) {
        uintptr_t ks = keep_start < start ? start : keep_start & ~(uintptr_t)(PAGE_SIZE - 1);
        uintptr_t ke = keep_end > end ? end : align_up(keep_end);
        size_t first = (ks - start) / PAGE_SIZE, n = (ke - ks) / PAGE_SIZE;
        for (size_t i = first; i < first + n; i++) {
            if (!page_used(i)) {
                mark(i, 1, true);
                pool_free--;
            }
        }
    }
    search_hint = map_pages;
    return 0;
}

/* First fit from `from`; returns the first page index of a free run of n, or pool_pages. */
static size_t find_run(size_t from, size_t n)
{
    size_t run = 0;
    for (size_t i = from; i < pool_pages; i++) {
        if (page_used(i)) {
            run = 0;
            continue;
        }
        if (++run == n)
            return i + 1 - n;
    }
    return pool_pages;
}

void *page_alloc(size_t npages)
{
    if (npages == 0 || npages > pool_pages)
        return NULL;
    unsigned long s = cpu_irq_save();
    size_t first = find_run(search_hint, npages);
    if (first == pool_pages)
        first = find_run(0, npages);
    if (first == pool_pages) {
        cpu_irq_restore(s);
        return NULL;
    }
    mark(first, npages, true);
    pool_free -= npages;
    if (npages == 1)
        search_hint = first + 1;
    cpu_irq_restore(s);
    void *p = (void *)(pool_base + first * PAGE_SIZE);
    memset(p, 0, npages * PAGE_SIZE);
    return p;
}

void page_free(void *p, size_t npages)
{
    uintptr_t a = (uintptr_t)p;
    if (!p || npages == 0)
        return;
    if (a % PAGE_SIZE || a < pool_base || npages > pool_pages ||
        (a - pool_base) / PAGE_SIZE > pool_pages - npages)
        panic("page_free: %p (%zu pages) is not from the page allocator", p, npages);
    size_t first = (a - pool_base) / PAGE_SIZE;
    unsigned long s = cpu_irq_save();
    for (size_t i = first; i < first + npages; i++)
        if (!page_used(i))
            panic("page_free: page %p freed twice", (void *)(pool_base + i * PAGE_SIZE));
    mark(first, npages, false);
    pool_free += npages;
    if (first < search_hint)
        search_hint = first;
    cpu_irq_restore(s);
}

size_t page_free_count(void)
{
    return pool_free;
}

size_t page_total_count(void)
{
    return pool_pages;
}
