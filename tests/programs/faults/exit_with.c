/* Rows 8 and 9: end with the status, or the signal, named on the command line.
   exit_with N       exit with status N
   exit_with -segv   dereference NULL (a real fault, SIGSEGV)
   exit_with -term   kill itself with SIGTERM */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 100;
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* a crash must not leave a core file behind */
    if (strcmp(argv[1], "-segv") == 0) {
        volatile int *nowhere = NULL;
        return *nowhere;
    }
    if (strcmp(argv[1], "-term") == 0) {
        kill(getpid(), SIGTERM);
        pause();
    }
    exit(atoi(argv[1]));
}
