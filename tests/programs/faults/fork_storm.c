/* Rows 20 and 32: fork N children, up to B alive at a time; each looks for its own marker file
   ("/nonexistent/child-<i>") and exits with i % 200. The parent checks every status. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100;
    int batch = argc > 2 ? atoi(argv[2]) : 20;
    int bad = 0;
    for (int start = 0; start < n; start += batch) {
        int end = start + batch < n ? start + batch : n;
        pid_t pids[end - start];
        for (int i = start; i < end; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                char path[64];
                snprintf(path, sizeof path, "/nonexistent/child-%d", i);
                syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
                _exit(i % 200);
            }
            pids[i - start] = pid;
        }
        for (int i = start; i < end; i++) {
            int status;
            if (waitpid(pids[i - start], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != i % 200)
                bad++;
        }
    }
    return bad ? 1 : 0;
}
