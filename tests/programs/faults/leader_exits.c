/* Row 23: the main thread leaves (exit of the thread only) while 4 threads carry on: each waits
   0.1 s, then looks for "/nonexistent/after-leader-<i>". The last one to finish exits the
   process with status 3. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
static int finished;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
    long i = (long)arg;
    struct timespec t = {0, 100 * 1000 * 1000};
    nanosleep(&t, NULL);
    char path[64];
    snprintf(path, sizeof path, "/nonexistent/after-leader-%ld", i);
    syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
    pthread_mutex_lock(&lock);
    int last = ++finished == THREADS;
    pthread_mutex_unlock(&lock);
    if (last) exit(3);
    return NULL;
}

int main(void) {
    pthread_t th;
    for (long i = 0; i < THREADS; i++) pthread_create(&th, NULL, worker, (void *)i);
    syscall(SYS_exit, 0); /* this thread only: the process lives on */
    return 1;
}
