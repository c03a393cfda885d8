/* File names that are not UTF-8: shown byte for byte in octal, like strace. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    int fd = open("caf\xe9.txt", O_WRONLY | O_CREAT, 0600);
    write(fd, "\xe9t\xe9", 3);
    close(fd);
    mkdir("\xff\xfe", 0700);
    rename("caf\xe9.txt", "\xff\xfe/caf\xc3\xa9.txt");
    unlink("\xff\xfe/caf\xc3\xa9.txt");
    rmdir("\xff\xfe");
    open("\xe2\x82\xac", O_RDONLY);
    return 0;
}
