/* Starting the program to trace without the cost of fork(): an optional accelerator for
 * spykit.tracer.launch.spawn_stopped, which stays the reference (and runs when this module is
 * not built, or SPYKIT_PURE_PYTHON=1 is set).
 *
 * fork() copies the page tables of the whole Python process (pandas and all: 2-3 ms here),
 * and execve() then throws the copy away. Here the child shares the parent's memory
 * (clone with CLONE_VM, as posix_spawn does), so there is nothing to copy. It runs on a stack
 * of its own and does exactly what the Python child does -- set up fds, directory, CPU and
 * signals; stop itself so the tracer can seize it; install the seccomp filter; execve -- using
 * raw system calls only: it shares the parent's thread-local storage too, so a libc wrapper
 * setting errno would write into the parent's errno.
 *
 * The parent must not free the child's stack and arguments while the child may still run on
 * them. CLONE_CHILD_CLEARTID tells us when that is over: the kernel zeroes `running` (in our
 * memory) when the child's execve replaces its memory, or when it exits. The Launch object
 * frees them only then; one dropped before that (an error path that killed the child, which
 * the caller always reaps) is freed when that has happened, or left allocated, never freed
 * under a running child.
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if !defined(__x86_64__)
#error "the raw system calls below are written for x86_64"
#endif

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)
#define PR_SET_NO_NEW_PRIVS 38
#define SECCOMP_SET_MODE_FILTER 1
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret; /* -errno on failure */
}

#define raw(nr, a, b, c) raw6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)

struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

typedef struct {
    /* what the child reads: filled before clone, untouched until `running` is 0 */
    char *path;
    char **argv, **envp;
    int fds[3];   /* stdin, stdout, stderr targets; -1: keep */
    int errpipe;  /* write end: the child writes its errno there when it fails */
    char *cwd;    /* NULL: keep */
    int cpu;      /* -1: keep */
    long max_fd;  /* for closing fds where close_range is missing */
    const void *filter; /* struct sock_fprog, or NULL */
    sigset_t mask;      /* the signal mask to run the program with */
    char *stack;
    /* written by the kernel: the child's tid, then 0 once it no longer uses our memory */
    volatile pid_t running;
} plan_t;

static void child_fail(const plan_t *p, long err)
{
    char digits[24];
    int n = 0;
    unsigned long value = (unsigned long)(err < 0 ? -err : err);
    char reversed[24];
    do {
        reversed[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value && n < 20);
    for (int i = 0; i < n; i++)
        digits[i] = reversed[n - 1 - i];
    raw(SYS_write, p->errpipe, digits, n);
    raw(SYS_exit, 127, 0, 0);
}

static int child_main(void *arg)
{
    const plan_t *p = arg;
    long err;
    /* Signals arrive blocked. The handlers are the parent's (Python's, in memory we share):
     * none may run here, so every handled signal goes back to its default, and so do SIGPIPE
     * and SIGXFSZ, which Python ignores and which would stay ignored across execve. */
    struct kernel_sigaction sa, dfl = {SIG_DFL, 0, NULL, 0};
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || raw6(SYS_rt_sigaction, sig, 0, (long)&sa, 8, 0, 0) < 0)
            continue;
        if (sa.handler == SIG_DFL || (sa.handler == SIG_IGN && sig != SIGPIPE && sig != SIGXFSZ))
            continue;
        raw6(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
    }
    for (int fd = 0; fd < 3; fd++) {
        if (p->fds[fd] >= 0 && p->fds[fd] != fd && (err = raw(SYS_dup2, p->fds[fd], fd, 0)) < 0)
            child_fail(p, err);
    }
    /* Like subprocess: the program gets stdin, stdout and stderr, not our other fds. */
    if (p->errpipe > 3)
        raw(SYS_close_range, 3, p->errpipe - 1, 0);
    if (raw(SYS_close_range, p->errpipe + 1, ~0U, 0) == -ENOSYS) {
        for (long fd = 3; fd < p->max_fd; fd++)
            if (fd != p->errpipe)
                raw(SYS_close, fd, 0, 0);
    }
    if (p->cwd != NULL && (err = raw(SYS_chdir, p->cwd, 0, 0)) < 0)
        child_fail(p, err);
    if (p->cpu >= 0) {
        unsigned long set[16] = {0};
        if (p->cpu < 1024)
            set[p->cpu / 64] = 1UL << (p->cpu % 64);
        raw(SYS_sched_setaffinity, 0, sizeof set, set);
    }
    raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&p->mask, 0, 8, 0, 0);
    /* Stop, so the tracer seizes us before the filter exists: a call the filter selects, made
     * with no tracer attached, would fail with ENOSYS. */
    raw(SYS_kill, raw(SYS_getpid, 0, 0, 0), SIGSTOP, 0);
    if (p->filter != NULL) {
        if ((err = raw6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0)) < 0)
            child_fail(p, err);
        if ((err = raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p->filter)) < 0)
            child_fail(p, err);
    }
    err = raw(SYS_execve, p->path, p->argv, p->envp);
    child_fail(p, err);
    return 127;
}

/* -- the Launch object: owns the plan until the child is done with it ------------------------------ */

typedef struct {
    PyObject_HEAD
    plan_t *plan;
    pid_t pid;
} Launch;

static void free_strings(char **list)
{
    if (list == NULL)
        return;
    for (char **s = list; *s != NULL; s++)
        PyMem_RawFree(*s);
    PyMem_RawFree(list);
}

