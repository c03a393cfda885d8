/* Busy in the kernel: writes one byte per system call to a file, for the given seconds. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: tiny_writes SECONDS FILE\n");
        return 2;
    }
    double seconds = atof(argv[1]);
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(argv[2]);
        return 1;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        for (int i = 0; i < 1000; i++) {
            if (write(fd, "x", 1) != 1) {
                perror("write");
                return 1;
            }
        }
    } while (since(&t0) < seconds);
    return close(fd) == 0 ? 0 : 1;
}
