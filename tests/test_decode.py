"""Decoders against lines captured from strace 6.1 on the development machine (hand-made args and blobs)."""

import random
import struct

import pytest

from spykit.syscalls.decode import render_args, result_note, short_address
from spykit.syscalls.strings import escape, quote_buffer, quote_cstring

AT_FDCWD = (1 << 64) - 100
STACK = 0x7FFC8758DDB0


def r(name, args, ret=0, errno=None, blobs=None, **kw):
    return render_args(name, tuple(args) + (0,) * (6 - len(args)), ret, errno, blobs or {}, **kw)


# --- strings ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("data, shown", [
    (b"\x001\x00a\x7f8\x809\xff\n\t\r\v\f\"\\end\x01", r'\0001\0a\1778\2009\377\n\t\r\v\f\"\\end\1'),
    (b"\x01\x019", r"\1\19"),  # 9 is not an octal digit: the short form stays
    (b"\x1b[0m", r"\33[0m"),
    ("café".encode(), r"caf\303\251"),
])
def test_escape_matches_strace(data, shown):
    assert escape(data) == shown


def _escape_byte_by_byte(data: bytes) -> str:
    """strace's string_quote (src/util.c) transcribed one byte at a time, as the reference."""
    named = {0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}
    out = []
    for i, byte in enumerate(data):
        if byte in named:
            out.append(named[byte])
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        elif i + 1 < len(data) and 0x30 <= data[i + 1] <= 0x37:
            out.append(f"\\{byte:03o}")
        else:
            out.append(f"\\{byte:o}")
    return "".join(out)


def test_escape_agrees_with_the_byte_by_byte_rule_on_random_bytes():
    rng = random.Random(20261205)
    alphabet = bytes(range(256)) + b"01234567" * 16  # octal digits often, to meet the three-digit rule
    for length in [*range(12), 31, 32, 33, 832, 4096] * 40:
        data = bytes(rng.choice(alphabet) for _ in range(length))
        assert escape(data) == _escape_byte_by_byte(data), data


def test_cut_strings_get_an_ellipsis():
    assert quote_buffer(b"0123456789" * 4, 40, 32) == '"01234567890123456789012345678901"...'
    assert quote_buffer(b"01234567890123456789012345678901", 32, 32) == '"01234567890123456789012345678901"'
    assert quote_cstring(b"x" * 33, 32) == '"' + "x" * 32 + '"...'
    assert quote_cstring(b"x" * 32, 32) == '"' + "x" * 32 + '"'


# --- files -----------------------------------------------------------------------------------------
def test_openat_flags_and_mode():
    assert r("openat", [AT_FDCWD, 1, 0o1101, 0o644], 3, blobs={1: b"out.txt"}) == \
        'AT_FDCWD, "out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644'
    assert r("openat", [AT_FDCWD, 1, 0o2200000], 3, blobs={1: b"."}) == 'AT_FDCWD, ".", O_RDONLY|O_CLOEXEC|O_DIRECTORY'
    assert r("openat", [AT_FDCWD, 1, 0o20200002, 0o600], 4, blobs={1: b"."}) == 'AT_FDCWD, ".", O_RDWR|O_TMPFILE, 0600'
    assert r("openat", [AT_FDCWD, 1, 0x40000000], 4, blobs={1: b"out.txt"}) == \
        'AT_FDCWD, "out.txt", O_RDONLY|0x40000000'
    assert r("open", [1, 0o40000 | 0o10000 | 3], 4, blobs={0: b"out.txt"}) == '"out.txt", O_ACCMODE|O_DSYNC|O_DIRECT'
    assert r("creat", [1, 0o640], 4, blobs={0: b"created.txt"}) == '"created.txt", 0640'


def test_openat2_struct():
    how = struct.pack("<QQQ", 0o2000000, 0, 0xC)
    assert r("openat2", [AT_FDCWD, 1, 2, 24], 4, blobs={1: b"out.txt", 2: how}) == \
        'AT_FDCWD, "out.txt", {flags=O_RDONLY|O_CLOEXEC, resolve=RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH}, 24'


