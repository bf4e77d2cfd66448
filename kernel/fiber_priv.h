/* Private to the fiber code (kernel/fiber.c, kernel/user_load.c, kernel/syscall.c): the fiber
 * record and the helpers those files share. Nothing else includes it. */
#ifndef KERNEL_FIBER_PRIV_H
#define KERNEL_FIBER_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/fiber.h>
#include <kernel/trap.h>
#include <kernel/vm.h>

/* Callee-saved registers, as kernel/swtch.S lays them out. */
struct fiber_ctx {
    uint64_t ra, sp, s[12];
    uint64_t fs[12];
};

struct fiber {
    unsigned id;
    char name[FIBER_NAME_LEN];
    enum fiber_state state;
    bool user;
    bool killed;
    bool detached;      /* nobody will fiber_wait for it: freed as soon as it ends */
    bool in_timed_wait; /* asleep in fiber_wait_until with a deadline: fiber_poke_waits wakes it */
    bool poked;         /* fiber_poke_waits was called: its next timed wait ends at once */
    struct fiber_ctx ctx;
    uintptr_t kstack_lo; /* 0 once freed */
    unsigned kstack_pages;
    pte_t *space; /* user fibers: the Sv39 root */
    uint64_t ustack_lo;
    size_t ustack_size;
    const void *chan;  /* what it sleeps on */
    uint64_t deadline; /* wakes then regardless (0: never) */
    uint64_t cpu_ns;
    int exit_status;
    void (*fn)(void *);
    void *arg;
};

struct fiber *fiber_current(void);

/* Loads a validated ELF image into f->space, maps the user stack (a guard page below it) with
 * argv on it, and fills the frame's sepc, sp, a0 (argc) and a1 (argv). 0 or -errno. */
int user_load(struct fiber *f, const void *elf, size_t size, int argc, const char *const argv[],
              struct trap_frame *tf);
/* Bytes of f's user stack ever used. */
size_t user_stack_used(const struct fiber *f);

#endif
