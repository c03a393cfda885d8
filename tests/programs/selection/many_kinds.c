/* A few calls of many strace classes, for comparing -e selections with strace:
 * identity (%pure, %creds), stat and statfs (%file, %%stat, %%statfs), fds (%desc),
 * memory (%memory), signals (%signal), a child (%process), a pipe and a socket (%network). */
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

int main(void) {
    struct stat st;
    struct statfs fs;
    int fds[2];
    getpid();
    getppid();
    getuid();
    geteuid();
    stat("/", &st);
    statfs("/", &fs);
    fstatfs(0, &fs);
    int fd = open("/dev/null", O_RDONLY);
    fstat(fd, &st);
    close(fd);
    void *p = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p, 4096);
    signal(SIGUSR1, SIG_IGN);
    pipe(fds);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    close(s);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, 0, 0);
    return 0;
}