def _stat(mode, size=0, rdev=0):
    return struct.pack("<QQQIII4xQq", 0, 0, 1, mode, 0, 0, rdev, size) + bytes(144 - 56)


def test_stat_family():
    assert r("newfstatat", [3, 1, STACK, 0x1000], 0, blobs={1: b"", 10: _stat(0o100644, 34547)}) == \
        '3, "", {st_mode=S_IFREG|0644, st_size=34547, ...}, AT_EMPTY_PATH'
    assert r("newfstatat", [AT_FDCWD, 1, STACK, 0], 0, blobs={1: b"/dev/null", 10: _stat(0o20666, rdev=0x103)}) == \
        'AT_FDCWD, "/dev/null", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, 0'
    # A failed stat shows the buffer's address: the kernel wrote nothing there.
    assert r("stat", [1, 0x7FFFBCFA3350], -1, 2, blobs={0: b"missing.bin"}) == '"missing.bin", 0x7fffbcfa3350'
    assert r("fstat", [1234, 0x7FFFBCFA3350], -1, 9) == "1234, 0x7fffbcfa3350"


def test_statx():
    blob = struct.pack("<IIQIIIH2xQQ", 0x17FF, 4096, 0, 1, 0, 0, 0o100644, 5, 12) + bytes(256 - 48)
    assert r("statx", [AT_FDCWD, 1, 0, 0x7FF, STACK], 0, blobs={1: b"data.bin", 12: blob}) == (
        'AT_FDCWD, "data.bin", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, '
        "stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=12, ...}")
    assert r("statx", [AT_FDCWD, 1, 0x100, 0x201, STACK], -1, 2, blobs={1: b"x"}).startswith(
        'AT_FDCWD, "x", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW, STATX_TYPE|STATX_SIZE, 0x7ffc')


def test_access_modes():
    assert r("access", [1, 6], 0, blobs={0: b"here"}) == '"here", R_OK|W_OK'
    assert r("access", [1, 0], 0, blobs={0: b"here"}) == '"here", F_OK'
    assert r("faccessat2", [AT_FDCWD, 1, 8, 0], -1, 22, blobs={1: b"here"}) == \
        'AT_FDCWD, "here", 0x8 /* ?_OK */, 0'
    assert r("faccessat2", [AT_FDCWD, 1, 0, 0x300], 0, blobs={1: b"here"}) == \
        'AT_FDCWD, "here", F_OK, AT_SYMLINK_NOFOLLOW|AT_EACCESS'


def test_names_and_links():
    assert r("renameat2", [AT_FDCWD, 1, AT_FDCWD, 3, 1], -1, 17, blobs={1: b"one", 3: b"two"}) == \
        'AT_FDCWD, "one", AT_FDCWD, "two", RENAME_NOREPLACE'
    target = b"a-rather-long-target-name-that-goes-on-and-on-and-on"
    assert r("readlink", [1, STACK, 256], 52, blobs={0: b"longsoft", 9: target[:32]}) == \
        '"longsoft", "a-rather-long-target-name-that-g"..., 256'
    assert r("readlink", [1, STACK, 256], -1, 22, blobs={0: b"two"}) == f'"two", {STACK:#x}, 256'
    assert r("unlinkat", [AT_FDCWD, 1, 0x200], 0, blobs={1: b"d"}) == 'AT_FDCWD, "d", AT_REMOVEDIR'
    assert r("mkdirat", [3, 1, 0o1777], 0, blobs={1: b"c"}) == '3, "c", 01777'
    assert r("getcwd", [STACK, 4096], 15, blobs={8: b"/tmp/dec/run/a"}) == '"/tmp/dec/run/a", 4096'
    assert r("getdents64", [3, STACK, 4096], 120, blobs={9: struct.pack("<I", 5)}) == \
        f"3, {STACK:#x} /* 5 entries */, 4096"
    assert r("fchownat", [AT_FDCWD, 1, 2**32 - 1, 2**32 - 1, 0x100], 0, blobs={1: b"f"}) == \
        'AT_FDCWD, "f", -1, -1, AT_SYMLINK_NOFOLLOW'


