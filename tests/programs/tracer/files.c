/* File-heavy program for comparing spykit with strace: opens that fail and succeed, reads,
 * writes, stat, access, mkdir, rename, unlink, all inside the directory given as argv[1]. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char path[4096], other[4096], buf[64];
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    struct stat st;
    open("/nonexistent/app.conf", O_RDONLY);
    access("/nonexistent/.apprc", R_OK);
    stat("/etc/hostname", &st);
    int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        read(fd, buf, sizeof buf);
        close(fd);
    }
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/sub/log.txt", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    write(fd, "started\n", 8);
    fsync(fd);
    close(fd);
    snprintf(other, sizeof other, "%s/sub/log.old", dir);
    rename(path, other);
    unlink(other);
    unlink(other);
    snprintf(path, sizeof path, "%s/sub", dir);
    rmdir(path);
    fd = openat(AT_FDCWD, "relative-missing.txt", O_RDONLY);
    return fd >= 0 ? 1 : 4;
}
