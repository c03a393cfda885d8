/* execve and execveat: arguments in full, the environment counted. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    char *argv[] = {"true", "--a-long-argument-that-is-longer-than-thirty-two", "two words", "tab\there", NULL};
    char *envp[] = {"A=1", "B=2", NULL};
    char *none[] = {NULL};
    execve("/nonexistent/prog", argv, envp);
    execve("/etc/passwd", none, none);
    if (syscall(SYS_fork) == 0) {
        execve("/bin/true", argv, envp);
        syscall(SYS_exit_group, 1);
    }
    wait4(-1, NULL, 0, NULL);
    if (syscall(SYS_fork) == 0) {
        int dir = open("/bin", O_RDONLY | O_DIRECTORY);
        syscall(SYS_execveat, dir, "true", argv, none, 0);
        syscall(SYS_exit_group, 1);
    }
    wait4(-1, NULL, 0, NULL);
    syscall(SYS_execveat, AT_FDCWD, "", argv, envp, AT_EMPTY_PATH);
    execve("/bin/true", NULL, NULL);
    return 0;
}
