/* Row 30: write 1 MiB of 'z' to /dev/null in one call. Its arguments may be huge too. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    size_t size = 1 << 20;
    char *buf = malloc(size);
    memset(buf, 'z', size);
    int fd = open("/dev/null", O_WRONLY);
    return write(fd, buf, size) == (ssize_t)size ? 0 : 1;
}
