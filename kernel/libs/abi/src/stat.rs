//! File status: `stat`/`fstat`/`newfstatat`'s `struct stat`, `statx`, `statfs`, and the mode bits.
//!
//! From `arch/x86/include/uapi/asm/stat.h` (x86_64's own `struct stat`, not the generic one),
//! `include/uapi/linux/stat.h` (`statx`, `S_IF*`, `STATX_*`) and
//! `include/uapi/asm-generic/statfs.h`.

/// `struct stat` as x86_64's `stat`, `fstat`, `lstat` and `newfstatat` fill it: 144 bytes. Times
/// are seconds and nanoseconds in separate words.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct stat {
    pub st_dev: u64,
    pub st_ino: u64,
    /// On x86_64 `st_nlink` comes before `st_mode` and is 64-bit.
    pub st_nlink: u64,
    /// File type ([`S_IFMT`] bits) and permissions.
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub __pad0: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    /// In 512-byte units.
    pub st_blocks: i64,
    pub st_atime: u64,
    pub st_atime_nsec: u64,
    pub st_mtime: u64,
    pub st_mtime_nsec: u64,
    pub st_ctime: u64,
    pub st_ctime_nsec: u64,
    pub __unused: [i64; 3],
}
layout!(stat, 144;
    st_dev = 0, st_ino = 8, st_nlink = 16, st_mode = 24, st_uid = 28, st_gid = 32, st_rdev = 40,
    st_size = 48, st_blksize = 56, st_blocks = 64, st_atime = 72, st_atime_nsec = 80,
    st_mtime = 88, st_mtime_nsec = 96, st_ctime = 104, st_ctime_nsec = 112,
);

/// A `statx` time.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct statx_timestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub __reserved: i32,
}
layout!(statx_timestamp, 16; tv_sec = 0, tv_nsec = 8);

/// `statx`'s result (Linux 4.11): 256 bytes, the same on every architecture. `stx_mask` says
/// which fields the kernel filled ([`STATX_TYPE`]...).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub __spare0: [u16; 1],
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    pub stx_atime: statx_timestamp,
    pub stx_btime: statx_timestamp,
    pub stx_ctime: statx_timestamp,
    pub stx_mtime: statx_timestamp,
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub stx_mnt_id: u64,
    pub stx_dio_mem_align: u32,
    pub stx_dio_offset_align: u32,
    pub stx_subvol: u64,
    pub stx_atomic_write_unit_min: u32,
    pub stx_atomic_write_unit_max: u32,
    pub stx_atomic_write_segments_max: u32,
    pub stx_dio_read_offset_align: u32,
    pub stx_atomic_write_unit_max_opt: u32,
    pub __spare2: [u32; 1],
    pub __spare3: [u64; 8],
}
layout!(statx, 256;
    stx_mask = 0, stx_blksize = 4, stx_attributes = 8, stx_nlink = 16, stx_uid = 20, stx_gid = 24,
    stx_mode = 28, stx_ino = 32, stx_size = 40, stx_blocks = 48, stx_attributes_mask = 56,
    stx_atime = 64, stx_btime = 80, stx_ctime = 96, stx_mtime = 112, stx_rdev_major = 128,
    stx_rdev_minor = 132, stx_dev_major = 136, stx_dev_minor = 140, stx_mnt_id = 144,
    stx_dio_mem_align = 152, stx_dio_offset_align = 156, stx_subvol = 160, __spare3 = 192,
);

/// `statfs`/`fstatfs`'s result on 64-bit (`asm-generic/statfs.h`): 120 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct statfs {
    /// The file system's magic number.
    pub f_type: i64,
    pub f_bsize: i64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    pub f_namelen: i64,
    pub f_frsize: i64,
    /// `ST_*` mount flags.
    pub f_flags: i64,
    pub f_spare: [i64; 4],
}
layout!(statfs, 120;
    f_type = 0, f_bsize = 8, f_blocks = 16, f_bfree = 24, f_bavail = 32, f_files = 40,
    f_ffree = 48, f_fsid = 56, f_namelen = 64, f_frsize = 72, f_flags = 80, f_spare = 88,
);

// File types and permission bits of `st_mode` (linux/stat.h), octal as in the header.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;
pub const S_IRWXU: u32 = 0o700;
pub const S_IRUSR: u32 = 0o400;
pub const S_IWUSR: u32 = 0o200;
pub const S_IXUSR: u32 = 0o100;
pub const S_IRWXG: u32 = 0o070;
pub const S_IRGRP: u32 = 0o040;
pub const S_IWGRP: u32 = 0o020;
pub const S_IXGRP: u32 = 0o010;
pub const S_IRWXO: u32 = 0o007;
pub const S_IROTH: u32 = 0o004;
pub const S_IWOTH: u32 = 0o002;
pub const S_IXOTH: u32 = 0o001;

// `statx` mask bits: what was asked for, and what was filled in.
pub const STATX_TYPE: u32 = 0x0001;
pub const STATX_MODE: u32 = 0x0002;
pub const STATX_NLINK: u32 = 0x0004;
pub const STATX_UID: u32 = 0x0008;
pub const STATX_GID: u32 = 0x0010;
pub const STATX_ATIME: u32 = 0x0020;
pub const STATX_MTIME: u32 = 0x0040;
pub const STATX_CTIME: u32 = 0x0080;
pub const STATX_INO: u32 = 0x0100;
pub const STATX_SIZE: u32 = 0x0200;
pub const STATX_BLOCKS: u32 = 0x0400;
/// Everything `struct stat` has.
pub const STATX_BASIC_STATS: u32 = 0x07ff;
pub const STATX_BTIME: u32 = 0x0800;
pub const STATX_MNT_ID: u32 = 0x1000;
pub const STATX_DIOALIGN: u32 = 0x2000;

/// utimensat: a `tv_nsec` meaning "now" or "leave this time alone" (linux/stat.h).
pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// `statfs::f_type` of tmpfs and of /proc (linux/magic.h).
pub const TMPFS_MAGIC: i64 = 0x0102_1994;
pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;
pub const SYSFS_MAGIC: i64 = 0x6265_6572;
/// The longest file name (a path component), NAME_MAX.
pub const NAME_MAX: usize = 255;
