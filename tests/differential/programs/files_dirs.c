/* mkdir, mkdirat, chdir, getcwd, getdents64, rmdir. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    char buf[4096];
    mkdir("a", 0755);
    mkdir("a", 0700);
    mkdirat(AT_FDCWD, "a/b", 0777);
    int dfd = open("a", O_RDONLY | O_DIRECTORY);
    mkdirat(dfd, "c", 01777);
    close(open("a/file", O_WRONLY | O_CREAT, 0644));
    syscall(SYS_getdents64, dfd, buf, sizeof buf);
    syscall(SYS_getdents64, dfd, buf, sizeof buf);
    syscall(SYS_getdents64, 999, buf, sizeof buf);
    chdir("a");
    syscall(SYS_getcwd, buf, sizeof buf);
    syscall(SYS_getcwd, buf, 2);
    chdir("/nonexistent-dir");
    fchdir(dfd);
    chdir("..");
    rmdir("a/b");
    rmdir("a");
    close(dfd);
    return 0;
}
