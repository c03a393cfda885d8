/* getsockopt and setsockopt at the common levels. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(void) {
    int v = 0, one = 1;
    socklen_t len = sizeof v;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len);
    len = sizeof v;
    getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len);
    len = sizeof v;
    getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len);
    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
    struct linger lg = {.l_onoff = 1, .l_linger = 5};
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    struct timeval tv = {.tv_sec = 2, .tv_usec = 500};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    len = sizeof v;
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len);
    setsockopt(s, IPPROTO_IP, IP_TTL, &one, sizeof one);
    setsockopt(s, SOL_SOCKET, 9999, &one, sizeof one);
    setsockopt(s, 12345, 1, &one, sizeof one);
    len = sizeof v;
    getsockopt(99, SOL_SOCKET, SO_RCVBUF, &v, &len);
    close(s);
    return 0;
}
