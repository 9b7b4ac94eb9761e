//! /proc/PID/clear_refs (Linux's clear_refs_write in fs/proc/task_mmu.c): forgetting which pages
//! were used, so that smaps' Referenced shows the pages touched since (a working-set estimate),
//! and resetting the peak of resident memory (VmHWM).

use super::{
    mm_struct::MmInner,
    paging::{PteFlags, Visit},
};

/// What a write to clear_refs asks (Linux's enum clear_refs_types, numbered as written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClearRefs {
    /// 1: the accessed bit of every page.
    All = 1,
    /// 2: of the pages of anonymous areas.
    Anon = 2,
    /// 3: of the pages of areas that map a file.
    Mapped = 3,
    /// 4: the soft-dirty bits. This kernel keeps none (nor does a Linux built without
    /// CONFIG_MEM_SOFT_DIRTY): accepted, nothing to do.
    SoftDirty = 4,
    /// 5: VmHWM becomes the resident size now.
    HiwaterRss = 5,
}

impl ClearRefs {
    /// Reads a write as Linux does: at most 12 bytes, blanks around a decimal integer
    /// (kstrtoint: a sign allowed, ERANGE past an int), EINVAL for anything else or a number
    /// that names no operation.
    pub fn parse(bytes: &[u8]) -> Result<ClearRefs, crate::syscall::errno::Errno> {
        use crate::syscall::errno::{EINVAL, ERANGE};
        let bytes = &bytes[..bytes.len().min(12)];
        let text = core::str::from_utf8(bytes).map_err(|_| EINVAL)?;
        let text = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
        let value: i32 = text.parse().map_err(|e: core::num::ParseIntError| {
            use core::num::IntErrorKind::{NegOverflow, PosOverflow};
            match e.kind() {
                PosOverflow | NegOverflow => ERANGE,
                _ => EINVAL,
            }
        })?;
        Ok(match value {
            1 => ClearRefs::All,
            2 => ClearRefs::Anon,
            3 => ClearRefs::Mapped,
            4 => ClearRefs::SoftDirty,
            5 => ClearRefs::HiwaterRss,
            _ => return Err(EINVAL),
        })
    }
}

impl MmInner {
    /// Carries out a clear_refs write: clears the accessed bit of the chosen areas' pages (huge
    /// entries and PROT_NONE ones too; the TLB is flushed so that the next access sets it
    /// again), or resets VmHWM.
    pub fn clear_refs(&mut self, what: ClearRefs) {
        match what {
            ClearRefs::SoftDirty => return,
            ClearRefs::HiwaterRss => {
                self.counters.hiwater_rss = self.counters.rss();
                return;
            }
            ClearRefs::All | ClearRefs::Anon | ClearRefs::Mapped => {}
        }
        let MmInner { vmas, pt, .. } = self;
        for vma in vmas.iter() {
            let file = vma.file().is_some();
            if (what == ClearRefs::Anon && file) || (what == ClearRefs::Mapped && !file) {
                continue;
            }
            pt.walk(vma.start(), vma.end(), false, &mut |_, entry| {
                let flags = entry.flags();
                if flags.contains(PteFlags::ACCESSED) {
                    entry.set_flags(flags - PteFlags::ACCESSED);
                }
                Visit::Keep
            });
        }
    }
}
