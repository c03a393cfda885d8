/* Row 16: a child stops itself (SIGSTOP, then SIGTSTP); the parent sees each stop, waits
   0.3 s, checks the child is still stopped, and continues it. The child measures how long it
   stayed stopped: a tracer that continued it early would cut that short.
   Prints "stopped SIGSTOP <ms>" and "stopped SIGTSTP <ms>"; exits 0, or 4 if a stop went away early. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(void) {
    int signals[2] = {SIGSTOP, SIGTSTP};
    const char *names[2] = {"SIGSTOP", "SIGTSTP"};
    pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0); /* its own process group, which is not orphaned: SIGTSTP stops it */
        for (int i = 0; i < 2; i++) {
            double before = now_ms();
            kill(getpid(), signals[i]);
            printf("stopped %s %.0f\n", names[i], now_ms() - before);
            fflush(stdout);
        }
        _exit(0);
    }
    for (int i = 0; i < 2; i++) {
        int status;
        if (waitpid(child, &status, WUNTRACED) != child || !WIFSTOPPED(status)) return 5;
        struct timespec pause_for = {0, 300 * 1000 * 1000};
        nanosleep(&pause_for, NULL);
        /* still stopped? waitpid(WCONTINUED|WNOHANG) would report a continue */
        if (waitpid(child, &status, WCONTINUED | WNOHANG) != 0) return 4;
        kill(child, SIGCONT);
    }
    int status;
    while (waitpid(child, &status, 0) == child && !WIFEXITED(status) && !WIFSIGNALED(status)) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : 6;
}
