/* NipBox's date: the kernel's wall-clock time (the RTC read at boot plus time since boot) as
 * "YYYY-MM-DD HH:MM:SS UTC", or one line saying there is no clock. Keeps no state. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <abi/walltime.h>
#include <nexus.h>
#include <nipbox.h>

static int cmd_date(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        printf("date: takes no arguments (setting the clock is not supported)\n");
        return -EINVAL;
    }
    uint64_t now = nexus_walltime();
    if (!now) {
        printf("date: no real-time clock\n");
        return -ENODEV;
    }
    char when[WALLTIME_STR_LEN];
    walltime_format(now, WALLTIME_TEXT, when);
    printf("%s\n", when);
    return 0;
}

NIPBOX_COMMAND(date, "date", "date", "wall-clock date and time (UTC) from the RTC", cmd_date);
