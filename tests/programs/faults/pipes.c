/* Row 38: output that cannot go anywhere.
   pipes closed   write to a closed stdout (EBADF), exit 0
   pipes nopeer   write to a pipe whose reader is gone: SIGPIPE kills it
   pipes full     fill a pipe nobody reads, then block writing one more byte, forever */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 100;
    if (strcmp(argv[1], "closed") == 0) {
        close(1);
        return write(1, "lost\n", 5) == -1 ? 0 : 1;
    }
    int p[2];
    pipe(p);
    if (strcmp(argv[1], "nopeer") == 0) {
        close(p[0]);
        write(p[1], "nobody reads this\n", 18);
        return 1;
    }
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char block[4096];
    memset(block, 'f', sizeof block);
    while (write(p[1], block, sizeof block) > 0) {}
    fcntl(p[1], F_SETFL, 0);
    write(p[1], "!", 1); /* blocks: the pipe is full */
    return 1;
}
