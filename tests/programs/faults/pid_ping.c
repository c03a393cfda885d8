/* Row 18: call getpid and getppid in turn, N times (0: forever), checking every answer.
   A tracer that mixed up entries and exits would record wrong names or return values. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 0;
    long me = getpid(), parent = getppid();
    for (long i = 0; rounds == 0 || i < rounds; i++) {
        if (syscall(SYS_getpid) != me) return 2;
        if (syscall(SYS_getppid) != parent) return 3;
    }
    return 0;
}
