/* A handler returns while SIGUSR2 and SIGTERM are blocked: rt_sigreturn restores that mask. */
#include <signal.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

int main(void)
{
    signal(SIGUSR1, on_usr1);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR2);
    sigaddset(&blocked, SIGTERM);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    raise(SIGUSR1);
    return 0;
}
