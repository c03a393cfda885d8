/* Rows 10 and 13: a target in a given scheduler state.
   states busy    spin without any system call (state R)
   states sleep   sleep in short naps forever (state S); exits 3 if a nap ever fails */
#include <errno.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "busy") == 0) {
        volatile unsigned long spins = 0;
        for (;;) spins++;
    }
    struct timespec nap = {0, 20 * 1000 * 1000};
    for (;;) {
        int err = clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL);
        if (err != 0 && err != EINTR) return 3;
    }
}
