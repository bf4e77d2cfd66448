/* Fibers: kernel-scheduled threads. Each has a kernel stack with an unmapped guard page below it;
 * a user fiber also has its own Sv39 space and runs its program in U-mode, preempted by the
 * timer. The boot context becomes the idle fiber (id 0), which runs the scheduler and sleeps in
 * wfi when nothing is ready. One hart; interrupts are off inside the scheduler. */
#ifndef KERNEL_FIBER_H
#define KERNEL_FIBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/vm.h>

#define FIBER_MAX      32
#define FIBER_NAME_LEN 16

enum fiber_state { FIBER_FREE, FIBER_READY, FIBER_RUNNING, FIBER_BLOCKED, FIBER_ZOMBIE };

/* What the kernel shows of a fiber (`ps`). */
struct fiber_info {
    unsigned id;
    char name[FIBER_NAME_LEN];
    bool user;
    enum fiber_state state;
    uint64_t cpu_ns;
    size_t kstack_used, kstack_size; /* high-water mark of the kernel stack, bytes */
    size_t ustack_used, ustack_size; /* the same for a user stack (0 for kernel fibers) */
};

/* Turns the boot context into the idle fiber; called once after vm_init. */
void fiber_init(void);
/* The idle loop: runs ready fibers, sleeps in wfi when none is. Never returns. */
void fiber_idle_loop(void) __attribute__((noreturn));

/* A kernel fiber running fn(arg); ends when fn returns. Its id, or -errno. */
int fiber_spawn_kernel(const char *name, void (*fn)(void *), void *arg);
/* A user fiber running the ELF image `elf` of `size` bytes with argv[0..argc). Its id, or
 * -errno (-ENOEXEC for an image that does not validate, -ENOMEM, -EAGAIN no free slot). */
int fiber_spawn_user(const char *name, const void *elf, size_t size, int argc,
                     const char *const argv[]);

/* Waits until fiber `id` has ended, then frees it: its exit status, or -ESRCH. */
int fiber_wait(unsigned id, int *status);
/* As fiber_wait, but gives up at deadline_ns (time_ns(); 0: never): -ETIMEDOUT with the fiber
 * still running (at the deadline, or earlier when fiber_poke_waits is called), or -EINTR when
 * the caller is killed meanwhile. */
int fiber_wait_until(unsigned id, uint64_t deadline_ns, int *status);
/* Ends every timed fiber_wait_until now (-ETIMEDOUT), so its caller looks at what it watches
 * (the console's Ctrl-C: a shell waiting for its foreground program). Any context. */
void fiber_poke_waits(void);
/* Nobody will wait for fiber `id`: it is freed (with one line saying how it ended) when it
 * ends. 0 or -ESRCH. */
int fiber_detach(unsigned id);
/* True once fiber `id` has ended (or never existed). */
bool fiber_done(unsigned id);
/* True when fiber `id` exists and runs a user program. */
bool fiber_is_user(unsigned id);
/* Ends fiber `id` (a user fiber, or a kernel fiber other than the caller): at its next trap or
 * wake-up. 0, -ESRCH, -EPERM (the idle fiber, or the caller itself). */
int fiber_kill(unsigned id);
/* Called in every ending fiber (user or kernel) before its pages are returned, interrupts
 * enabled, on its own stack: it may sleep (to let the devices give back its buffers). One hook:
 * the ION dispatch, which owns the fibers' capabilities and rings. */
void fiber_set_exit_hook(void (*hook)(unsigned id));
/* Ends the calling fiber with `status`. */
void fiber_exit(int status) __attribute__((noreturn));

/* Scheduling, for the calling fiber. Sleeping takes `chan` (any address); fiber_wakeup(chan)
 * from anywhere, interrupt handlers included, makes every fiber asleep on it ready. Call
 * fiber_sleep with interrupts disabled after checking the condition, so no wake-up is lost;
 * `deadline_ns` (0: none) wakes it regardless. The idle fiber cannot sleep: it waits in wfi. */
void fiber_yield(void);
void fiber_sleep(const void *chan, uint64_t deadline_ns);
void fiber_wakeup(const void *chan);
/* For a caller that re-checks its condition in a loop (os_event_wait): like fiber_sleep, but
 * when no other fiber is ready it waits for the next interrupt in place (wfi) instead of
 * switching to the idle fiber and back, so a lone waiter pays no context switch per completion.
 * It may return after any interrupt. Interrupts disabled. */
void fiber_block(const void *chan, uint64_t deadline_ns);
/* Timer tick (interrupt context): wakes sleepers whose deadline passed. Returns
 * fiber_preempt_wanted(). */
bool fiber_tick(void);
/* True when the interrupted fiber should give up the CPU: it ran in U-mode and another fiber is
 * ready (an interrupt may have just woken it). */
bool fiber_preempt_wanted(void);

/* The running fiber's id, its space (NULL for kernel fibers), whether it was killed. */
unsigned fiber_self(void);
pte_t *fiber_space(void);
bool fiber_killed(void);
/* Fiber id's space while it runs (NULL: a kernel fiber, ended, or no such fiber): for copies
 * between two fibers' memory, which the kernel makes page by page through both tables. */
pte_t *fiber_space_of(unsigned id);
/* Fibers in the table, for `ps`: fills up to `max`, returns how many. */
unsigned fiber_list(struct fiber_info *out, unsigned max);
const char *fiber_state_name(enum fiber_state s);

/* The running fiber's kernel stack bounds: the trap vector's check for a bad sp reads them. */
extern uintptr_t fiber_kstack_lo, fiber_kstack_hi;

#endif
