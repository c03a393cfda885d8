/* A 64-bit program asking for calls of the other tables: numbers no table knows, x32 calls,
 * and an i386 open through int $0x80 (built with -no-pie: the path must lie below 4 GiB). */
#include <sys/syscall.h>
#include <unistd.h>

static const char i386_path[] = "/nonexistent-by-int80";

int main(void)
{
    syscall(-1L, 1, 2, 3);
    syscall(1000, 1, 2);
    syscall(5000);
    syscall(0x40000000L | 39); /* x32 getpid */
    syscall(0x40000000L | 2, "/nonexistent-x32", 0); /* x32 open */
    getpid();
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(5), "b"(i386_path), "c"(0), "d"(0) : "memory");
    getppid();
    return ret == -2 ? 0 : 1; /* the i386 open failed with ENOENT */
}
