/* stat, lstat, fstat, newfstatat and statx. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    struct stat st;
    struct statx stx;
    int fd = open("data.bin", O_WRONLY | O_CREAT, 0644);
    write(fd, "twelve bytes", 12);
    syscall(SYS_stat, "data.bin", &st);
    syscall(SYS_stat, "missing.bin", &st);
    symlink("data.bin", "link.bin");
    syscall(SYS_lstat, "link.bin", &st);
    syscall(SYS_fstat, fd, &st);
    syscall(SYS_fstat, 1234, &st);
    syscall(SYS_newfstatat, AT_FDCWD, "link.bin", &st, AT_SYMLINK_NOFOLLOW);
    syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH);
    syscall(SYS_newfstatat, AT_FDCWD, ".", &st, 0);
    syscall(SYS_newfstatat, AT_FDCWD, "/dev/null", &st, 0);
    statx(AT_FDCWD, "data.bin", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &stx);
    statx(AT_FDCWD, "link.bin", AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, &stx);
    statx(AT_FDCWD, "nothere", 0, STATX_ALL, &stx);
    statx(fd, "", AT_EMPTY_PATH, STATX_MODE, &stx);
    mkdir("sub", 0755);
    syscall(SYS_stat, "sub", &st);
    close(fd);
    return 0;
}
