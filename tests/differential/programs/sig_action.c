/* rt_sigaction, rt_sigprocmask, kill and tgkill with a handled signal. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int got;
static void on_signal(int sig) { got = sig; }

int main(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, &old);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, &old);
    sigaction(SIGUSR1, NULL, &old);
    sigaction(SIGKILL, &sa, NULL);
    sigset_t set, prev;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &prev);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    sigfillset(&set);
    sigdelset(&set, SIGSEGV);
    sigprocmask(SIG_SETMASK, &set, &prev);
    sigprocmask(SIG_SETMASK, &prev, NULL);
    kill(getpid(), SIGUSR1);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    syscall(SYS_tgkill, getpid(), 99999999, SIGUSR2);
    kill(getpid(), 0);
    return got == SIGUSR1 ? 0 : 1;
}
