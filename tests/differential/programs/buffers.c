/* Reads and writes of every size and place the tracer's C loop treats specially, for comparing it
 * with the pure-Python loop: empty, one byte, a word, longer than the string limit, buffers that
 * end at or cross a page edge, failing calls (bad fd, bad pointer, "negative" size), a
 * structure filled by the kernel (fstat), a run of one-byte writes and reads through a pipe, and
 * pages whose protection changes between reads (the C loop remembers pages it saw readable).
 * Also in the strace comparison (tests/differential), without the "partial" argument. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int p[2];
    struct stat st;
    char *page = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED || pipe(p) != 0)
        return 1;
    mprotect(page + 2 * 4096, 4096, PROT_NONE); /* the third page cannot be read */
    for (int i = 0; i < 2 * 4096; i++)
        page[i] = "spykit, fast and slow "[i % 22];
    int sizes[] = {0, 1, 7, 8, 9, 31, 32, 33, 100};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        write(p[1], page, sizes[i]);
        read(p[0], page + 4096 - sizes[i], sizes[i]);       /* ends at the page edge */
        write(p[1], page + 4096 - 3, sizes[i]);             /* crosses into the next page */
        read(p[0], page + 4096 - 3, sizes[i]);              /* its bytes straddle the edge */
        read(p[0], page + 2 * 4096 - 4, 0);
    }
    if (argc > 1 && argv[1][0] == 'p') /* "partial": runs into the unreadable page. strace shows the
                                        * pointer; spykit keeps the readable part (issue 10, row 27) */
        write(p[1], page + 2 * 4096 - 2, 8);
    write(p[1], page + 2 * 4096, 1);       /* an unreadable buffer: EFAULT */
    char *volatile null = 0;
    write(p[1], null, 1);                  /* NULL: EFAULT */
    volatile size_t huge = (size_t)-1;
    write(p[1], page, huge);               /* a "negative" size */
    read(99, page, 10);                    /* a closed fd: EBADF */
    write(p[1], page, 6000);               /* more than a page */
    read(p[0], page, 6000);
    pwrite(p[1], page, 4, 0);              /* a pipe cannot seek: ESPIPE */
    fstat(p[0], &st);
    fstat(-1, &st);
    for (int i = 0; i < 3000; i++) {       /* the tracer's hottest path */
        write(p[1], page + (i % 26), 1);
        read(p[0], page + 4096 + (i % 4096), 1);
        getppid();
    }
    /* a write-only page: the kernel writes into it, a debugger's read through it would succeed,
     * process_vm_readv (and strace) cannot read it */
    char *wonly = mmap(0, 4096, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 3; i++) {
        write(p[1], "w", 1);
        read(p[0], wonly + 8, 1);
        write(p[1], wonly + 8, 1);
        read(p[0], page, 1);
    }
    /* a page read many times, then made unreadable, then readable, then unmapped */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5; i++) {
            write(p[1], page + 4096 + 16, 1);
            read(p[0], page + 4096 + 24, 1);
        }
        mprotect(page + 4096, 4096, round == 1 ? PROT_WRITE : PROT_NONE);
        write(p[1], page + 4096 + 16, 1);   /* EFAULT: the page cannot be read */
        write(1 + 1000, page + 4096 + 16, 1);   /* EBADF: the buffer is never looked at */
        mprotect(page + 4096, 4096, PROT_READ | PROT_WRITE);
        write(p[1], page + 4096 + 16, 1);
        read(p[0], page + 4096 + 24, 1);
        write(p[1], page + 4096 + 17, 1);
        read(p[0], page + 4096 + 25, 1);
    }
    munmap(page + 4096, 4096);
    write(p[1], page + 4096 + 16, 1);       /* EFAULT: unmapped */
    close(p[0]);
    close(p[1]);
    return 0;
}