def test_non_utf8_and_bad_paths():
    assert r("openat", [AT_FDCWD, 1, 0o101, 0o600], 3, blobs={1: b"caf\xe9.txt"}) == \
        'AT_FDCWD, "caf\\351.txt", O_WRONLY|O_CREAT, 0600'
    assert r("open", [1, 0], -1, 14, blobs={0: None}) == "0x1, O_RDONLY"
    assert r("access", [0, 0], -1, 14) == "NULL, F_OK"


# --- descriptors -------------------------------------------------------------------------------------
def test_read_write():
    assert r("write", [3, 1, 30], 30, blobs={1: b'tab\there "quoted" back\\slash\r'}) .startswith(
        '3, "tab\\there \\"quoted\\" back\\\\slash\\r"')
    assert r("read", [3, STACK, 128], 36, blobs={9: b"hXYlo\ntab\there \"quoted\" back\\sla"}) == \
        '3, "hXYlo\\ntab\\there \\"quoted\\" back\\\\sla"..., 128'
    assert r("read", [1234, STACK, 10], -1, 9) == f"1234, {STACK:#x}, 10"
    assert r("read", [0, STACK, 10], None) == "0, "  # never returned: stops at the output argument
    assert r("pread64", [3, STACK, 4, 2], 4, blobs={9: b"Ylo\n"}) == '3, "Ylo\\n", 4, 2'


def _iov(vecs, data):
    return struct.pack("<I", len(vecs)) + b"".join(struct.pack("<QQ", STACK, n) for n in vecs) + data


def test_iovecs():
    out = _iov([6, 51, 1], b"first " + b"a second piece that is longer th" + b"\n")
    assert r("writev", [3, 1, 3], 58, blobs={1: out}) == (
        '3, [{iov_base="first ", iov_len=6}, {iov_base="a second piece that is longer th"..., iov_len=51}, '
        '{iov_base="\\n", iov_len=1}], 3')
    got = _iov([8, 64, 4], b"ond piec" + b"e that is longer than the string")
    assert r("readv", [3, 1, 3], 47, blobs={9: got}) == (
        '3, [{iov_base="ond piec", iov_len=8}, {iov_base="e that is longer than the string"..., iov_len=64}, '
        '{iov_base="", iov_len=4}], 3')


def test_descriptor_calls():
    assert r("lseek", [3, 2**64 - 3, 2], 33) == "3, -3, SEEK_END"
    assert r("lseek", [3, 0, 7], -1, 22) == "3, 0, 0x7 /* SEEK_??? */"
    assert r("pipe2", [STACK, 0o2004000], 0, blobs={8: struct.pack("<ii", 7, 8)}) == "[7, 8], O_NONBLOCK|O_CLOEXEC"
    assert r("dup3", [11, 21, 0o2000000], 21) == "11, 21, O_CLOEXEC"
    assert r("fcntl", [12, 4, 0o4000 | 0o2000], 0) == "12, F_SETFL, O_RDONLY|O_APPEND|O_NONBLOCK"
    assert r("fcntl", [12, 1030, 40], 40) == "12, F_DUPFD_CLOEXEC, 40"
    lock = struct.pack("<hh4xqqi4x", 1, 0, 0, 10, 0)
    assert r("fcntl", [13, 6, STACK], 0, blobs={2: lock}) == \
        "13, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=10}"
    assert r("close_range", [20, 2**32 - 1, 0], 0) == "20, 4294967295, 0"
    assert r("sync_file_range", [3, 0, 0, 7], 0) == \
        "3, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE|SYNC_FILE_RANGE_WRITE|SYNC_FILE_RANGE_WAIT_AFTER"


