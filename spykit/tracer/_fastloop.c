/* The tracer's inner loop in C: an optional accelerator for spykit.tracer.loop.Tracer.
 *
 * The Python loop in loop.py is the reference and runs whenever this module is not built (no
 * compiler at install time) or is switched off (SPYKIT_PURE_PYTHON=1). This file repeats, step
 * for step, only its commonest path: wait for a stop; fetch PTRACE_GET_SYSCALL_INFO; for the
 * syscall stops of calls whose recording is simple, record and resume. "Simple" is decided in
 * Python, per syscall number, and told to us with set_plan(): a row, maybe an fd lookup, and
 * buffers whose size is an argument, the return value or fixed, strings and paths, a close, a
 * new fd (described by FdTable.refresh, called from here). Everything else (events, signals,
 * exits, new tracees, pipes, socket addresses and the other structures to follow, the first call
 * of each number) is handed back to Python as (pid, status, info_fetched).
 *
 * Why bother: on the development machine a syscall stop costs the kernel about 2.4 us (the floor
 * tracer of bench/overhead.py, pinned to one CPU: 0.48 s for dd's 200,000 stops). Python's loop
 * adds about 4 us per stop (ctypes calls, a waitpid tuple, the recorder's appends, the pending
 * tuples), this one about 0.6 us (0.17 of it reading the byte each of dd's calls moved): 1.28 s
 * against 0.64 s for the whole of dd, its DataFrame (45 ms) included; strace on one CPU: 0.69 s.
 *
 * Data written is exactly what the Python path writes: the same Recorder columns (staged here and
 * handed over in bulk before Python runs again), the same tuples in `pending` (kept here as plain C
 * while in flight, and put there before Python runs again), so either side can finish what the
 * other started. tests/test_fastloop.py compares the two on the same programs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define GET_SYSCALL_INFO 0x420e /* PTRACE_GET_SYSCALL_INFO, include/uapi/linux/ptrace.h */
#define OP_ENTRY 1
#define OP_EXIT 2
#define SYSCALL_STOP_SIG (SIGTRAP | 0x80) /* with PTRACE_O_TRACESYSGOOD */
#define INFO_UNION 24                     /* offset of the entry/exit union in the info */
#define INFO_ARCH 4                       /* offset of the u32 arch (AUDIT_ARCH_*) */
#define AUDIT_ARCH_X86_64 0xC000003EU     /* the only table the plans are for: i386 and x32 go to Python */
#define ENTRY_BYTES 56                    /* nr and six arguments */
#define EXIT_BYTES 9                      /* rval and is_error */
#define PAGE 4096
#define MAX_CAPS 4
#define KNOWN_PAGES 16
#define MAX_FLIGHTS 64 /* more threads in calls at once: the others' go to `pending` directly */
#define TGID_MEMO 16

enum { KIND_PYTHON = 0, KIND_SKIP = 1, KIND_FAST = 2 };
/* SIZE_STRING: NUL-terminated, `size` bytes at most; SIZE_DIRENTS: getdents' buffer of the result's size,
 * kept as the number of records in it (a uint32), which is all strace shows */
enum { SIZE_ARG = 0, SIZE_RET = 1, SIZE_FIXED = 2, SIZE_STRING = 3, SIZE_DIRENTS = 4 };
enum { CUT_NONE = 0, CUT_STRING = 1, CUT_DATA = 2 };

typedef struct {
    int slot;       /* argument holding the pointer */
    int key;        /* blob key in the recorder */
    int mode;       /* SIZE_ARG, SIZE_RET or SIZE_FIXED */
    long long size; /* SIZE_ARG: the argument holding the length; SIZE_FIXED: bytes */
    int limited;    /* CUT_STRING: at string_limit; CUT_DATA: a data call's bytes, at data_limit while the
                     * trace's data budget lasts (string_limit after); CUT_NONE: a structure */
} cap_t;

typedef struct {
    int kind;
    int keeps_maps; /* the call cannot change the caller's memory map (see known pages below) */
    int fd_arg; /* -1: none */
    int path_slot; /* the argument whose string is the row's `path` (Recorder.set_path); -1: none */
    int closes; /* close(): a success drops the fd from its process's table (FdTable.close) */
    int returns_fd; /* an open, a dup...: a success describes the new fd (FdTable.refresh) */
    int needs_args;
    int n_entry, n_exit;
    cap_t entry[MAX_CAPS], exit[MAX_CAPS];
    PyObject *plan; /* the Python _CallPlan stored in `pending` */
} spec_t;

/* The Recorder's array columns. Values are staged here in the arrays' own machine format and
 * handed over with one array.frombytes() per column before Python runs again (flush()): far
 * cheaper than an append() call per value. */
enum { T_ENTRY, TID, TGID, X_ROW, T_EXIT, FD_ROW, FD_VAL, FD_DESC, BLOB_ROW, BLOB_KEY, BLOB_OFF, BLOB_LEN, PATH_ROW,
       PATH_ID, N_COLS };
static const char *const column_names[N_COLS] = {"t_entry",  "tid",      "tgid",     "x_row",    "t_exit",
                                                 "fd_row",   "fd_val",   "fd_desc",  "blob_row", "blob_key",
                                                 "blob_off", "blob_len", "path_row", "path_id"};
static const char column_types[N_COLS] = {'d', 'i', 'i', 'i', 'd', 'i', 'i', 'i', 'i', 'b', 'Q', 'i', 'i', 'i'};

typedef struct {
    PyObject *frombytes;
    char *data;
    Py_ssize_t len, cap;
} column_t;

/* A call in flight, entered here: what Python keeps as its `pending` tuple (row, plan, args,
 * None), or the skipped marker, without the Python objects. */
typedef struct {
    pid_t tid;
    int skipped;    /* a call nobody records: its exit only resumes */
    int nr;         /* its plan is specs[nr].plan */
    int with_args;  /* args are kept: the exit reads buffers, or changes the fd table */
    Py_ssize_t row; /* -1: past max_events (counted, not stored) */
    uint64_t args[6];
} flight_t;

typedef struct {
    pid_t tid;
    long value;
    PyObject *obj; /* Tracer.tgid's value (a reference of our own, dropped when run() returns) */
} tgid_t;

