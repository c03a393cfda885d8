/* ptrace requests and prctl options by name (no process here is ever really traced by us:
 * the pids do not exist, and PTRACE_TRACEME fails because a tracer is already there). */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(void)
{
    const pid_t nobody_there = 0x3fffffff; /* above any pid_max */
    long word;
    ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    ptrace(PTRACE_ATTACH, nobody_there, NULL, NULL);
    ptrace(PTRACE_SEIZE, nobody_there, NULL, (void *)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC));
    ptrace(PTRACE_CONT, nobody_there, NULL, (void *)SIGCHLD);
    ptrace(PTRACE_SYSCALL, nobody_there, NULL, NULL);
    ptrace(PTRACE_DETACH, nobody_there, NULL, NULL);
    ptrace(PTRACE_INTERRUPT, nobody_there, NULL, NULL);
    ptrace(PTRACE_PEEKDATA, nobody_there, (void *)0x1000, &word);
    ptrace(PTRACE_GETREGS, nobody_there, NULL, &word);

    char name[16];
    prctl(PR_GET_DUMPABLE);
    prctl(PR_SET_DUMPABLE, 1);
    prctl(PR_SET_DUMPABLE, 0);
    prctl(PR_GET_DUMPABLE);
    prctl(PR_SET_DUMPABLE, 1);
    prctl(PR_SET_NAME, "differential");
    prctl(PR_GET_NAME, name);
    prctl(PR_SET_NAME, "a-name-longer-than-sixteen-bytes");
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int sig;
    prctl(PR_GET_PDEATHSIG, &sig);
    prctl(PR_GET_KEEPCAPS);
    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    prctl(PR_GET_CHILD_SUBREAPER, &sig);
    prctl(PR_SET_TIMERSLACK, 50000);
    prctl(PR_GET_TIMERSLACK);
    prctl(0x7fff, 1, 2, 3, 4);
    return 0;
}
