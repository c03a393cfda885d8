"""``spykit.explain(name)``: one plain sentence about a system call, an errno or a syscall class."""

from __future__ import annotations

from ..errors import SpykitError
from .errnos import ERRNO_NUMBERS, errno_message
from .table import CLASSES, FAMILIES, SYSCALL_NUMBERS

CALLS: dict[str, str] = {
    "open": "opens a file by name and returns a file descriptor (a small number) for it",
    "openat": "opens a file by name, relative to a directory (usually the current one), and returns a file "
              "descriptor; today's C library uses it for every open()",
    "openat2": "openat with extra rules about how the path may be resolved (no symlinks, stay beneath a directory)",
    "creat": "creates a file (or empties an existing one) and opens it for writing",
    "stat": "asks for a file's details (type, permissions, size, times) by name, following symlinks",
    "lstat": "asks for a file's details by name without following a final symlink",
    "fstat": "asks for the details of a file that is already open",
    "newfstatat": "asks for a file's details by name or by open file descriptor; what stat() becomes today",
    "statx": "asks for a file's details, choosing which ones, in a newer and extensible format",
    "access": "checks whether the program may read, write or run a file, or whether it exists at all",
    "faccessat": "checks access to a file named relative to a directory",
    "faccessat2": "checks access to a file named relative to a directory, with flags",
    "read": "reads bytes from a file descriptor (a file, pipe, socket or terminal) into memory",
    "write": "writes bytes from memory to a file descriptor (a file, pipe, socket or terminal)",
    "pread64": "reads bytes from a given position in a file without moving the file offset",
    "pwrite64": "writes bytes at a given position in a file without moving the file offset",
    "readv": "reads into several memory buffers in one call",
    "writev": "writes several memory buffers in one call, as if they were one",
    "close": "closes a file descriptor: the program is done with that file, pipe or socket",
    "close_range": "closes (or marks close-on-exec) every file descriptor in a range",
    "lseek": "moves the position in an open file where the next read or write happens",
    "execve": "replaces the running program with another one, given its path, arguments and environment",
    "execveat": "replaces the running program with another one, named relative to a directory",
    "fork": "creates a new process, a copy of the current one",
    "vfork": "creates a new process that borrows the parent's memory until it runs another program",
    "clone": "creates a new process or thread; the flags say what it shares with its parent",
    "clone3": "creates a new process or thread (the newer form of clone, used by today's C library)",
    "wait4": "waits for a child process to finish (or stop) and collects how it ended",
    "exit": "ends the calling thread",
    "exit_group": "ends the whole process, every thread, with an exit status",
    "socket": "creates a socket: an endpoint for talking over a network or to another local program",
    "connect": "connects a socket to an address: a server's IP and port, or a local socket file",
    "bind": "gives a socket its own address, such as the port a server listens on",
    "listen": "marks a socket as willing to accept incoming connections",
    "accept": "waits for and takes the next incoming connection on a listening socket",
    "accept4": "takes the next incoming connection, with flags for the new socket",
    "sendto": "sends bytes over a socket, optionally to a given address",
    "recvfrom": "receives bytes from a socket, and who sent them",
    "sendmsg": "sends a message over a socket, gathered from several buffers",
    "recvmsg": "receives a message from a socket into several buffers",
    "shutdown": "closes one or both directions of a socket connection",
    "getsockopt": "reads a socket setting",
    "setsockopt": "changes a socket setting (buffer sizes, timeouts, TCP_NODELAY...)",
    "socketpair": "creates two connected sockets, a two-way pipe between related processes",
    "getdents64": "reads the entries of an open directory: how a program lists files",
    "chdir": "changes the program's current directory",
    "getcwd": "asks for the program's current directory",
    "mkdir": "creates a directory",
    "mkdirat": "creates a directory named relative to another directory",
    "rmdir": "removes an empty directory",
    "unlink": "deletes a name of a file (the file goes away once no name or open descriptor is left)",
    "unlinkat": "deletes a file or directory named relative to a directory",
    "rename": "renames or moves a file, replacing any file already at the new name",
    "renameat2": "renames or moves a file, optionally refusing to replace or swapping two names",
    "chmod": "changes a file's permissions",
    "fchmodat": "changes the permissions of a file named relative to a directory",
    "chown": "changes which user and group own a file",
    "readlink": "reads where a symbolic link points",
    "readlinkat": "reads where a symbolic link points, named relative to a directory",
    "pipe": "creates a pipe: two file descriptors, what is written to one can be read from the other",
    "pipe2": "creates a pipe, with flags such as close-on-exec",
    "dup": "makes a second file descriptor for the same open file",
    "dup2": "makes a given file descriptor number refer to the same open file as another: how shells redirect",
    "dup3": "like dup2, with flags",
    "fcntl": "reads or changes properties of an open file descriptor (flags, locks, duplication)",
    "ioctl": "sends a device-specific request, for example asks a terminal for its size",
    "mmap": "maps a file or fresh memory into the program's address space",
    "mprotect": "changes whether a range of memory may be read, written or executed",
    "munmap": "removes a memory mapping",
    "brk": "grows or shrinks the heap, the memory malloc() hands out",
    "rt_sigaction": "sets what the program does when a given signal arrives",
    "rt_sigprocmask": "blocks or unblocks signals for the calling thread",
    "kill": "sends a signal to a process",
    "tgkill": "sends a signal to one thread of a process",
    "nanosleep": "sleeps for a given time",
    "clock_nanosleep": "sleeps for a given time, or until a given time, on a chosen clock",
    "poll": "waits until one of several file descriptors is ready to read or write, or a timeout",
    "ppoll": "like poll, with a precise timeout and a signal mask",
    "select": "waits until one of several file descriptors is ready, or a timeout",
    "pselect6": "like select, with a precise timeout and a signal mask; what select() becomes today",
    "epoll_wait": "waits for events on the file descriptors registered with an epoll instance",
    "epoll_pwait": "like epoll_wait, with a signal mask",
    "fsync": "waits until a file's data and metadata are safely on disk",
    "fdatasync": "waits until a file's data is safely on disk",
    "sync_file_range": "asks the kernel to write part of a file to disk",
    "futex": "waits for or wakes up other threads: what locks and condition variables are built on",
}

