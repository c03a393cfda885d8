/* exit_group with a status, from a child, and a plain exit from a thread. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *quit(void *arg) {
    syscall(SYS_exit, 5);
    return arg;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, quit, NULL);
    pthread_join(t, NULL);
    if (syscall(SYS_fork) == 0)
        syscall(SYS_exit_group, 42);
    int status;
    wait4(-1, &status, 0, NULL);
    syscall(SYS_exit_group, 3);
    return 0;
}
