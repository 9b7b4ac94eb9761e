//! Explicit huge pages (Linux's mm/hugetlb.c and fs/hugetlbfs): a pool of 2 MiB pages set aside
//! by the administrator, mapped whole with one PMD entry by MAP_HUGETLB and never split.
//!
//! | piece | Linux | here |
//! |---|---|---|
//! | the pool | `struct hstate` of 2 MiB pages: nr, free, resv, surplus | [`Pool`], sized through /proc/sys/vm/nr_hugepages, /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages or `hugepages=N` |
//! | a file of huge pages | a hugetlbfs inode (`/anon_hugepage` for MAP_HUGETLB) | [`HugetlbFile`]: its pages and its shared reservations |
//! | a private mapping's reservations | the VMA's `resv_map` (HPAGE_RESV_OWNER) | [`HugetlbPrivate`], the private areas' object |
//! | reservation at mmap | `hugetlb_reserve_pages` (ENOMEM when the pool cannot cover it) | [`HugetlbFile::reserve_shared`], [`HugetlbPrivate::new`] |
//! | a fault | `hugetlb_fault`, `hugetlb_no_page`, `hugetlb_wp` | [`MmInner::hugetlb_fault`] |
//! | splitting an area | `hugetlb_vm_op_split`: EINVAL off a 2 MiB boundary | [`MmInner::hugetlb_split_ok`] |
//!
//! How the pool holds its pages: each is an order-9 block split into 512 frames (as a transparent
//! huge page, see [`HugeFrame`]) of which the pool keeps one reference per frame for as long as
//! the page is in the pool. A page is free when that reference is the only one; mappings and files
//! hold theirs through [`HugeFrame`]s, so a page comes back to the pool when the last of them goes,
//! with no call-back from the frame allocator. Shrinking the pool drops the pool's references of
//! free pages, which hands their frames back to the buddy allocator. A page in use that the
//! administrator asked to be rid of becomes surplus (Linux's adjust_pool_surplus) and leaves the
//! pool as soon as it is free again ([`Pool::free_surplus`], run before every look at the pool).
//!
//! Reservations (HugePages_Rsvd) promise a mapping the pages it may fault: an mmap without
//! MAP_NORESERVE takes one per 2 MiB it does not already have, and fails with ENOMEM when free
//! pages less those promised cannot cover it. A fault takes the page its reservation promised;
//! one without a reservation (MAP_NORESERVE, a copy-on-write after fork) takes any free page not
//! promised to someone else, or gets SIGBUS when there is none, as in Linux.
//!
//! Private reservations belong to the process that made the mapping (Linux's HPAGE_RESV_OWNER):
//! a child after fork faults without them. They are given back when their part of the area is
//! unmapped, or when the area's object goes.

use alloc::{string::String, sync::Arc, vec::Vec};

use x86_64::structures::paging::PhysFrame;

use super::{
    fault::{Access, Area, FaultError, FaultOutcome},
    frame::{self, HPAGE_PMD_NR, HugeFrame, PageFlags},
    layout::PAGE_SIZE,
    mm_struct::{MmInner, VmFlags, VmaInfo},
    mprotect::mk_pte,
    paging::{HPAGE_PMD_SIZE, Pmd, PteFlags},
    vm_object::{ObjectIdentity, PageError, VmFile, VmObject},
};
use crate::{sync::IrqMutex, syscall::errno::*};

/// The size of a hugetlb page: 2 MiB, the only size this kernel has (Linux's default hstate on
/// x86-64).
pub const HPAGE_SIZE: u64 = HPAGE_PMD_SIZE;
/// log2 of [`HPAGE_SIZE`] (what MAP_HUGE_2MB and MFD_HUGE_2MB carry).
pub const HPAGE_SHIFT: u64 = 21;
/// Base pages per hugetlb page.
const PAGES_PER_HPAGE: u64 = HPAGE_SIZE / PAGE_SIZE;

/// The device hugetlbfs files are on, as /proc/PID/maps shows it.
pub const HUGETLBFS_DEV: (u32, u32) = (0, 17);

/// Whether `size_log` (the MAP_HUGE_* / MFD_HUGE_* bits) names a size this kernel has: 0 for
/// the default, 21 for 2 MiB (Linux's hstate_sizelog; 1 GiB pages are not configured here).
pub fn size_log_ok(size_log: u64) -> bool {
    size_log == 0 || size_log == HPAGE_SHIFT
}

