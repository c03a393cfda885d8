/* Process-heavy program: fork + execve, vfork + execve, a child that exits with a status,
 * and a child killed by a signal; the parent waits for each. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int status;
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"true", "--secret=42", NULL};
        execv("/bin/true", argv);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    pid = vfork();
    if (pid == 0) {
        char *argv[] = {"sh", "-c", "exit 7", NULL};
        execv("/bin/sh", argv);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    pid = fork();
    if (pid == 0) {
        getppid();
        _exit(3);
    }
    waitpid(pid, &status, 0);
    pid = fork();
    if (pid == 0) {
        kill(getpid(), SIGTERM);
        pause();
        _exit(0);
    }
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? 5 : 6;
}