typedef struct {
    PyObject_HEAD
    PyObject *tracer;
    PyObject *tgids, *pending, *skipped;
    PyObject *tid_col; /* its length is the number of rows */
    PyObject *rec;
    column_t cols[N_COLS];
    Py_ssize_t base_rows;   /* rows in the Recorder when this run() began or last flushed */
    Py_ssize_t staged_rows; /* rows staged here since */
    PyObject *entry_raw, *exit_raw, *blob_data;
    PyObject *counts;
    Py_buffer counts_view;
    PyObject *fd_tables, *fd_lookup, *fd_refresh, *mem_read, *mem_read_string, *intern;
    PyObject *info_owner;
    Py_buffer info_view;
    long long max_events, string_limit, data_limit;
    PyObject *data_left; /* Tracer.data_left: array('q', [bytes of data budget left]), shared with Python */
    Py_buffer data_left_view;
    Py_ssize_t last_blob; /* bytes the last add_blob kept */
    int vm_ok;
    /* Pages known readable: see "known pages". Only while there is one tracee, and only when
     * every thread sharing its memory is traced (not a cell's thread in a kernel; not without
     * following forks, where a new thread or vfork child would run untraced). */
    int pages_ok;
    pid_t known_pid;
    int known_n, known_next;
    uint64_t known_page[KNOWN_PAGES];
    int n_specs;
    spec_t *specs;
    /* 1 while run() waits in waitpid without the GIL: every stop so far is handled, so another
     * thread holding the GIL may flush the staged rows (flush_idle: live output, spykit.tracer.live) */
    int idle;
    unsigned long long waits; /* waitpid calls returned: tells one idle moment from the next */
    /* Calls this loop saw enter and not yet leave (see "calls in flight") */
    int n_flights;
    flight_t flights[MAX_FLIGHTS];
    /* tid -> tgid for this run() (see tgid_of) */
    int n_tgids, next_tgid;
    tgid_t tgid_memo[TGID_MEMO];
} Loop;

static PyObject *str_held, *str_truncated, *str_nr, *str_stop_requested;

/* -- small helpers ------------------------------------------------------------------------------ */

static int stage(column_t *c, const void *value, Py_ssize_t size)
{
    if (c->len + size > c->cap) {
        Py_ssize_t cap = c->cap ? c->cap * 2 : 4096;
        char *data = PyMem_Realloc(c->data, (size_t)cap);
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        c->data = data;
        c->cap = cap;
    }
    memcpy(c->data + c->len, value, (size_t)size);
    c->len += size;
    return 0;
}

static int stage_i32(Loop *L, int col, long long value)
{
    int32_t v = (int32_t)value;
    return stage(&L->cols[col], &v, 4);
}

static int stage_f64(Loop *L, int col, double value) { return stage(&L->cols[col], &value, 8); }

/* Hand the staged values to the Recorder's arrays. Called before returning to Python. */
static int flush(Loop *L)
{
    int rc = 0;
    for (int i = 0; i < N_COLS; i++) {
        column_t *c = &L->cols[i];
        if (c->len == 0)
            continue;
        PyObject *view = PyMemoryView_FromMemory(c->data, c->len, PyBUF_READ);
        PyObject *r = view ? PyObject_CallOneArg(c->frombytes, view) : NULL;
        Py_XDECREF(view);
        if (r == NULL)
            rc = -1; /* keep flushing the others: rows must not be half lost */
        Py_XDECREF(r);
        c->len = 0;
    }
    L->base_rows += L->staged_rows;
    L->staged_rows = 0;
    return rc;
}

static int bytearray_extend(PyObject *ba, const void *data, Py_ssize_t n)
{
    Py_ssize_t len = PyByteArray_GET_SIZE(ba);
    if (PyByteArray_Resize(ba, len + n) < 0)
        return -1;
    memcpy(PyByteArray_AS_STRING(ba) + len, data, (size_t)n);
    return 0;
}

static double now(double t0)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* what time.monotonic() reads */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 - t0;
}

/* One blob: (row, key, offset, length) and its bytes; n < 0 means the pointer was unreadable. */
static int add_blob(Loop *L, Py_ssize_t row, int key, const char *data, Py_ssize_t n)
{
    int8_t k = (int8_t)key;
    uint64_t offset = (uint64_t)PyByteArray_GET_SIZE(L->blob_data);
    L->last_blob = n > 0 ? n : 0;
    if (stage_i32(L, BLOB_ROW, row) < 0 || stage(&L->cols[BLOB_KEY], &k, 1) < 0 ||
        stage(&L->cols[BLOB_OFF], &offset, 8) < 0 || stage_i32(L, BLOB_LEN, n < 0 ? -1 : n) < 0)
        return -1;
    return n > 0 ? bytearray_extend(L->blob_data, data, n) : 0;
}

/* -- known pages ------------------------------------------------------------------------------------
 *
 * PTRACE_PEEKDATA reads a word for less than process_vm_readv (0.34 against 0.40 us a call here:
 * the floor tracer of bench/overhead.py reading one byte at each of dd's 100,000 exits took 0.514
 * and 0.520 s, against 0.479 s reading nothing), but it reads with FOLL_FORCE: through
 * a PROT_NONE or write-only mapping it shows bytes that strace, the kernel's own copy and
 * process_vm_readv cannot read. So PEEKDATA is used only on a page that process_vm_readv itself
 * has just read in this process, while nothing can have changed its mapping since: there is one
 * tracee and it is the only thread of its memory (Tracer.sees_every_thread: no one else can
 * change the map behind our back), and every call that is not known to keep the map (mmap,
 * munmap, mprotect, brk, execve... and anything unknown) forgets all pages, at its entry and at
 * its exit, as does every stop handed to Python. */

static void forget_pages(Loop *L) { L->known_n = 0; }

static int single_tracee(Loop *L) { return L->pages_ok && PyDict_GET_SIZE(L->tgids) == 1; }

static int page_known(Loop *L, pid_t pid, uint64_t page)
{
    if (pid != L->known_pid || !single_tracee(L))
        return 0;
    for (int i = 0; i < L->known_n; i++)
        if (L->known_page[i] == page)
            return 1;
    return 0;
}

static void learn_page(Loop *L, pid_t pid, uint64_t page)
{
    if (!single_tracee(L) || page_known(L, pid, page))
        return;
    if (pid != L->known_pid) {
        L->known_pid = pid;
        L->known_n = 0;
    }
    if (L->known_n < KNOWN_PAGES)
        L->known_page[L->known_n++] = page;
    else
        L->known_page[L->known_next++ % KNOWN_PAGES] = page;
}

/* One process_vm_readv of `size` bytes at `addr` into `buf`: how many it read, or -1. A refusal
 * for this tracer (EPERM, ENOSYS: a container's seccomp profile) turns it off for good, and the
 * Python reader then falls back to PTRACE_PEEKDATA. */
static ssize_t vm_read(Loop *L, pid_t pid, uint64_t addr, void *buf, size_t size)
{
    struct iovec local = {buf, size};
    struct iovec remote = {(void *)(uintptr_t)addr, size};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n < 0 && (errno == EPERM || errno == ENOSYS))
        L->vm_ok = 0;
    return n;
}

/* `size` bytes at `addr` in `pid`, whole when they can be read: one process_vm_readv of them all,
 * or, when that fails part-way or is refused, MemoryReader.read (which splits by page, keeps the
 * readable prefix and falls back to PTRACE_PEEKDATA). f->data and f->n: the bytes (NULL and -1:
 * unreadable); fetch_release() frees them. -1 with an exception set on error. */
typedef struct {
    const char *data;
    Py_ssize_t n;
    char *heap;
    PyObject *got;
} fetched_t;