/// `len` rounded up to whole huge pages, or None if that overflows.
pub fn align_up(len: u64) -> Option<u64> {
    Some(len.checked_add(HPAGE_SIZE - 1)? & !(HPAGE_SIZE - 1))
}

/// The pool of hugetlb pages (Linux's struct hstate for 2 MiB pages).
pub struct Pool {
    /// The first frame of every page in the pool, surplus ones included.
    pages: Vec<PhysFrame>,
    /// Pages promised to mappings and not yet faulted (HugePages_Rsvd).
    resv: usize,
    /// Pages in use that are to leave the pool when freed (HugePages_Surp).
    surplus: usize,
}

static POOL: IrqMutex<Pool> = IrqMutex::new(Pool {
    pages: Vec::new(),
    resv: 0,
    surplus: 0,
});

/// Whether only the pool's reference holds the page at `head`. The first and the last frame are
/// looked at: references are taken and dropped frame by frame in ascending order.
fn is_free(head: PhysFrame) -> bool {
    frame::page(head).refcount() == 1
        && frame::page(head + (HPAGE_PMD_NR as u64 - 1)).refcount() == 1
}

impl Pool {
    fn free(&self) -> usize {
        self.pages.iter().filter(|&&h| is_free(h)).count()
    }

    /// Pages in the pool not counting the surplus (Linux's persistent_huge_pages).
    fn persistent(&self) -> usize {
        self.pages.len() - self.surplus
    }

    /// Removes a free page from the pool and gives its frames back; false if none is free.
    fn remove_free_page(&mut self) -> bool {
        let Some(i) = self.pages.iter().position(|&h| is_free(h)) else {
            return false;
        };
        let head = self.pages.swap_remove(i);
        // SAFETY: the pool's references to the 512 frames, taken when the page joined it.
        drop(unsafe { HugeFrame::from_raw(head) });
        true
    }

    /// Surplus pages that have become free leave the pool, unless a reservation needs them
    /// (Linux's free_huge_page of a surplus page and return_unused_surplus_pages, done here
    /// when the pool is next looked at).
    fn free_surplus(&mut self) {
        while self.surplus > 0 && self.free() > self.resv && self.remove_free_page() {
            self.surplus -= 1;
        }
    }

    /// Linux's set_max_huge_pages: grows the persistent pool to `count` with free 2 MiB blocks
    /// (as many as there are), or shrinks it, never below what mappings use and have reserved;
    /// pages in use beyond `count` become surplus.
    fn set_max(&mut self, count: usize) {
        self.free_surplus();
        while self.surplus > 0 && count > self.persistent() {
            self.surplus -= 1;
        }
        while self.persistent() < count {
            if self.pages.try_reserve(1).is_err() {
                break;
            }
            let Some(huge) = HugeFrame::alloc_hugetlb() else {
                break;
            };
            self.pages.push(huge.into_raw());
        }
        let in_use = self.pages.len() - self.free();
        let min_count = (self.resv + in_use).max(count);
        while min_count < self.persistent() && self.remove_free_page() {}
        while count < self.persistent() && self.surplus < self.pages.len() {
            self.surplus += 1;
        }
        self.pages.shrink_to_fit();
    }
}

/// The pool's numbers, as /proc/meminfo and sysfs show them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Every page of the pool (HugePages_Total: surplus ones included).
    pub total: usize,
    pub free: usize,
    pub resv: usize,
    pub surplus: usize,
}

impl PoolStats {
    /// nr_hugepages: the pool less its surplus.
    pub fn persistent(&self) -> usize {
        self.total - self.surplus
    }
}

/// The pool's numbers now.
pub fn stats() -> PoolStats {
    let mut pool = POOL.lock();
    pool.free_surplus();
    PoolStats {
        total: pool.pages.len(),
        free: pool.free(),
        resv: pool.resv,
        surplus: pool.surplus,
    }
}

/// A write to nr_hugepages (root's: the caller checks).
pub fn set_nr_hugepages(count: usize) {
    POOL.lock().set_max(count);
}

/// The `hugepages=N` option of the command line: the pool at boot, as large as memory allows.
pub fn init(count: Option<usize>) {
    let Some(count) = count else { return };
    set_nr_hugepages(count);
    log::info!(
        "hugetlb: {} of {count} huge pages of 2 MiB",
        stats().persistent()
    );
}

