//! cpio "newc" archives: the format of Linux's initramfs.
//!
//! The kernel unpacks its initial root file system from a newc archive, as Linux does in
//! `init/initramfs.c`; the host tools build that archive. An archive is a sequence of entries,
//! each an ASCII header, a file name and the file's data, ended by an entry named `TRAILER!!!`:
//!
//! ```text
//! offset  size  field
//!      0     6  magic "070701"
//!      6   8*13 ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
//!               rdevmajor, rdevminor, namesize, check: each 8 hex digits
//!    110     n  name, n = namesize bytes including the terminating NUL
//!               NULs up to a multiple of 4 (counted from the start of the archive)
//!               data: filesize bytes (a symlink's data is its target)
//!               NULs up to a multiple of 4
//! ```
//!
//! The [reader](entries) borrows everything from the archive (no copy, no allocation), so the
//! kernel can read the initramfs in place before it has a heap. It is strict where Linux is
//! lenient (Linux parses fields with `simple_strtoul`, which stops at the first non-hex
//! character): anything malformed is an [`Error`] that says what and where, and no input, however
//! hostile, makes it panic, index out of bounds or overflow.
//!
//! The `Writer` (behind the `alloc` feature) writes what GNU `cpio -o -H newc` writes for the
//! same entries, up to inode numbers and times.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

#[cfg(feature = "alloc")]
mod writer;
#[cfg(feature = "alloc")]
pub use writer::Writer;

use core::fmt;
use core::iter::FusedIterator;

/// The magic number of the newc format. The "crc" variant `070702` (same layout, plus a checksum
/// that Linux verifies) and the old binary and odc formats are not supported.
pub const MAGIC: &[u8; 6] = b"070701";
/// Size of an entry header: the magic and 13 fields of 8 hex digits.
pub const HEADER_LEN: usize = 110;
/// The name of the entry that ends an archive.
pub const TRAILER: &str = "TRAILER!!!";

/// The file type bits of [`Entry::mode`] (`S_IFMT`) and each type's value, from the ABI crate:
/// a cpio mode is a Linux `st_mode`. A symbolic link's data is its target; a device's numbers are
/// in [`Entry::rdev_major`].
pub use abi::stat::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};

/// Names of the header fields after the magic, in order; [`Error::BadHex`] reports one of them.
const FIELDS: [&str; 13] = [
    "ino",
    "mode",
    "uid",
    "gid",
    "nlink",
    "mtime",
    "filesize",
    "devmajor",
    "devminor",
    "rdevmajor",
    "rdevminor",
    "namesize",
    "check",
];

/// One archive member, borrowed from the archive.
///
/// The header's `check` field is not exposed: newc writers set it to zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The path as stored, without the terminating NUL. Archives made with `find . | cpio`
    /// store `./`-prefixed paths, others relative or absolute ones: [`find`] accepts all three.
    pub name: &'a str,
    /// Inode number. Entries with the same inode (and device) and `nlink > 1` are hard links:
    /// GNU cpio stores the data with the last of them, and Linux's initramfs links them together.
    pub ino: u32,
    /// File type ([`S_IFMT`] bits) and permissions.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Number of links.
    pub nlink: u32,
    /// Modification time, in seconds since the Unix epoch.
    pub mtime: u32,
    /// Major number of the device that held the file (identifies hard links together with `ino`).
    pub dev_major: u32,
    /// Minor number of the device that held the file.
    pub dev_minor: u32,
    /// For a device node, the major number of the device it stands for.
    pub rdev_major: u32,
    /// For a device node, the minor number of the device it stands for.
    pub rdev_minor: u32,
    /// The file's contents; a symlink's target; empty for directories and device nodes.
    pub data: &'a [u8],
}

impl Entry<'_> {
    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Whether this is a symbolic link; its target is [`Entry::data`].
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }
}

/// Why an archive could not be read. Offsets are in bytes from the start of the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The entry whose header starts at `offset` runs past the end of the archive (its header,
    /// name or data is cut short), or its sizes do not fit in the address space.
    Truncated {
        /// Start of the entry's header.
        offset: usize,
    },
    /// The header at `offset` does not start with [`MAGIC`].
    BadMagic {
        /// Start of the header.
        offset: usize,
    },
    /// A header field is not 8 hexadecimal digits.
    BadHex {
        /// Start of the field.
        offset: usize,
        /// The field's name as in cpio(5), without the `c_` prefix: `"filesize"`, `"namesize"`...
        field: &'static str,
    },
    /// The name at `offset` is empty (`namesize` 0), not NUL-terminated, holds a NUL before
    /// its end, or is not UTF-8.
    BadName {
        /// Start of the name.
        offset: usize,
    },
    /// The archive ends (possibly within the previous entry's padding) without a `TRAILER!!!`
    /// entry, so it may have been cut short between two entries.
    MissingTrailer,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Truncated { offset } => {
                write!(
                    f,
                    "cpio: entry at offset {offset} runs past the end of the archive"
                )
            }
            Error::BadMagic { offset } => {
                write!(f, "cpio: no \"070701\" (newc) magic at offset {offset}")
            }
            Error::BadHex { offset, field } => write!(
                f,
                "cpio: header field {field} at offset {offset} is not 8 hex digits"
            ),
            Error::BadName { offset } => write!(
                f,
                "cpio: name at offset {offset} is empty, not NUL-terminated or not UTF-8"
            ),
            Error::MissingTrailer => f.write_str("cpio: archive ends without a TRAILER!!! entry"),
        }
    }
}

