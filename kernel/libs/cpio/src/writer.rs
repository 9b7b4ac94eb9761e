//! Writing newc archives.

use crate::{HEADER_LEN, MAGIC, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, TRAILER};
use alloc::vec::Vec;

/// GNU cpio writes archives in blocks of 512 bytes (its default `--block-size=1`), padding the
/// last one with NULs after the trailer.
const BLOCK: usize = 512;

/// Builds a newc archive in memory.
///
/// The output is byte for byte what `cpio -o -H newc` writes for the same entries in the same
/// order, except for the fields that describe the host rather than the archive: inode numbers are
/// 1, 2, 3... in the order of the calls, and owner, group, modification time and device numbers
/// are 0. Entries are written as given: directories are not created implicitly, and the caller
/// chooses the order (Linux's initramfs unpacker needs a directory before its contents).
#[derive(Debug)]
pub struct Writer {
    buf: Vec<u8>,
    next_ino: u32,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
    }
}

impl Writer {
    /// An empty archive.
    pub fn new() -> Self {
        Writer {
            buf: Vec::new(),
            next_ino: 1,
        }
    }

    /// Adds a directory. The file type bits of `mode` are replaced by [`S_IFDIR`], so `0o755`
    /// and `S_IFDIR | 0o755` mean the same. Its link count is 2 (`.` and its entry in the
    /// parent), as for a directory without subdirectories on Linux.
    ///
    /// # Panics
    ///
    /// See [`Writer::add_file`].
    pub fn add_dir(&mut self, path: &str, mode: u32) {
        self.add(path, S_IFDIR | (mode & !S_IFMT), 2, &[]);
    }

    /// Adds a regular file. The file type bits of `mode` are replaced by [`S_IFREG`].
    ///
    /// # Panics
    ///
    /// If `path` contains a NUL (the format could not represent it), or if the path or the data
    /// does not fit in the header's 32-bit size fields.
    pub fn add_file(&mut self, path: &str, mode: u32, data: &[u8]) {
        self.add(path, S_IFREG | (mode & !S_IFMT), 1, data);
    }

    /// Adds a symbolic link to `target`, with mode `0o777` as Linux gives every symlink.
    ///
    /// # Panics
    ///
    /// See [`Writer::add_file`].
    pub fn add_symlink(&mut self, path: &str, target: &str) {
        self.add(path, S_IFLNK | 0o777, 1, target.as_bytes());
    }

    /// Writes the trailer and returns the archive, padded to a multiple of 512 bytes.
    pub fn finish(mut self) -> Vec<u8> {
        // GNU cpio's trailer: every field 0 but nlink 1.
        self.write_entry(0, 0, 1, TRAILER, &[]);
        self.pad_to(BLOCK);
        self.buf
    }

    fn add(&mut self, path: &str, mode: u32, nlink: u32, data: &[u8]) {
        let ino = self.next_ino;
        self.next_ino = ino.checked_add(1).expect("cpio: out of inode numbers");
        self.write_entry(ino, mode, nlink, path, data);
    }

    fn write_entry(&mut self, ino: u32, mode: u32, nlink: u32, name: &str, data: &[u8]) {
        assert!(!name.contains('\0'), "cpio: NUL in file name {name:?}");
        let namesize = name
            .len()
            .checked_add(1)
            .and_then(|size| u32::try_from(size).ok())
            .expect("cpio: file name too long");
        let filesize = u32::try_from(data.len()).expect("cpio: file too large");

        self.buf.reserve(HEADER_LEN + name.len() + data.len() + 8);
        self.buf.extend_from_slice(MAGIC);
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
        // namesize, check.
        let fields = [ino, mode, 0, 0, nlink, 0, filesize, 0, 0, 0, 0, namesize, 0];
        for field in fields {
            self.push_hex(field);
        }
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(0);
        self.pad_to(4);
        self.buf.extend_from_slice(data);
        self.pad_to(4);
    }

    /// Appends 8 upper-case hex digits, as GNU cpio does (`%08X`).
    fn push_hex(&mut self, value: u32) {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        for shift in (0..32).step_by(4).rev() {
            self.buf.push(DIGITS[(value >> shift) as usize & 0xf]);
        }
    }

    /// Appends NULs up to a multiple of `align` (offsets count from the start of the archive).
    fn pad_to(&mut self, align: usize) {
        let len = self.buf.len().next_multiple_of(align);
        self.buf.resize(len, 0);
    }
}