/// Parses a write to nr_hugepages as Linux's proc_doulongvec_minmax does: one unsigned number,
/// blanks around it allowed.
pub fn parse_count(text: &str) -> Result<usize, Errno> {
    text.trim().parse::<usize>().map_err(|_| EINVAL)
}

/// Promises `n` pages (Linux's hugetlb_acct_memory): false when the free pages not promised
/// already cannot cover them.
fn reserve(n: usize) -> bool {
    let mut pool = POOL.lock();
    pool.free_surplus();
    if pool.free().saturating_sub(pool.resv) < n {
        return false;
    }
    pool.resv += n;
    true
}

/// Gives `n` promised pages back.
fn unreserve(n: usize) {
    let mut pool = POOL.lock();
    pool.resv = pool.resv.saturating_sub(n);
}

/// A zeroed page from the pool with `flags`: the one a reservation promised (`reserved`), or a
/// free page no reservation needs; None when there is none (the fault's SIGBUS).
fn alloc_huge_page(reserved: bool, flags: PageFlags) -> Option<HugeFrame> {
    let huge = {
        let mut pool = POOL.lock();
        pool.free_surplus();
        // A promise is used up whatever happens next (there is always a free page for one).
        if reserved {
            pool.resv = pool.resv.saturating_sub(1);
        } else if pool.free() <= pool.resv {
            return None;
        }
        let head = *pool.pages.iter().find(|&&h| is_free(h))?;
        // Taken under the pool lock, so that no one else takes the same free page.
        HugeFrame::get(head)
    };
    huge.set_flags(flags | PageFlags::HUGETLB);
    huge.zero();
    Some(huge)
}

/// A sorted list of huge-page indices with a value each, allocated fallibly (a file's pages and
/// reservations: never more entries than the pool has pages, whatever the file's size).
struct IndexMap<T>(Vec<(u64, T)>);

impl<T> IndexMap<T> {
    const fn new() -> Self {
        IndexMap(Vec::new())
    }

    fn find(&self, idx: u64) -> Result<usize, usize> {
        self.0.binary_search_by_key(&idx, |&(i, _)| i)
    }

    fn get(&self, idx: u64) -> Option<&T> {
        self.find(idx).ok().map(|i| &self.0[i].1)
    }

    /// How many entries lie in [from, to).
    fn count(&self, from: u64, to: u64) -> usize {
        let lo = self.find(from).unwrap_or_else(|i| i);
        let hi = self.find(to).unwrap_or_else(|i| i);
        hi.saturating_sub(lo)
    }

    /// Inserts or replaces; Err when memory for it cannot be had.
    fn insert(&mut self, idx: u64, value: T) -> Result<(), T> {
        match self.find(idx) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => {
                if self.0.try_reserve(1).is_err() {
                    return Err(value);
                }
                self.0.insert(i, (idx, value));
            }
        }
        Ok(())
    }

    fn remove(&mut self, idx: u64) -> Option<T> {
        self.find(idx).ok().map(|i| self.0.remove(i).1)
    }

    /// Removes the entries of [from, to) and returns them.
    fn drain(&mut self, from: u64, to: u64) -> impl Iterator<Item = (u64, T)> + '_ {
        let lo = self.find(from).unwrap_or_else(|i| i);
        let hi = self.find(to).unwrap_or_else(|i| i).max(lo);
        self.0.drain(lo..hi)
    }
}

/// What one huge page of a file holds.
enum Slot {
    /// Promised to the file's shared mappings, not yet faulted.
    Reserved,
    Page(HugeFrame),
}

/// A file of hugetlbfs: the anonymous file behind a MAP_HUGETLB mapping (`/anon_hugepage`).
/// Its pages are those of its shared mappings; the private ones' are anonymous.
pub struct HugetlbFile {
    ino: u64,
    path: String,
    /// A System V segment's file (Linux's S_PRIVATE hugetlbfs inode): reserved once at shmget,
    /// never again at shmat.
    shm: bool,
    inner: IrqMutex<FileInner>,
}

struct FileInner {
    size: u64,
    slots: IndexMap<Slot>,
}

impl HugetlbFile {
    /// A file of `size` bytes named `path` (as /proc/PID/maps shows it). None if memory ran out.
    pub fn new(path: &str, size: u64) -> Option<Arc<HugetlbFile>> {
        Self::with_ino(path, crate::fs::inode::next_ino(), size, false)
    }

