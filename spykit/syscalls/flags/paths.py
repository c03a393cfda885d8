"""Which arguments of which calls are paths, and the flags of the calls that name files.

``PATH_SLOTS`` is the one list the tracer (what to read at entry), the ``path`` column (the
first slot) and the decoders agree on; tests/test_decode_paths.py walks the syscall table and
fails for a path argument that is missing here. Flag values are from the kernel's uapi headers
named beside each table, in strace's xlat order.
"""

from __future__ import annotations

from . import Flags, Values

# Argument slots (0-5) holding a path, for calls whose decoders live outside decode/files.py
# as well as inside it. The first slot is what fills the `path` column.
PATH_SLOTS: dict[str, tuple[int, ...]] = {
    "open": (0,), "creat": (0,), "openat": (1,), "openat2": (1,),
    "stat": (0,), "lstat": (0,), "newfstatat": (1,), "statx": (1,), "statfs": (0,),
    "access": (0,), "faccessat": (1,), "faccessat2": (1,),
    "chdir": (0,), "chroot": (0,), "mkdir": (0,), "mkdirat": (1,), "rmdir": (0,),
    "unlink": (0,), "unlinkat": (1,), "rename": (0, 1), "renameat": (1, 3), "renameat2": (1, 3),
    "link": (0, 1), "linkat": (1, 3), "symlink": (0, 1), "symlinkat": (0, 2),
    "readlink": (0,), "readlinkat": (1,), "chmod": (0,), "fchmodat": (1,), "fchmodat2": (1,),
    "chown": (0,), "lchown": (0,), "fchownat": (1,), "truncate": (0,),
    "utime": (0,), "utimes": (0,), "futimesat": (1,), "utimensat": (1,),
    "mknod": (0,), "mknodat": (1,), "execve": (0,), "execveat": (1,),
    "getxattr": (0,), "lgetxattr": (0,), "setxattr": (0,), "lsetxattr": (0,),
    "listxattr": (0,), "llistxattr": (0,), "removexattr": (0,), "lremovexattr": (0,),
    "getxattrat": (1,), "setxattrat": (1,), "listxattrat": (1,), "removexattrat": (1,),
    "file_getattr": (1,), "file_setattr": (1,),
    "mount": (0, 1), "umount2": (0,), "pivot_root": (0, 1), "swapon": (0,), "swapoff": (0,),
    "acct": (0,), "uselib": (0,), "quotactl": (1,),
    "inotify_add_watch": (1,), "fanotify_mark": (4,), "name_to_handle_at": (1,),
    "open_tree": (1,), "open_tree_attr": (1,), "move_mount": (1, 3), "fspick": (1,), "mount_setattr": (1,),
}

# include/uapi/linux/mount.h (mount(2)'s flags; the high 16 bits once held a magic number)
MS_MGC_VAL, MS_MGC_MSK = 0xC0ED0000, 0xFFFF0000
MOUNT_FLAGS = Flags([(name, 1 << bit) for bit, name in enumerate("""
MS_RDONLY MS_NOSUID MS_NODEV MS_NOEXEC MS_SYNCHRONOUS MS_REMOUNT MS_MANDLOCK MS_DIRSYNC MS_NOSYMFOLLOW -
MS_NOATIME MS_NODIRATIME MS_BIND MS_MOVE MS_REC MS_SILENT MS_POSIXACL MS_UNBINDABLE MS_PRIVATE MS_SLAVE
MS_SHARED MS_RELATIME MS_KERNMOUNT MS_I_VERSION MS_STRICTATIME MS_LAZYTIME MS_SUBMOUNT MS_NOREMOTELOCK
MS_NOSEC MS_BORN MS_ACTIVE MS_NOUSER""".split()) if name != "-"], "MS_???")
MS_REMOUNT, MS_BIND, MS_MOVE = 1 << 5, 1 << 12, 1 << 13
MS_PROPAGATION = (1 << 17) | (1 << 18) | (1 << 19) | (1 << 20)  # UNBINDABLE PRIVATE SLAVE SHARED
# include/linux/fs.h
UMOUNT_FLAGS = Flags([("MNT_FORCE", 1), ("MNT_DETACH", 2), ("MNT_EXPIRE", 4), ("UMOUNT_NOFOLLOW", 8)], "MNT_???")
# include/uapi/linux/xattr.h
XATTR_FLAGS = Flags([("XATTR_CREATE", 1), ("XATTR_REPLACE", 2)], "XATTR_???")
XATTR_SIZE_MAX = 65536
# include/linux/swap.h
SWAP_FLAGS = Flags([("SWAP_FLAG_PREFER", 0x8000), ("SWAP_FLAG_DISCARD", 0x10000),
                    ("SWAP_FLAG_DISCARD_ONCE", 0x20000), ("SWAP_FLAG_DISCARD_PAGES", 0x40000)], "SWAP_FLAG_???")