static int fetch(Loop *L, pid_t pid, uint64_t addr, long long size, fetched_t *f)
{
    *f = (fetched_t){NULL, -1, NULL, NULL};
    if (L->vm_ok && size <= (1 << 20)) {
        f->heap = PyMem_Malloc((size_t)(size > 0 ? size : 1));
        if (f->heap == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        if (vm_read(L, pid, addr, f->heap, (size_t)size) == size) {
            f->data = f->heap;
            f->n = size;
            return 0;
        }
    }
    f->got = PyObject_CallFunction(L->mem_read, "kKL", (unsigned long)pid, (unsigned long long)addr, size);
    if (f->got == NULL)
        return -1;
    if (f->got != Py_None) {
        f->data = PyBytes_AS_STRING(f->got);
        f->n = PyBytes_GET_SIZE(f->got);
    }
    return 0;
}

static void fetch_release(fetched_t *f)
{
    PyMem_Free(f->heap);
    Py_XDECREF(f->got);
}

/* Read `size` bytes at `addr` in `pid` into a blob: one PTRACE_PEEKDATA for a word on a known
 * page, one process_vm_readv into the stack when the bytes lie in one page (the common case: a
 * small buffer), else fetch(). */
static int read_blob(Loop *L, Py_ssize_t row, int key, pid_t pid, uint64_t addr, long long size)
{
    if (size <= 0)
        return add_blob(L, row, key, "", 0);
    if (size <= 8 && (addr & (PAGE - 1)) <= PAGE - 8 && page_known(L, pid, addr / PAGE)) {
        errno = 0;
        long word = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)addr, 0);
        if (errno == 0)
            return add_blob(L, row, key, (const char *)&word, size);
    }
    if (L->vm_ok && size <= PAGE && ((addr ^ (addr + (uint64_t)size - 1)) < PAGE)) {
        char buf[PAGE];
        ssize_t n = vm_read(L, pid, addr, buf, (size_t)size);
        if (n == size)
            learn_page(L, pid, addr / PAGE);
        if (n > 0)
            return add_blob(L, row, key, buf, n);
    }
    fetched_t f;
    if (fetch(L, pid, addr, size, &f) < 0)
        return -1;
    int rc = add_blob(L, row, key, f.data, f.n);
    fetch_release(&f);
    return rc;
}

/* The size a capture reads, as capture.make_reader's readers compute it. */
static long long cap_size(Loop *L, const cap_t *c, const uint64_t *args, long long ret)
{
    long long size;
    if (c->mode == SIZE_FIXED)
        return c->size;
    if (c->mode == SIZE_RET)
        size = ret > 0 ? ret : 0;
    else {
        uint64_t value = args[c->size]; /* even a huge one: strace shows the first string_limit bytes */
        size = value > (uint64_t)LLONG_MAX ? LLONG_MAX : (long long)value;
    }
    long long limit = L->string_limit;
    if (c->limited == CUT_DATA && L->data_limit > limit && *(long long *)L->data_left_view.buf > 0)
        limit = L->data_limit;
    if (c->limited != CUT_NONE && size > limit)
        size = limit;
    return size;
}

/* A NUL-terminated string (a path) into a blob, without its NUL, `cap` bytes at most: exactly
 * what MemoryReader.read_string gives. The common case is done here: the string ends in the page
 * it starts in (or is cut at `cap` there), read with one process_vm_readv up to the page's end.
 * A string that runs on into the next page, a fault, a refused process_vm_readv go to
 * MemoryReader.read_string. With `path` the string is also the row's path (Recorder.set_path). */
static int read_string_blob(Loop *L, Py_ssize_t row, int key, pid_t pid, uint64_t addr, long long cap, int path)
{
    char buf[PAGE];
    const char *data = NULL;
    Py_ssize_t n = -1;
    PyObject *got = NULL;
    long long size = (long long)(PAGE - (addr & (PAGE - 1)));
    if (size > cap)
        size = cap;
    if (L->vm_ok && size > 0 && vm_read(L, pid, addr, buf, (size_t)size) == size) {
        const char *nul = memchr(buf, 0, (size_t)size);
        if (nul != NULL || size == cap) {
            data = buf;
            n = nul != NULL ? nul - buf : size;
        }
    }
    if (data == NULL) {
        got = PyObject_CallFunction(L->mem_read_string, "kKL", (unsigned long)pid, (unsigned long long)addr, cap);
        if (got == NULL)
            return -1;
        if (got != Py_None) {
            data = PyBytes_AS_STRING(got);
            n = PyBytes_GET_SIZE(got);
        }
    }
    int rc = data == NULL ? add_blob(L, row, key, NULL, -1) : add_blob(L, row, key, n > 0 ? data : "", n);
    if (rc == 0 && path && data != NULL) {
        PyObject *text = PyUnicode_DecodeUTF8(data, n, "surrogateescape");
        PyObject *sid = text ? PyObject_CallOneArg(L->intern, text) : NULL;
        long sid_value = sid ? PyLong_AsLong(sid) : -1;
        Py_XDECREF(text);
        Py_XDECREF(sid);
        if (PyErr_Occurred() || stage_i32(L, PATH_ROW, row) < 0 || stage_i32(L, PATH_ID, sid_value) < 0)
            rc = -1;
    }
    Py_XDECREF(got);
    return rc;
}

/* getdents' records, counted by their d_reclen (at offset 16 in both struct linux_dirent and
 * linux_dirent64), as capture.capture counts them: a blob of the count, or an unreadable one. */
static int read_dirent_count(Loop *L, Py_ssize_t row, int key, pid_t pid, uint64_t addr, long long ret)
{
    long long size = ret > 0 ? ret : 0;
    if (size > (1 << 20))
        size = 1 << 20;
    fetched_t f = {"", 0, NULL, NULL}; /* (nothing to read for an empty listing) */
    if (size > 0 && fetch(L, pid, addr, size, &f) < 0)
        return -1;
    const unsigned char *raw = (const unsigned char *)f.data;
    int rc;
    if (raw == NULL)
        rc = add_blob(L, row, key, NULL, -1);
    else {
        uint32_t count = 0;
        for (Py_ssize_t offset = 0; offset + 18 <= f.n;) {
            unsigned reclen = (unsigned)raw[offset + 16] | (unsigned)raw[offset + 17] << 8;
            if (reclen == 0)
                break;
            count++;
            offset += reclen;
        }
        rc = add_blob(L, row, key, (const char *)&count, 4);
    }
    fetch_release(&f);
    return rc;
}

/* Read one capture into a blob; a data call's bytes are charged to the trace's data budget. */
static int read_cap(Loop *L, Py_ssize_t row, const cap_t *c, pid_t pid, const uint64_t *args, long long ret,
                    int path)
{
    if (c->mode == SIZE_STRING)
        return read_string_blob(L, row, c->key, pid, args[c->slot], c->size, path);
    if (c->mode == SIZE_DIRENTS)
        return read_dirent_count(L, row, c->key, pid, args[c->slot], ret);
    if (read_blob(L, row, c->key, pid, args[c->slot], cap_size(L, c, args, ret)) < 0)
        return -1;
    if (c->limited == CUT_DATA && L->data_limit > L->string_limit)
        *(long long *)L->data_left_view.buf -= L->last_blob;
    return 0;
}

/* An error inside a stop we consumed: the tracee is still stopped, so tell the Tracer, whose
 * detach_all/kill_all must then handle it (its `held`). */
static PyObject *fail_in_stop(Loop *L, pid_t pid)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *p = PyLong_FromLong(pid);
    if (p != NULL) {
        PyObject_SetAttr(L->tracer, str_held, p);
        Py_DECREF(p);
    }
    PyErr_Clear();
    PyErr_Restore(type, value, tb);
    return NULL;
}

