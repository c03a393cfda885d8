/* access, faccessat and faccessat2. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    close(open("here", O_WRONLY | O_CREAT, 0600));
    access("here", F_OK);
    access("here", R_OK | W_OK);
    access("here", X_OK);
    access("/etc/ld.so.preload", R_OK);
    syscall(SYS_faccessat, AT_FDCWD, "here", R_OK);
    syscall(SYS_faccessat, AT_FDCWD, "gone", W_OK | X_OK);
    syscall(SYS_faccessat2, AT_FDCWD, "here", R_OK, AT_EACCESS);
    syscall(SYS_faccessat2, AT_FDCWD, "here", F_OK, AT_SYMLINK_NOFOLLOW | AT_EACCESS);
    syscall(SYS_faccessat2, AT_FDCWD, "here", 8, 0);
    return 0;
}
