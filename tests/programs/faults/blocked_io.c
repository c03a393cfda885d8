/* Row 14: block in read(0) in one thread and in a 1.5 s sleep in another, while the tracer
   attaches and detaches. Neither call may see EINTR.
   Prints "read: <line>" and "slept" and exits 0; exits 2 (read) or 3 (sleep) on EINTR. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void *sleeper(void *arg) {
    (void)arg;
    struct timespec t = {1, 500 * 1000 * 1000};
    int err = clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
    if (err == EINTR) {
        printf("sleep: EINTR\n");
        fflush(stdout);
        _exit(3);
    }
    return NULL;
}

int main(void) {
    pthread_t th;
    pthread_create(&th, NULL, sleeper, NULL);
    char buf[64];
    ssize_t n = read(0, buf, sizeof buf - 1);
    if (n < 0) {
        printf("read: %s\n", errno == EINTR ? "EINTR" : "error");
        fflush(stdout);
        _exit(2);
    }
    buf[n] = 0;
    pthread_join(th, NULL);
    printf("read: %s", buf);
    printf("slept\n");
    return 0;
}