# include/uapi/linux/inotify.h
INOTIFY_FLAGS = Flags([
    ("IN_ACCESS", 0x1), ("IN_MODIFY", 0x2), ("IN_ATTRIB", 0x4), ("IN_CLOSE_WRITE", 0x8),
    ("IN_CLOSE_NOWRITE", 0x10), ("IN_OPEN", 0x20), ("IN_MOVED_FROM", 0x40), ("IN_MOVED_TO", 0x80),
    ("IN_CREATE", 0x100), ("IN_DELETE", 0x200), ("IN_DELETE_SELF", 0x400), ("IN_MOVE_SELF", 0x800),
    ("IN_UNMOUNT", 0x2000), ("IN_Q_OVERFLOW", 0x4000), ("IN_IGNORED", 0x8000), ("IN_ONLYDIR", 0x1000000),
    ("IN_DONT_FOLLOW", 0x2000000), ("IN_EXCL_UNLINK", 0x4000000), ("IN_MASK_CREATE", 0x10000000),
    ("IN_MASK_ADD", 0x20000000), ("IN_ISDIR", 0x40000000), ("IN_ONESHOT", 0x80000000),
], "IN_???")
INOTIFY_INIT_FLAGS = Flags([("IN_NONBLOCK", 0o4000), ("IN_CLOEXEC", 0o2000000)], "IN_???")
# include/uapi/linux/mount.h: the new mount API
OPEN_TREE_FLAGS = Flags([("OPEN_TREE_CLONE", 1), ("OPEN_TREE_CLOEXEC", 0o2000000), ("AT_SYMLINK_NOFOLLOW", 0x100),
                         ("AT_NO_AUTOMOUNT", 0x800), ("AT_EMPTY_PATH", 0x1000), ("AT_RECURSIVE", 0x8000)],
                        "OPEN_TREE_???")
MOVE_MOUNT_FLAGS = Flags([
    ("MOVE_MOUNT_F_SYMLINKS", 1), ("MOVE_MOUNT_F_AUTOMOUNTS", 2), ("MOVE_MOUNT_F_EMPTY_PATH", 4),
    ("MOVE_MOUNT_T_SYMLINKS", 0x10), ("MOVE_MOUNT_T_AUTOMOUNTS", 0x20), ("MOVE_MOUNT_T_EMPTY_PATH", 0x40),
    ("MOVE_MOUNT_SET_GROUP", 0x100), ("MOVE_MOUNT_BENEATH", 0x200),
], "MOVE_MOUNT_???")
FSPICK_FLAGS = Flags([("FSPICK_CLOEXEC", 1), ("FSPICK_SYMLINK_NOFOLLOW", 2), ("FSPICK_NO_AUTOMOUNT", 4),
                      ("FSPICK_EMPTY_PATH", 8)], "FSPICK_???")
MOUNT_SETATTR_FLAGS = Flags([("AT_SYMLINK_NOFOLLOW", 0x100), ("AT_NO_AUTOMOUNT", 0x800), ("AT_EMPTY_PATH", 0x1000),
                             ("AT_RECURSIVE", 0x8000)], "AT_???")
