/* Strings around the limit: exactly 32 bytes, 33, long paths, escapes next to digits. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    char path[300];
    int fd = open("sink", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    write(fd, "12345678901234567890123456789012", 32);
    write(fd, "123456789012345678901234567890123", 33);
    write(fd, "\0001\0008\033[0m\x7f\x80\xff" "7", 14);
    write(fd, "\a\b\t\n\v\f\r\x1b x", 10);
    char big[5000];
    memset(big, 'z', sizeof big);
    write(fd, big, sizeof big);
    memset(path, 'd', sizeof path - 1);
    path[sizeof path - 1] = 0;
    open(path, O_RDONLY);
    open("a path with spaces and \"quotes\" and \\backslashes\\", O_RDONLY);
    open("tab\tnewline\nend", O_RDONLY);
    close(fd);
    return 0;
}