    /// [`new`](Self::new) for the inode `ino` (a memfd's, or with `shm` a System V segment's).
    pub fn with_ino(path: &str, ino: u64, size: u64, shm: bool) -> Option<Arc<HugetlbFile>> {
        let mut name = String::new();
        name.try_reserve(path.len()).ok()?;
        name.push_str(path);
        Arc::try_new(HugetlbFile {
            ino,
            path: name,
            shm,
            inner: IrqMutex::new(FileInner {
                size,
                slots: IndexMap::new(),
            }),
        })
        .ok()
    }

    /// The reservation of a shared mapping of huge pages [from, to) (Linux's
    /// hugetlb_reserve_pages with VM_MAYSHARE): one per page the file neither has nor has
    /// promised yet. ENOMEM when the pool cannot cover them.
    pub fn reserve_shared(&self, from: u64, to: u64) -> Result<(), Errno> {
        let mut inner = self.inner.lock();
        let missing = (to - from) - inner.slots.count(from, to) as u64;
        let missing = usize::try_from(missing).map_err(|_| ENOMEM)?;
        if missing == 0 {
            return Ok(());
        }
        // The pool first: it bounds what the list below may need.
        if !reserve(missing) {
            return Err(ENOMEM);
        }
        if inner.slots.0.try_reserve(missing).is_err() {
            unreserve(missing);
            return Err(ENOMEM);
        }
        // `to - from` is at most `missing` plus the pool's size here: the loop is short.
        for idx in from..to {
            if inner.slots.get(idx).is_none() {
                // Room was reserved above: this cannot fail.
                let _ = inner.slots.insert(idx, Slot::Reserved);
            }
        }
        Ok(())
    }

    /// The page at huge index `idx`, allocated if need be (Linux's hugetlb_no_page for a shared
    /// mapping): SIGBUS beyond the end of the file or when the pool has nothing for it.
    fn find_or_alloc(&self, idx: u64) -> Result<HugeFrame, FaultError> {
        let mut inner = self.inner.lock();
        if idx >= inner.size.div_ceil(HPAGE_SIZE) {
            return Err(FaultError::Bus);
        }
        let reserved = match inner.slots.get(idx) {
            Some(Slot::Page(page)) => return Ok(HugeFrame::get(page.head())),
            Some(Slot::Reserved) => true,
            None => false,
        };
        let Some(page) = alloc_huge_page(reserved, PageFlags::empty()) else {
            // The promise, if there was one, is used up.
            inner.slots.remove(idx);
            return Err(FaultError::Bus);
        };
        let mapped = HugeFrame::get(page.head());
        if inner.slots.insert(idx, Slot::Page(page)).is_err() {
            return Err(FaultError::OutOfMemory);
        }
        Ok(mapped)
    }

    /// Pages the file holds (stat's st_blocks: hugetlb_add_to_page_cache adds a huge page's
    /// worth of blocks for each).
    pub fn pages(&self) -> usize {
        let inner = self.inner.lock();
        inner
            .slots
            .0
            .iter()
            .filter(|(_, s)| matches!(s, Slot::Page(_)))
            .count()
    }

    /// A writable mapping reaching `end` makes the file that long (hugetlbfs_file_mmap).
    pub fn grow_to(&self, end: u64) {
        let mut inner = self.inner.lock();
        inner.size = inner.size.max(end);
    }

    /// read() (Linux's hugetlbfs_read_iter): the bytes at `pos` up to the end of the file, zeros
    /// where no page is.
    pub fn read(&self, pos: u64, buf: &mut [u8]) -> usize {
        let inner = self.inner.lock();
        if pos >= inner.size {
            return 0;
        }
        let n = (buf.len() as u64).min(inner.size - pos) as usize;
        let mut done = 0;
        while done < n {
            let at = pos + done as u64;
            let offset = (at % PAGE_SIZE) as usize;
            let len = (PAGE_SIZE as usize - offset).min(n - done);
            let out = &mut buf[done..done + len];
            match inner.slots.get(at / HPAGE_SIZE) {
                Some(Slot::Page(page)) => {
                    let small = page.head() + (at % HPAGE_SIZE) / PAGE_SIZE;
                    frame::read_frame(small, offset, out);
                }
                _ => out.fill(0),
            }
            done += len;
        }
        n
    }

