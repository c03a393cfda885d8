/* Row 24: system calls interrupted by signals and restarted by the kernel.
   1. read() on a pipe with an SA_RESTART handler: a child sends SIGUSR1, then writes a byte;
      the read is restarted (ERESTARTSYS) and returns the byte.
   2. nanosleep stopped by SIGSTOP and continued by SIGCONT (no handler): the kernel resumes it
      with restart_syscall (ERESTART_RESTARTBLOCK).
   Exits 0 when both calls succeed. */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

static void nap_ms(long ms) {
    struct timespec t = {0, ms * 1000 * 1000};
    nanosleep(&t, NULL);
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    int p[2];
    pipe(p);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        nap_ms(150);
        kill(parent, SIGUSR1);
        nap_ms(150);
        write(p[1], "x", 1);
        nap_ms(150); /* the parent is in its long nanosleep by now */
        kill(parent, SIGSTOP);
        nap_ms(100);
        kill(parent, SIGCONT);
        _exit(0);
    }
    char c;
    if (read(p[0], &c, 1) != 1) return 2;
    struct timespec t = {0, 700 * 1000 * 1000};
    if (syscall(SYS_nanosleep, &t, NULL) != 0) return 3;
    waitpid(child, NULL, 0);
    return 0;
}
