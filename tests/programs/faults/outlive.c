/* Row 25: leave a descendant behind. A grandchild in its own session writes its pid to FILE
   and sleeps 20 s; the command itself exits 0 at once. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 100;
    pid_t child = fork();
    if (child == 0) {
        if (fork() == 0) {
            setsid();
            char line[32];
            int n = snprintf(line, sizeof line, "%d\n", getpid());
            int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
            write(fd, line, n);
            close(fd);
            sleep(20);
            _exit(0);
        }
        _exit(0);
    }
    waitpid(child, NULL, 0);
    /* wait until the grandchild has written its pid, so the test can find it */
    for (int i = 0; i < 200 && access(argv[1], F_OK) != 0; i++) usleep(10000);
    usleep(20000);
    return 0;
}
