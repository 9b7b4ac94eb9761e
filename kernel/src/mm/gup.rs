//! Reaching pages of an address space from outside it (Linux's get_user_pages_remote and
//! access_remote_vm, what process_vm_readv, process_vm_writev and /proc/PID/mem use): the pages
//! are faulted in as an access of the owner would fault them, and a reference to each frame is
//! taken, so that the copy can happen after the owner's mm lock is dropped (the copy touches the
//! caller's own memory, whose faults take the caller's mm lock: two mm locks are never held at
//! once).
//!
//! A forced access (Linux's FOLL_FORCE, which /proc/PID/mem uses, as a debugger does to set a
//! breakpoint in read-only text) reaches what the area's `may` rights allow, not only its
//! current ones:
//! - a read of an area without VM_READ works if it has VM_MAYREAD; a page of an inaccessible
//!   (PROT_NONE) area is read where it is, or as the zero page or the file's page if it has none
//!   (Linux would map it, not present, first: the bytes are the same);
//! - a write to a private area without VM_WRITE copies the page as a write fault would, the
//!   entry staying read-only, or not present in an inaccessible area
//!   ([`super::mprotect::mk_pte`]); a shared area without VM_WRITE stays out of reach (Linux's
//!   is_cow_mapping test), as does a hugetlb area without it;
//! - differently from Linux, a hugetlb page of an inaccessible area that was never faulted in
//!   is not read (Linux faults it in first).

use alloc::vec::Vec;
use x86_64::{VirtAddr, structures::paging::PhysFrame};

use super::{
    fault::{Access, Area},
    frame::{self, Frame, PageFlags},
    layout::{PAGE_SIZE, TASK_SIZE, page_down},
    mm_struct::{Mm, MmInner, VmFlags},
    paging::{Pmd, PteFlags},
};

/// The most pages taken at once (Linux's PVM_MAX_PP_ARRAY_COUNT).
pub const GUP_BATCH: usize = 16;

/// How pages are reached (Linux's FOLL_WRITE and FOLL_FORCE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Foll {
    pub write: bool,
    pub force: bool,
}

/// Whether an area with rights `vm` may be reached as `foll` asks (Linux's check_vma_flags).
fn check_vma_flags(vm: VmFlags, foll: Foll) -> bool {
    if foll.write {
        // Linux: "hugetlb does not support FOLL_FORCE|FOLL_WRITE".
        let forcible = !vm.contains(VmFlags::HUGETLB) && is_cow_mapping(vm);
        vm.contains(VmFlags::WRITE) || (foll.force && forcible)
    } else {
        vm.contains(VmFlags::READ) || (foll.force && vm.contains(VmFlags::MAYREAD))
    }
}

/// An anonymous page no other mapping shares: a forced write may go to it in place.
fn is_own_anon(frame: PhysFrame) -> bool {
    let page = frame::page(frame);
    page.flags().contains(PageFlags::ANON) && page.is_exclusive()
}

/// A private area that could be made writable: its writes are copies (Linux's is_cow_mapping).
fn is_cow_mapping(vm: VmFlags) -> bool {
    vm & (VmFlags::SHARED | VmFlags::MAYWRITE) == VmFlags::MAYWRITE
}

impl MmInner {
    /// Takes the frames of up to `max` pages from `start` (page-aligned) into `pages`, which has
    /// room for them. Stops at the first page that no area maps (stacks do not grow for another
    /// process), whose area does not allow the access (see [`check_vma_flags`]), or that cannot
    /// be brought in.
    pub fn get_user_pages_remote(
        &mut self,
        start: u64,
        max: usize,
        foll: Foll,
        pages: &mut Vec<Frame>,
    ) {
        for i in 0..max as u64 {
            let addr = start + i * PAGE_SIZE;
            if addr >= TASK_SIZE || pages.len() == pages.capacity() {
                return;
            }
            match self.follow_page(addr, foll) {
                Some(frame) => pages.push(frame),
                None => return,
            }
        }
    }

    /// The frame at `addr` for `foll`, brought in if need be (Linux's follow_page_mask and, when
    /// it finds nothing, faultin_page).
    fn follow_page(&mut self, addr: u64, foll: Foll) -> Option<Frame> {
        let vma = self.vmas.find_vma(addr).filter(|v| v.start() <= addr)?;
        let area = Area::of(vma);
        if !check_vma_flags(area.flags, foll) {
            return None;
        }
        let accessible = area
            .flags
            .intersects(VmFlags::READ | VmFlags::WRITE | VmFlags::EXEC);
        let va = VirtAddr::new(page_down(addr));
        if foll.write && !area.flags.contains(VmFlags::WRITE) {
            self.unshare_forced(addr, &area)?;
        } else if !accessible {
            return self.peek_inaccessible(va, &area);
        } else {
            let (access, needed) = match foll.write {
                true => (Access::Write, PteFlags::WRITABLE),
                false => (Access::Read, PteFlags::empty()),
            };
            if !self.pt.lookup(va).is_some_and(|(_, f)| f.contains(needed)) {
                self.handle_mm_fault(addr, access, &area).ok()?;
            }
        }
        self.pt.mapped_frame(va).map(Frame::get)
    }