/* -- calls in flight ------------------------------------------------------------------------------
 *
 * Between a call's entry and its exit Python keeps (row, plan, args, None) in Tracer.pending, or
 * the skipped marker. Building that tuple and its six argument ints at each entry and taking it
 * apart at the exit was the larger part of this loop's own work per call, so the calls entered
 * here are kept in `flights`, plain C, and become those tuples (flights_to_pending) before any
 * Python code of the tracer runs: Python finds `pending` as if they had been there all along. A
 * tid is in one of the two at most. Another thread may look while run() waits without the GIL
 * (Tracer.in_progress, for a live status): in_flight() shows it these. */

static flight_t *flight_find(Loop *L, pid_t tid)
{
    for (int i = 0; i < L->n_flights; i++)
        if (L->flights[i].tid == tid)
            return &L->flights[i];
    return NULL;
}

static void flight_drop(Loop *L, flight_t *f) { *f = L->flights[--L->n_flights]; }

/* What Python keeps for this call in `pending` (a new reference). */
static PyObject *flight_tuple(Loop *L, const flight_t *f)
{
    if (f->skipped)
        return Py_NewRef(L->skipped);
    PyObject *args = NULL, *row = PyLong_FromSsize_t(f->row);
    if (row == NULL)
        return NULL;
    if (f->with_args) {
        args = PyTuple_New(6);
        for (int i = 0; args != NULL && i < 6; i++) {
            PyObject *a = PyLong_FromUnsignedLongLong(f->args[i]);
            if (a == NULL)
                Py_CLEAR(args);
            else
                PyTuple_SET_ITEM(args, i, a);
        }
        if (args == NULL) {
            Py_DECREF(row);
            return NULL;
        }
    }
    PyObject *item = PyTuple_Pack(4, row, L->specs[f->nr].plan, args ? args : Py_None, Py_None);
    Py_DECREF(row);
    Py_XDECREF(args);
    return item;
}

static int flight_to_pending(Loop *L, const flight_t *f)
{
    PyObject *tid = PyLong_FromLong(f->tid);
    PyObject *item = tid ? flight_tuple(L, f) : NULL;
    int rc = item ? PyDict_SetItem(L->pending, tid, item) : -1;
    Py_XDECREF(tid);
    Py_XDECREF(item);
    return rc;
}

/* Keep the call tid has just entered, replacing whatever was kept for tid (as Python's
 * `pending[tid] = ...` does): in `flights`, or in `pending` when they are full. */
static int flight_keep(Loop *L, const flight_t *f)
{
    if (PyDict_GET_SIZE(L->pending) > 0) {
        PyObject *tid = PyLong_FromLong(f->tid);
        if (tid == NULL)
            return -1;
        int there = PyDict_Contains(L->pending, tid);
        int rc = there < 0 ? -1 : there ? PyDict_DelItem(L->pending, tid) : 0;
        Py_DECREF(tid);
        if (rc < 0)
            return -1;
    }
    flight_t *slot = flight_find(L, f->tid);
    if (slot == NULL && L->n_flights < MAX_FLIGHTS)
        slot = &L->flights[L->n_flights++];
    if (slot == NULL)
        return flight_to_pending(L, f);
    *slot = *f;
    return 0;
}

/* Before Python runs: every call in flight into `pending`. All are tried even after a failure
 * (only memory can fail here), so that no call is silently forgotten while another is kept. */
static int flights_to_pending(Loop *L)
{
    int rc = 0;
    for (int i = 0; i < L->n_flights; i++)
        if (flight_to_pending(L, &L->flights[i]) < 0)
            rc = -1;
    L->n_flights = 0;
    return rc;
}

/* The tgid of a tracee, from Tracer.tgid, remembered for the rest of this run() (only Python's
 * stop handling changes Tracer.tgid, and it runs between run()s); NULL when it is not there (an
 * error set, or not: a tracee not yet adopted). */
static const tgid_t *tgid_of(Loop *L, pid_t tid)
{
    for (int i = 0; i < L->n_tgids; i++)
        if (L->tgid_memo[i].tid == tid)
            return &L->tgid_memo[i];
    PyObject *key = PyLong_FromLong(tid);
    if (key == NULL)
        return NULL;
    PyObject *obj = PyDict_GetItemWithError(L->tgids, key);
    Py_DECREF(key);
    if (obj == NULL)
        return NULL;
    long value = PyLong_AsLong(obj);
    if (value == -1 && PyErr_Occurred())
        return NULL;
    tgid_t *m = L->n_tgids < TGID_MEMO ? &L->tgid_memo[L->n_tgids++] : &L->tgid_memo[L->next_tgid++ % TGID_MEMO];
    Py_XSETREF(m->obj, Py_NewRef(obj)); /* (a reference of its own: another thread may edit the dict) */
    m->tid = tid;
    m->value = value;
    return m;
}

static void forget_tgids(Loop *L)
{
    for (int i = 0; i < L->n_tgids; i++)
        Py_CLEAR(L->tgid_memo[i].obj);
    L->n_tgids = L->next_tgid = 0;
}

/* -- syscall stops -------------------------------------------------------------------------------- */

/* The entry of a FAST call: Tracer._entry for the plans _fast_capture accepts (no socket address,
 * no array, no fd pair...). */
static int fast_entry(Loop *L, pid_t pid, const tgid_t *tgid, const spec_t *s, int nr, double t,
                      const unsigned char *info)
{
    uint64_t *counts = (uint64_t *)L->counts_view.buf;
    counts[nr] += 1;
    Py_ssize_t row = L->base_rows + L->staged_rows;
    if (row >= L->max_events) {
        if (PyObject_SetAttr(L->rec, str_truncated, Py_True) < 0)
            return -1;
        row = -1;
    } else {
        if (stage_f64(L, T_ENTRY, t) < 0 || stage_i32(L, TID, pid) < 0 || stage_i32(L, TGID, tgid->value) < 0 ||
            bytearray_extend(L->entry_raw, info + INFO_UNION, ENTRY_BYTES) < 0)
            return -1;
        L->staged_rows++;
    }
    flight_t f = {.tid = pid, .skipped = 0, .nr = nr, .with_args = 0, .row = row};
    memcpy(f.args, info + INFO_UNION + 8, sizeof f.args);
    if (row >= 0 && s->needs_args) {
        /* the exit reads output buffers or changes the fd table: it needs the arguments, as Python
         * keeps them. (A call without exit work never looks at them: Python's _exit returns before.) */
        f.with_args = s->n_exit || s->closes || s->returns_fd;
        for (int i = 0; i < s->n_entry; i++) {
            const cap_t *c = &s->entry[i];
            if (f.args[c->slot] && read_cap(L, row, c, pid, f.args, 0, c->slot == s->path_slot) < 0)
                return -1;
        }
        if (s->fd_arg >= 0 && f.args[s->fd_arg] < (1ULL << 31)) {
            PyObject *fd = PyLong_FromUnsignedLongLong(f.args[s->fd_arg]);
            if (fd == NULL)
                return -1;
            PyObject *desc = NULL;
            PyObject *table = PyDict_GetItemWithError(L->fd_tables, tgid->obj);
            if (table != NULL) {
                desc = PyDict_GetItemWithError(table, fd);
                Py_XINCREF(desc);
            }
            if (desc == NULL && !PyErr_Occurred()) /* not described yet: FdTable.lookup reads /proc */
                desc = PyObject_CallFunction(L->fd_lookup, "OiO", tgid->obj, (int)pid, fd);
            Py_DECREF(fd);
            if (desc == NULL)
                return -1;
            long desc_value = PyLong_AsLong(desc);
            Py_DECREF(desc);
            if ((desc_value == -1 && PyErr_Occurred()) || stage_i32(L, FD_ROW, row) < 0 ||
                stage_i32(L, FD_VAL, (long long)f.args[s->fd_arg]) < 0 || stage_i32(L, FD_DESC, desc_value) < 0)
                return -1;
        }
    }
    return flight_keep(L, &f);
}

