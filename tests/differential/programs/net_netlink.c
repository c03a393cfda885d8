/* A netlink socket, as `ip` and glibc's getaddrinfo open one. */
#define _GNU_SOURCE
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
    bind(s, (struct sockaddr *)&nl, sizeof nl);
    socklen_t len = sizeof nl;
    getsockname(s, (struct sockaddr *)&nl, &len);
    socket(AF_PACKET, SOCK_RAW, 0);
    socket(12345, SOCK_STREAM, 0);
    socket(AF_INET, 99, 0);
    close(s);
    return 0;
}