static void free_plan(plan_t *p)
{
    PyMem_RawFree(p->path);
    PyMem_RawFree(p->cwd);
    free_strings(p->argv);
    free_strings(p->envp);
    if (p->stack != NULL)
        munmap(p->stack, STACK_SIZE);
    PyMem_RawFree(p);
}

/* Free the plan if the child no longer runs on it; 1 if freed (or nothing to free). */
static int release(Launch *self)
{
    if (self->plan == NULL)
        return 1;
    if (__atomic_load_n(&self->plan->running, __ATOMIC_ACQUIRE) != 0)
        return 0;
    free_plan(self->plan);
    self->plan = NULL;
    return 1;
}

static PyObject *Launch_release(Launch *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(release(self));
}

static PyObject *Launch_pid(Launch *self, void *Py_UNUSED(closure)) { return PyLong_FromLong(self->pid); }

static void Launch_dealloc(Launch *self)
{
    /* Not released: the child still runs on this memory (a caller that dropped us without
     * reaping it). Leaking 64 KiB is the only safe choice. */
    release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Launch_methods[] = {
    {"release", (PyCFunction)Launch_release, METH_NOARGS,
     PyDoc_STR("Free the child's stack and arguments if it no longer uses them (it has exec'd or exited); "
               "True when done.")},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Launch_getset[] = {
    {"pid", (getter)Launch_pid, NULL, PyDoc_STR("the child's pid"), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject LaunchType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "spykit.tracer._fastspawn.Launch",
    .tp_doc = PyDoc_STR("A child started by spawn_stopped(); keeps its stack until it has exec'd."),
    .tp_basicsize = sizeof(Launch),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)Launch_dealloc,
    .tp_methods = Launch_methods,
    .tp_getset = Launch_getset,
};

/* -- spawn_stopped ------------------------------------------------------------------------------------- */

static char *copy_bytes(PyObject *obj, const char *what)
{
    char *data;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(obj, &data, &n) < 0)
        return NULL;
    if ((Py_ssize_t)strlen(data) != n) {
        PyErr_Format(PyExc_ValueError, "embedded null byte in %s", what);
        return NULL;
    }
    char *out = PyMem_RawMalloc((size_t)n + 1);
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(out, data, (size_t)n + 1);
    return out;
}

static char **copy_list(PyObject *seq, const char *what)
{
    PyObject *fast = PySequence_Fast(seq, "expected a list of bytes");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    char **out = PyMem_RawCalloc((size_t)n + 1, sizeof(char *));
    if (out == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((out[i] = copy_bytes(PySequence_Fast_GET_ITEM(fast, i), what)) == NULL) {
            Py_DECREF(fast);
            free_strings(out);
            return NULL;
        }
    }
    Py_DECREF(fast);
    return out;
}

PyDoc_STRVAR(spawn_doc,
"spawn_stopped(path, argv, envp, fds, errpipe, cwd, cpu, filter_address, max_fd) -> Launch\n\n"
"Start a child that stops itself with SIGSTOP and, once continued, installs the seccomp filter\n"
"(if filter_address is not 0) and execs path. path, cwd and the items of argv and envp are bytes;\n"
"fds is (stdin, stdout, stderr) with -1 for 'keep'; cpu is -1 or the CPU to pin the child to.\n"
"On failure the child writes its errno in decimal to errpipe and exits with 127.");

static PyObject *spawn_stopped(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *path, *argv, *envp, *cwd;
    int fd0, fd1, fd2, errpipe, cpu;
    unsigned long long filter;
    long max_fd;
    if (!PyArg_ParseTuple(args, "SOO(iii)iOiKl", &path, &argv, &envp, &fd0, &fd1, &fd2, &errpipe, &cwd, &cpu,
                          &filter, &max_fd))
        return NULL;
    plan_t *p = PyMem_RawCalloc(1, sizeof(plan_t));
    if (p == NULL)
        return PyErr_NoMemory();
    p->fds[0] = fd0;
    p->fds[1] = fd1;
    p->fds[2] = fd2;
    p->errpipe = errpipe;
    p->cpu = cpu;
    p->max_fd = max_fd;
    p->filter = (const void *)(uintptr_t)filter;
    if ((p->path = copy_bytes(path, "the program's path")) == NULL || (p->argv = copy_list(argv, "an argument")) == NULL ||
        (p->envp = copy_list(envp, "the environment")) == NULL ||
        (cwd != Py_None && (p->cwd = copy_bytes(cwd, "the directory")) == NULL)) {
        free_plan(p);
        return NULL;
    }
    p->stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p->stack == MAP_FAILED) {
        p->stack = NULL;
        free_plan(p);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    Launch *launch = PyObject_New(Launch, &LaunchType);
    if (launch == NULL) {
        free_plan(p);
        return NULL;
    }
    launch->plan = NULL;
    launch->pid = 0;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &p->mask);
    p->running = 1;
    pid_t pid = clone(child_main, p->stack + STACK_SIZE, CLONE_VM | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD,
                      p, NULL, NULL, &p->running);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &p->mask, NULL);
    if (pid < 0) {
        Py_DECREF(launch);
        free_plan(p);
        errno = saved;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    launch->plan = p;
    launch->pid = pid;
    return (PyObject *)launch;
}

static PyMethodDef module_methods[] = {
    {"spawn_stopped", spawn_stopped, METH_VARARGS, spawn_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "spykit.tracer._fastspawn",
    .m_doc = PyDoc_STR("Optional C accelerator for launching traced programs; launch.py is the reference."),
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__fastspawn(void)
{
    if (PyType_Ready(&LaunchType) < 0)
        return NULL;
    return PyModule_Create(&module);
}
