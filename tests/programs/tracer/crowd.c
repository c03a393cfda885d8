/* Many threads in a call at once: CROWD threads each block in read() on one pipe, and only when
 * /proc shows every one of them in read does the main thread write a byte for each. More calls in
 * flight than the C loop keeps itself (MAX_FLIGHTS, 64), so some go through the tracer's dict.
 * The threads start their reads together (a barrier), after every other kind of call was made
 * once: the tracer's Python handles the first call of each number, and hands the C loop's calls
 * in flight to its dict when it does. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CROWD 80

static int pipe_fds[2];
static pthread_barrier_t start;

static void *work(void *arg) {
    char c;
    pthread_barrier_wait(&start);
    if (read(pipe_fds[0], &c, 1) != 1)
        exit(3);
    getppid();
    return arg;
}

/* How many of the other threads of this process are in read() now (first field of
 * /proc/.../syscall: 0; the caller's own shows the read of that very file). */
static int readers(void) {
    char self[32];
    snprintf(self, sizeof self, "%ld", (long)syscall(SYS_gettid));
    DIR *tasks = opendir("/proc/self/task");
    struct dirent *d;
    int n = 0;
    while (tasks != NULL && (d = readdir(tasks)) != NULL) {
        char path[300], line[32] = "";
        if (d->d_name[0] == '.' || strcmp(d->d_name, self) == 0)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/syscall", d->d_name);
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(line, sizeof line, f) != NULL && strncmp(line, "0 ", 2) == 0)
                n++;
            fclose(f);
        }
    }
    if (tasks != NULL)
        closedir(tasks);
    return n;
}

int main(void) {
    pthread_t t[CROWD];
    if (pipe(pipe_fds) != 0 || pthread_barrier_init(&start, NULL, CROWD + 1) != 0)
        return 1;
    readers(); /* (its calls, once before the crowd) */
    for (int i = 0; i < CROWD; i++)
        if (pthread_create(&t[i], NULL, work, NULL) != 0)
            return 1;
    struct timespec nap = {0, 10 * 1000 * 1000};
    nanosleep(&nap, NULL);
    pthread_barrier_wait(&start);
    for (int tries = 0; readers() < CROWD; tries++) {
        if (tries == 3000) /* 30 s */
            return 2;
        nanosleep(&nap, NULL);
    }
    char bytes[CROWD];
    memset(bytes, 'x', sizeof bytes);
    if (write(pipe_fds[1], bytes, sizeof bytes) != CROWD)
        return 1;
    for (int i = 0; i < CROWD; i++)
        pthread_join(t[i], NULL);
    return 0;
}