def test_terminal_ioctls():
    termios_blob = struct.pack("<IIII", 0o2400, 0o5, 0o277, 0o105073) + bytes(20)
    assert r("ioctl", [6, 0x5401, STACK], 0, blobs={10: termios_blob}) == (
        "6, TCGETS, {c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, "
        "c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}")
    assert r("ioctl", [3, 0x5401, STACK], -1, 25) == f"3, TCGETS, {STACK:#x}"
    assert r("ioctl", [6, 0x5402, STACK], 0, blobs={2: termios_blob}).startswith("6, SNDCTL_TMR_START or TCSETS, {")
    assert r("ioctl", [5, 0x5414, STACK], 0, blobs={2: struct.pack("<HHHH", 24, 80, 0, 0)}) == \
        "5, TIOCSWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}"
    assert r("ioctl", [3, 0x541B, STACK], 0, blobs={10: struct.pack("<i", 3)}) == "3, FIONREAD, [3]"
    assert r("ioctl", [3, 0x5451], 0) == "3, FIOCLEX"
    assert r("ioctl", [3, 0x12345678, 0], -1, 25) == "3, _IOC(_IOC_NONE, 0x56, 0x78, 0x1234), 0"


def test_fd_decoding_like_strace_y():
    assert r("read", [3, STACK, 10], 5, blobs={9: b"hello"}, fd_path="/etc/hostname", decode_fds=True) == \
        '3</etc/hostname>, "hello", 10'
    assert r("openat", [3, 1, 0], 4, blobs={1: b"x"}, fd_path="/tmp", decode_fds=True) == '3</tmp>, "x", O_RDONLY'
    assert r("read", [3, STACK, 10], 5, blobs={9: b"hello"}, fd_path="/etc/hostname") == '3, "hello", 10'


# --- network -----------------------------------------------------------------------------------------
def _in4(port, addr=b"\x7f\0\0\1"):
    return struct.pack("<H", 2) + struct.pack(">H", port) + addr + bytes(8)


def _in6(port):
    return struct.pack("<H", 10) + struct.pack(">HI", port, 0) + bytes(15) + b"\x01" + bytes(4)


def test_sockaddrs():
    assert r("connect", [4, 1, 16], 0, blobs={1: _in4(41901)}) == \
        '4, {sa_family=AF_INET, sin_port=htons(41901), sin_addr=inet_addr("127.0.0.1")}, 16'
    assert r("bind", [3, 1, 28], 0, blobs={1: _in6(0)}) == (
        '3, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", '
        "&sin6_addr), sin6_scope_id=0}, 28")
    assert r("bind", [5, 1, 7], 0, blobs={1: b"\x01\x00sock\x00"}) == '5, {sa_family=AF_UNIX, sun_path="sock"}, 7'
    assert r("bind", [7, 1, 18], 0, blobs={1: b"\x01\x00\x00spykit-abstract"}) == \
        '7, {sa_family=AF_UNIX, sun_path=@"spykit-abstract"}, 18'
    assert r("bind", [3, 1, 12], 0, blobs={1: struct.pack("<HHII", 16, 0, 0, 0)}) == \
        "3, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12"
    assert r("connect", [3, 24, 16], -1, 14, blobs={1: None}) == "3, 0x18, 16"


def test_short_address():
    assert short_address(_in4(8000)) == "127.0.0.1:8000"
    assert short_address(_in6(8000)) == "[::1]:8000"
    assert short_address(b"\x01\x00/tmp/sock\x00") == "/tmp/sock"
    assert short_address(b"\x01\x00\x00name") == "@name"
    assert short_address(struct.pack("<HHII", 16, 0, 0, 0)) == "netlink"
    assert short_address(b"\x02") is None
    assert short_address(b"\x02\x00\x00") is None  # garbage never raises


