/* Row 17: signals sent to a traced program reach it. It handles SIGINT (raised by itself) and
   SIGUSR1 (sent by its child), and prints which arrived. Exits 0 when both did. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_int, got_usr1;
static void on_int(int sig) { (void)sig; got_int = 1; }
static void on_usr1(int sig) { (void)sig; got_usr1 = 1; }

int main(void) {
    signal(SIGINT, on_int);
    signal(SIGUSR1, on_usr1);
    raise(SIGINT);
    pid_t child = fork();
    if (child == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    while (!got_usr1) pause();
    waitpid(child, NULL, 0);
    printf("SIGINT %d SIGUSR1 %d\n", (int)got_int, (int)got_usr1);
    return got_int && got_usr1 ? 0 : 1;
}
