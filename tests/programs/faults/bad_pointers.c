/* Rows 26-28: arguments that point nowhere, or half-way into memory.
   openat with a NULL path and with an unmapped address (0x1000): EFAULT;
   a path and a write buffer that run off the end of a page into an unmapped one;
   a path in a PROT_NONE page that holds "secret-in-prot-none" (the kernel cannot read it). */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    syscall(SYS_openat, AT_FDCWD, (char *)0, O_RDONLY);
    syscall(SYS_openat, AT_FDCWD, (char *)0x1000, O_RDONLY);

    long page = sysconf(_SC_PAGESIZE);
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + page, page);
    char *edge = two + page - 10;
    memcpy(edge, "/edge-path", 10); /* no NUL: the string runs into the hole */
    syscall(SYS_openat, AT_FDCWD, edge, O_RDONLY);
    int devnull = open("/dev/null", O_WRONLY);
    syscall(SYS_write, devnull, edge, 100);

    char *hidden = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(hidden, "secret-in-prot-none");
    mprotect(hidden, page, PROT_NONE);
    syscall(SYS_openat, AT_FDCWD, hidden, O_RDONLY);
    return 0;
}
