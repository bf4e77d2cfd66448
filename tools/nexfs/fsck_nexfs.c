/* fsck.nexfs IMG [-n|-y]: checks (-n, the default: opens the image read-only) or repairs (-y)
 * a NexFS image. Exit status as e2fsck's: 0 clean, 1 fixed, 4 left uncorrected, 8 could not
 * check. Every finding is one line naming its inode or block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostdev.h"

static void say(void *arg, const char *line)
{
    (void)arg;
    printf("%s\n", line);
}

int main(int argc, char **argv)
{
    const char *img = NULL;
    int repair = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n"))
            repair = 0;
        else if (!strcmp(argv[i], "-y"))
            repair = 1;
        else if (argv[i][0] != '-' && !img)
            img = argv[i];
        else {
            fprintf(stderr, "usage: fsck.nexfs IMG [-n|-y]\n");
            return 8;
        }
    }
    if (!img) {
        fprintf(stderr, "usage: fsck.nexfs IMG [-n|-y]\n");
        return 8;
    }
    struct nexfs_dev dev;
    if (hostdev_open(&dev, "fsck.nexfs", img, repair) < 0)
        return 8;
    struct nexfs_fsck_opts o = {.flags = repair ? NEXFS_FSCK_REPAIR : 0, .report = say};
    o.mem_size = nexfs_fsck_mem(&dev);
    o.mem = malloc(o.mem_size);
    if (!o.mem) {
        fprintf(stderr, "fsck.nexfs: %s: out of memory\n", img);
        return 8;
    }
    int r = nexfs_fsck(&dev, &o);
    free(o.mem);
    hostdev_close(&dev);
    const char *what = r == 0                ? "clean"
                       : r & NEXFS_FSCK_OPER ? "could not be checked"
                       : r & NEXFS_FSCK_LEFT ? "has problems left uncorrected"
                                             : "repaired";
    printf("fsck.nexfs: %s: %s\n", img, what);
    return r;
}
