/* UDP over IPv6 loopback: sendto and recvfrom with addresses. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    char buf[32];
    struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    socklen_t len = sizeof addr;
    int a = socket(AF_INET6, SOCK_DGRAM, 0);
    int b = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);
    bind(a, (struct sockaddr *)&addr, sizeof addr);
    getsockname(a, (struct sockaddr *)&addr, &len);
    sendto(b, "ping", 4, 0, (struct sockaddr *)&addr, sizeof addr);
    struct sockaddr_in6 from;
    socklen_t flen = sizeof from;
    recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    connect(b, (struct sockaddr *)&addr, sizeof addr);
    getpeername(b, (struct sockaddr *)&from, &flen);
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sendto(b, "x", 1, 0, (struct sockaddr *)&v4, sizeof v4);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(c, "hello udp", 9, 0, (struct sockaddr *)&v4, sizeof v4);
    close(a);
    close(b);
    return 0;
}
