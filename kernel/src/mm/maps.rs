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
            ("VmLck", self.locked_pages()),
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
            // hugetlb_report_usage.
            ("HugetlbPages", c.hugetlb),
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
        let _ = writeln!(out, "thp_fault_alloc {}", c.thp_fault_alloc);
        let _ = writeln!(out, "thp_fault_fallback {}", c.thp_fault_fallback);
        let _ = writeln!(out, "rss_anon {}", c.anon);
        let _ = writeln!(out, "rss_file {}", c.file);
        let _ = writeln!(out, "rss_shmem {}", c.shmem);
        let _ = writeln!(out, "vmas {}", self.vmas.len());
        let _ = writeln!(out, "page_tables {}", self.pt.table_frames());
        out
    }
}

/// Linux's PSS_SHIFT: proportional sizes are summed in fixed point to keep the division exact.
const PSS_SHIFT: u32 = 12;

/// What /proc/PID/smaps counts for one area (Linux's struct mem_size_stats), in bytes (`pss*` in
/// bytes << PSS_SHIFT).
#[derive(Clone, Copy, Debug, Default)]
pub struct MemSizeStats {
    pub resident: u64,
    pub pss: u64,
    pub pss_dirty: u64,
    pub pss_anon: u64,
    pub pss_file: u64,
    pub pss_shmem: u64,
    pub shared_clean: u64,
    pub shared_dirty: u64,
    pub private_clean: u64,
    pub private_dirty: u64,
    pub referenced: u64,
    pub anonymous: u64,
    /// The proportional size of the pages of locked areas (Linux's pss_locked: smaps' Locked).
    pub pss_locked: u64,
    /// Anonymous memory mapped by huge entries (AnonHugePages).
    pub anonymous_thp: u64,
    /// Hugetlb pages mapped by more than one entry (Shared_Hugetlb), or by this one alone
    /// (Private_Hugetlb).
    pub shared_hugetlb: u64,
    pub private_hugetlb: u64,
}

impl MemSizeStats {
    fn add(&mut self, o: &MemSizeStats) {
        self.resident += o.resident;
        self.pss += o.pss;
        self.pss_dirty += o.pss_dirty;
        self.pss_anon += o.pss_anon;
        self.pss_file += o.pss_file;
        self.pss_shmem += o.pss_shmem;
        self.shared_clean += o.shared_clean;
        self.shared_dirty += o.shared_dirty;
        self.private_clean += o.private_clean;
        self.private_dirty += o.private_dirty;
        self.referenced += o.referenced;
        self.anonymous += o.anonymous;
        self.pss_locked += o.pss_locked;
        self.anonymous_thp += o.anonymous_thp;
        self.shared_hugetlb += o.shared_hugetlb;
        self.private_hugetlb += o.private_hugetlb;
    }

    /// Counts a hugetlb page (Linux's smaps_hugetlb_range): only in Shared_Hugetlb or
    /// Private_Hugetlb, by how many entries map it; hugetlb pages are in no Rss.
    fn account_hugetlb(&mut self, head: x86_64::structures::paging::PhysFrame) {
        if super::frame::pmd_mapcount(head) >= 2 {
            self.shared_hugetlb += super::hugetlb::HPAGE_SIZE;
        } else {
            self.private_hugetlb += super::hugetlb::HPAGE_SIZE;
        }
    }

    /// Counts one mapped page (Linux's smaps_account): shared when more than one mapping holds it,
    /// its proportional share divided by that count; dirty if its PTE says so, or if it is
    /// anonymous (no clean copy of it exists anywhere).
    fn account(
        &mut self,
        flags: super::frame::PageFlags,
        refcount: u32,
        pte_dirty: bool,
        young: bool,
    ) {
        use super::frame::PageFlags;
        let size = PAGE_SIZE;
        let anon = flags.contains(PageFlags::ANON);
        // The page cache holds a reference of its own; the others are mappings.
        let mapcount = refcount
            .saturating_sub(flags.contains(PageFlags::PAGE_CACHE) as u32)
            .max(1) as u64;
        let dirty = pte_dirty || anon;
        self.resident += size;
        if young {
            self.referenced += size;
        }
        if anon {
            self.anonymous += size;
        }
        let pss = (size << PSS_SHIFT) / mapcount;
        self.pss += pss;
        if dirty {
            self.pss_dirty += pss;
        }
        if anon {
            self.pss_anon += pss;
        } else if flags.contains(PageFlags::SHMEM) {
            self.pss_shmem += pss;
        } else {
            self.pss_file += pss;
        }
        match (mapcount > 1, dirty) {
            (true, true) => self.shared_dirty += size,
            (true, false) => self.shared_clean += size,
            (false, true) => self.private_dirty += size,
            (false, false) => self.private_clean += size,
        }
    }

