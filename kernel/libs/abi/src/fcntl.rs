//! File flags and commands: `open`'s `O_*`, the `*at` calls' `AT_*`, `fcntl`'s `F_*` and
//! `FD_CLOEXEC`, `lseek`'s `SEEK_*`.
//!
//! From `include/uapi/asm-generic/fcntl.h` (x86_64 has no `asm/fcntl.h` overrides; the values are
//! octal there, and here), `include/uapi/linux/fcntl.h` and `include/uapi/linux/fs.h`.

// open flags.
pub const O_RDONLY: u64 = 0o0;
pub const O_WRONLY: u64 = 0o1;
pub const O_RDWR: u64 = 0o2;
/// The access-mode bits.
pub const O_ACCMODE: u64 = 0o3;
pub const O_CREAT: u64 = 0o100;
pub const O_EXCL: u64 = 0o200;
pub const O_NOCTTY: u64 = 0o400;
pub const O_TRUNC: u64 = 0o1000;
pub const O_APPEND: u64 = 0o2000;
pub const O_NONBLOCK: u64 = 0o4000;
pub const O_NDELAY: u64 = O_NONBLOCK;
pub const O_DSYNC: u64 = 0o10000;
pub const O_ASYNC: u64 = 0o20000;
pub const FASYNC: u64 = O_ASYNC;
pub const O_DIRECT: u64 = 0o40000;
/// Set by the kernel on every 64-bit open (`force_o_largefile`); glibc defines it as 0 on x86_64
/// because there it has no effect.
pub const O_LARGEFILE: u64 = 0o100000;
pub const O_DIRECTORY: u64 = 0o200000;
pub const O_NOFOLLOW: u64 = 0o400000;
pub const O_NOATIME: u64 = 0o1000000;
pub const O_CLOEXEC: u64 = 0o2000000;
/// `O_SYNC` is this plus `O_DSYNC`.
pub const __O_SYNC: u64 = 0o4000000;
pub const O_SYNC: u64 = __O_SYNC | O_DSYNC;
pub const O_RSYNC: u64 = O_SYNC;
pub const O_PATH: u64 = 0o10000000;
/// `O_TMPFILE` is this plus `O_DIRECTORY`.
pub const __O_TMPFILE: u64 = 0o20000000;
pub const O_TMPFILE: u64 = __O_TMPFILE | O_DIRECTORY;

/// The `dirfd` of the `*at` calls meaning "relative to the current directory".
pub const AT_FDCWD: i64 = -100;
// `*at` flags (linux/fcntl.h).
pub const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
/// faccessat: check with the effective ids.
pub const AT_EACCESS: u64 = 0x200;
/// unlinkat: remove a directory.
pub const AT_REMOVEDIR: u64 = 0x200;
pub const AT_SYMLINK_FOLLOW: u64 = 0x400;
pub const AT_NO_AUTOMOUNT: u64 = 0x800;
/// An empty path names `dirfd` itself.
pub const AT_EMPTY_PATH: u64 = 0x1000;
pub const AT_STATX_SYNC_TYPE: u64 = 0x6000;
pub const AT_STATX_SYNC_AS_STAT: u64 = 0x0000;
pub const AT_STATX_FORCE_SYNC: u64 = 0x2000;
pub const AT_STATX_DONT_SYNC: u64 = 0x4000;
pub const AT_RECURSIVE: u64 = 0x8000;

// fcntl commands.
pub const F_DUPFD: u64 = 0;
pub const F_GETFD: u64 = 1;
pub const F_SETFD: u64 = 2;
pub const F_GETFL: u64 = 3;
pub const F_SETFL: u64 = 4;
pub const F_GETLK: u64 = 5;
pub const F_SETLK: u64 = 6;
pub const F_SETLKW: u64 = 7;
pub const F_SETOWN: u64 = 8;
pub const F_GETOWN: u64 = 9;
pub const F_SETSIG: u64 = 10;
pub const F_GETSIG: u64 = 11;
pub const F_SETOWN_EX: u64 = 15;
pub const F_GETOWN_EX: u64 = 16;
pub const F_OFD_GETLK: u64 = 36;
pub const F_OFD_SETLK: u64 = 37;
pub const F_OFD_SETLKW: u64 = 38;
pub const F_SETLEASE: u64 = 1024;
pub const F_GETLEASE: u64 = 1025;
pub const F_NOTIFY: u64 = 1026;
pub const F_DUPFD_CLOEXEC: u64 = 1030;
pub const F_SETPIPE_SZ: u64 = 1031;
pub const F_GETPIPE_SZ: u64 = 1032;
pub const F_ADD_SEALS: u64 = 1033;
pub const F_GET_SEALS: u64 = 1034;
/// The descriptor flag of `F_GETFD`/`F_SETFD`: close on `execve`.
pub const FD_CLOEXEC: u64 = 1;
// Lock types (`struct flock::l_type`).
pub const F_RDLCK: i16 = 0;
pub const F_WRLCK: i16 = 1;
pub const F_UNLCK: i16 = 2;

// lseek whence (linux/fs.h).
pub const SEEK_SET: u64 = 0;
pub const SEEK_CUR: u64 = 1;
pub const SEEK_END: u64 = 2;
pub const SEEK_DATA: u64 = 3;
pub const SEEK_HOLE: u64 = 4;

// access / faccessat mode.
pub const F_OK: u64 = 0;
pub const X_OK: u64 = 1;
pub const W_OK: u64 = 2;
pub const R_OK: u64 = 4;

// renameat2 flags (linux/fs.h).
pub const RENAME_NOREPLACE: u64 = 1 << 0;
pub const RENAME_EXCHANGE: u64 = 1 << 1;
pub const RENAME_WHITEOUT: u64 = 1 << 2;
