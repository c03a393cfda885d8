/* The structs a learner meets in everyday programs: uname, sysinfo, groups, CPU affinity,
 * the alternate signal stack, resource limits. */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void)
{
    struct utsname u;
    uname(&u);
    struct sysinfo si;
    sysinfo(&si);
    gid_t groups[64];
    int n = getgroups(0, NULL);
    n = getgroups(64, groups);
    getgroups(1, (gid_t *)8);
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    sched_setaffinity(0, sizeof set, &set);
    syscall(SYS_sched_getaffinity, 0, 128, &set);
    stack_t old, ss;
    sigaltstack(NULL, &old);
    ss.ss_sp = malloc(65536);
    ss.ss_size = 65536;
    ss.ss_flags = 0;
    sigaltstack(&ss, NULL);
    sigaltstack(NULL, &old);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, &old);
    struct rlimit rl;
    prlimit(0, RLIMIT_NOFILE, NULL, &rl);
    prlimit(0, RLIMIT_NOFILE, &rl, NULL);
    prlimit(0, RLIMIT_CORE, NULL, &rl);
    prlimit(0x3fffffff, RLIMIT_STACK, NULL, &rl);
    getrlimit(RLIMIT_AS, &rl);
    return n < 0;
}
