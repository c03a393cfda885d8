/* Pointers the kernel cannot read: strace shows them as addresses, never crashes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    struct stat st;
    open((char *)1, O_RDONLY);
    openat(AT_FDCWD, (char *)0xdead0000, O_RDONLY);
    write(1, (void *)8, 10);
    syscall(SYS_stat, "/", (struct stat *)16);
    syscall(SYS_stat, NULL, &st);
    access(NULL, F_OK);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    connect(s, (struct sockaddr *)24, 16);
    connect(s, NULL, 0);
    sendto(s, (void *)32, 4, 0, NULL, 0);
    char *argv[] = {(char *)40, NULL};
    execve("/nonexistent", (char **)48, NULL);
    execve("/nonexistent", argv, NULL);
    syscall(SYS_pipe2, (int *)56, 0);
    syscall(SYS_rt_sigaction, 10, (void *)64, NULL, 8);
    syscall(SYS_readlink, "/proc/self/exe", (char *)72, 100);
    return 0;
}
