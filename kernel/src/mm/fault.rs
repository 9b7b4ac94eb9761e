//! The page-fault path (Linux's handle_mm_fault and friends in mm/memory.c): find the VMA, check the
//! access against its rights, then bring the page in.
//!
//! | situation | what happens |
//! |---|---|
//! | no VMA at the address (and no stack to grow into it) | SIGSEGV, "no mapping" (SEGV_MAPERR) |
//! | the VMA forbids the access (write to r--, fetch from rw-, any access to ---) | SIGSEGV, "protection" (SEGV_ACCERR) |
//! | anonymous page, read | the shared zero page, read-only |
//! | anonymous page, write | a fresh zeroed frame, or a whole 2 MiB huge page where the area allows it ([`super::huge_memory`]) |
//! | file page, shared area or read | the file's page-cache frame (read-only in a private area) |
//! | file page, private area, write | a private copy of the page-cache frame |
//! | present read-only page of a writable private area, write | copy-on-write: reuse the frame if this process is its only user, else copy it |
//! | present read-only huge page, write | reuse it whole if this process is its only user, else split it and copy the one small page |
//! | any fault in a hugetlb area | the whole 2 MiB page from the pool ([`super::hugetlb`]); SIGBUS when it has none |
//!
//! Nothing here depends on anything but the fault: no work for other pages is done on this path.

use x86_64::VirtAddr;

use super::{
    frame::{self, Frame, PageFlags},
    layout::{PAGE_SIZE, page_down},
    mm_struct::{MMAP_MIN_ADDR, MmInner, STACK_GUARD_GAP, VmFlags},
    mprotect::mk_pte,
    paging::PteFlags,
    vm_object::{PageError, VmFile},
};

/// The kind of access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// Why a fault could not be resolved: the process gets SIGSEGV (or, for OOM, is killed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultError {
    /// No VMA covers the address (Linux's SEGV_MAPERR).
    NoMapping,
    /// The VMA does not allow this access (SEGV_ACCERR).
    Protection,
    /// No frame was left to bring the page in.
    OutOfMemory,
    /// A file page wholly beyond the end of the file (SIGBUS, as Linux sends).
    Bus,
}

impl FaultError {
    pub fn describe(self) -> &'static str {
        match self {
            FaultError::NoMapping => "no mapping at this address",
            FaultError::Protection => "access not permitted by the mapping",
            FaultError::OutOfMemory => "out of memory",
            FaultError::Bus => "file page beyond the end of the file",
        }
    }
}

/// How a fault was resolved (for tests and statistics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultOutcome {
    ZeroPage,
    NewAnonPage,
    /// A transparent huge page (see [`super::huge_memory`]).
    NewHugePage,
    FilePage,
    FileCopy,
    CowCopy,
    CowReuse,
    /// The PTE already allowed the access (another path fixed it, or a stale TLB entry).
    Spurious,
}

/// What the fault path needs to know about the VMA (copied out so the tree is not borrowed).
pub(super) struct Area {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) flags: VmFlags,
    file: Option<VmFile>,
    pgoff: u64,
}

impl Area {
    pub(super) fn of(vma: &vma::Vma<VmFile>) -> Area {
        Area {
            start: vma.start(),
            end: vma.end(),
            flags: vma.flags(),
            file: vma.file().cloned(),
            pgoff: vma.pgoff(),
        }
    }

    /// The file and page offset behind `addr`, for an area that maps a file.
    pub(super) fn file_page(&self, addr: u64) -> Option<(&VmFile, u64)> {
        let file = self.file.as_ref()?;
        Some((
            file,
            self.pgoff + (page_down(addr) - self.start) / PAGE_SIZE,
        ))
    }
}

impl From<PageError> for FaultError {
    fn from(err: PageError) -> Self {
        match err {
            PageError::Beyond => FaultError::Bus,
            PageError::NoMemory => FaultError::OutOfMemory,
        }
    }
}

impl MmInner {
    /// Resolves a fault at `addr`. Linux's handle_mm_fault, including the stack expansion of
    /// lock_mm_and_find_vma.
    pub fn handle_fault(&mut self, addr: u64, access: Access) -> Result<FaultOutcome, FaultError> {
        let area = self.find_area(addr)?;
        let allowed = match access {
            Access::Write => area.flags.contains(VmFlags::WRITE),
            Access::Execute => area.flags.contains(VmFlags::EXEC),
            Access::Read => area
                .flags
                .intersects(VmFlags::READ | VmFlags::WRITE | VmFlags::EXEC),
        };
        if !allowed {
            return Err(FaultError::Protection);
        }
        self.handle_mm_fault(addr, access, &area)
    }

