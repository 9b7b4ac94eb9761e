//! Directory entries as `getdents64` returns them (`include/linux/dirent.h`, `struct
//! linux_dirent64`), and the `d_type` values (`include/linux/fs_types.h`).

/// The fixed part of a `getdents64` record: the NUL-terminated name follows at
/// [`linux_dirent64::NAME_OFFSET`], and `d_reclen` (a multiple of 8) is the whole record's size,
/// so that the next record starts 8-byte aligned.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct linux_dirent64 {
    pub d_ino: u64,
    /// An opaque position: `lseek` to it to continue after this entry.
    pub d_off: i64,
    pub d_reclen: u16,
    /// `DT_*`.
    pub d_type: u8,
    /// The start of the name (C's flexible array member `d_name[]`).
    pub d_name: [u8; 0],
}
layout!(linux_dirent64, 24; d_ino = 0, d_off = 8, d_reclen = 16, d_type = 18, d_name = 19);

impl linux_dirent64 {
    /// Where the name starts in a record.
    pub const NAME_OFFSET: usize = core::mem::offset_of!(linux_dirent64, d_name);

    /// The record length for a name of `name_len` bytes (without its NUL): header, name, NUL,
    /// rounded up to 8.
    pub const fn reclen(name_len: usize) -> usize {
        (Self::NAME_OFFSET + name_len + 1).next_multiple_of(8)
    }
}

pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;
pub const DT_WHT: u8 = 14;
