"""The flag tables and strace's two ways of printing them."""

import os
import socket

from spykit.syscalls.flags import Flags, Values, octal_mode
from spykit.syscalls.flags import files as F
from spykit.syscalls.flags import ioctl as I
from spykit.syscalls.flags import memory as M
from spykit.syscalls.flags import network as N
from spykit.syscalls.flags import process as P
from spykit.syscalls.flags import signals as S
from spykit.syscalls.flags.futex import futex_op


def test_flags_print_in_table_order_with_leftovers_in_hex():
    table = Flags([("B", 2), ("A", 1)], "X_???")
    assert table.fmt(3) == "B|A"
    assert table.fmt(0x13) == "B|A|0x10"
    assert table.fmt(0x10) == "0x10 /* X_??? */"
    assert table.fmt(0) == "0"
    assert Flags([("R", 4)], "?_OK", zero="F_OK").fmt(0) == "F_OK"


def test_values_name_or_comment():
    table = Values([("ONE", 1), ("ALSO_ONE", 1)], "V_???")
    assert table.fmt(1) == "ONE"  # the first name wins
    assert table.fmt(7) == "0x7 /* V_??? */"


def test_tables_come_from_python_modules():
    assert F.OPEN_FLAGS.by_name["O_CLOEXEC"] == os.O_CLOEXEC
    assert N.ADDRESS_FAMILIES.get(socket.AF_INET6) == "AF_INET6"
    assert N.ADDRESS_FAMILIES.get(1) == "AF_UNIX" and N.ADDRESS_FAMILIES.get(16) == "AF_NETLINK"
    assert F.OPEN_FLAGS.by_name["O_LARGEFILE"] == 0o100000  # the kernel's bit, though glibc says 0


def test_open_flags_like_strace():
    assert F.open_flags(os.O_RDONLY | os.O_CLOEXEC | os.O_DIRECTORY) == "O_RDONLY|O_CLOEXEC|O_DIRECTORY"
    assert F.open_flags(os.O_RDWR | os.O_TMPFILE) == "O_RDWR|O_TMPFILE"
    assert F.open_flags(os.O_RDONLY | os.O_SYNC | os.O_NOATIME) == "O_RDONLY|O_SYNC|O_NOATIME"
    assert F.open_needs_mode(os.O_CREAT) and F.open_needs_mode(os.O_TMPFILE) and not F.open_needs_mode(0)


def test_modes_and_file_types():
    assert octal_mode(0o644) == "0644" and octal_mode(0) == "000" and octal_mode(0o22) == "022"
    assert F.file_mode(0o100644) == "S_IFREG|0644"
    assert F.file_mode(0o120777) == "S_IFLNK|0777"
    assert F.statx_mask(0x17FF) == "STATX_BASIC_STATS|STATX_MNT_ID"
    assert F.statx_flags(0x1100) == "AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH"


def test_process_and_signal_tables():
    assert P.WAIT_OPTIONS.fmt(os.WNOHANG | os.WUNTRACED) == "WNOHANG|WSTOPPED"
    assert S.signame(33) == "SIGRT_1" and S.signame(32) == "SIGRTMIN" and S.signame(17) == "SIGCHLD"
    assert S.sigset(0) == "[]"
    assert S.sigset((1 << 31) | (1 << 32)) == "[RTMIN RT_1]"  # bit n is signal n+1
    assert S.sigset(~(1 << 31) & ((1 << 64) - 1)) == "~[RTMIN]"
    assert S.SA_FLAGS.fmt(0x1C000004) == "SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_SIGINFO"


def test_network_memory_futex_ioctl():
    assert N.socket_type(socket.SOCK_STREAM | socket.SOCK_CLOEXEC) == "SOCK_STREAM|SOCK_CLOEXEC"
    assert N.MSG_FLAGS.fmt(0x42) == "MSG_PEEK|MSG_DONTWAIT"
    assert M.mmap_flags(0x22) == "MAP_PRIVATE|MAP_ANONYMOUS"
    assert M.mmap_flags(0x20122) == "MAP_PRIVATE|MAP_ANONYMOUS|MAP_GROWSDOWN|MAP_STACK"
    assert M.PROT_FLAGS.fmt(0) == "PROT_NONE"
    assert futex_op(0x80) == "FUTEX_WAIT_PRIVATE"
    assert futex_op(0x109) == "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME"
    assert I.ioctl_request(0x5401) == "TCGETS"
    assert I.ioctl_request(0x5403) == "SNDCTL_TMR_STOP or TCSETSW"
    assert I.ioctl_request(0xC0045401).startswith("_IOC(_IOC_READ|_IOC_WRITE, 0x54, 0x1, 0x4")
