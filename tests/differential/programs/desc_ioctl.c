/* The terminal ioctls a program makes at start-up, on a pseudo-terminal and on a pipe. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
    struct termios t;
    struct winsize ws;
    int n = 0, on = 1;
    int p[2];
    pipe(p);
    ioctl(p[0], TCGETS, &t);
    ioctl(p[0], TIOCGWINSZ, &ws);
    write(p[1], "abc", 3);
    ioctl(p[0], FIONREAD, &n);
    ioctl(p[0], FIONBIO, &on);
    ioctl(p[0], FIOCLEX);
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m >= 0) {
        grantpt(m);
        unlockpt(m);
        ioctl(m, TIOCGWINSZ, &ws);
        ws.ws_row = 24; ws.ws_col = 80;
        ioctl(m, TIOCSWINSZ, &ws);
        ioctl(m, TIOCGWINSZ, &ws);
        int s = open(ptsname(m), O_RDWR | O_NOCTTY);
        ioctl(s, TCGETS, &t);
        ioctl(s, TIOCGPGRP, &n);
        ioctl(s, TCSETS, &t);
        close(s);
    }
    ioctl(p[0], 0x12345678, 0);
    return 0;
}
