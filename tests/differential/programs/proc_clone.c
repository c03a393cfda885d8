/* clone and clone3 called directly, as glibc's fork and posix_spawn do. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t ptid = 0;
    long child = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
    if (child == 0) syscall(SYS_exit_group, 0);
    wait4(child, NULL, 0, NULL);
    child = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, &ptid, NULL, 0);
    if (child == 0) syscall(SYS_exit_group, 0);
    wait4(child, NULL, 0, NULL);
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    child = syscall(SYS_clone3, &args, sizeof args);
    if (child == 0) syscall(SYS_exit_group, 0);
    wait4(child, NULL, 0, NULL);
    memset(&args, 0, sizeof args);
    args.flags = CLONE_PARENT_SETTID;
    args.parent_tid = (uint64_t)(uintptr_t)&ptid;
    args.exit_signal = SIGCHLD;
    child = syscall(SYS_clone3, &args, sizeof args);
    if (child == 0) syscall(SYS_exit_group, 0);
    wait4(child, NULL, 0, NULL);
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VFORK | CLONE_VM;
    args.exit_signal = 0;
    syscall(SYS_clone3, &args, 8);
    syscall(SYS_clone, CLONE_THREAD, 0, NULL, NULL, 0);
    return 0;
}
