/* Starting an embedded user program by name (kernel/include/kernel/programs.h). */
#include <errno.h>
#include <string.h>

#include <kernel/fiber.h>
#include <kernel/programs.h>

const struct user_image *program_find(const char *name)
{
    for (const struct user_image *u = user_images; name && u->name; u++)
        if (strcmp(u->name, name) == 0)
            return u;
    return NULL;
}

int program_start(int argc, const char *const argv[])
{
    const struct user_image *u = argc > 0 ? program_find(argv[0]) : NULL;

    if (!u)
        return -ENOENT;
    return fiber_spawn_user(u->name, u->start, (size_t)(u->end - u->start), argc, argv);
}
