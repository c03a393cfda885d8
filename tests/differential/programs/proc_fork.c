/* fork, vfork, wait4 with the statuses a learner meets, kill. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int status;
    pid_t child = syscall(SYS_fork);
    if (child == 0) syscall(SYS_exit_group, 0);
    wait4(child, &status, 0, NULL);
    child = syscall(SYS_fork);
    if (child == 0) syscall(SYS_exit_group, 3);
    wait4(-1, &status, 0, NULL);
    /* The child must be inside pause() when the signal comes, in both runs: it signals itself
     * with a timer it armed, instead of racing its parent's kill(). */
    child = syscall(SYS_fork);
    if (child == 0) {
        struct itimerval t = {{0, 0}, {0, 100000}};
        setitimer(ITIMER_REAL, &t, NULL);
        pause();
        syscall(SYS_exit_group, 0);
    }
    wait4(child, &status, __WALL, NULL);
    kill(child, SIGTERM);
    child = syscall(SYS_vfork);
    if (child == 0) syscall(SYS_exit, 7);
    struct rusage ru;
    wait4(child, &status, 0, &ru);
    wait4(-1, &status, WNOHANG, NULL);
    wait4(12345678, NULL, WNOHANG | WUNTRACED, NULL);
    kill(99999999, 0);
    kill(getpid(), 0);
    return 0;
}