/* The call a tid is leaving, taken out of `flights` or `pending` into *f. Returns 1 when f is a
 * FAST call to finish here, 2 when the exit only resumes (a skipped call, or one that started
 * before we attached), 0 when Python must do it, -1 on error. */
static int take_flight(Loop *L, pid_t pid, flight_t *f)
{
    flight_t *slot = flight_find(L, pid);
    if (slot != NULL) { /* (entered in this run(): plans change only between run()s) */
        *f = *slot;
        flight_drop(L, slot);
        return f->skipped ? 2 : 1;
    }
    if (PyDict_GET_SIZE(L->pending) == 0)
        return 2; /* the exit of a call that started before we attached */
    /* entered in Python (the tuples are the same) */
    PyObject *pid_obj = PyLong_FromLong(pid);
    if (pid_obj == NULL)
        return -1;
    int rc = 0;
    PyObject *item = PyDict_GetItemWithError(L->pending, pid_obj);
    if (item == NULL)
        rc = PyErr_Occurred() ? -1 : 2;
    else if (item == L->skipped)
        rc = PyDict_DelItem(L->pending, pid_obj) < 0 ? -1 : 2;
    else if (PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 4 && PyTuple_GET_ITEM(item, 1) != Py_None) {
        PyObject *nr_obj = PyObject_GetAttr(PyTuple_GET_ITEM(item, 1), str_nr);
        long nr = nr_obj ? PyLong_AsLong(nr_obj) : -1;
        Py_XDECREF(nr_obj);
        if (PyErr_Occurred())
            rc = -1;
        else if (nr >= 0 && nr < L->n_specs && L->specs[nr].kind == KIND_FAST) {
            f->tid = pid;
            f->skipped = 0;
            f->nr = (int)nr;
            f->row = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 0));
            f->with_args = PyTuple_GET_ITEM(item, 2) != Py_None;
            for (int i = 0; f->with_args && i < 6; i++)
                f->args[i] = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(PyTuple_GET_ITEM(item, 2), i));
            rc = PyErr_Occurred() || PyDict_DelItem(L->pending, pid_obj) < 0 ? -1 : 1;
        }
    }
    Py_DECREF(pid_obj);
    return rc;
}

/* The exit of a call whose entry was FAST (here or in Python).
 * Returns 1 when done, 0 when Python must do it, -1 on error. */
static int fast_exit(Loop *L, pid_t pid, const tgid_t *tgid, double t, const unsigned char *info, int *keeps_maps)
{
    flight_t f;
    int taken = take_flight(L, pid, &f);
    if (taken != 1)
        return taken == 2 ? 1 : taken;
    const spec_t *s = &L->specs[f.nr];
    *keeps_maps = s->keeps_maps;
    if (!s->keeps_maps)
        forget_pages(L); /* (mmap, munmap...: the map changed during the call) */
    Py_ssize_t row = f.row;
    if (row < 0)
        return 1; /* past max_events: counted, not stored */
    if (stage_i32(L, X_ROW, row) < 0 || stage_f64(L, T_EXIT, t) < 0 ||
        bytearray_extend(L->exit_raw, info + INFO_UNION, EXIT_BYTES) < 0)
        return -1;
    int64_t rval;
    memcpy(&rval, info + INFO_UNION, 8);
    int is_error = info[INFO_UNION + 8];
    if (s->n_exit && !is_error && f.with_args) {
        for (int i = 0; i < s->n_exit; i++) {
            const cap_t *c = &s->exit[i];
            if (f.args[c->slot] && read_cap(L, row, c, pid, f.args, rval, 0) < 0)
                return -1;
        }
    }
    if (!(s->returns_fd || s->closes) || is_error || !f.with_args)
        return 1;
    /* the fd table is per process (Tracer._exit's tgid) */
    if (s->returns_fd) {
        /* Tracer._exit: the new fd is described (from /proc) and kept in its process's table */
        PyObject *desc = PyObject_CallFunction(L->fd_refresh, "OiL", tgid->obj, (int)pid, (long long)rval);
        if (desc == NULL)
            return -1;
        long desc_value = PyLong_AsLong(desc);
        Py_DECREF(desc);
        if ((desc_value == -1 && PyErr_Occurred()) || stage_i32(L, FD_ROW, row) < 0 ||
            stage_i32(L, FD_VAL, rval) < 0 || stage_i32(L, FD_DESC, desc_value) < 0)
            return -1;
    }
    if (s->closes) {
        /* FdTable.close: the fd leaves its process's table (pop, no error when it was not there) */
        PyObject *table = PyDict_GetItemWithError(L->fd_tables, tgid->obj);
        if (table == NULL)
            return PyErr_Occurred() ? -1 : 1;
        PyObject *fd = PyLong_FromUnsignedLongLong(f.args[0]);
        if (fd == NULL)
            return -1;
        int there = PyDict_Contains(table, fd);
        int rc = there < 0 ? -1 : there ? PyDict_DelItem(table, fd) : 0;
        Py_DECREF(fd);
        if (rc < 0)
            return -1;
    }
    return 1;
}

/* -- the loop --------------------------------------------------------------------------------------- */

PyDoc_STRVAR(run_doc,
"run(recording, t0) -> (pid, status, info_fetched) | None\n\n"
"Wait for stops and handle the simple syscall stops; return the first stop Python must handle\n"
"(info_fetched: the info buffer already holds its PTRACE_GET_SYSCALL_INFO), or None when\n"
"there is no child left to wait for or the tracer's stop_requested is set.");

static PyObject *run_stops(Loop *L, int recording, double t0, unsigned char *info, unsigned long info_size);

