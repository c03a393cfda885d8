"""ioctl requests (the terminal ones a program makes at start-up) and termios flags."""

from __future__ import annotations

import termios

from . import Flags, Values, pick

# include/uapi/asm-generic/ioctls.h; termios exports most of them. Where another driver's request
# has the same number, strace prints both names ("SNDCTL_TMR_START or TCSETS"), so do we.
_TTY_EXTRA = {
    "TIOCGPTN": 0x80045430, "TIOCSPTLCK": 0x40045431, "TIOCGDEV": 0x80045432, "TIOCSIG": 0x40045436,
    "TIOCVHANGUP": 0x5437, "TIOCGPKT": 0x80045438, "TIOCGPTLCK": 0x80045439, "TIOCGEXCL": 0x80045440,
    "TIOCGPTPEER": 0x5441, "TCGETS2": 0x802C542A, "TCSETS2": 0x402C542B, "TCSETSW2": 0x402C542C,
    "TCSETSF2": 0x402C542D, "FIOQSIZE": 0x5460,
}
_TTY_NAMES = """TCGETS TCSETS TCSETSW TCSETSF TCGETA TCSETA TCSETAW TCSETAF TCSBRK TCXONC TCFLSH TIOCEXCL
    TIOCNXCL TIOCSCTTY TIOCGPGRP TIOCSPGRP TIOCOUTQ TIOCSTI TIOCGWINSZ TIOCSWINSZ TIOCMGET TIOCMBIS TIOCMBIC
    TIOCMSET TIOCGSOFTCAR TIOCSSOFTCAR FIONREAD TIOCLINUX TIOCCONS TIOCGSERIAL TIOCSSERIAL TIOCPKT FIONBIO
    TIOCNOTTY TIOCSETD TIOCGETD TCSBRKP TIOCSBRK TIOCCBRK TIOCGSID TCGETS2 TCSETS2 TCSETSW2 TCSETSF2
    TIOCGPTN TIOCSPTLCK TIOCGDEV TIOCSIG TIOCVHANGUP TIOCGPKT TIOCGPTLCK TIOCGEXCL TIOCGPTPEER FIONCLEX
    FIOCLEX FIOASYNC TIOCSERCONFIG TIOCSERGWILD TIOCSERSWILD TIOCGLCKTRMIOS TIOCSLCKTRMIOS TIOCSERGSTRUCT
    TIOCSERGETLSR TIOCSERGETMULTI TIOCSERSETMULTI TIOCMIWAIT TIOCGICOUNT FIOQSIZE"""
# include/uapi/linux/soundcard.h: the OSS timer requests that share numbers with TCSETS*.
_SHARED = {0x5402: "SNDCTL_TMR_START", 0x5403: "SNDCTL_TMR_STOP", 0x5404: "SNDCTL_TMR_CONTINUE"}
# include/uapi/linux/fs.h and friends: a few more a learner sees.
_OTHER = [("FIBMAP", 0x1), ("FIGETBSZ", 0x2), ("FICLONE", 0x40049409), ("FS_IOC_GETFLAGS", 0x80086601),
          ("FS_IOC_SETFLAGS", 0x40086602), ("BLKGETSIZE64", 0x80081272), ("SIOCGIFCONF", 0x8912),
          ("SIOCGIFFLAGS", 0x8913), ("SIOCGIFINDEX", 0x8933), ("SIOCGIFNAME", 0x8910)]

_requests = pick(termios, _TTY_NAMES, _TTY_EXTRA) + _OTHER
IOCTL_NAMES: dict[int, str] = {}
for _name, _value in _requests:
    IOCTL_NAMES.setdefault(_value & 0xFFFFFFFF, _name)
for _value, _name in _SHARED.items():
    IOCTL_NAMES[_value] = f"{_name} or {IOCTL_NAMES[_value]}"
# include/uapi/linux/btrfs.h: btrfs named the clone request first; FICLONE is its generic name
IOCTL_NAMES[0x40049409] = "BTRFS_IOC_CLONE or FICLONE"
IOCTL_NUMBERS = {name: value for name, value in _requests}