    /// ftruncate (Linux's hugetlbfs_setattr and hugetlb_vmtruncate): whole huge pages only
    /// (EINVAL), within the seals (EPERM); the pages past a smaller size leave every mapping
    /// and the file, their promises too.
    pub fn truncate(self: &Arc<Self>, size: u64, seals: u32) -> Result<(), Errno> {
        use crate::fs::inode::{F_SEAL_GROW, F_SEAL_SHRINK};
        if !size.is_multiple_of(HPAGE_SIZE) {
            return Err(EINVAL);
        }
        let old = self.size();
        if (size < old && seals & F_SEAL_SHRINK != 0) || (size > old && seals & F_SEAL_GROW != 0) {
            return Err(EPERM);
        }
        self.inner.lock().size = size;
        if size < old {
            self.remove_pages(size / HPAGE_SIZE, u64::MAX);
        }
        Ok(())
    }

    /// fallocate without PUNCH_HOLE (Linux's hugetlbfs_fallocate): a page for every huge page
    /// the range touches, promised ones first; ENOSPC when the pool runs out (the pages taken
    /// stay), EPERM past the end of a grow-sealed file. Without `keep_size` the file then
    /// reaches the range's end.
    pub fn fallocate(
        &self,
        keep_size: bool,
        offset: u64,
        len: u64,
        seals: u32,
    ) -> Result<(), Errno> {
        let end = offset.checked_add(len).ok_or(EFBIG)?;
        if end > self.size() && seals & crate::fs::inode::F_SEAL_GROW != 0 {
            return Err(EPERM);
        }
        // Each step either finds a page (at most as many as the pool has) or takes one from
        // the pool: the loop ends within twice the pool's size.
        for idx in offset / HPAGE_SIZE..end.div_ceil(HPAGE_SIZE) {
            let mut inner = self.inner.lock();
            let reserved = match inner.slots.get(idx) {
                Some(Slot::Page(_)) => continue,
                Some(Slot::Reserved) => true,
                None => false,
            };
            let Some(page) = alloc_huge_page(reserved, PageFlags::empty()) else {
                inner.slots.remove(idx); // a promise, if any, is used up
                return Err(ENOSPC);
            };
            inner
                .slots
                .insert(idx, Slot::Page(page))
                .map_err(|_| ENOSPC)?;
        }
        if !keep_size {
            self.grow_to(end);
        }
        Ok(())
    }

    /// fallocate's PUNCH_HOLE (Linux's hugetlbfs_punch_hole): the whole huge pages inside the
    /// range leave every mapping and the file; EPERM for a write-sealed file.
    pub fn punch_hole(self: &Arc<Self>, offset: u64, len: u64, seals: u32) -> Result<(), Errno> {
        if seals & crate::fs::inode::F_SEAL_WRITE != 0 {
            return Err(EPERM);
        }
        let end = offset.checked_add(len).ok_or(EFBIG)?;
        let (first, last) = (offset.div_ceil(HPAGE_SIZE), end / HPAGE_SIZE);
        if first < last {
            self.remove_pages(first, last);
        }
        Ok(())
    }

    /// Takes the pages and promises of huge indices [first, last) out of every mapping of the
    /// file, shared or private (Linux's hugetlb_vmdelete_list), then out of the file. The mm
    /// locks are taken one at a time, the file's own lock not held meanwhile.
    fn remove_pages(self: &Arc<Self>, first: u64, last: u64) {
        super::truncate::for_each_mm(|inner| {
            let mut at = 0u64;
            while let Some((start, end, area_end)) = self.next_area(inner, at, first, last) {
                inner.release_pages(start, end);
                at = area_end;
            }
        });
        let removed: Vec<(u64, Slot)> = {
            let mut inner = self.inner.lock();
            let mut out = Vec::new();
            let n = inner.slots.count(first, last);
            if out.try_reserve_exact(n).is_ok() {
                out.extend(inner.slots.drain(first, last));
            } else {
                // No room to move them out: drop them under the lock (the pool's lock and the
                // frame allocator's are below this one).
                inner.slots.drain(first, last).for_each(drop);
            }
            out
        };
        let promised = removed
            .iter()
            .filter(|(_, s)| matches!(s, Slot::Reserved))
            .count();
        drop(removed);
        unreserve(promised);
    }

