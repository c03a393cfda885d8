/* A TCP client and server on 127.0.0.1 in one process: socket to shutdown. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

int main(void) {
    char buf[64];
    int one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bind(srv, (struct sockaddr *)&addr, sizeof addr);
    listen(srv, 16);
    getsockname(srv, (struct sockaddr *)&addr, &len);
    int cli = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connect(cli, (struct sockaddr *)&addr, sizeof addr);
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int conn = accept4(srv, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
    sendto(cli, "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL, NULL, 0);
    recvfrom(conn, buf, sizeof buf, 0, NULL, NULL);
    send(conn, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 38, 0);
    recv(cli, buf, 10, MSG_WAITALL);
    recv(cli, buf, sizeof buf, MSG_DONTWAIT);
    shutdown(cli, SHUT_WR);
    recv(conn, buf, sizeof buf, 0);
    recv(cli, buf, sizeof buf, MSG_DONTWAIT | MSG_PEEK);
    shutdown(conn, SHUT_RDWR);
    fcntl(srv, F_SETFL, O_NONBLOCK);
    int c2 = accept(srv, NULL, NULL);
    (void)c2;
    close(conn);
    close(cli);
    close(srv);
    return 0;
}