    /// Counts a huge page mapped whole (Linux's smaps_pmd_entry): its small pages one by one, as
    /// smaps_account does for a huge page shared with others, and its size as AnonHugePages.
    fn account_huge(&mut self, head: x86_64::PhysAddr, flags: super::paging::PteFlags) {
        use super::{frame, paging::PteFlags};
        let head = x86_64::structures::paging::PhysFrame::containing_address(head);
        for i in 0..frame::HPAGE_PMD_NR as u64 {
            let page = frame::page(head + i);
            self.account(
                page.flags(),
                page.refcount(),
                flags.contains(PteFlags::DIRTY),
                flags.contains(PteFlags::ACCESSED),
            );
        }
        self.anonymous_thp += super::paging::HPAGE_PMD_SIZE;
    }

    /// The lines from Rss to Locked, as Linux's __show_smap (kB, right-aligned in 8 columns).
    fn write(&self, out: &mut String, rollup: bool) {
        fn line(out: &mut String, name: &str, bytes: u64) {
            // "Name:" padded to 16 columns, then the value in 8 (SEQ_PUT_DEC).
            let pad = 15usize.saturating_sub(name.len());
            let _ = writeln!(out, "{name}:{:pad$}{:>8} kB", "", bytes >> 10);
        }
        line(out, "Rss", self.resident);
        line(out, "Pss", self.pss >> PSS_SHIFT);
        line(out, "Pss_Dirty", self.pss_dirty >> PSS_SHIFT);
        if rollup {
            line(out, "Pss_Anon", self.pss_anon >> PSS_SHIFT);
            line(out, "Pss_File", self.pss_file >> PSS_SHIFT);
            line(out, "Pss_Shmem", self.pss_shmem >> PSS_SHIFT);
        }
        line(out, "Shared_Clean", self.shared_clean);
        line(out, "Shared_Dirty", self.shared_dirty);
        line(out, "Private_Clean", self.private_clean);
        line(out, "Private_Dirty", self.private_dirty);
        line(out, "Referenced", self.referenced);
        line(out, "Anonymous", self.anonymous);
        line(out, "LazyFree", 0);
        line(out, "AnonHugePages", self.anonymous_thp);
        line(out, "ShmemPmdMapped", 0);
        line(out, "FilePmdMapped", 0);
        line(out, "Shared_Hugetlb", self.shared_hugetlb);
        let _ = writeln!(out, "Private_Hugetlb: {:>7} kB", self.private_hugetlb >> 10);
        line(out, "Swap", 0);
        line(out, "SwapPss", 0);
        line(out, "Locked", self.pss_locked >> PSS_SHIFT);
    }
}

/// The VmFlags mnemonics of /proc/PID/smaps, in Linux's order (show_smap_vma_flags), for the
/// flags this kernel has. `None` is VM_ACCOUNT ("ac"), which this kernel does not keep as a bit
/// but derives from the other flags ([`super::mm_struct::accountable`]).
const VM_FLAG_NAMES: [(Option<VmFlags>, &str); 23] = [
    (Some(VmFlags::READ), "rd"),
    (Some(VmFlags::WRITE), "wr"),
    (Some(VmFlags::EXEC), "ex"),
    (Some(VmFlags::SHARED), "sh"),
    (Some(VmFlags::MAYREAD), "mr"),
    (Some(VmFlags::MAYWRITE), "mw"),
    (Some(VmFlags::MAYEXEC), "me"),
    (Some(VmFlags::MAYSHARE), "ms"),
    (Some(VmFlags::GROWSDOWN), "gd"),
    (Some(VmFlags::LOCKED), "lo"),
    (Some(VmFlags::IO), "io"),
    (Some(VmFlags::SEQ_READ), "sr"),
    (Some(VmFlags::RAND_READ), "rr"),
    (Some(VmFlags::DONTCOPY), "dc"),
    (Some(VmFlags::DONTEXPAND), "de"),
    (Some(VmFlags::LOCKONFAULT), "lf"),
    (None, "ac"),
    (Some(VmFlags::NORESERVE), "nr"),
    (Some(VmFlags::HUGETLB), "ht"),
    (Some(VmFlags::WIPEONFORK), "wf"),
    (Some(VmFlags::DONTDUMP), "dd"),
    (Some(VmFlags::HUGEPAGE), "hg"),
    (Some(VmFlags::NOHUGEPAGE), "nh"),
];

/// The VmFlags line's mnemonics for an area's flags, each after a space.
fn push_vm_flags(out: &mut String, flags: VmFlags) {
    for (flag, name) in VM_FLAG_NAMES {
        let set = match flag {
            Some(flag) => flags.contains(flag),
            // `ac`: charged against memory (VM_ACCOUNT).
            None => flags.contains(VmFlags::ACCOUNT),
        };
        if set {
            out.push(' ');
            out.push_str(name);
        }
    }
}

