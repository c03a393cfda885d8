/* Calls of the other tables from a 64-bit program: numbers no table knows, x32 calls, and i386
 * calls through int $0x80 (their arguments must lie below 4 GiB: a MAP_32BIT page holds them). */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static long int80(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}

int main(void)
{
    syscall(-1L, 1, 2, 3);
    syscall(1000, 1, 2);
    syscall(0x40000000L | 39);                          /* x32 getpid */
    syscall(0x40000000L | 2, "/nonexistent-x32", 0);    /* x32 open */
    char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    strcpy(low, "/nonexistent-by-int80");
    strcpy(low + 64, "int80 says hi\n");
    int80(5, (long)low, 0, 0);                          /* i386 open */
    int80(33, (long)low, 0, 0);                         /* i386 access */
    int80(4, 1, (long)(low + 64), 14);                  /* i386 write */
    int80(20, 0, 0, 0);                                 /* i386 getpid */
    int80(6, 99, 0, 0);                                 /* i386 close of a bad fd */
    getppid();
    munmap(low, 4096);
    return 0;
}
