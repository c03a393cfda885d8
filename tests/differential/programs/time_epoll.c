/* epoll_create1, epoll_ctl, epoll_wait and epoll_pwait. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(void) {
    int p[2];
    pipe(p);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 42};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    ev.events = EPOLLOUT;
    ev.data.fd = p[1];
    epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
    epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);
    struct epoll_event out[4];
    epoll_wait(ep, out, 4, 0);
    write(p[1], "ready", 5);
    epoll_wait(ep, out, 4, 100);
    sigset_t mask;
    sigemptyset(&mask);
    epoll_pwait(ep, out, 4, 0, &mask);
    epoll_wait(99, out, 4, 0);
    return 0;
}
