/* readv and writev with several iovecs, short and long. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void) {
    char a[8], b[64], c[4];
    int fd = open("iov.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    struct iovec out[3] = {
        {"first ", 6},
        {"a second piece that is longer than the string limit", 51},
        {"\n", 1},
    };
    writev(fd, out, 3);
    writev(fd, out, 0);
    lseek(fd, 0, SEEK_SET);
    struct iovec in[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
    readv(fd, in, 3);
    lseek(fd, 3, SEEK_SET);
    readv(fd, in, 1);
    readv(fd, in, 3);
    writev(99, out, 1);
    close(fd);
    return 0;
}