def test_socket_calls():
    assert r("socket", [2, 1 | 0o2000000, 6], 3) == "AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP"
    assert r("socket", [2, 1, 0], 4) == "AF_INET, SOCK_STREAM, IPPROTO_IP"
    assert r("socket", [1, 2, 0], 5) == "AF_UNIX, SOCK_DGRAM, 0"
    assert r("socket", [16, 3 | 0o2000000, 0], 3) == "AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE"
    assert r("socket", [12345, 1, 0], -1, 97) == "0x3039 /* AF_??? */, SOCK_STREAM, 0"
    assert r("socket", [2, 99, 0], -1, 22) == "AF_INET, SOCK_RAW|0x60 /* SOCK_??? */, IPPROTO_IP"
    assert r("socket", [17, 3, 0], 4) == "AF_PACKET, SOCK_RAW, htons(0 /* ETH_P_??? */)"
    out = struct.pack("<ii", 16, 16) + _in4(40134)
    assert r("accept4", [3, STACK, STACK + 16, 0o2000000], 5, blobs={9: out}) == (
        '3, {sa_family=AF_INET, sin_port=htons(40134), sin_addr=inet_addr("127.0.0.1")}, [16], SOCK_CLOEXEC')
    assert r("accept", [3, 0, 0], -1, 11) == "3, NULL, NULL"
    assert r("sendto", [4, 1, 18, 0x4000, 0, 0], 18, blobs={1: b"GET / HTTP/1.0\r\n\r\n"}) == \
        '4, "GET / HTTP/1.0\\r\\n\\r\\n", 18, MSG_NOSIGNAL, NULL, 0'
    assert r("recvfrom", [4, STACK, 64, 0x42, 0, 0], -1, 11) == f"4, {STACK:#x}, 64, MSG_PEEK|MSG_DONTWAIT, NULL, NULL"
    unnamed = struct.pack("<ii", 110, 0)
    assert r("recvfrom", [5, 1, 64, 0, STACK, STACK + 8], 8, blobs={9: b"datagram", 12: unnamed}) == \
        f'5, "datagram", 64, 0, {STACK:#x}, [110 => 0]'
    assert r("recvfrom", [4, STACK, 32, 0, STACK, STACK + 8], -1, 11, blobs={5: struct.pack("<i", 28)}) == \
        f"4, {STACK:#x}, 32, 0, {STACK:#x}, [28]"
    assert r("shutdown", [4, 1], 0) == "4, SHUT_WR"


def _msghdr(name_ptr, namelen, vecs, data, name=b""):
    return struct.pack("<QIQQQi", name_ptr, namelen, STACK, len(vecs), 0, 0) + name + _iov(vecs, data)


def test_msghdr():
    sent = _msghdr(0, 0, [6, 5], b"hello world")
    assert r("sendmsg", [3, 1, 0], 11, blobs={1: sent}) == (
        '3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="hello ", iov_len=6}, {iov_base="world", iov_len=5}], '
        "msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0")
    got = _msghdr(STACK, 0, [8, 64], b"hello ")
    assert r("recvmsg", [5, 1, 0x40], 6, blobs={9: got, 1: struct.pack("<QI", STACK, 110)}) == (
        f'5, {{msg_name={STACK:#x}, msg_namelen=110 => 0, msg_iov=[{{iov_base="hello ", iov_len=8}}, '
        '{iov_base="", iov_len=64}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, MSG_DONTWAIT')
    assert r("recvmsg", [5, 1, 0x40], -1, 11, blobs={1: struct.pack("<QI", STACK, 0)}) == \
        "5, {msg_namelen=0}, MSG_DONTWAIT"


def test_socket_options():
    assert r("setsockopt", [3, 1, 2, 1, 4], 0, blobs={3: struct.pack("<i", 1)}) == "3, SOL_SOCKET, SO_REUSEADDR, [1], 4"
    assert r("setsockopt", [3, 6, 1, 1, 4], 0, blobs={3: struct.pack("<i", 1)}) == "3, SOL_TCP, TCP_NODELAY, [1], 4"
    assert r("setsockopt", [3, 1, 13, 1, 8], 0, blobs={3: struct.pack("<ii", 1, 5)}) == \
        "3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}, 8"
    tv = struct.pack("<qq", 2, 500)
    assert r("setsockopt", [3, 1, 20, 1, 16], 0, blobs={3: tv}) == \
        '3, SOL_SOCKET, SO_RCVTIMEO_OLD, "\\2\\0\\0\\0\\0\\0\\0\\0\\364\\1\\0\\0\\0\\0\\0\\0", 16'
    assert r("setsockopt", [3, 1, 9999, 1, 4], -1, 92, blobs={3: struct.pack("<i", 1)}) == \
        "3, SOL_SOCKET, 0x270f /* SO_??? */, [1], 4"
    assert r("setsockopt", [3, 12345, 1, 1, 4], -1, 92, blobs={3: struct.pack("<i", 1)}) == \
        "3, 0x3039 /* SOL_?? */, 1, [1], 4"
    got = {11: struct.pack("<i", 131072) + bytes(60), 12: struct.pack("<i", 4), 4: struct.pack("<i", 4)}
    assert r("getsockopt", [3, 1, 8, STACK, STACK + 8], 0, blobs=got) == "3, SOL_SOCKET, SO_RCVBUF, [131072], [4]"
    assert r("getsockopt", [99, 1, 8, STACK, STACK + 8], -1, 9, blobs={4: struct.pack("<i", 4)}) == \
        f"99, SOL_SOCKET, SO_RCVBUF, {STACK:#x}, [4]"


