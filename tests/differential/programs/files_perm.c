/* chmod, fchmodat, fchmod, chown, fchown, lchown, fchownat (to our own ids: works unprivileged). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    int fd = open("f", O_WRONLY | O_CREAT, 0644);
    chmod("f", 0600);
    chmod("f", 04755);
    chmod("missing", 0644);
    fchmodat(AT_FDCWD, "f", 0444, 0);
    fchmod(fd, 0640);
    chown("f", getuid(), getgid());
    chown("f", -1, -1);
    fchown(fd, -1, getgid());
    lchown("f", getuid(), -1);
    fchownat(AT_FDCWD, "f", -1, -1, AT_SYMLINK_NOFOLLOW);
    umask(022);
    close(fd);
    return 0;
}