# include/uapi/linux/fanotify.h
FAN_MARK_FLAGS = Flags([
    ("FAN_MARK_ADD", 0x1), ("FAN_MARK_REMOVE", 0x2), ("FAN_MARK_DONT_FOLLOW", 0x4), ("FAN_MARK_ONLYDIR", 0x8),
    ("FAN_MARK_MOUNT", 0x10), ("FAN_MARK_IGNORED_MASK", 0x20), ("FAN_MARK_IGNORED_SURV_MODIFY", 0x40),
    ("FAN_MARK_FLUSH", 0x80), ("FAN_MARK_FILESYSTEM", 0x100), ("FAN_MARK_EVICTABLE", 0x200),
    ("FAN_MARK_IGNORE", 0x400),
], "FAN_MARK_???")
FAN_EVENTS = Flags([
    ("FAN_ACCESS", 0x1), ("FAN_MODIFY", 0x2), ("FAN_ATTRIB", 0x4), ("FAN_CLOSE_WRITE", 0x8),
    ("FAN_CLOSE_NOWRITE", 0x10), ("FAN_OPEN", 0x20), ("FAN_MOVED_FROM", 0x40), ("FAN_MOVED_TO", 0x80),
    ("FAN_CREATE", 0x100), ("FAN_DELETE", 0x200), ("FAN_DELETE_SELF", 0x400), ("FAN_MOVE_SELF", 0x800),
    ("FAN_OPEN_EXEC", 0x1000), ("FAN_Q_OVERFLOW", 0x4000), ("FAN_FS_ERROR", 0x8000),
    ("FAN_OPEN_PERM", 0x10000), ("FAN_ACCESS_PERM", 0x20000), ("FAN_OPEN_EXEC_PERM", 0x40000),
    ("FAN_ONDIR", 0x40000000), ("FAN_EVENT_ON_CHILD", 0x8000000),
], "FAN_???")
# include/uapi/linux/quota.h: quotactl's command is QCMD(cmd, type) = cmd << 8 | type
QUOTA_CMDS = Values([
    ("Q_SYNC", 0x800001), ("Q_QUOTAON", 0x800002), ("Q_QUOTAOFF", 0x800003), ("Q_GETFMT", 0x800004),
    ("Q_GETINFO", 0x800005), ("Q_SETINFO", 0x800006), ("Q_GETQUOTA", 0x800007), ("Q_SETQUOTA", 0x800008),
    ("Q_GETNEXTQUOTA", 0x800009),
], "Q_???")
QUOTA_TYPES = Values([("USRQUOTA", 0), ("GRPQUOTA", 1), ("PRJQUOTA", 2)], "???QUOTA")
# include/linux/statfs.h: f_flags, shown when ST_VALID is set
STATFS_FLAGS = Flags([
    ("ST_VALID", 0x20), ("ST_RDONLY", 0x1), ("ST_NOSUID", 0x2), ("ST_NODEV", 0x4), ("ST_NOEXEC", 0x8),
    ("ST_SYNCHRONOUS", 0x10), ("ST_MANDLOCK", 0x40), ("ST_NOATIME", 0x400), ("ST_NODIRATIME", 0x800),
    ("ST_RELATIME", 0x1000), ("ST_NOSYMFOLLOW", 0x2000),
], "ST_???")
ST_VALID = 0x20
# include/uapi/linux/magic.h and the file systems' own headers (statfs's f_type; strace's fsmagic order)
FS_MAGIC = Values([
    ("QNX4_SUPER_MAGIC", 0x2f), ("Z3FOLD_MAGIC", 0x33), ("AUTOFS_SUPER_MAGIC", 0x187), ("DEVFS_SUPER_MAGIC", 0x1373),
    ("EXT_SUPER_MAGIC", 0x137d), ("MINIX_SUPER_MAGIC", 0x137f), ("MINIX_SUPER_MAGIC2", 0x138f),
    ("DEVPTS_SUPER_MAGIC", 0x1cd1), ("MINIX2_SUPER_MAGIC", 0x2468), ("MINIX2_SUPER_MAGIC2", 0x2478),
    ("NILFS_SUPER_MAGIC", 0x3434), ("HFS_SUPER_MAGIC", 0x4244), ("HFSPLUS_SUPER_MAGIC", 0x482b),
    ("MSDOS_SUPER_MAGIC", 0x4d44), ("MINIX3_SUPER_MAGIC", 0x4d5a), ("SMB_SUPER_MAGIC", 0x517b),
    ("NCP_SUPER_MAGIC", 0x564c), ("EXOFS_SUPER_MAGIC", 0x5df5), ("NFS_SUPER_MAGIC", 0x6969), ("ROMFS_MAGIC", 0x7275),
    ("JFFS2_SUPER_MAGIC", 0x72b6), ("ISOFS_SUPER_MAGIC", 0x9660), ("PROC_SUPER_MAGIC", 0x9fa0),
    ("OPENPROM_SUPER_MAGIC", 0x9fa1), ("USBDEVICE_SUPER_MAGIC", 0x9fa2), ("ADFS_SUPER_MAGIC", 0xadf5),
    ("AFFS_SUPER_MAGIC", 0xadff), ("EXT2_OLD_SUPER_MAGIC", 0xef51), ("EXT2_SUPER_MAGIC", 0xef53),
    ("ECRYPTFS_SUPER_MAGIC", 0xf15f), ("UFS_MAGIC", 0x11954), ("CGROUP_SUPER_MAGIC", 0x27e0eb),
    ("EFS_SUPER_MAGIC", 0x414a53), ("HOSTFS_SUPER_MAGIC", 0xc0ffee), ("CEPH_SUPER_MAGIC", 0xc36400),
    ("TMPFS_MAGIC", 0x1021994), ("V9FS_MAGIC", 0x1021997), ("GFS2_MAGIC", 0x1161970),
    ("XIAFS_SUPER_MAGIC", 0x12fd16d), ("XENIX_SUPER_MAGIC", 0x12ff7b4), ("SYSV4_SUPER_MAGIC", 0x12ff7b5),
    ("SYSV2_SUPER_MAGIC", 0x12ff7b6), ("COH_SUPER_MAGIC", 0x12ff7b7), ("SHMFS_SUPER_MAGIC", 0x2011994),
    ("ANON_INODE_FS_MAGIC", 0x9041934), ("FUTEXFS_SUPER_MAGIC", 0xbad1dea), ("LL_SUPER_MAGIC", 0xbd00bd0),
    ("LUSTRE_SUPER_MAGIC", 0xbd00bd1), ("MTD_INODE_FS_MAGIC", 0x11307854), ("BALLOON_KVM_MAGIC", 0x13661366),
    ("UDF_SUPER_MAGIC", 0x15013346), ("BFS_MAGIC", 0x1badface), ("EXFAT_SUPER_MAGIC", 0x2011bab0),
    ("UBIFS_SUPER_MAGIC", 0x24051905), ("CRAMFS_MAGIC", 0x28cd3d45), ("ZFS_SUPER_MAGIC", 0x2fc12fc1),
    ("JFS_SUPER_MAGIC", 0x3153464a), ("BEFS_SUPER_MAGIC", 0x42465331), ("BINFMTFS_MAGIC", 0x42494e4d),
    ("SMACK_MAGIC", 0x43415d53), ("DMA_BUF_MAGIC", 0x444d4142), ("CRAMFS_MAGIC_WEND", 0x453dcd28),
    ("DEVMEM_MAGIC", 0x454d444d), ("GUEST_MEMFD_MAGIC", 0x474d454d), ("GPFS_SUPER_MAGIC", 0x47504653),
    ("NULL_FS_MAGIC", 0x4e554c4c), ("PID_FS_MAGIC", 0x50494446), ("PIPEFS_MAGIC", 0x50495045),
    ("REISERFS_SUPER_MAGIC", 0x52654973), ("SECRETMEM_MAGIC", 0x5345434d), ("AFS_SUPER_MAGIC", 0x5346414f),
    ("NTFS_SB_MAGIC", 0x5346544e), ("SOCKFS_MAGIC", 0x534f434b), ("UFS_CIGAM", 0x54190100),
    ("VZFS_SUPER_MAGIC", 0x565a4653), ("STACK_END_MAGIC", 0x57ac6e9d), ("ZSMALLOC_MAGIC", 0x58295829),
    ("XFS_SUPER_MAGIC", 0x58465342), ("AAFS_MAGIC", 0x5a3c69f0), ("ZONEFS_MAGIC", 0x5a4f4653),
    ("PSTOREFS_MAGIC", 0x6165676c), ("AUFS_SUPER_MAGIC", 0x61756673), ("BDEVFS_MAGIC", 0x62646576),
    ("CONFIGFS_MAGIC", 0x62656570), ("SYSFS_MAGIC", 0x62656572), ("CGROUP2_SUPER_MAGIC", 0x63677270),
    ("DEBUGFS_MAGIC", 0x64626720), ("DAXFS_MAGIC", 0x64646178), ("FUSE_CTL_SUPER_MAGIC", 0x65735543),
    ("FUSE_SUPER_MAGIC", 0x65735546), ("QNX6_SUPER_MAGIC", 0x68191122), ("AFS_FS_MAGIC", 0x6b414653),
    ("BINDERFS_SUPER_MAGIC", 0x6c6f6f70), ("NSFS_MAGIC", 0x6e736673), ("SECURITYFS_MAGIC", 0x73636673),
    ("SQUASHFS_MAGIC", 0x73717368), ("BTRFS_TEST_MAGIC", 0x73727279), ("CODA_SUPER_MAGIC", 0x73757245),
    ("OCFS2_SUPER_MAGIC", 0x7461636f), ("TRACEFS_MAGIC", 0x74726163), ("OVERLAYFS_SUPER_MAGIC", 0x794c7630),
    ("RAMFS_MAGIC", 0x858458f6), ("BTRFS_SUPER_MAGIC", 0x9123683e), ("HUGETLBFS_MAGIC", 0x958458f6),
    ("VXFS_SUPER_MAGIC", 0xa501fcf5), ("XENFS_SUPER_MAGIC", 0xabba1974), ("PPC_CMM_MAGIC", 0xc7571590),
    ("LOGFS_MAGIC", 0xc97e8168), ("BCACHEFS_SUPER_MAGIC", 0xca451a4e), ("BPF_FS_MAGIC", 0xcafe4a11),
    ("EFIVARFS_MAGIC", 0xde5e81e4), ("EROFS_SUPER_MAGIC_V1", 0xe0f5e1e2), ("F2FS_SUPER_MAGIC", 0xf2f52010),
    ("SELINUX_MAGIC", 0xf97cff8c), ("HPFS_SUPER_MAGIC", 0xf995e849), ("SMB2_SUPER_MAGIC", 0xfe534d42),
    ("CIFS_SUPER_MAGIC", 0xff534d42),
], "")