# --- processes -----------------------------------------------------------------------------------------
def _argv(*items, total=None):
    blob = struct.pack("<I", len(items) if total is None else total)
    return blob + b"".join(struct.pack("<I", len(s)) + s for s in items)


def test_execve():
    argv = _argv(b"true", b"--a-long-argument-that-is-longer-than-thirty-two", b"two words", b"tab\there")
    env = 0x7FFD63F276F0
    assert r("execve", [1, 2, env], -1, 2, blobs={0: b"/nonexistent/prog", 1: argv, 2: struct.pack("<I", 2)}) == (
        '"/nonexistent/prog", ["true", "--a-long-argument-that-is-longer"..., "two words", "tab\\there"], '
        "0x7ffd63f276f0 /* 2 vars */")
    assert r("execve", [1, 2, env], -1, 13, blobs={0: b"/etc/passwd", 1: _argv(), 2: struct.pack("<I", 0)}) == \
        '"/etc/passwd", [], 0x7ffd63f276f0 /* 0 vars */'
    assert r("execve", [1, 0, 0], 0, blobs={0: b"/bin/true"}) == '"/bin/true", NULL, NULL'
    assert r("execveat", [3, 1, 2, env, 0], 0, blobs={1: b"true", 2: _argv(b"true"), 3: struct.pack("<I", 0)}) == \
        '3, "true", ["true"], 0x7ffd63f276f0 /* 0 vars */, 0'


def test_clone_and_clone3():
    assert r("clone", [17, 0, 0, 0, 0], 22709) == "child_stack=NULL, flags=SIGCHLD"
    assert r("clone", [0x100000 | 17, 0, STACK, 0, 0], 22710) == \
        "child_stack=NULL, flags=CLONE_PARENT_SETTID|SIGCHLD, parent_tid=[22710]"
    assert r("clone", [0x10000, 0, 0, 0, 0], -1, 22) == "child_stack=NULL, flags=CLONE_THREAD"
    args = struct.pack("<11Q", 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0)
    assert r("clone3", [STACK, 88], 22711, blobs={0: args}) == \
        "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88"
    flags = 0x3D0F00
    thread = struct.pack("<11Q", flags, 0, 0x7F1F99F0D990, 0x7F1F99F0D990, 0, 0x7F1F9970D000, 0x7FFF80,
                         0x7F1F99F0D6C0, 0, 0, 0)
    assert r("clone3", [STACK, 88], 22721, blobs={0: thread}) == (
        "{flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|"
        "CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f1f99f0d990, parent_tid=0x7f1f99f0d990, "
        "exit_signal=0, stack=0x7f1f9970d000, stack_size=0x7fff80, tls=0x7f1f99f0d6c0} => {parent_tid=[22721]}, 88")
    assert r("clone3", [STACK, 8], -1, 22, blobs={0: None}) == f"{STACK:#x}, 8"