    /// The next area of `mm` at or above `at` that maps this file (shared or private) within huge
    /// indices [first, last): the addresses to unmap and the area's end.
    fn next_area(
        self: &Arc<Self>,
        mm: &MmInner,
        at: u64,
        first: u64,
        last: u64,
    ) -> Option<(u64, u64, u64)> {
        let me = Arc::as_ptr(self);
        mm.vmas.iter_range(at, u64::MAX).find_map(|v| {
            let ours = match v.file()?.0.hugetlb()? {
                Hugetlb::Shared(file) => core::ptr::eq(file, me),
                Hugetlb::Private(private) => Arc::ptr_eq(&private.file, self),
            };
            if !ours {
                return None;
            }
            let start_idx = v.pgoff() / PAGES_PER_HPAGE;
            let end_idx = start_idx + (v.end() - v.start()) / HPAGE_SIZE;
            let (from, to) = (start_idx.max(first), end_idx.min(last));
            let addr = |idx: u64| v.start() + (idx - start_idx) * HPAGE_SIZE;
            (from < to).then(|| (addr(from), addr(to), v.end()))
        })
    }

    /// The page at `idx` if the file has it.
    fn page(&self, idx: u64) -> Option<HugeFrame> {
        match self.inner.lock().slots.get(idx) {
            Some(Slot::Page(page)) => Some(HugeFrame::get(page.head())),
            _ => None,
        }
    }
}

impl Drop for HugetlbFile {
    /// The file's pages go back to the pool with its last mapping, its promises too.
    fn drop(&mut self) {
        let inner = self.inner.get_mut();
        let promised = inner
            .slots
            .0
            .iter()
            .filter(|(_, s)| matches!(s, Slot::Reserved))
            .count();
        unreserve(promised);
    }
}

/// A small frame of a huge page at `pgoff` (base pages) of a file, for the callers that look at
/// pages one by one (madvise's WILLNEED, get_user_pages).
fn small_page(file: &HugetlbFile, pgoff: u64) -> Result<frame::Frame, PageError> {
    let huge = file
        .page(pgoff / PAGES_PER_HPAGE)
        .ok_or(PageError::NoMemory)?;
    let small = frame::Frame::get(huge.head() + pgoff % PAGES_PER_HPAGE);
    drop(huge);
    Ok(small)
}

impl VmObject for HugetlbFile {
    fn get_page(&self, pgoff: u64) -> Result<frame::Frame, PageError> {
        small_page(self, pgoff)
    }

    fn size(&self) -> u64 {
        self.inner.lock().size
    }

    fn is_resident(&self, pgoff: u64) -> bool {
        self.page(pgoff / PAGES_PER_HPAGE).is_some()
    }

    fn identity(&self) -> ObjectIdentity<'_> {
        ObjectIdentity {
            dev: HUGETLBFS_DEV,
            ino: self.ino,
            path: &self.path,
            deleted: false,
        }
    }

    fn hugetlb(&self) -> Option<Hugetlb<'_>> {
        Some(Hugetlb::Shared(self))
    }
}

/// The object of a private mapping of a hugetlb file: the file (whose pages a read maps until a
/// write copies them) and the reservations of the process that made the mapping (Linux keeps
/// them in the VMA's resv_map).
pub struct HugetlbPrivate {
    file: Arc<HugetlbFile>,
    /// The owner's address space (its PML4), Linux's HPAGE_RESV_OWNER.
    owner: u64,
    /// The huge indices still promised to the owner.
    resv: IrqMutex<IndexMap<()>>,
}

impl HugetlbPrivate {
    /// The object of a private mapping of huge pages [from, to) of `file`, made by the address
    /// space `owner`, with a reservation for each unless `noreserve` (Linux's
    /// hugetlb_reserve_pages for a private mapping). ENOMEM when the pool cannot cover it.
    pub fn new(
        file: Arc<HugetlbFile>,
        owner: u64,
        from: u64,
        to: u64,
        noreserve: bool,
    ) -> Result<Arc<HugetlbPrivate>, Errno> {
        let mut resv = IndexMap::new();
        if !noreserve {
            // The pool first: it bounds what the list below may need.
            let n = usize::try_from(to - from).map_err(|_| ENOMEM)?;
            if !reserve(n) {
                return Err(ENOMEM);
            }
            if resv.0.try_reserve_exact(n).is_err() {
                unreserve(n);
                return Err(ENOMEM);
            }
            resv.0.extend((from..to).map(|idx| (idx, ())));
        }
        Arc::try_new(HugetlbPrivate {
            file,
            owner,
            resv: IrqMutex::new(resv),
        })
        .map_err(|_| ENOMEM)
    }