    /// A forced write to a private area without VM_WRITE: makes the page this process's own
    /// anonymous copy, as a write fault would (do_wp_page for a page that is there, the fault
    /// path for one that is not), its entry staying read-only, or not present in an
    /// inaccessible area ([`super::mprotect::mk_pte`]).
    fn unshare_forced(&mut self, addr: u64, area: &Area) -> Option<()> {
        if let Pmd::Huge { head, .. } = self.pt.pmd(addr) {
            if frame::huge_is_exclusive(head) {
                return Some(());
            }
            self.pt.split_huge_pmd(addr);
        }
        let page = page_down(addr);
        match self.pt.mapped_frame(VirtAddr::new(page)) {
            Some(frame) if is_own_anon(frame) => {}
            Some(frame) => {
                self.do_wp_page(page, frame, area).ok()?;
            }
            None => {
                self.handle_mm_fault(addr, Access::Write, area).ok()?;
            }
        }
        Some(())
    }

    /// A forced read of an inaccessible area: the frame its entry keeps, else what a fault
    /// would bring (the zero page, or the file's page if the file reaches that far).
    fn peek_inaccessible(&mut self, va: VirtAddr, area: &Area) -> Option<Frame> {
        if let Some(frame) = self.pt.mapped_frame(va) {
            return Some(Frame::get(frame));
        }
        // A hugetlb page is only ever had whole from the pool: one not faulted in yet stops
        // the access (Linux would fault it in).
        if area.flags.contains(VmFlags::HUGETLB) {
            return None;
        }
        match area.file_page(va.as_u64()) {
            None => Some(Frame::zero_page()),
            Some((file, pgoff)) => {
                if pgoff >= file.0.size().div_ceil(PAGE_SIZE) {
                    return None;
                }
                file.0.get_page(pgoff).ok()
            }
        }
    }
}

/// Reads the bytes of `mm` from `addr` into `buf` (Linux's access_remote_vm), with FOLL_FORCE
/// if `force`: returns how many were read, stopping at the first page that cannot be reached.
pub fn access_remote_read(mm: &Mm, addr: u64, buf: &mut [u8], force: bool) -> usize {
    let foll = Foll {
        write: false,
        force,
    };
    for_each_remote_page(mm, addr, buf.len(), foll, |frame, offset, at, n| {
        frame.read(offset, &mut buf[at..at + n]);
    })
}

/// Writes `buf` into `mm` at `addr` with FOLL_FORCE (what /proc/PID/mem writes): a private page
/// is copied first, as a write fault would. Returns how many bytes were written.
pub fn access_remote_write(mm: &Mm, addr: u64, buf: &[u8]) -> usize {
    let foll = Foll {
        write: true,
        force: true,
    };
    for_each_remote_page(mm, addr, buf.len(), foll, |frame, offset, at, n| {
        frame.write(offset, &buf[at..at + n]);
    })
}

/// Linux's __access_remote_vm: for each page of [addr, addr + len), takes its frame under the mm
/// lock, then calls `copy(frame, offset in the page, offset in the buffer, bytes)` without it.
/// Returns the bytes visited, stopping at the first page that cannot be reached.
fn for_each_remote_page(
    mm: &Mm,
    addr: u64,
    len: usize,
    foll: Foll,
    mut copy: impl FnMut(&Frame, usize, usize, usize),
) -> usize {
    let mut done = 0;
    let mut pages = Vec::new();
    if pages.try_reserve_exact(1).is_err() {
        return 0;
    }
    while done < len {
        let Some(at) = addr.checked_add(done as u64).filter(|&a| a < TASK_SIZE) else {
            break;
        };
        let offset = (at % PAGE_SIZE) as usize;
        pages.clear();
        mm.lock()
            .get_user_pages_remote(at - offset as u64, 1, foll, &mut pages);
        let Some(frame) = pages.first() else { break };
        let n = (PAGE_SIZE as usize - offset).min(len - done);
        copy(frame, offset, done, n);
        done += n;
    }
    done
}
