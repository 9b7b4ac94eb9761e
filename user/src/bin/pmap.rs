//! pmap [-xq] PID...: a process's memory areas from /proc/PID/smaps, in busybox pmap's format
//! (procps/pmap.c with libbb's procps_read_smaps, busybox 1.35). Debian's busybox-static is built
//! without pmap, so `make shell` puts this one in /bin; its output is what busybox's pmap prints.
//!
//! ```text
//! 5: sleep 100
//! 0000000000400000       4K r--p  /bin/busybox
//! 00000000005ec000     136K rw-p    [ anon ]
//! mapped: 2236K
//! ```
//!
//! With -x: Kbytes, PSS, Dirty (private) and Swap per area and in total; -q leaves out the header
//! and the totals. The status is 42 if some PID could not be read, as GNU and busybox pmap.

#![no_std]
#![no_main]

use user::{Args, eprintln, print, println};

user::entry!(main);

const OPT_X: u32 = 1;
const OPT_Q: u32 = 2;

fn main(args: Args) -> i32 {
    let mut opts = 0;
    let mut pids = 0;
    let mut status = 0;
    for i in 1..args.len() {
        let arg = args.str(i).unwrap_or("");
        if let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) {
            for flag in flags.chars() {
                match flag {
                    'x' => opts |= OPT_X,
                    'q' => opts |= OPT_Q,
                    _ => return usage(),
                }
            }
        }
    }
    for i in 1..args.len() {
        let arg = args.str(i).unwrap_or("");
        if arg.starts_with('-') && arg.len() > 1 {
            continue;
        }
        let Some(pid) = arg.parse::<u32>().ok().filter(|p| *p <= i32::MAX as u32) else {
            eprintln!("pmap: invalid number '{arg}'");
            return 1;
        };
        pids += 1;
        if !show_maps(pid, opts) {
            status = 42;
        }
    }
    if pids == 0 {
        return usage();
    }
    status
}

fn usage() -> i32 {
    eprintln!(
        "Usage: pmap [-xq] PID...\n\nDisplay process (PID) memory map\n\n\t-x\tShow details\n\t-q\tQuiet"
    );
    1
}

/// One area and its numbers, in KiB (busybox's struct smaprec).
#[derive(Clone, Copy)]
struct Area {
    start: u64,
    size: u64,
    pss: u64,
    swap: u64,
    private_dirty: u64,
    mode: [u8; 4],
    name: [u8; 256],
    name_len: usize,
}

impl Area {
    const EMPTY: Area = Area {
        start: 0,
        size: 0,
        pss: 0,
        swap: 0,
        private_dirty: 0,
        mode: [b' '; 4],
        name: [0; 256],
        name_len: 0,
    };

    fn print(&self, opts: u32) {
        print!("{:016x} ", self.start);
        if opts & OPT_X != 0 {
            print!(
                "{:7} {:7} {:7} {:7} ",
                self.size, self.pss, self.private_dirty, self.swap
            );
        } else {
            print!("{:7}K", self.size);
        }
        let mode = core::str::from_utf8(&self.mode).unwrap_or("????");
        let name = core::str::from_utf8(&self.name[..self.name_len]).unwrap_or("?");
        println!(" {mode}  {name}");
    }
}

