/* Row 33: 50 threads alive at once (a barrier holds them); each looks for
   "/nonexistent/thread-<i>" and ends. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THREADS 50
static pthread_barrier_t all_here;

static void *worker(void *arg) {
    char path[64];
    snprintf(path, sizeof path, "/nonexistent/thread-%ld", (long)arg);
    pthread_barrier_wait(&all_here);
    syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
    return NULL;
}

int main(void) {
    pthread_t th[THREADS];
    pthread_barrier_init(&all_here, NULL, THREADS);
    for (long i = 0; i < THREADS; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) return 2;
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    return 0;
}