static PyObject *Loop_run(Loop *L, PyObject *const *argv, Py_ssize_t argc)
{
    if (argc != 2) {
        PyErr_SetString(PyExc_TypeError, "run(recording, t0)");
        return NULL;
    }
    if (L->tracer == NULL || L->specs == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "this Loop is not initialised (or was cleared)");
        return NULL;
    }
    int recording = PyObject_IsTrue(argv[0]);
    double t0 = PyFloat_AsDouble(argv[1]);
    if (recording < 0 || PyErr_Occurred())
        return NULL;
    unsigned char *info = (unsigned char *)L->info_view.buf;
    unsigned long info_size = (unsigned long)L->info_view.len;
    L->base_rows = PyObject_Length(L->tid_col);
    L->staged_rows = 0;
    if (L->base_rows < 0)
        return NULL;
    forget_pages(L); /* Python ran since: anything may have happened */
    forget_tgids(L);
    PyObject *result = run_stops(L, recording, t0, info, info_size);
    forget_pages(L);
    forget_tgids(L);
    if (result == NULL) {
        /* Hand over what was staged even so (Ctrl-C keeps the rows recorded so far, and the calls
         * in flight, unfinished), with the exception put aside: Python code must not run with one
         * set. */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (flush(L) < 0)
            PyErr_Clear();
        if (flights_to_pending(L) < 0)
            PyErr_Clear();
        PyErr_Restore(type, value, tb);
        return NULL;
    }
    int flushed = flush(L);
    if (flights_to_pending(L) < 0 || flushed < 0) {
        Py_DECREF(result);
        return NULL;
    }
    return result;
}

static PyObject *run_stops(Loop *L, int recording, double t0, unsigned char *info, unsigned long info_size)
{
    for (;;) {
        /* Another thread (a deadline, Ctrl-C's watcher) may ask the loop to stop: as in Python's
         * loop, look before each wait. */
        PyObject *stop = PyObject_GetAttr(L->tracer, str_stop_requested);
        int stopping = stop == NULL ? -1 : PyObject_IsTrue(stop);
        Py_XDECREF(stop);
        if (stopping < 0)
            return NULL;
        if (stopping)
            Py_RETURN_NONE;
        int status;
        pid_t pid;
        L->idle = 1;
        Py_BEGIN_ALLOW_THREADS
        pid = waitpid(-1, &status, __WALL | __WNOTHREAD); /* as loop.py: only our tracees */
        Py_END_ALLOW_THREADS
        L->idle = 0;
        L->waits++;
        if (pid < 0) {
            if (errno == EINTR) {
                if (PyErr_CheckSignals() < 0)
                    return NULL; /* e.g. KeyboardInterrupt: no stop consumed */
                continue;
            }
            if (errno == ECHILD)
                Py_RETURN_NONE;
            return PyErr_SetFromErrno(PyExc_OSError);
        }
        if (!WIFSTOPPED(status) || WSTOPSIG(status) != SYSCALL_STOP_SIG || (status >> 16) != 0)
            return Py_BuildValue("iiO", pid, status, Py_False);
        const tgid_t *tgid = tgid_of(L, pid);
        if (tgid == NULL) {
            if (PyErr_Occurred())
                return fail_in_stop(L, pid);
            return Py_BuildValue("iiO", pid, status, Py_False); /* not (yet) ours: Python adopts it */
        }
        if (ptrace((enum __ptrace_request)GET_SYSCALL_INFO, pid, (void *)info_size, info) < 0) {
            /* ESRCH: a SIGKILL (spykit's own, ending the trace) took it out of the stop after
             * waitpid reported it. The buffer still holds the previous stop's info, which must
             * not be read as this one's (it made a second, phantom entry of the call the program
             * was in). Nothing to record or resume: its death is reported next. */
            if (errno != ESRCH) {
                PyErr_SetFromErrno(PyExc_OSError);
                return fail_in_stop(L, pid);
            }
            continue;
        }
        double t = now(t0);
        int op = info[0];
        int rc = 0; /* 1: handled here and resumed; 0: Python's */
        int keeps_maps = 0;
        if (op == OP_ENTRY && recording) {
            uint64_t nr;
            uint32_t arch;
            memcpy(&nr, info + INFO_UNION, 8);
            memcpy(&arch, info + INFO_ARCH, 4);
            /* plans are by x86_64 number: i386's 5 is open, not fstat; Python names other tables' calls */
            const spec_t *s = nr < (uint64_t)L->n_specs && arch == AUDIT_ARCH_X86_64 ? &L->specs[nr] : NULL;
            keeps_maps = s != NULL && s->keeps_maps;
            if (!keeps_maps)
                forget_pages(L);
            if (s != NULL && s->kind == KIND_SKIP) {
                flight_t skip = {.tid = pid, .skipped = 1};
                rc = flight_keep(L, &skip) < 0 ? -1 : 1;
            } else if (s != NULL && s->kind == KIND_FAST)
                rc = fast_entry(L, pid, tgid, s, (int)nr, t, info) < 0 ? -1 : 1;
        } else if (op == OP_EXIT) {
            rc = fast_exit(L, pid, tgid, t, info, &keeps_maps);
            if (!keeps_maps)
                forget_pages(L); /* an exit we cannot name (a skipped call, one Python will see) */
        }
        if (rc < 0)
            return fail_in_stop(L, pid);
        if (rc == 0)
            return Py_BuildValue("iiO", pid, status, Py_True);
        ptrace(PTRACE_SYSCALL, pid, 0, 0); /* ESRCH: killed meanwhile, its exit report is coming */
    }
}

/* -- plans ---------------------------------------------------------------------------------------- */

static int parse_caps(PyObject *seq, cap_t *out, int *n)
{
    PyObject *fast = PySequence_Fast(seq, "captures must be a sequence");
    if (fast == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    if (count > MAX_CAPS) {
        Py_DECREF(fast);
        PyErr_SetString(PyExc_ValueError, "too many captures for the C loop");
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        cap_t *c = &out[i];
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fast, i), "iiiLi", &c->slot, &c->key, &c->mode, &c->size,
                              &c->limited)) {
            Py_DECREF(fast);
            return -1;
        }
        if (c->slot < 0 || c->slot > 5 || c->mode < SIZE_ARG || c->mode > SIZE_DIRENTS || c->limited < CUT_NONE ||
            c->limited > CUT_DATA || (c->mode == SIZE_ARG && (c->size < 0 || c->size > 5)) ||
            (c->mode == SIZE_STRING && c->size <= 0)) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_ValueError, "bad capture");
            return -1;
        }
    }
    *n = (int)count;
    Py_DECREF(fast);
    return 0;
}

PyDoc_STRVAR(set_plan_doc,
"set_plan(nr, kind, plan=None, fd_arg=-1, needs_args=False, entry=(), exit=(), keeps_maps=False,\n"
"         path_slot=-1, closes=False, returns_fd=False)\n\n"
"How to handle syscall number nr: KIND_PYTHON, KIND_SKIP (not recorded) or KIND_FAST;\n"
"keeps_maps: the call cannot change the caller's memory map (pages known readable stay known).\n"
"Captures are (slot, key, mode, size, limit) tuples, mode SIZE_ARG/SIZE_RET/SIZE_FIXED/SIZE_STRING\n"
"(a NUL-terminated string of at most size bytes)/SIZE_DIRENTS (getdents' records, counted),\n"
"limit CUT_NONE/CUT_STRING/CUT_DATA.\n"
"path_slot: the argument whose string (an entry capture) is the row's path; closes: the call is close();\n"
"returns_fd: a success returns a new fd to describe.");

