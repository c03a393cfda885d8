/* UNIX sockets: a path, an abstract name, socketpair, sendmsg and recvmsg. */
#define _GNU_SOURCE
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
    char buf[64], buf2[8];
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    struct iovec out[2] = {{"hello ", 6}, {"world", 5}};
    struct msghdr msg = {.msg_iov = out, .msg_iovlen = 2};
    sendmsg(sv[0], &msg, 0);
    struct iovec in[2] = {{buf2, sizeof buf2}, {buf, sizeof buf}};
    struct msghdr rmsg = {.msg_iov = in, .msg_iovlen = 2};
    recvmsg(sv[1], &rmsg, 0);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, "sock");
    bind(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 5);
    int t = socket(AF_UNIX, SOCK_DGRAM, 0);
    sendto(t, "datagram", 8, 0, (struct sockaddr *)&a, sizeof a);
    struct sockaddr_un from;
    socklen_t flen = sizeof from;
    recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    struct sockaddr_un ab = {.sun_family = AF_UNIX};
    memcpy(ab.sun_path, "\0spykit-abstract", 16);
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(u, (struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + 16);
    listen(u, 1);
    int v = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(v, (struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + 16);
    struct sockaddr_un none = {.sun_family = AF_UNIX};
    strcpy(none.sun_path, "/nonexistent/socket");
    connect(t, (struct sockaddr *)&none, sizeof none);
    struct msghdr named = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = out, .msg_iovlen = 1};
    sendmsg(t, &named, MSG_DONTWAIT);
    struct msghdr rnamed = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = in, .msg_iovlen = 2};
    recvmsg(s, &rnamed, MSG_DONTWAIT);
    recvmsg(s, &rnamed, MSG_DONTWAIT);
    unlink("sock");
    return 0;
}
