/* open, openat, openat2 and creat with the flags a learner meets. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    int fd = open("config.ini", O_RDONLY);
    fd = openat(AT_FDCWD, "/nonexistent/app.conf", O_RDONLY | O_CLOEXEC);
    fd = openat(AT_FDCWD, "out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    close(fd);
    fd = openat(AT_FDCWD, "out.txt", O_RDWR | O_APPEND | O_NONBLOCK | O_NOFOLLOW);
    close(fd);
    fd = openat(AT_FDCWD, "new.txt", O_WRONLY | O_CREAT | O_EXCL, 0600);
    close(fd);
    fd = openat(AT_FDCWD, "new.txt", O_WRONLY | O_CREAT | O_EXCL, 0600);
    fd = openat(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int dir = fd;
    fd = openat(dir, "out.txt", O_RDONLY | O_NOATIME | O_SYNC);
    close(fd);
    fd = openat(AT_FDCWD, ".", O_TMPFILE | O_RDWR, 0600);
    close(fd);
    fd = creat("created.txt", 0640);
    close(fd);
    fd = openat(AT_FDCWD, "out.txt", O_PATH);
    close(fd);
    fd = openat(AT_FDCWD, "out.txt", 0x40000000 | O_RDONLY);
    close(fd);
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
    fd = syscall(SYS_openat2, AT_FDCWD, "out.txt", &how, sizeof how);
    close(fd);
    struct open_how how2 = {.flags = O_WRONLY | O_CREAT, .mode = 0600, .resolve = 0};
    fd = syscall(SYS_openat2, dir, "how2.txt", &how2, sizeof how2);
    close(fd);
    fd = open("out.txt", O_WRONLY | O_DSYNC | O_DIRECT | O_LARGEFILE | 3);
    close(dir);
    return 0;
}