/// Prints one process's areas (procps_get_maps); false if its smaps could not be read.
fn show_maps(pid: u32, opts: u32) -> bool {
    println!("{pid}: {}", Cmdline::of(pid).as_str());
    if opts & OPT_Q == 0 && opts & OPT_X != 0 {
        println!("Address\t\t  Kbytes     PSS   Dirty    Swap  Mode  Mapping");
    }
    let mut path = [0u8; 32];
    let path = proc_path(&mut path, pid, "smaps");
    let mut current = Area::EMPTY;
    let mut total = Area::EMPTY;
    let read = user::procfs::for_each_line(path, |line| {
        for (key, field) in [(&b"Pss:"[..], 0), (b"Swap:", 1), (b"Private_Dirty:", 2)] {
            if let Some(rest) = line.strip_prefix(key) {
                let value = number(rest, 10);
                match field {
                    0 => (current.pss, total.pss) = (value, total.pss + value),
                    1 => (current.swap, total.swap) = (value, total.swap + value),
                    _ => {
                        current.private_dirty = value;
                        total.private_dirty += value;
                    }
                }
                return;
            }
        }
        if !line.contains(&b'-') {
            return;
        }
        // The next area's header: "start-end perms offset dev inode name".
        if current.size != 0 {
            current.print(opts);
        }
        current = Area::EMPTY;
        let Some(area) = parse_header(line) else {
            return;
        };
        current = area;
        total.size += current.size;
    });
    if !read {
        return false;
    }
    if current.size != 0 {
        current.print(opts);
    }
    if opts & OPT_Q == 0 {
        if opts & OPT_X != 0 {
            println!("----------------  ------  ------  ------  ------");
            println!(
                "total\t\t {:7} {:7} {:7} {:7}",
                total.size, total.pss, total.private_dirty, total.swap
            );
        } else {
            println!("mapped: {}K", total.size);
        }
    }
    true
}

/// An smaps header line as an area: its start, size in KiB, mode and name ("  [ anon ]" for an
/// area without one).
fn parse_header(line: &[u8]) -> Option<Area> {
    let mut area = Area::EMPTY;
    let dash = line.iter().position(|&b| b == b'-')?;
    area.start = number(&line[..dash], 16);
    let rest = &line[dash + 1..];
    let space = rest.iter().position(|&b| b == b' ')?;
    let end = number(&rest[..space], 16);
    area.size = end.saturating_sub(area.start) >> 10;
    let mut fields = rest[space + 1..]
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty());
    let mode = fields.next()?;
    let n = mode.len().min(4);
    area.mode[..n].copy_from_slice(&mode[..n]);
    // offset, device, inode, then the name (which may hold spaces).
    for _ in 0..3 {
        fields.next();
    }
    let name = fields.next().map_or(&b""[..], |first| {
        let at = first.as_ptr() as usize - line.as_ptr() as usize;
        &line[at..]
    });
    // busybox keeps the name up to its first blank.
    let name = name.split(|&b| b == b' ').next().unwrap_or(b"");
    let name: &[u8] = if name.is_empty() { b"  [ anon ]" } else { name };
    let n = name.len().min(area.name.len());
    area.name[..n].copy_from_slice(&name[..n]);
    area.name_len = n;
    Some(area)
}

/// The number at the start of `text` (after blanks), in `radix`; 0 if there is none.
fn number(text: &[u8], radix: u32) -> u64 {
    let text = text.trim_ascii_start();
    let digits = text
        .iter()
        .take_while(|b| char::from(**b).is_digit(radix))
        .count();
    core::str::from_utf8(&text[..digits])
        .ok()
        .and_then(|d| u64::from_str_radix(d, radix).ok())
        .unwrap_or(0)
}

/// "/proc/PID/NAME" and a NUL, in `buf`.
fn proc_path<'a>(buf: &'a mut [u8; 32], pid: u32, name: &str) -> &'a [u8] {
    use core::fmt::Write;
    let mut w = Cursor { buf, len: 0 };
    let _ = write!(w, "/proc/{pid}/{name}\0");
    let len = w.len;
    &buf[..len]
}

struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl core::fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The command line as busybox's read_cmdline shows it: the arguments joined by spaces, or "[?]"
/// when there is none (a zombie).
struct Cmdline {
    buf: [u8; 256],
    len: usize,
}

impl Cmdline {
    fn of(pid: u32) -> Cmdline {
        let mut path = [0u8; 32];
        let path = proc_path(&mut path, pid, "cmdline");
        let mut out = Cmdline {
            buf: [0; 256],
            len: 0,
        };
        let n = user::read_file(path, &mut out.buf[..255]);
        if n <= 0 {
            out.buf[..3].copy_from_slice(b"[?]");
            out.len = 3;
            return out;
        }
        let mut len = n as usize;
        while len > 0 && out.buf[len - 1] == 0 {
            len -= 1;
        }
        for b in &mut out.buf[..len] {
            if *b < b' ' {
                *b = b' ';
            }
        }
        out.len = len;
        out
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}
