/* The user programs embedded in the kernel image (cmake/user.cmake builds each from
 * user/programs/ and links it in): found by name, started as user fibers. There is no filesystem
 * yet; NexFS will later let programs come from files. */
#ifndef KERNEL_PROGRAMS_H
#define KERNEL_PROGRAMS_H

#include <stddef.h>
#include <stdint.h>

struct user_image {
    const char *name;
    const uint8_t *start, *end;
};

/* The table ends with an entry whose name is NULL. */
extern const struct user_image user_images[];
/* The image called `name`, or NULL. */
const struct user_image *program_find(const char *name);
/* Starts `argv[0]` as a user fiber with these arguments: its id, or -ENOENT (no such program)
 * or what fiber_spawn_user says. */
int program_start(int argc, const char *const argv[]);

#endif