    /// Brings the page at `addr` in for `access` once the area's rights are settled: by the
    /// fault path above, or by get_user_pages with FOLL_FORCE ([`super::gup`]), which may write
    /// to a private area without VM_WRITE. Such a write copies the page as any write to a
    /// private page does, but the entry stays read-only ([`mk_pte`]), so the owner's own writes
    /// still fault.
    pub(super) fn handle_mm_fault(
        &mut self,
        addr: u64,
        access: Access,
        area: &Area,
    ) -> Result<FaultOutcome, FaultError> {
        let page = page_down(addr);
        self.counters.faults += 1;
        if area.flags.contains(VmFlags::HUGETLB) {
            return self.hugetlb_fault(addr, access, area);
        }
        let va = VirtAddr::new(page);
        match self.pt.lookup(va) {
            Some((frame, flags)) => {
                if access == Access::Write && !flags.contains(PteFlags::WRITABLE) {
                    if flags.contains(PteFlags::HUGE_PAGE) {
                        if self.do_huge_pmd_wp_page(addr, frame, area.start, area.end, area.flags) {
                            return Ok(FaultOutcome::CowReuse);
                        }
                        // Split: the small page at `addr` is now a PTE of its own.
                        let (frame, _) = self.pt.lookup(va).ok_or(FaultError::NoMapping)?;
                        return self.do_wp_page(page, frame, area);
                    }
                    self.do_wp_page(page, frame, area)
                } else {
                    // Nothing to do: the PTE permits the access already.
                    x86_64::instructions::tlb::flush(va);
                    Ok(FaultOutcome::Spurious)
                }
            }
            None => match &area.file {
                None if access == Access::Write && area.flags.contains(VmFlags::WRITE) => {
                    match self.do_huge_pmd_anonymous_page(addr, area.start, area.end, area.flags) {
                        Some(outcome) => Ok(outcome),
                        None => self.do_anonymous_page(page, access, area),
                    }
                }
                None => self.do_anonymous_page(page, access, area),
                Some(file) => self.do_file_page(page, access, area, file.clone()),
            },
        }
    }

    /// Finds the VMA for a faulting address, growing a stack down to it if that is what it is.
    fn find_area(&mut self, addr: u64) -> Result<Area, FaultError> {
        let vma = self.vmas.find_vma(addr).ok_or(FaultError::NoMapping)?;
        if vma.start() <= addr {
            return Ok(Area::of(vma));
        }
        // Below a stack? Grow it, within RLIMIT_STACK (and RLIMIT_AS) and the guard gap, and never
        // below vm.mmap_min_addr (expand_downwards's security_mmap_addr check and
        // acct_stack_growth).
        if !vma.flags().contains(VmFlags::GROWSDOWN)
            || vma.end() - page_down(addr) > super::rlimit::stack_limit()
            || page_down(addr) < MMAP_MIN_ADDR
            || !self.may_expand_vm(vma.flags(), (vma.start() - page_down(addr)) / PAGE_SIZE)
        {
            return Err(FaultError::NoMapping);
        }
        let start = vma.start();
        self.vmas
            .expand_down(start, page_down(addr), STACK_GUARD_GAP)
            .map_err(|_| FaultError::NoMapping)?;
        Ok(Area::of(self.vmas.find(addr).ok_or(FaultError::NoMapping)?))
    }

    /// Maps `frame` at `page` with the area's rights (writable only if `writable` and the area
    /// allows writes; not present in an inaccessible area, see [`mk_pte`]), and counts it.
    /// On failure (no memory for a page table) the frame's reference is dropped.
    fn map_new(
        &mut self,
        page: u64,
        frame: Frame,
        vm: VmFlags,
        writable: bool,
    ) -> Result<(), FaultError> {
        let flags = frame.page().flags();
        self.pt
            .map_raw(VirtAddr::new(page), frame, mk_pte(vm, writable))
            .map_err(|_| FaultError::OutOfMemory)?;
        self.counters.add_page(flags);
        Ok(())
    }

    /// do_anonymous_page: the zero page for a read, a fresh zeroed frame for a write.
    fn do_anonymous_page(
        &mut self,
        page: u64,
        access: Access,
        area: &Area,
    ) -> Result<FaultOutcome, FaultError> {
        let shared = area.flags.contains(VmFlags::MAYSHARE);
        if access != Access::Write && !shared {
            self.map_new(page, Frame::zero_page(), area.flags, false)?;
            self.counters.zero_page_maps += 1;
            return Ok(FaultOutcome::ZeroPage);
        }
        let frame = Frame::alloc_user_zeroed().ok_or(FaultError::OutOfMemory)?;
        frame.page().set_flags(PageFlags::ANON);
        self.map_new(page, frame, area.flags, area.flags.contains(VmFlags::WRITE))?;
        Ok(FaultOutcome::NewAnonPage)
    }

