/* Row 19: a thread that is not the leader calls execve while the leader sleeps.
   thread_exec          start the thread, which runs "thread_exec after"
   thread_exec after    the new program: look for a marker file, exit 0 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char *self;

static void *run_exec(void *arg) {
    (void)arg;
    struct timespec t = {0, 50 * 1000 * 1000};
    nanosleep(&t, NULL); /* let the leader settle into its long sleep */
    char *argv[] = {self, "after", NULL};
    char *envp[] = {NULL};
    execve("/proc/self/exe", argv, envp);
    _exit(9);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "after") == 0) {
        syscall(SYS_openat, AT_FDCWD, "/nonexistent/after-thread-exec", O_RDONLY);
        return 0;
    }
    self = argv[0];
    pthread_t th;
    pthread_create(&th, NULL, run_exec, NULL);
    struct timespec t = {5, 0};
    syscall(SYS_nanosleep, &t, NULL);
    return 8;
}
