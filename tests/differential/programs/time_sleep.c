/* nanosleep and clock_nanosleep, relative and absolute. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec req = {.tv_sec = 0, .tv_nsec = 1000000}, rem;
    nanosleep(&req, &rem);
    nanosleep(&req, NULL);
    struct timespec bad = {.tv_sec = 0, .tv_nsec = 2000000000};
    nanosleep(&bad, NULL);
    clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &(struct timespec){.tv_sec = 1}, NULL);
    syscall(SYS_clock_nanosleep, 99, 0, &req, NULL);
    struct timespec now;
    syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &now);
    return 0;
}