_IOC_DIRS = {0: "_IOC_NONE", 1: "_IOC_WRITE", 2: "_IOC_READ", 3: "_IOC_READ|_IOC_WRITE"}


def ioctl_request(code: int) -> str:
    """A request's name, or its decoded ``_IOC(dir, type, nr, size)`` like strace prints unknown ones."""
    code &= 0xFFFFFFFF
    name = IOCTL_NAMES.get(code)
    if name is not None:
        return name
    direction, size, kind, nr = code >> 30, (code >> 16) & 0x3FFF, (code >> 8) & 0xFF, code & 0xFF
    return f"_IOC({_IOC_DIRS[direction]}, {kind:#x}, {nr:#x}, {size:#x})"


# Terminal flags (include/uapi/asm-generic/termbits.h), in strace's term_*flags order.
TERM_IFLAGS = Flags(pick(termios, "IGNBRK BRKINT IGNPAR PARMRK INPCK ISTRIP INLCR IGNCR ICRNL IUCLC IXON IXANY "
                                  "IXOFF IMAXBEL IUTF8"), "I???")
TERM_OFLAGS = Flags(pick(termios, "OPOST OLCUC ONLCR OCRNL ONOCR ONLRET OFILL OFDEL"), "O???")
# The output delay fields each hold a small number; strace names every field, zero included.
TERM_ODELAYS = [
    (termios.NLDLY, Values(pick(termios, "NL0 NL1"), "NL?")),
    (termios.CRDLY, Values(pick(termios, "CR0 CR1 CR2 CR3"), "CR?")),
    (termios.TABDLY, Values(pick(termios, "TAB0 TAB1 TAB2 TAB3"), "TAB?")),
    (termios.BSDLY, Values(pick(termios, "BS0 BS1"), "BS?")),
    (termios.VTDLY, Values(pick(termios, "VT0 VT1"), "VT?")),
    (termios.FFDLY, Values(pick(termios, "FF0 FF1"), "FF?")),
]
TERM_CFLAGS = Flags(pick(termios, "CSTOPB CREAD PARENB PARODD HUPCL CLOCAL CMSPAR CRTSCTS",
                         {"CMSPAR": 0o10000000000}), "C???")
TERM_CSIZE = Values(pick(termios, "CS5 CS6 CS7 CS8"), "CS?")
BAUDS = Values([(n, v) for n, v in pick(termios, """B0 B50 B75 B110 B134 B150 B200 B300 B600 B1200 B1800 B2400
    B4800 B9600 B19200 B38400 B57600 B115200 B230400 B460800 B500000 B576000 B921600 B1000000 B1152000
    B1500000 B2000000 B2500000 B3000000 B3500000 B4000000""")] + [("BOTHER", 0o10000)], "B???")
TERM_LFLAGS = Flags(pick(termios, "ISIG ICANON XCASE ECHO ECHOE ECHOK ECHONL NOFLSH IEXTEN ECHOCTL ECHOPRT "
                                  "ECHOKE FLUSHO PENDIN TOSTOP EXTPROC", {"EXTPROC": 0o200000}), "???")


def term_oflag(value: int) -> str:
    parts = [table.fmt(value & mask) for mask, table in TERM_ODELAYS]
    rest = value
    for mask, _ in TERM_ODELAYS:
        rest &= ~mask
    if rest:
        parts.append(TERM_OFLAGS.fmt(rest, comment=False))
    return "|".join(parts)


def term_cflag(value: int) -> str:
    parts = [BAUDS.fmt(value & termios.CBAUD), TERM_CSIZE.fmt(value & termios.CSIZE)]
    rest = value & ~(termios.CBAUD | termios.CSIZE)
    ibaud = (rest >> 16) & termios.CBAUD  # input speed, when it differs
    rest &= ~(termios.CBAUD << 16)
    if ibaud:
        parts.append(f"{BAUDS.fmt(ibaud)}<<IBSHIFT")
    if rest:
        parts.append(TERM_CFLAGS.fmt(rest, comment=False))
    return "|".join(parts)
