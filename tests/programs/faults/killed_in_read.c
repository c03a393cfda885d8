/* Row 22: block in read() on a pipe nobody writes to; a child SIGKILLs us there. */
#include <signal.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int p[2];
    pipe(p);
    if (fork() == 0) {
        struct timespec t = {0, 200 * 1000 * 1000};
        nanosleep(&t, NULL);
        kill(getppid(), SIGKILL);
        _exit(0);
    }
    char c;
    read(p[0], &c, 1);
    return 1;
}