    /// do_read_fault / do_shared_fault / do_cow_fault: bring a page in from the area's object.
    fn do_file_page(
        &mut self,
        page: u64,
        access: Access,
        area: &Area,
        file: VmFile,
    ) -> Result<FaultOutcome, FaultError> {
        // The VMA tree guarantees the area's last page offset exists, so this cannot overflow.
        let pgoff = area.pgoff + (page - area.start) / PAGE_SIZE;
        // A page wholly beyond the end of the object: SIGBUS (Linux's filemap_fault checks i_size).
        if pgoff >= file.0.size().div_ceil(PAGE_SIZE) {
            return Err(FaultError::Bus);
        }
        let cached = file.0.get_page(pgoff)?;
        let shared = area.flags.contains(VmFlags::MAYSHARE);
        if shared || access != Access::Write {
            let writable = shared && area.flags.contains(VmFlags::WRITE);
            if writable {
                file.0.mark_dirty(pgoff);
            }
            self.map_new(page, cached, area.flags, writable)?;
            return Ok(FaultOutcome::FilePage);
        }
        // A write to a private file page: copy it now rather than map and copy again.
        let copy = Frame::alloc_user().ok_or(FaultError::OutOfMemory)?;
        copy.copy_from(cached.phys());
        drop(cached);
        copy.page().set_flags(PageFlags::ANON);
        self.map_new(page, copy, area.flags, area.flags.contains(VmFlags::WRITE))?;
        self.counters.cow_copies += 1;
        Ok(FaultOutcome::FileCopy)
    }

    /// do_wp_page: a write to a present, read-only page of a writable area, or a write forced
    /// into a private area without VM_WRITE (see [`super::gup`]), where the copy's entry stays
    /// read-only, or not present in an inaccessible area.
    pub(super) fn do_wp_page(
        &mut self,
        page: u64,
        old: x86_64::structures::paging::PhysFrame,
        area: &Area,
    ) -> Result<FaultOutcome, FaultError> {
        let va = VirtAddr::new(page);
        let old_page = frame::page(old);
        let old_flags = old_page.flags();
        let shared = area.flags.contains(VmFlags::MAYSHARE);
        // A shared page, or an anonymous page nobody else maps: make it writable where it is.
        // (The seed's "when only one process still uses a page it becomes writable without a copy".)
        if shared || (old_flags.contains(PageFlags::ANON) && old_page.is_exclusive()) {
            if shared && let Some(file) = &area.file {
                file.0
                    .mark_dirty(area.pgoff + (page - area.start) / PAGE_SIZE);
            }
            self.pt.set_flags(va, mk_pte(area.flags, true));
            if !shared {
                self.counters.cow_reuses += 1;
            }
            return Ok(FaultOutcome::CowReuse);
        }
        // Otherwise copy: a page shared with another process since fork, a page-cache page under a
        // private mapping, or the zero page (whose copy is just zeros).
        let new = Frame::alloc_user().ok_or(FaultError::OutOfMemory)?;
        let outcome = if old_flags.contains(PageFlags::ZERO) {
            frame::zero_frame(new.phys());
            FaultOutcome::NewAnonPage
        } else {
            new.copy_from(old);
            self.counters.cow_copies += 1;
            FaultOutcome::CowCopy
        };
        new.page().set_flags(PageFlags::ANON);
        let (replaced, _) = self
            .pt
            .replace(va, new, mk_pte(area.flags, true))
            .ok_or(FaultError::NoMapping)?;
        self.counters.add_page(PageFlags::ANON);
        self.counters.remove_page(old_flags);
        drop(replaced);
        Ok(outcome)
    }

    /// Writes `bytes` at `addr` in this address space, faulting pages in for writing as a user
    /// write would (exec uses this to lay out the stack and zero the bss tail). The caller has
    /// checked that the range lies in writable areas.
    pub fn populate_write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), FaultError> {
        let mut done = 0usize;
        while done < bytes.len() {
            let at = addr + done as u64;
            let offset = (at % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - offset).min(bytes.len() - done);
            let writable = |m: &Self| {
                m.pt.lookup(VirtAddr::new(page_down(at)))
                    .filter(|(_, f)| f.contains(PteFlags::WRITABLE))
            };
            if writable(self).is_none() {
                self.handle_fault(at, Access::Write)?;
            }
            let (frame, _) = writable(self).ok_or(FaultError::Protection)?;
            // The page table holds a reference to the frame while the mm lock is held.
            frame::write_frame(frame, offset, &bytes[done..done + n]);
            done += n;
        }
        Ok(())
    }
}
