/* Rows 11 and 12: a command with descendants that all wait forever and ignore SIGINT.
   tree FILE   forks 2 children, each forks 1 grandchild; every process appends its pid to FILE */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void note_pid(const char *file) {
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", getpid());
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd >= 0) {
        write(fd, line, n);
        close(fd);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return 100;
    signal(SIGINT, SIG_IGN); /* only the tracer may end them */
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            if (fork() == 0) {
                note_pid(argv[1]);
                for (;;) pause();
            }
            note_pid(argv[1]);
            for (;;) pause();
        }
    }
    note_pid(argv[1]);
    for (;;) pause();
}
