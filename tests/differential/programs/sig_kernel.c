/* Signals as strace names them: sa_flags bits it has no name for, rt_sigsuspend interrupted
 * (= ? ERESTARTNOHAND), and the socket type flags and clone ioctl in strace's order. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void on_alarm(int sig) { (void)sig; }

struct kernel_sigaction { void *handler; unsigned long flags; void *restorer; unsigned long mask; };

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct kernel_sigaction k = {on_alarm, 0x04000000UL | 0x400 | (1UL << 33), NULL, 0};
    syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 8);  /* SA_RESTORER and two bits glibc never sets */
    struct kernel_sigaction old;
    syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8);
    sigset_t none;
    sigemptyset(&none);
    alarm(1);
    sigsuspend(&none);

    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int d = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    close(s);
    close(d);
    int src = open("src.txt", O_CREAT | O_RDWR, 0644);
    write(src, "data", 4);
    int dst = open("dst.txt", O_CREAT | O_RDWR, 0644);
    ioctl(dst, FICLONE, src);
    fcntl(dst, F_SETFD, FD_CLOEXEC);
    fcntl(dst, F_GETFD);
    fcntl(dst, F_GETFL);
    close(src);
    close(dst);
    return 0;
}
