/* Row 4: a child that is already traced by its parent. Prints the child's pid, then waits
   (stdin closed ends it; PTRACE_O_EXITKILL takes the child along). */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PTRACE_SEIZE
#define PTRACE_SEIZE 0x4206
#endif
#define PTRACE_O_EXITKILL 0x100000

int main(void) {
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) pause();
    }
    if (ptrace(PTRACE_SEIZE, child, 0, (void *)PTRACE_O_EXITKILL) != 0) {
        perror("PTRACE_SEIZE");
        kill(child, SIGKILL);
        return 1;
    }
    printf("%d\n", child);
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {}
    kill(child, SIGKILL);
    waitpid(child, NULL, __WALL);
    return 0;
}
