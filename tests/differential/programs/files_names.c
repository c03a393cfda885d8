/* rename, renameat2, unlink, unlinkat, link, symlink, readlink, readlinkat. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    char buf[256];
    close(open("one", O_WRONLY | O_CREAT, 0644));
    rename("one", "two");
    rename("one", "three");
    close(open("one", O_WRONLY | O_CREAT, 0644));
    syscall(SYS_renameat2, AT_FDCWD, "one", AT_FDCWD, "two", RENAME_NOREPLACE);
    syscall(SYS_renameat2, AT_FDCWD, "one", AT_FDCWD, "two", RENAME_EXCHANGE);
    syscall(SYS_renameat, AT_FDCWD, "one", AT_FDCWD, "four");
    link("two", "hard");
    symlink("two", "soft");
    symlink("a-rather-long-target-name-that-goes-on-and-on-and-on", "longsoft");
    readlink("soft", buf, sizeof buf);
    readlink("longsoft", buf, sizeof buf);
    readlink("longsoft", buf, 5);
    readlink("two", buf, sizeof buf);
    readlinkat(AT_FDCWD, "soft", buf, sizeof buf);
    unlink("hard");
    unlink("hard");
    unlinkat(AT_FDCWD, "soft", 0);
    mkdir("d", 0700);
    unlinkat(AT_FDCWD, "d", AT_REMOVEDIR);
    unlinkat(AT_FDCWD, "longsoft", 0);
    return 0;
}
