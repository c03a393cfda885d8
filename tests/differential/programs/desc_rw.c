/* read, write, pread64, pwrite64, lseek. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

int main(void) {
    char buf[128];
    int fd = open("rw.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "hello\n", 6);
    write(fd, "tab\there \"quoted\" back\\slash\r\n", 30);
    write(fd, "", 0);
    pwrite(fd, "XY", 2, 1);
    lseek(fd, 0, SEEK_SET);
    read(fd, buf, sizeof buf);
    read(fd, buf, sizeof buf);
    pread(fd, buf, 4, 2);
    lseek(fd, -3, SEEK_END);
    lseek(fd, 5, SEEK_CUR);
    lseek(fd, 0, SEEK_DATA);
    lseek(fd, 0, SEEK_HOLE);
    lseek(fd, 0, 7);
    read(1234, buf, 10);
    write(fd, buf, 0);
    close(fd);
    return 0;
}