impl MmInner {
    /// The statistics of one area's mapped pages (a walk of its page tables); all of its
    /// proportional size is locked if the area is (Linux's smap_gather_stats).
    fn area_stats(&mut self, start: u64, end: u64, flags: VmFlags) -> MemSizeStats {
        use super::{frame, paging::PteFlags, paging::Visit};
        let mut stats = MemSizeStats::default();
        self.pt.walk(start, end, false, &mut |_, entry| {
            let flags = entry.flags();
            if flags.contains(PteFlags::HUGE_PAGE) {
                let head = x86_64::structures::paging::PhysFrame::containing_address(entry.addr());
                if frame::page(head)
                    .flags()
                    .contains(frame::PageFlags::HUGETLB)
                {
                    stats.account_hugetlb(head);
                } else if flags.intersects(PteFlags::PRESENT | super::mprotect::PTE_PROTNONE) {
                    stats.account_huge(entry.addr(), flags);
                }
                return Visit::Keep;
            }
            // A PROT_NONE page counts as Linux's pte_present counts it on x86.
            if let Some(phys) = super::mprotect::leaf_frame(entry) {
                let page = frame::page(phys);
                // The zero page is not a page of the process (Linux's vm_normal_page skips it).
                if !page.flags().contains(frame::PageFlags::ZERO) {
                    stats.account(
                        page.flags(),
                        page.refcount(),
                        flags.contains(PteFlags::DIRTY),
                        flags.contains(PteFlags::ACCESSED),
                    );
                }
            }
            Visit::Keep
        });
        if flags.contains(VmFlags::LOCKED) {
            stats.pss_locked = stats.pss;
        }
        stats
    }

    /// /proc/PID/smaps: each area's maps line, then its sizes and flags, as Linux 6.1 prints them.
    /// None if memory for the text cannot be had.
    pub fn render_smaps(&mut self) -> Option<String> {
        let maps = self.render_maps()?;
        let areas: alloc::vec::Vec<(u64, u64, VmFlags, bool)> = {
            let mut v = alloc::vec::Vec::new();
            v.try_reserve_exact(self.vmas.len()).ok()?;
            v.extend(
                self.vmas
                    .iter()
                    .map(|a| (a.start(), a.end(), a.flags(), a.file().is_some())),
            );
            v
        };
        let mut out = String::new();
        out.try_reserve(maps.len() + areas.len() * 1024).ok()?;
        for (line, (start, end, flags, has_file)) in maps.lines().zip(areas) {
            let stats = self.area_stats(start, end, flags);
            let _ = writeln!(out, "{line}");
            let _ = writeln!(out, "Size:           {:>8} kB", (end - start) >> 10);
            // vma_kernel_pagesize and vma_mmu_pagesize: a hugetlb area's huge page.
            let page_size = if flags.contains(VmFlags::HUGETLB) {
                super::hugetlb::HPAGE_SIZE
            } else {
                PAGE_SIZE
            };
            let _ = writeln!(out, "KernelPageSize: {:>8} kB", page_size >> 10);
            let _ = writeln!(out, "MMUPageSize:    {:>8} kB", page_size >> 10);
            stats.write(&mut out, false);
            let eligible = !self.thp_disabled
                && super::huge_memory::vma_allows(flags, has_file)
                && super::huge_memory::has_huge_range(start, end);
            let _ = writeln!(out, "THPeligible:    {}", eligible as u8);
            out.push_str("VmFlags:");
            push_vm_flags(&mut out, flags);
            out.push_str(" \n");
        }
        Some(out)
    }

    /// /proc/PID/smaps_rollup: the sums over every area, under a line for the whole range.
    pub fn render_smaps_rollup(&mut self) -> Option<String> {
        let areas: alloc::vec::Vec<(u64, u64, VmFlags)> = {
            let mut v = alloc::vec::Vec::new();
            v.try_reserve_exact(self.vmas.len()).ok()?;
            v.extend(self.vmas.iter().map(|a| (a.start(), a.end(), a.flags())));
            v
        };
        let mut total = MemSizeStats::default();
        for &(start, end, flags) in &areas {
            total.add(&self.area_stats(start, end, flags));
        }
        let (first, last) = (
            areas.first().map_or(0, |a| a.0),
            areas.last().map_or(0, |a| a.1),
        );
        let mut out = String::new();
        let header = MapsLine {
            start: first,
            end: last,
            flags: VmFlags::empty(),
            offset: 0,
            dev_major: 0,
            dev_minor: 0,
            inode: 0,
            name: Some("[rollup]"),
        };
        let _ = write_maps_line(&mut out, &header);
        total.write(&mut out, true);
        Some(out)
    }
}