def test_wait4_statuses():
    def status(value):
        return {9: struct.pack("<i", value)}
    assert r("wait4", [22686, STACK, 0, 0], 22686, blobs=status(0)) == \
        "22686, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL"
    assert r("wait4", [2**64 - 1, STACK, 0, 0], 22687, blobs=status(3 << 8)) == \
        "-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL"
    assert r("wait4", [22688, STACK, 0x40000000, 0], 22688, blobs=status(15)) == \
        "22688, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM}], __WALL, NULL"
    usage = struct.pack("<qqqq", 0, 61, 0, 0)
    assert r("wait4", [0, STACK, 0, STACK + 8], 22689, blobs={9: struct.pack("<i", 7 << 8), 11: usage}) == (
        "0, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, {ru_utime={tv_sec=0, tv_usec=61}, "
        "ru_stime={tv_sec=0, tv_usec=0}, ...}")
    assert r("wait4", [12345678, 0, 3, 0], -1, 10) == "12345678, NULL, WNOHANG|WSTOPPED, NULL"
    assert r("wait4", [22686, STACK, 0, 0], None) == "22686, "
    assert r("exit_group", [3], None) == "3"


# --- memory and signals ---------------------------------------------------------------------------------
def test_memory_calls():
    assert r("mmap", [0, 8192, 3, 0x22, 2**64 - 1, 0], 0x7F) == \
        "NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0"
    assert r("mmap", [0x7F78C2CB1000, 1400832, 5, 0x812, 3, 0x26000], 0x7F) == \
        "0x7f78c2cb1000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x26000"
    assert r("mmap", [0, 4096, 0x11, 0x100000007, 2**64 - 1, 0], -1, 9) == \
        "NULL, 4096, PROT_READ|0x10, 0x7 /* MAP_??? */, -1, 0"
    assert r("mprotect", [0x7FF43D094000, 4096, 0], 0) == "0x7ff43d094000, 4096, PROT_NONE"
    assert r("brk", [0], 0x5601365E0000) == "NULL"
    assert r("munmap", [1, 10], -1, 22) == "0x1, 10"


def test_signal_calls():
    act = struct.pack("<QQQQ", 0x55C6A299D1C9, 0x14000000, 0x7FA617A7B050, (1 << 1) | (1 << 14))
    old = struct.pack("<QQQQ", 0, 0, 0, 0)
    assert r("rt_sigaction", [10, 1, 2, 8], 0, blobs={1: act, 10: old}) == (
        "SIGUSR1, {sa_handler=0x55c6a299d1c9, sa_mask=[INT TERM], sa_flags=SA_RESTORER|SA_RESTART, "
        "sa_restorer=0x7fa617a7b050}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8")
    ign = struct.pack("<QQQQ", 1, 0x04000000, 0x7FA617A7B050, 0)
    assert r("rt_sigaction", [13, 1, 0, 8], 0, blobs={1: ign}) == \
        "SIGPIPE, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7fa617a7b050}, NULL, 8"
    full = (1 << 64) - 1
    assert r("rt_sigprocmask", [0, 1, 2, 8], 0, blobs={1: struct.pack("<Q", full), 10: bytes(8)}) == \
        "SIG_BLOCK, ~[], [], 8"
    mask = full & ~((1 << 10) | (1 << 31) | (1 << 32))
    assert r("rt_sigprocmask", [2, 1, 0, 8], 0, blobs={1: struct.pack("<Q", mask)}) == \
        "SIG_SETMASK, ~[SEGV RTMIN RT_1], NULL, 8"
    assert r("rt_sigprocmask", [1, 1, 0, 8], 0, blobs={1: struct.pack("<Q", 1 | 1 << 16)}) == \
        "SIG_UNBLOCK, [HUP CHLD], NULL, 8"
    assert r("kill", [22685, 0], 0) == "22685, 0"
    assert r("tgkill", [1, 99999999, 12], -1, 3) == "1, 99999999, SIGUSR2"


