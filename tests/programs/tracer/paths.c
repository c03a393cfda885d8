/* Paths in every place and state, for calls the C loop records itself (access, newfstatat,
   readlinkat, unlinkat, renameat, symlinkat, getdents64) and the fds that opens make and closes end.
   Each case runs three times: the first call of a number is Python's, the later ones the C loop's.
   usage: paths DIR (a scratch directory) */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void probe(const char *path)
{
    struct stat st;
    char link[64];
    syscall(SYS_access, path, F_OK);
    syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0);
    syscall(SYS_readlinkat, AT_FDCWD, path, link, sizeof link);
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]) != 0)
        return 2;
    long page = sysconf(_SC_PAGESIZE);
    /* three pages: the first two readable, the third unmapped */
    char *area = mmap(NULL, 3 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(area + 2 * page, (size_t)page);
    char *across = area + page - 6; /* a path that runs on into the next (readable) page */
    memcpy(across, "across-pages", 13);
    char *edge = area + 2 * page - 8; /* no NUL before the unmapped page */
    memcpy(edge, "/no-end!", 8);
    char *other = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *last = other + page - 5; /* its NUL is the page's last byte */
    memcpy(last, "/end", 5);
    char *hidden = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(hidden, "secret-in-prot-none");
    mprotect(hidden, (size_t)page, PROT_NONE);
    static char longest[6000]; /* longer than PATH_MAX: cut at 4096 bytes */
    memset(longest, 'x', sizeof longest - 1);
    symlink("target-of-link", "link");

    for (int round = 0; round < 3; round++) {
        probe("/etc/hostname");
        probe("link");
        probe("");
        probe("no-such-file");
        probe("caf\xc3\xa9-\xff\xfe"); /* UTF-8, then bytes that are not */
        probe(NULL);
        probe((const char *)0x1000);
        probe(across);
        probe(edge);
        probe(last);
        probe(hidden);
        probe(longest);
        syscall(SYS_renameat, AT_FDCWD, "no-such-file", AT_FDCWD, "other-name");
        syscall(SYS_symlinkat, "a-target", AT_FDCWD, round ? "new-link" : "first-link");
        syscall(SYS_unlinkat, AT_FDCWD, round ? "new-link" : "first-link", 0);

        /* a closed fd leaves the table: the read after the close must not name the old file */
        char byte;
        int fd = open("/etc/hostname", O_RDONLY);
        int copy = (int)syscall(SYS_dup, fd);
        syscall(SYS_close, copy);
        syscall(SYS_read, fd, &byte, 1);
        syscall(SYS_close, fd);
        syscall(SYS_read, fd, &byte, 1);
        syscall(SYS_close, fd); /* EBADF: nothing to drop */
        syscall(SYS_close, 987); /* never open */

        /* a buffer too small for one record (EINVAL), then the directory listed whole (records
           counted), then its end (0 records) */
        char entries[4096];
        int dir = open(".", O_RDONLY | O_DIRECTORY);
        syscall(SYS_getdents64, dir, entries, 8);
        while (syscall(SYS_getdents64, dir, entries, sizeof entries) > 0)
            ;
        syscall(SYS_close, dir);
    }
    return 0;
}
