/* Row 39: bytes that are not UTF-8. Opens the path given as argv[1] (created by the test) and
   writes argv[2] to stdout, byte for byte. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) return 100;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) return 2;
    close(fd);
    write(1, argv[2], strlen(argv[2]));
    return 0;
}
