/* mmap, mprotect, munmap, brk, madvise. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    void *cur = (void *)syscall(SYS_brk, 0);
    syscall(SYS_brk, (char *)cur + 4096);
    void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(p, 4096, PROT_READ);
    mprotect(p, 4096, PROT_NONE);
    mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    madvise(p, 8192, MADV_DONTNEED);
    munmap(p, 8192);
    int fd = open("mapped", O_RDWR | O_CREAT, 0600);
    ftruncate(fd, 4096);
    void *q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    munmap(q, 4096);
    mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_POPULATE | MAP_NORESERVE, fd, 4096);
    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 99, 0);
    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_GROWSDOWN, -1, 0);
    mmap((void *)0x10000000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mmap(NULL, 4096, 0x10 | PROT_READ, 0x7 | 0x100000000, -1, 0);
    munmap((void *)1, 10);
    close(fd);
    return 0;
}