# What an error usually means for the program that got it.
ERRNOS: dict[str, str] = {
    "ENOENT": "the program looked for something that is not there",
    "EACCES": "the file exists but permissions forbid this access",
    "EPERM": "the operation is not allowed for this user or process",
    "EEXIST": "the program tried to create something that already exists",
    "ENOTDIR": "a part of the path that should be a directory is not one",
    "EISDIR": "the program treated a directory as a regular file",
    "EBADF": "the file descriptor is not open (or not open for this kind of access)",
    "EAGAIN": "nothing is ready yet on a non-blocking descriptor: try again later",
    "EINTR": "a signal arrived while the call was waiting, so it gave up early",
    "EINVAL": "an argument does not make sense for this call",
    "ENOTTY": "the program asked for terminal settings on something that is not a terminal",
    "ECONNREFUSED": "nothing is listening at that address and port",
    "ECONNRESET": "the other side closed the connection abruptly",
    "ETIMEDOUT": "the other side did not answer in time",
    "EINPROGRESS": "a non-blocking connect has started and is not finished yet",
    "EADDRINUSE": "another socket already uses that address and port",
    "EPIPE": "the program wrote to a pipe or socket nobody reads any more",
    "ECHILD": "there is no child process to wait for",
    "ESRCH": "there is no process with that id",
    "ENOMEM": "the kernel could not find enough memory",
    "ENOSPC": "the disk (or a quota) is full",
    "EROFS": "the file system is read-only",
    "ENOTEMPTY": "a directory still has entries in it",
    "EXDEV": "a rename or link would cross from one file system to another",
    "ENOSYS": "the kernel does not have this system call",
    "EFAULT": "a pointer argument points at memory the program does not own",
    "ESPIPE": "the program tried to seek on a pipe, socket or terminal",
    "ERANGE": "the result does not fit in the buffer the program gave",
    "ENXIO": "no such device or address",
    "EMFILE": "the process has too many open files",
    "ENFILE": "the whole system has too many open files",
    "ELOOP": "following symbolic links went round in a loop (or hit a symlink where none was allowed)",
    "ENAMETOOLONG": "a path or name is too long",
    "EOPNOTSUPP": "this kind of file or socket does not support the operation",
    "EAFNOSUPPORT": "the address family is not supported",
    "EPROTONOSUPPORT": "the protocol is not supported",
    "ENOTCONN": "the socket is not connected",
    "EISCONN": "the socket is already connected",
    "ENETUNREACH": "there is no route to that network",
    "EHOSTUNREACH": "there is no route to that host",
    "EBUSY": "the resource is in use",
    "ENOEXEC": "the file is not in a format this system can run",
    "ETXTBSY": "the program file is open for writing, so it cannot be run",
    "EDEADLK": "taking this lock would deadlock",
    "ENOPROTOOPT": "the socket option is not known at that level",
    "ERESTARTSYS": "a signal interrupted the call; the kernel will restart it (the program never sees this)",
}

CLASS_SENTENCES: dict[str, str] = {
    "file": "calls that take a file name",
    "desc": "calls that take or return a file descriptor",
    "network": "calls about sockets and the network",
    "process": "calls that start, run, wait for and end processes and threads",
    "signal": "calls about signals",
    "memory": "calls that map, unmap and protect memory",
    "ipc": "System V shared memory, semaphores and message queues",
    "creds": "calls that read or change user and group ids",
    "clock": "calls that read or set clocks",
}


def explain(name: str) -> str:
    """One plain sentence about a system call (``openat``), an errno (``ENOENT``) or a class (``%file``).

    Raises SpykitError for a name spykit does not know, with a hint of what it does know.
    """
    key = name.strip()
    if key.startswith("%"):
        cls = "network" if key[1:] == "net" else key[1:]
        if cls in CLASS_SENTENCES:
            calls = ", ".join(sorted(CLASSES[cls])[:8])
            return f"{key}: {CLASS_SENTENCES[cls]} (such as {calls}, ...)."
    elif key.upper() in ERRNO_NUMBERS:
        upper = key.upper()
        message = errno_message(upper).lower()
        meaning = ERRNOS.get(upper)
        return f"{upper}: {message}" + (f": {meaning}." if meaning else ".")
    elif key in CALLS:
        others = sorted(FAMILIES.get(key, frozenset()) - {key})
        also = f" (a trace may show it as {' or '.join(others)})" if others else ""
        return f"{key}: {CALLS[key]}{also}."
    elif key in FAMILIES:
        members = ", ".join(sorted(FAMILIES[key]))
        return f"{key}: today's programs make this call as one of {members}."
    elif key in SYSCALL_NUMBERS:
        return f"{key}: system call number {SYSCALL_NUMBERS[key]}; see `man 2 {key}` for what it does."
    raise SpykitError(
        f"spykit has no explanation for {name!r}",
        hint="give a system call name ('openat'), an errno name ('ENOENT') or a class ('%file')",
    )