static PyObject *Loop_set_plan(Loop *L, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"nr",   "kind",       "plan",      "fd_arg", "needs_args", "entry",
                            "exit", "keeps_maps", "path_slot", "closes", "returns_fd", NULL};
    int nr, kind, fd_arg = -1, needs_args = 0, keeps_maps = 0, path_slot = -1, closes = 0, returns_fd = 0;
    PyObject *plan = Py_None, *entry = NULL, *exit_ = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "ii|OipOOpipp", names, &nr, &kind, &plan, &fd_arg,
                                     &needs_args, &entry, &exit_, &keeps_maps, &path_slot, &closes, &returns_fd))
        return NULL;
    if (nr < 0 || nr >= L->n_specs || kind < KIND_PYTHON || kind > KIND_FAST || fd_arg < -1 || fd_arg > 5 ||
        path_slot < -1 || path_slot > 5) {
        PyErr_SetString(PyExc_ValueError, "set_plan: nr, kind, fd_arg or path_slot out of range");
        return NULL;
    }
    spec_t s = {.kind = kind, .keeps_maps = keeps_maps, .fd_arg = fd_arg, .path_slot = path_slot,
                .closes = closes, .returns_fd = returns_fd, .needs_args = needs_args};
    if ((entry != NULL && parse_caps(entry, s.entry, &s.n_entry) < 0) ||
        (exit_ != NULL && parse_caps(exit_, s.exit, &s.n_exit) < 0))
        return NULL;
    if (kind == KIND_FAST && plan == Py_None) {
        PyErr_SetString(PyExc_ValueError, "set_plan: a FAST call needs its plan");
        return NULL;
    }
    s.plan = Py_NewRef(plan);
    Py_XDECREF(L->specs[nr].plan);
    L->specs[nr] = s;
    Py_RETURN_NONE;
}

/* -- the object ----------------------------------------------------------------------------------- */

static PyObject *bound(PyObject *obj, const char *attr, const char *method)
{
    PyObject *target = PyObject_GetAttrString(obj, attr);
    if (target == NULL)
        return NULL;
    PyObject *m = method ? PyObject_GetAttrString(target, method) : Py_NewRef(target);
    Py_DECREF(target);
    return m;
}

static int Loop_init(Loop *L, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"tracer", NULL};
    PyObject *tracer;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O", names, &tracer))
        return -1;
    if (L->tracer != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Loop is already initialised");
        return -1;
    }
    L->tracer = Py_NewRef(tracer);
    PyObject *rec = PyObject_GetAttrString(tracer, "rec");
    if (rec == NULL)
        return -1;
    L->rec = rec;
    PyObject *fds = PyObject_GetAttrString(tracer, "fds");
    PyObject *mem = PyObject_GetAttrString(tracer, "mem");
    PyObject *limit = PyObject_GetAttrString(tracer, "string_limit");
    PyObject *data_limit = PyObject_GetAttrString(tracer, "data_limit");
    PyObject *max_events = PyObject_GetAttrString(rec, "max_events");
    int ok = fds && mem && limit && data_limit && max_events;
    if (ok) {
        L->string_limit = PyLong_AsLongLong(limit);
        L->data_limit = PyLong_AsLongLong(data_limit);
        L->max_events = PyLong_AsLongLong(max_events);
        ok = !PyErr_Occurred();
    }
    ok = ok && (L->tgids = bound(tracer, "tgid", NULL)) && (L->pending = bound(tracer, "pending", NULL)) &&
         (L->skipped = bound(tracer, "skipped", NULL)) && (L->info_owner = bound(tracer, "_info", NULL)) &&
         (L->tid_col = bound(rec, "tid", NULL)) && (L->entry_raw = bound(rec, "entry_raw", NULL)) &&
         (L->exit_raw = bound(rec, "exit_raw", NULL)) && (L->blob_data = bound(rec, "blob_data", NULL)) &&
         (L->counts = bound(rec, "counts", NULL)) && (L->fd_tables = bound(fds, "_tables", NULL)) &&
         (L->fd_lookup = bound(fds, "lookup", NULL)) && (L->fd_refresh = bound(fds, "refresh", NULL)) &&
         (L->mem_read = bound(mem, "read", NULL)) &&
         (L->mem_read_string = bound(mem, "read_string", NULL)) && (L->intern = bound(rec, "intern", NULL)) &&
         (L->data_left = bound(tracer, "data_left", NULL));
    Py_XDECREF(fds);
    Py_XDECREF(mem);
    Py_XDECREF(limit);
    Py_XDECREF(data_limit);
    Py_XDECREF(max_events);
    if (!ok)
        return -1;
    for (int i = 0; i < N_COLS; i++) {
        PyObject *column = PyObject_GetAttrString(rec, column_names[i]);
        if (column == NULL)
            return -1;
        PyObject *typecode = PyObject_GetAttrString(column, "typecode");
        int same = typecode != NULL && PyUnicode_Check(typecode) && PyUnicode_GET_LENGTH(typecode) == 1 &&
                   PyUnicode_READ_CHAR(typecode, 0) == (Py_UCS4)column_types[i];
        Py_XDECREF(typecode);
        if (same)
            L->cols[i].frombytes = PyObject_GetAttrString(column, "frombytes");
        Py_DECREF(column);
        if (!same) {
            PyErr_Format(PyExc_TypeError, "Loop: Recorder.%s is not an array of type '%c'", column_names[i],
                         column_types[i]);
            return -1;
        }
        if (L->cols[i].frombytes == NULL)
            return -1;
    }
    if (!PyDict_Check(L->tgids) || !PyDict_Check(L->pending) || !PyDict_Check(L->fd_tables) ||
        !PyByteArray_Check(L->entry_raw) || !PyByteArray_Check(L->exit_raw) || !PyByteArray_Check(L->blob_data)) {
        PyErr_SetString(PyExc_TypeError, "Loop: the tracer's tables are not of the expected types");
        return -1;
    }
    if (PyObject_GetBuffer(L->counts, &L->counts_view, PyBUF_WRITABLE) < 0)
        return -1;
    if (L->counts_view.itemsize != 8 || L->counts_view.len < 8) {
        PyErr_SetString(PyExc_ValueError, "Loop: the counts array must hold 64-bit counters");
        return -1;
    }
    if (PyObject_GetBuffer(L->data_left, &L->data_left_view, PyBUF_WRITABLE) < 0)
        return -1;
    if (L->data_left_view.itemsize != 8 || L->data_left_view.len < 8) {
        PyErr_SetString(PyExc_ValueError, "Loop: data_left must be one 64-bit counter");
        return -1;
    }
    /* Calls numbered past the counts array are counted by Python (Recorder.extra_counts). */
    int table_size = (int)(L->counts_view.len / 8);
    if (PyObject_GetBuffer(L->info_owner, &L->info_view, PyBUF_WRITABLE) < 0)
        return -1;
    if (L->info_view.len < INFO_UNION + ENTRY_BYTES) {
        PyErr_SetString(PyExc_ValueError, "Loop: the syscall info buffer is too small");
        return -1;
    }
    L->specs = PyMem_Calloc((size_t)table_size, sizeof(spec_t)); /* all KIND_PYTHON */
    if (L->specs == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    L->n_specs = table_size;
    L->vm_ok = 1;
    PyObject *every = PyObject_GetAttrString(tracer, "sees_every_thread");
    if (every == NULL)
        return -1;
    L->pages_ok = PyObject_IsTrue(every) == 1;
    Py_DECREF(every);
    return 0;
}

