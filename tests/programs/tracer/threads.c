/* Thread-heavy program: 4 threads, each opening, reading and closing files on its own. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *work(void *arg) {
    char buf[32];
    long n = (long)arg;
    for (int i = 0; i < 5; i++) {
        int fd = open("/etc/hostname", O_RDONLY);
        read(fd, buf, sizeof buf);
        close(fd);
        open(n % 2 ? "/nonexistent/odd" : "/nonexistent/even", O_RDONLY);
    }
    return NULL;
}

int main(void) {
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    getpid();
    return 0;
}
