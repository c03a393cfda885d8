/* dup, dup2, dup3, close, close_range, pipe, pipe2, fcntl. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    int p[2];
    syscall(SYS_pipe, p);
    pipe2(p, O_CLOEXEC);
    pipe2(p, O_NONBLOCK | O_CLOEXEC);
    pipe2(p, 0);
    int d = dup(p[0]);
    dup2(p[1], 20);
    dup3(p[1], 21, O_CLOEXEC);
    dup2(99, 22);
    fcntl(d, F_GETFD);
    fcntl(d, F_SETFD, FD_CLOEXEC);
    fcntl(d, F_GETFL);
    fcntl(d, F_SETFL, O_NONBLOCK | O_APPEND);
    fcntl(d, F_DUPFD, 30);
    fcntl(d, F_DUPFD_CLOEXEC, 40);
    fcntl(d, F_GETPIPE_SZ);
    fcntl(d, F_SETPIPE_SZ, 8192);
    fcntl(999, F_GETFD);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    int f = open("lockme", O_RDWR | O_CREAT, 0600);
    fcntl(f, F_SETLK, &fl);
    fcntl(f, F_GETLK, &fl);
    close(d);
    close(999);
    syscall(SYS_close_range, 30, 40, CLOSE_RANGE_CLOEXEC);
    syscall(SYS_close_range, 20, ~0U, 0);
    return 0;
}
