"""spykit.explain: one plain sentence per call, errno and class."""

import pytest

import spykit
from spykit.errors import SpykitError
from spykit.syscalls.explain import CALLS, ERRNOS, explain

ISSUE_CALLS = """open openat openat2 creat stat lstat fstat newfstatat statx access faccessat faccessat2 read write
pread64 pwrite64 readv writev close close_range lseek execve execveat fork vfork clone clone3 wait4 exit exit_group
socket connect bind listen accept accept4 sendto recvfrom sendmsg recvmsg shutdown getsockopt setsockopt socketpair
getdents64 chdir getcwd mkdir mkdirat rmdir unlink unlinkat rename renameat2 chmod fchmodat chown readlink
readlinkat pipe pipe2 dup dup2 dup3 fcntl ioctl mmap mprotect munmap brk rt_sigaction rt_sigprocmask kill tgkill
nanosleep clock_nanosleep poll ppoll select pselect6 epoll_wait epoll_pwait fsync fdatasync sync_file_range
futex""".split()


@pytest.mark.parametrize("name", ISSUE_CALLS)
def test_every_listed_call_has_one_sentence(name):
    text = explain(name)
    assert text.startswith(f"{name}: ") and text.endswith(".")
    assert text.count(". ") == 0  # one sentence


def test_errnos_say_what_the_program_did():
    assert explain("ENOENT") == "ENOENT: no such file or directory: the program looked for something that is not there."
    assert explain("econnrefused").startswith("ECONNREFUSED: connection refused: nothing is listening")
    assert explain("EOWNERDEAD").startswith("EOWNERDEAD: ")  # any errno has at least the C library's words
    assert len(ERRNOS) >= 40


def test_classes_and_public_entry_point():
    assert explain("%file").startswith("%file: calls that take a file name")
    assert explain("%net").startswith("%net: calls about sockets")
    assert spykit.explain("write") == f"write: {CALLS['write']}."
    assert "openat" in explain("stat") or "newfstatat" in explain("stat")


def test_unknown_names_get_a_helpful_error():
    with pytest.raises(SpykitError, match="no explanation for 'frobnicate'") as info:
        explain("frobnicate")
    assert "ENOENT" in str(info.value)