impl core::error::Error for Error {}

/// Iterates over the entries of `archive`, up to (and without) the `TRAILER!!!` entry.
///
/// Anything after the trailer is ignored: GNU cpio pads archives to a 512-byte block there.
/// (Linux also accepts further archives concatenated after the trailer; this reader reads one.)
/// The iterator yields an `Err` at the first malformed entry, or [`Error::MissingTrailer`] if the
/// archive ends before its trailer, and nothing after that.
pub fn entries(archive: &[u8]) -> Entries<'_> {
    Entries {
        archive,
        offset: 0,
        done: false,
    }
}

/// Looks up `path` in `archive`.
///
/// A leading `/` or `./` (or several), a lone `.` and trailing `/`s are ignored on both sides, so
/// `"/bin/sh"`, `"bin/sh"` and `"./bin/sh"` all find an entry stored under any of those names,
/// and `"/"` finds the `"."` entry.
///
/// If a path occurs more than once, the last entry wins, as when Linux unpacks an initramfs
/// (a later entry replaces an earlier file of the same name). So the whole archive is read, and
/// any error in it is returned, even one after a matching entry.
pub fn find<'a>(archive: &'a [u8], path: &str) -> Result<Option<Entry<'a>>, Error> {
    let path = normalize(path);
    let mut found = None;
    for entry in entries(archive) {
        let entry = entry?;
        if normalize(entry.name) == path {
            found = Some(entry);
        }
    }
    Ok(found)
}

/// Strips what [`find`] ignores: leading `/` and `./`, a lone `.`, trailing `/`.
fn normalize(mut path: &str) -> &str {
    loop {
        if let Some(rest) = path.strip_prefix('/') {
            path = rest;
        } else if let Some(rest) = path.strip_prefix("./") {
            path = rest;
        } else {
            break;
        }
    }
    let path = path.trim_end_matches('/');
    if path == "." { "" } else { path }
}

/// Iterator over the entries of an archive; see [`entries`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    archive: &'a [u8],
    /// Where the next header starts. May exceed the archive's length if the archive ends inside
    /// the previous entry's padding.
    offset: usize,
    done: bool,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match parse(self.archive, self.offset) {
            Ok(Some((entry, next))) => {
                self.offset = next;
                Some(Ok(entry))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

impl FusedIterator for Entries<'_> {}

/// Parses the entry whose header starts at `offset`: `Ok(None)` for the trailer, otherwise the
/// entry and the offset of the next header.
fn parse(archive: &[u8], offset: usize) -> Result<Option<(Entry<'_>, usize)>, Error> {
    let truncated = Error::Truncated { offset };
    if offset >= archive.len() {
        return Err(Error::MissingTrailer);
    }
    let header = offset
        .checked_add(HEADER_LEN)
        .and_then(|end| archive.get(offset..end))
        .ok_or(truncated)?;
    if !header.starts_with(MAGIC) {
        return Err(Error::BadMagic { offset });
    }

    // From here on, offsets up to the end of the header are inside the archive: no overflow.
    let mut fields = [0u32; FIELDS.len()];
    let (digits, _) = header[MAGIC.len()..].as_chunks::<8>();
    for (index, (value, digits)) in fields.iter_mut().zip(digits).enumerate() {
        *value = parse_hex(digits).ok_or(Error::BadHex {
            offset: offset + MAGIC.len() + 8 * index,
            field: FIELDS[index],
        })?;
    }
    let [
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        filesize,
        dev_major,
        dev_minor,
        rdev_major,
        rdev_minor,
        namesize,
        _check,
    ] = fields;

    // The name, NUL included.
    let name_start = offset + HEADER_LEN;
    let bad_name = Error::BadName { offset: name_start };
    let name_end = usize::try_from(namesize)
        .ok()
        .and_then(|size| name_start.checked_add(size))
        .ok_or(truncated)?;
    let name = archive.get(name_start..name_end).ok_or(truncated)?;
    let name = match name.split_last() {
        Some((0, name)) if !name.contains(&0) => {
            core::str::from_utf8(name).map_err(|_| bad_name)?
        }
        _ => return Err(bad_name),
    };
    if name == TRAILER {
        return Ok(None);
    }

    let data_start = align4(name_end).ok_or(truncated)?;
    let data_end = usize::try_from(filesize)
        .ok()
        .and_then(|size| data_start.checked_add(size))
        .ok_or(truncated)?;
    let data = archive.get(data_start..data_end).ok_or(truncated)?;
    let next = align4(data_end).ok_or(truncated)?;

    let entry = Entry {
        name,
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        dev_major,
        dev_minor,
        rdev_major,
        rdev_minor,
        data,
    };
    Ok(Some((entry, next)))
}

/// Parses 8 hex digits, either case (GNU cpio writes upper case, some tools lower case).
fn parse_hex(digits: &[u8; 8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &digit| {
        let nibble = char::from(digit).to_digit(16)?;
        Some(value << 4 | nibble)
    })
}

/// Rounds up to a multiple of 4, the alignment of names' ends and data in newc archives.
fn align4(offset: usize) -> Option<usize> {
    offset.checked_next_multiple_of(4)
}
