/* Row 15: count every SIGRTMIN received (real-time signals queue: none may be lost).
   SIGUSR2 asks it to print the count and exit. Prints "ready" once the handlers are set. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t received, done;

static void on_rt(int sig) { (void)sig; received++; }
static void on_usr2(int sig) { (void)sig; done = 1; }

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_rt;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGRTMIN, &sa, NULL);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    while (!done) pause();
    printf("%d\n", (int)received);
    return 0;
}
