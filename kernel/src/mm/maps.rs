//! /proc/PID/maps and the memory lines of /proc/PID/status, printed exactly as Linux's
//! fs/proc/task_mmu.c and fs/proc/array.c print them.

use alloc::string::String;
use core::fmt::Write;

use super::{
    layout::PAGE_SIZE,
    mm_struct::{MmInner, VmFlags},
    vm_object::VmFile,
};
use vma::maps::{MapsLine, write_maps_line};

/// What follows the path of an unlinked file.
const DELETED: &str = " (deleted)";

impl MmInner {
    /// The name Linux gives an area: its file's path, "[heap]" for an area overlapping the heap,
    /// "[stack]" for the one holding the initial stack pointer, or none.
    fn area_name<'a>(&self, vma: &'a vma::Vma<VmFile>) -> Option<&'a str> {
        if let Some(file) = vma.file() {
            return Some(file.0.identity().path);
        }
        // vma_is_initial_heap and vma_is_initial_stack (include/linux/mm.h).
        if vma.start() < self.layout.brk && vma.end() > self.layout.start_brk {
            return Some("[heap]");
        }
        if vma.start() <= self.layout.start_stack && vma.end() >= self.layout.start_stack {
            return Some("[stack]");
        }
        None
    }

    /// The text of /proc/PID/maps, or None if memory for it cannot be had (a process may have
    /// 65,530 areas: megabytes of text). Room for the longest line each area can have is reserved
    /// up front, so the writes below never allocate.
    pub fn render_maps(&self) -> Option<String> {
        /// Everything of a maps line but the name, at its widest: two 16-digit addresses, perms,
        /// a 16-digit offset, a device, a 20-digit inode, the padding and the newline.
        const LINE_MAX: usize = 16 + 1 + 16 + 1 + 4 + 1 + 16 + 1 + 11 + 1 + 20 + 32 + 1;
        let bound = self.vmas.iter().fold(0usize, |sum, vma| {
            let name = self.area_name(vma).map_or(0, str::len) + DELETED.len();
            sum.saturating_add(LINE_MAX + name)
        });
        let mut out = String::new();
        out.try_reserve_exact(bound).ok()?;
        for vma in self.vmas.iter() {
            let (dev, ino, offset) = match vma.file() {
                Some(f) => {
                    let id = f.0.identity();
                    (id.dev, id.ino, vma.maps_offset())
                }
                None => ((0, 0), 0, 0),
            };
            let line = MapsLine {
                start: vma.start(),
                end: vma.end(),
                flags: vma.flags(),
                offset,
                dev_major: dev.0,
                dev_minor: dev.1,
                inode: ino,
                name: self.area_name(vma),
            };
            let _ = write_maps_line(&mut out, &line);
            if vma.file().is_some_and(|f| f.0.identity().deleted) {
                out.pop(); // the newline
                out.push_str(DELETED);
                out.push('\n');
            }
        }
        Some(out)
    }

    /// The Vm*/Rss* lines of /proc/PID/status, in kB, in Linux's order and format.
    pub fn render_status_memory(&self, out: &mut String) {
        let kb = |pages: u64| pages * (PAGE_SIZE / 1024);
        let total: u64 = self.vmas.iter().map(|v| v.pages()).sum();
        let data: u64 = self
            .vmas
            .iter()
            .filter(|v| {
                v.flags().contains(VmFlags::WRITE)
                    && !v.flags().intersects(VmFlags::SHARED | VmFlags::GROWSDOWN)
            })
            .map(|v| v.pages())
            .sum();
        let stack: u64 = self
            .vmas
            .iter()
            .filter(|v| v.flags().contains(VmFlags::GROWSDOWN))
            .map(|v| v.pages())
            .sum();
        let exe: u64 = self
            .vmas
            .iter()
            .filter(|v| v.flags().contains(VmFlags::EXEC) && !v.flags().contains(VmFlags::WRITE))
            .map(|v| v.pages())
            .sum();
        let c = &self.counters;
        for (name, pages) in [
            ("VmPeak", total),
            ("VmSize", total),
            ("VmLck", 0),
            ("VmPin", 0),
            ("VmHWM", c.hiwater_rss),
            ("VmRSS", c.rss()),
            ("RssAnon", c.anon),
            ("RssFile", c.file),
            ("RssShmem", c.shmem),
            ("VmData", data),
            ("VmStk", stack),
            ("VmExe", exe),
            ("VmLib", 0),
            ("VmPTE", self.pt.table_frames() as u64),
            ("VmSwap", 0),
        ] {
            let _ = writeln!(out, "{name}:\t{:>8} kB", kb(pages));
        }
    }

    /// This kernel's own counters (not in Linux): faults and copy-on-write outcomes.
    pub fn render_mmstat(&self) -> String {
        let c = &self.counters;
        let mut out = String::new();
        let _ = writeln!(out, "faults {}", c.faults);
        let _ = writeln!(out, "zero_page_maps {}", c.zero_page_maps);
        let _ = writeln!(out, "cow_copies {}", c.cow_copies);
        let _ = writeln!(out, "cow_reuses {}", c.cow_reuses);
        let _ = writeln!(out, "rss_anon {}", c.anon);
        let _ = writeln!(out, "rss_file {}", c.file);
        let _ = writeln!(out, "rss_shmem {}", c.shmem);
        let _ = writeln!(out, "vmas {}", self.vmas.len());
        let _ = writeln!(out, "page_tables {}", self.pt.table_frames());
        out
    }
}
