//! `/proc/PID/maps` lines, byte for byte as Linux prints them (`show_map_vma` in
//! `fs/proc/task_mmu.c`).
//!
//! A line is `start-end perms offset major:minor inode`, a space, and for a named area padding
//! and the name. As `cat -A /proc/self/maps` shows them, with `$` marking the end of a line:
//!
//! ```text
//! 561a5362a000-561a5362c000 r--p 00000000 fe:00 247030                     /usr/bin/cat$
//! 7f2341367000-7f2341389000 rw-p 00000000 00:00 0 $
//! 7ffd3e0b1000-7ffd3e0d2000 rw-p 00000000 00:00 0                          [stack]$
//! ```
//!
//! Note the space after the inode of an unnamed line: Linux always prints it, and pads with
//! `seq_pad` only when a name follows. The numbers are lowercase hex with at least 8 digits
//! (addresses, offset) or 2 (device numbers), except the inode, which is decimal.
//!
//! The crate does not know names or device numbers: the kernel's `Mm` supplies them. Like
//! Linux, it names no area when it is created; `[heap]` and `[stack]` are decided while
//! printing, from the `Mm`'s `start_brk..brk` and `start_stack`, and a file area's name is its
//! file's path.

use core::fmt::{self, Write};

use crate::VmFlags;

/// The column at which names start, counted from the start of the line: Linux calls
/// `seq_setwidth(m, 25 + sizeof(void *) * 6 - 1)` before the header, and `seq_pad` fills with
/// spaces up to that width and then writes one more space. With 8-byte pointers the name thus
/// starts at column 73; after a header already that long (a huge inode number) only the extra
/// space is written, so two spaces separate the inode from the name.
const NAME_PAD_WIDTH: usize = 25 + 8 * 6 - 1;

/// What one line of `/proc/PID/maps` shows of an area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapsLine<'a> {
    /// First address.
    pub start: u64,
    /// First address past the area.
    pub end: u64,
    /// The area's flags; only `READ`, `WRITE`, `EXEC` and `MAYSHARE` are shown.
    pub flags: VmFlags,
    /// The file offset of `start` in bytes; 0 for anonymous memory ([`Vma::maps_offset`]).
    ///
    /// [`Vma::maps_offset`]: crate::Vma::maps_offset
    pub offset: u64,
    /// The major number of the file's device; 0 for anonymous memory.
    pub dev_major: u32,
    /// The minor number of the file's device; 0 for anonymous memory.
    pub dev_minor: u32,
    /// The file's inode number; 0 for anonymous memory.
    pub inode: u64,
    /// The file's path, `[heap]`, `[stack]`, `[vdso]`... or `None` (anonymous memory).
    pub name: Option<&'a str>,
}

/// Counts what passes through it, as the `seq_file`'s `count` does, for the padding.
struct Counting<'w, W> {
    inner: &'w mut W,
    written: usize,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.written += s.len();
        self.inner.write_str(s)
    }
}

/// Write `line` as Linux's `show_map_vma` prints it, newline included.
pub fn write_maps_line(w: &mut impl Write, line: &MapsLine<'_>) -> fmt::Result {
    let mut w = Counting {
        inner: w,
        written: 0,
    };
    let perm = |flag, c| if line.flags.contains(flag) { c } else { '-' };
    // show_vma_header_prefix: seq_put_hex_ll(.., 8) is "%08lx"-like, seq_put_hex_ll(.., 2) "%02x".
    write!(
        w,
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
        line.start,
        line.end,
        perm(VmFlags::READ, 'r'),
        perm(VmFlags::WRITE, 'w'),
        perm(VmFlags::EXEC, 'x'),
        if line.flags.contains(VmFlags::MAYSHARE) {
            's'
        } else {
            'p'
        },
        line.offset,
        line.dev_major,
        line.dev_minor,
        line.inode,
    )?;
    if let Some(name) = line.name {
        // seq_pad(m, ' '): spaces up to the width, then the separator itself.
        let pad = NAME_PAD_WIDTH.saturating_sub(w.written);
        write!(w, "{:pad$} {name}", "")?;
    }
    w.write_char('\n')
}
