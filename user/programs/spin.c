/* spin [seconds [quiet]]: computes forever (or for that many seconds), printing a line a second
 * unless quiet: shows that the timer preempts U-mode code, and is what `kill` and Ctrl-C are
 * tested on. */
#include <stdio.h>
#include <stdlib.h>

#include <nexus.h>

int main(int argc, char **argv)
{
    uint64_t seconds = argc > 1 ? strtoull(argv[1], NULL, 10) : 0;
    uint64_t start = nexus_time_ns(), next = start + 1000000000ull;
    volatile uint64_t work = 0;
    int quiet = argc > 2 && argv[2][0] == 'q';

    if (!quiet)
        printf("spin: fiber %ld running\n", nexus_getpid());
    for (;;) {
        work++;
        uint64_t now = nexus_time_ns();
        if (now >= next) {
            if (!quiet)
                printf("spin: %llu s\n", (unsigned long long)((now - start) / 1000000000ull));
            next += 1000000000ull;
            if (seconds && now - start >= seconds * 1000000000ull)
                return 0;
        }
    }
}
