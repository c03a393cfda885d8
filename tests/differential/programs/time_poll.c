/* poll, ppoll, select and pselect6 over pipes. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int p[2], q[2];
    pipe(p);
    pipe(q);
    write(p[1], "x", 1);
    struct pollfd fds[3] = {{p[0], POLLIN, 0}, {q[0], POLLIN | POLLPRI, 0}, {p[1], POLLOUT, 0}};
    poll(fds, 3, 0);
    poll(fds + 1, 1, 10);
    poll(NULL, 0, 1);
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 5000};
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    ppoll(fds, 2, &ts, &mask);
    ppoll(fds + 1, 1, &ts, NULL);
    fd_set r, w;
    FD_ZERO(&r); FD_ZERO(&w);
    FD_SET(p[0], &r); FD_SET(q[0], &r); FD_SET(q[1], &w);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 100};
    select(q[1] + 1, &r, &w, NULL, &tv);
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    tv.tv_usec = 100;
    select(q[0] + 1, &r, NULL, NULL, &tv);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL);
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    pselect(q[0] + 1, &r, NULL, NULL, &ts, &mask);
    return 0;
}