# --- waiting ---------------------------------------------------------------------------------------------
def test_sleep_and_poll():
    ts = struct.pack("<qq", 0, 1000000)
    assert r("clock_nanosleep", [0, 0, 1, STACK], 0, blobs={2: ts}) == \
        f"CLOCK_REALTIME, 0, {{tv_sec=0, tv_nsec=1000000}}, {STACK:#x}"
    assert r("clock_nanosleep", [99, 0, 1, 0], -1, 22, blobs={2: ts}) == \
        "0x63 /* CLOCK_??? */, 0, {tv_sec=0, tv_nsec=1000000}, NULL"
    fds = struct.pack("<ihh", 3, 1, 0) + struct.pack("<ihh", 5, 3, 0) + struct.pack("<ihh", 4, 4, 0)
    after = struct.pack("<ihh", 3, 1, 1) + struct.pack("<ihh", 5, 3, 0) + struct.pack("<ihh", 4, 4, 4)
    args = (STACK, 3, 0, 0, 0, 0)
    assert r("poll", args, 2, blobs={0: fds, 8: after}) == \
        "[{fd=3, events=POLLIN}, {fd=5, events=POLLIN|POLLPRI}, {fd=4, events=POLLOUT}], 3, 0"
    assert result_note("poll", args, 2, None, {0: fds, 8: after}) == \
        " ([{fd=3, revents=POLLIN}, {fd=4, revents=POLLOUT}])"
    assert result_note("poll", args, 0, None, {0: fds, 8: fds}) == " (Timeout)"
    assert r("poll", [0, 0, 1], 0) == "NULL, 0, 1"


def test_select_and_epoll():
    rset = bytes([0b101000]) + bytes(127)
    wset = bytes([0b1000000]) + bytes(127)
    ts = struct.pack("<qq", 0, 100000)
    args = (7, 1, 2, 0, 4, 0)
    assert r("pselect6", args, 2, blobs={1: rset, 2: wset, 4: ts}) == \
        "7, [3 5], [6], NULL, {tv_sec=0, tv_nsec=100000}, NULL"
    note = result_note("pselect6", args, 2, None, {9: bytes([0b1000]) + bytes(127), 10: wset,
                                                   12: struct.pack("<qq", 0, 97777)})
    assert note == " (in [3], out [6], left {tv_sec=0, tv_nsec=97777})"
    assert r("epoll_ctl", [5, 1, 3, STACK], 0, blobs={3: struct.pack("<IQ", 0x80000001, 42)}) == \
        "5, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLET, data={u32=42, u64=42}}"
    assert r("epoll_wait", [5, STACK, 4, 100], 1, blobs={9: struct.pack("<IQ", 1, 42)}) == \
        "5, [{events=EPOLLIN, data={u32=42, u64=42}}], 4, 100"
    assert r("epoll_wait", [5, STACK, 4, 0], 0, blobs={9: b""}) == "5, [], 4, 0"
    assert r("epoll_wait", [99, STACK, 4, 0], -1, 9) == f"99, {STACK:#x}, 4, 0"


def test_futex():
    assert r("futex", [0x7F1F99F0D990, 0x109, 22721, 0, 0, 0xFFFFFFFF], 0) == \
        "0x7f1f99f0d990, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 22721, NULL, FUTEX_BITSET_MATCH_ANY"
    assert r("futex", [0x7F1F99F0D990, 0x81, 1], 0) == "0x7f1f99f0d990, FUTEX_WAKE_PRIVATE, 1"
    assert r("futex", [0x7F1F99F0D990, 0x80, 2, STACK], 0, blobs={3: struct.pack("<qq", 1, 5)}) == \
        "0x7f1f99f0d990, FUTEX_WAIT_PRIVATE, 2, {tv_sec=1, tv_nsec=5}"


# --- robustness ------------------------------------------------------------------------------------------
def test_generic_rendering_for_calls_without_a_decoder():
    assert r("getuid", [1, 2, 3, 4, 5, 6], 0) == ""
    assert r("io_setup", [1, 0x7FF000], 0) == "1, 0x7ff000"


@pytest.mark.parametrize("name", ["openat", "read", "write", "connect", "execve", "wait4", "rt_sigaction", "poll",
                                  "recvmsg", "clone3", "ioctl", "getsockopt", "futex", "statx", "writev"])
def test_garbage_never_raises(name):
    junk = {k: b"\xff" * n for k, n in zip(range(16), (1, 3, 7, 200, 2, 0, 5, 9, 4, 33, 1, 2, 3, 4, 5, 6),
                                            strict=True)}
    text = r(name, [2**64 - 1, 0xDEADBEEF, 2**63, 7, 2**32, 1], 5, blobs=junk)
    assert isinstance(text, str)
    assert isinstance(r(name, [0] * 6, -1, 14, blobs={k: None for k in range(16)}), str)
