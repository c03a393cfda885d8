/* Calls that name files beyond open and stat: attributes, mounts, swap, times, watches, statfs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

int main(void)
{
    int fd = open("attrs.txt", O_CREAT | O_WRONLY, 0644);
    write(fd, "x", 1);
    char value[64], list[256];
    setxattr("attrs.txt", "user.colour", "blue", 4, XATTR_CREATE);
    lsetxattr("attrs.txt", "user.empty", "", 0, 0);
    fsetxattr(fd, "user.shape", "round\0", 6, 0);
    getxattr("attrs.txt", "user.colour", value, sizeof value);
    getxattr("attrs.txt", "user.colour", NULL, 0);
    lgetxattr("attrs.txt", "security.selinux", value, sizeof value);
    fgetxattr(fd, "user.shape", value, sizeof value);
    listxattr("attrs.txt", list, sizeof list);
    llistxattr("attrs.txt", NULL, 0);
    flistxattr(fd, list, sizeof list);
    removexattr("attrs.txt", "user.colour");
    lremovexattr("attrs.txt", "user.nothing");
    fremovexattr(fd, "user.shape");
    getxattr("missing.txt", "user.colour", value, sizeof value);

    struct statfs sfs;
    statfs("/proc", &sfs);
    statfs("/sys/fs/selinux", &sfs);
    int proc = open("/proc", O_RDONLY | O_DIRECTORY);
    fstatfs(proc, &sfs);
    close(proc);

    mount("none", "/nonexistent-mnt", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m");
    mount("/nonexistent-src", "/nonexistent-mnt", NULL, MS_BIND | MS_REC, NULL);
    umount2("/nonexistent-mnt", MNT_DETACH);
    syscall(SYS_swapoff, "/nonexistent-swap");
    syscall(SYS_pivot_root, "/nonexistent-new", "/nonexistent-old");
    chroot("/nonexistent-root");

    struct utimbuf ut = {1000000000, 1234567890};
    utime("attrs.txt", &ut);
    utime("attrs.txt", NULL);
    struct timeval tv[2] = {{1000000000, 5}, {1234567890, 0}};
    utimes("attrs.txt", tv);
    syscall(SYS_futimesat, AT_FDCWD, "attrs.txt", tv);
    struct timespec ts[2] = {{1000000000, 0}, {0, UTIME_NOW}};
    utimensat(AT_FDCWD, "attrs.txt", ts, AT_SYMLINK_NOFOLLOW);
    utimensat(AT_FDCWD, "attrs.txt", NULL, 0);
    mknodat(AT_FDCWD, "fifo", S_IFIFO | 0600, 0);
    int in = inotify_init1(IN_CLOEXEC);
    inotify_add_watch(in, ".", IN_CREATE | IN_DELETE | IN_ONLYDIR);
    inotify_add_watch(in, "missing-dir", IN_MODIFY);
    close(in);
    truncate("attrs.txt", 0);
    close(fd);
    return 0;
}
