/* Threads: pthread_create (clone3), futex waits and wakes, a thread that exits. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int counter;

static void *work(void *arg) {
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    write(1, arg, 7);
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, work, "thread\n");
    pthread_create(&b, NULL, work, "thread\n");
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return counter == 6 ? 0 : 1;
}
