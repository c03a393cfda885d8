/* Row 21: vfork a child that runs /bin/true; the parent then looks for a marker file and
   returns the child's status. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t child = vfork();
    if (child == 0) {
        char *argv[] = {"true", NULL};
        char *envp[] = {NULL};
        execve("/bin/true", argv, envp);
        _exit(9);
    }
    syscall(SYS_openat, AT_FDCWD, "/nonexistent/after-vfork", O_RDONLY);
    int status;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 7;
}