    /// Takes the owner's promise for `idx`, if `mm` is the owner and it is still there.
    fn take_reservation(&self, mm: u64, idx: u64) -> bool {
        mm == self.owner && self.resv.lock().remove(idx).is_some()
    }

    /// The part [from, to) of the area is unmapped: its promises go back to the pool (Linux's
    /// hugetlb_vm_op_close for the owner).
    pub fn release(&self, mm: u64, from: u64, to: u64) {
        if mm != self.owner {
            return;
        }
        let n = self.resv.lock().drain(from, to).count();
        unreserve(n);
    }
}

impl Drop for HugetlbPrivate {
    fn drop(&mut self) {
        unreserve(self.resv.get_mut().0.len());
    }
}

impl VmObject for HugetlbPrivate {
    fn get_page(&self, pgoff: u64) -> Result<frame::Frame, PageError> {
        small_page(&self.file, pgoff)
    }

    fn size(&self) -> u64 {
        self.file.size()
    }

    fn identity(&self) -> ObjectIdentity<'_> {
        self.file.identity()
    }

    fn hugetlb(&self) -> Option<Hugetlb<'_>> {
        Some(Hugetlb::Private(self))
    }
}

/// What a hugetlb area maps: a file shared, or a file privately.
pub enum Hugetlb<'a> {
    Shared(&'a HugetlbFile),
    Private(&'a HugetlbPrivate),
}

/// The object of a new mapping of huge pages [from, to) of `file` (the anonymous file of
/// MAP_HUGETLB, a hugetlb memfd's or a System V segment's), with its reservation (Linux's
/// hugetlbfs_file_mmap): a shared mapping maps `shared_object` (the file, or the inode that
/// holds it), a private one an object of its own.
pub fn mapping_object(
    file: Arc<HugetlbFile>,
    shared_object: Option<VmFile>,
    owner: u64,
    from: u64,
    to: u64,
    noreserve: bool,
) -> Result<VmFile, Errno> {
    if let Some(object) = shared_object {
        // A System V segment reserved its pages at shmget (hugetlbfs_file_mmap skips S_PRIVATE
        // inodes).
        if !noreserve && !file.shm {
            file.reserve_shared(from, to)?;
        }
        return Ok(object);
    }
    Ok(VmFile(HugetlbPrivate::new(
        file, owner, from, to, noreserve,
    )?))
}

impl MmInner {
    /// A fault in a hugetlb area (Linux's hugetlb_fault): the whole 2 MiB page around `addr`.
    pub(super) fn hugetlb_fault(
        &mut self,
        addr: u64,
        access: Access,
        area: &Area,
    ) -> Result<FaultOutcome, FaultError> {
        let haddr = addr & !(HPAGE_SIZE - 1);
        // Areas of huge pages start and end on huge-page boundaries; a huge entry never
        // reaches outside its area.
        if haddr < area.start || haddr + HPAGE_SIZE > area.end {
            return Err(FaultError::Bus);
        }
        let (file, pgoff) = area.file_page(haddr).ok_or(FaultError::Bus)?;
        let file = file.clone();
        let idx = pgoff / PAGES_PER_HPAGE;
        let object = file.0.hugetlb().ok_or(FaultError::Bus)?;
        match self.pt.pmd(haddr) {
            Pmd::Huge { head, flags } => {
                if access == Access::Write && !flags.contains(PteFlags::WRITABLE) {
                    return self.hugetlb_wp(haddr, head, area, idx, object);
                }
                x86_64::instructions::tlb::flush(x86_64::VirtAddr::new(addr));
                Ok(FaultOutcome::Spurious)
            }
            // Small entries never appear in a hugetlb area: every change to one is whole pages.
            Pmd::Table => Err(FaultError::Bus),
            Pmd::None => self.hugetlb_no_page(haddr, idx, access, area, object),
        }
    }

    /// Linux's hugetlb_no_page: the file's page for a shared area; for a private one the file's
    /// page read-only on a read (copied at once on a write), or a fresh zeroed page.
    fn hugetlb_no_page(
        &mut self,
        haddr: u64,
        idx: u64,
        access: Access,
        area: &Area,
        object: Hugetlb<'_>,
    ) -> Result<FaultOutcome, FaultError> {
        let write = area.flags.contains(VmFlags::WRITE);
        let (page, writable) = match object {
            Hugetlb::Shared(file) => (file.find_or_alloc(idx)?, write),
            Hugetlb::Private(private) => {
                if idx >= private.file.size().div_ceil(HPAGE_SIZE) {
                    return Err(FaultError::Bus);
                }
                let cached = private.file.page(idx);
                match cached {
                    Some(page) if access != Access::Write => (page, false),
                    cached => {
                        let mm = self.pt.pml4().start_address().as_u64();
                        let reserved = private.take_reservation(mm, idx);
                        let flags = PageFlags::ANON;
                        let new = alloc_huge_page(reserved, flags).ok_or(FaultError::Bus)?;
                        if let Some(cached) = cached {
                            new.copy_from(cached.head());
                        }
                        (new, write)
                    }
                }
            }
        };
        self.pt
            .map_huge(haddr, page, mk_pte(area.flags, writable))
            .map_err(|_| FaultError::OutOfMemory)?;
        self.counters
            .add_pages(PageFlags::HUGETLB, HPAGE_PMD_NR as u64);
        Ok(FaultOutcome::NewHugePage)
    }

    /// Linux's hugetlb_wp: a write to a present read-only huge page. A shared area's page becomes
    /// writable; a private page mapped only here (after the other side of a fork copied it or
    /// went) is reused; otherwise the 2 MiB are copied into a new page: the owner's reservation
    /// pays for the copy of a file's page, any other copy takes an unpromised page (SIGBUS when
    /// the pool has none, as Linux's vmf_error(-ENOSPC)).
    fn hugetlb_wp(
        &mut self,
        haddr: u64,
        head: PhysFrame,
        area: &Area,
        idx: u64,
        object: Hugetlb<'_>,
    ) -> Result<FaultOutcome, FaultError> {
        let page = frame::page(head);
        let reuse = area.flags.contains(VmFlags::MAYSHARE)
            || (page.flags().contains(PageFlags::ANON) && frame::pmd_mapcount(head) == 1);
        if reuse {
            self.pt.set_huge_flags(haddr, mk_pte(area.flags, true));
            if !area.flags.contains(VmFlags::MAYSHARE) {
                self.counters.cow_reuses += 1;
            }
            return Ok(FaultOutcome::CowReuse);
        }
        let reserved = match object {
            Hugetlb::Private(private) if !page.flags().contains(PageFlags::ANON) => {
                private.take_reservation(self.pt.pml4().start_address().as_u64(), idx)
            }
            _ => false,
        };
        let new = alloc_huge_page(reserved, PageFlags::ANON).ok_or(FaultError::Bus)?;
        new.copy_from(head);
        let old = self
            .pt
            .replace_huge(haddr, new, mk_pte(area.flags, true))
            .ok_or(FaultError::NoMapping)?;
        drop(old);
        self.counters.cow_copies += 1;
        Ok(FaultOutcome::CowCopy)
    }

    /// Whether an area may be split at `addr` (Linux's hugetlb_vm_op_split): not inside a hugetlb
    /// area off a 2 MiB boundary.
    pub fn hugetlb_split_ok(&self, addr: u64) -> bool {
        match self.vmas.find_vma(addr) {
            Some(vma) if vma.start() < addr && vma.flags().contains(VmFlags::HUGETLB) => {
                addr.is_multiple_of(HPAGE_SIZE)
            }
            _ => true,
        }
    }
}

/// A piece of an area is unmapped (munmap, MAP_FIXED, mremap): the private reservations of its
/// pages go back to the pool if `mm` made them (Linux's hugetlb_vm_op_close).
pub(super) fn unmap_piece(mm: u64, piece: &VmaInfo) {
    if !piece.flags.contains(VmFlags::HUGETLB) {
        return;
    }
    if let Some(file) = &piece.file
        && let Some(Hugetlb::Private(private)) = file.0.hugetlb()
    {
        let from = piece.pgoff / PAGES_PER_HPAGE;
        let to = (piece.pgoff + (piece.end - piece.start) / PAGE_SIZE).div_ceil(PAGES_PER_HPAGE);
        private.release(mm, from, to);
    }
}