/* The Loop and its Tracer refer to each other (tracer._fast, Loop.tracer): the garbage collector
 * must be able to see and break that cycle, or every trace would keep its Recorder for ever. */
#define LOOP_REFS(L)                                                                                       \
    {&(L)->tracer, &(L)->tgids, &(L)->pending, &(L)->skipped, &(L)->tid_col, &(L)->rec, &(L)->entry_raw, \
     &(L)->exit_raw, &(L)->blob_data, &(L)->counts, &(L)->fd_tables, &(L)->fd_lookup, &(L)->mem_read,      \
     &(L)->fd_refresh, &(L)->mem_read_string, &(L)->intern, &(L)->info_owner, &(L)->data_left}

static int Loop_traverse(Loop *L, visitproc visit, void *arg)
{
    PyObject **refs[] = LOOP_REFS(L);
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        Py_VISIT(*refs[i]);
    for (int i = 0; i < N_COLS; i++)
        Py_VISIT(L->cols[i].frombytes);
    for (int i = 0; L->specs != NULL && i < L->n_specs; i++)
        Py_VISIT(L->specs[i].plan);
    for (int i = 0; i < L->n_tgids; i++)
        Py_VISIT(L->tgid_memo[i].obj);
    return 0;
}

static int Loop_clear(Loop *L)
{
    if (L->counts_view.obj != NULL)
        PyBuffer_Release(&L->counts_view);
    if (L->info_view.obj != NULL)
        PyBuffer_Release(&L->info_view);
    if (L->data_left_view.obj != NULL)
        PyBuffer_Release(&L->data_left_view);
    PyObject **refs[] = LOOP_REFS(L);
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        Py_CLEAR(*refs[i]);
    for (int i = 0; i < N_COLS; i++)
        Py_CLEAR(L->cols[i].frombytes);
    forget_tgids(L);
    L->n_flights = 0; /* (none between run()s: they are in `pending` then) */
    for (int i = 0; L->specs != NULL && i < L->n_specs; i++) {
        Py_CLEAR(L->specs[i].plan);
        L->specs[i].kind = KIND_PYTHON; /* a cleared Loop hands every stop back */
    }
    return 0;
}

static void Loop_dealloc(Loop *L)
{
    PyObject_GC_UnTrack(L);
    Loop_clear(L);
    for (int i = 0; i < N_COLS; i++)
        PyMem_Free(L->cols[i].data);
    PyMem_Free(L->specs);
    Py_TYPE(L)->tp_free((PyObject *)L);
}

PyDoc_STRVAR(flush_idle_doc,
"flush_idle() -> int | None\n\n"
"From another thread: if run() is waiting for the next stop, hand the rows staged so far to the\n"
"Recorder (its columns are then whole up to this moment) and return how many waits have ended\n"
"so far (the same number later: still the same moment); else return None.");

static PyObject *Loop_flush_idle(Loop *L, PyObject *Py_UNUSED(unused))
{
    /* The GIL is ours, so run() cannot leave waitpid's section while we flush. */
    if (!L->idle)
        Py_RETURN_NONE;
    if (flush(L) < 0)
        return NULL;
    return PyLong_FromUnsignedLongLong(L->waits);
}

PyDoc_STRVAR(in_flight_doc,
"in_flight() -> dict[int, int]\n\n"
"The calls entered in this loop and not yet left, as tid -> row (-1: not stored, past\n"
"max_events); skipped calls are not shown. Between run()s it is empty: they are in the\n"
"tracer's `pending` then. For another thread's look while run() waits (Tracer.in_progress).");

static PyObject *Loop_in_flight(Loop *L, PyObject *Py_UNUSED(unused))
{
    /* The GIL is ours, and run() changes its flights only while holding it. */
    PyObject *out = PyDict_New();
    for (int i = 0; out != NULL && i < L->n_flights; i++) {
        const flight_t *f = &L->flights[i];
        if (f->skipped)
            continue;
        PyObject *tid = PyLong_FromLong(f->tid), *row = PyLong_FromSsize_t(f->row);
        if (tid == NULL || row == NULL || PyDict_SetItem(out, tid, row) < 0)
            Py_CLEAR(out);
        Py_XDECREF(tid);
        Py_XDECREF(row);
    }
    return out;
}

static PyMethodDef Loop_methods[] = {
    {"flush_idle", (PyCFunction)Loop_flush_idle, METH_NOARGS, flush_idle_doc},
    {"in_flight", (PyCFunction)Loop_in_flight, METH_NOARGS, in_flight_doc},
    {"run", (PyCFunction)(void (*)(void))Loop_run, METH_FASTCALL, run_doc},
    {"set_plan", (PyCFunction)(void (*)(void))Loop_set_plan, METH_VARARGS | METH_KEYWORDS, set_plan_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject LoopType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "spykit.tracer._fastloop.Loop",
    .tp_doc = PyDoc_STR("The C inner loop over one Tracer's tables (see loop.py)."),
    .tp_basicsize = sizeof(Loop),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Loop_init,
    .tp_dealloc = (destructor)Loop_dealloc,
    .tp_traverse = (traverseproc)Loop_traverse,
    .tp_clear = (inquiry)Loop_clear,
    .tp_methods = Loop_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "spykit.tracer._fastloop",
    .m_doc = PyDoc_STR("Optional C accelerator for spykit's tracer loop; loop.py is the reference."),
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fastloop(void)
{
    if (PyType_Ready(&LoopType) < 0)
        return NULL;
    str_held = PyUnicode_InternFromString("held");
    str_truncated = PyUnicode_InternFromString("truncated");
    str_nr = PyUnicode_InternFromString("nr");
    str_stop_requested = PyUnicode_InternFromString("stop_requested");
    if (str_held == NULL || str_truncated == NULL || str_nr == NULL || str_stop_requested == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Loop", (PyObject *)&LoopType) < 0 ||
        PyModule_AddIntConstant(m, "KIND_PYTHON", KIND_PYTHON) < 0 ||
        PyModule_AddIntConstant(m, "KIND_SKIP", KIND_SKIP) < 0 ||
        PyModule_AddIntConstant(m, "KIND_FAST", KIND_FAST) < 0 ||
        PyModule_AddIntConstant(m, "SIZE_ARG", SIZE_ARG) < 0 || PyModule_AddIntConstant(m, "SIZE_RET", SIZE_RET) < 0 ||
        PyModule_AddIntConstant(m, "SIZE_FIXED", SIZE_FIXED) < 0 ||
        PyModule_AddIntConstant(m, "SIZE_STRING", SIZE_STRING) < 0 ||
        PyModule_AddIntConstant(m, "SIZE_DIRENTS", SIZE_DIRENTS) < 0 ||
        PyModule_AddIntConstant(m, "CUT_NONE", CUT_NONE) < 0 || PyModule_AddIntConstant(m, "CUT_STRING", CUT_STRING) < 0 ||
        PyModule_AddIntConstant(m, "CUT_DATA", CUT_DATA) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
