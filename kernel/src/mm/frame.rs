//! Physical memory: page frames handed out by a buddy allocator, and one [`Page`] of metadata per
//! frame, like Linux's `struct page` array (mem_map).
//!
//! Both arrays are carved out of the first usable RAM region big enough to hold them, before any heap
//! exists. The buddy logic itself is the host-tested `buddy` crate; this module only feeds it the
//! bootloader's memory map and guards it with a lock.
//!
//! Frames of user memory and of the page cache are reference counted and handled as [`Frame`]s:
//! owned references (Asterinas's RAII frames), where cloning takes a reference (Linux's get_page)
//! and dropping one releases it (put_page), freeing the frame with the last. A page-table entry
//! holds one reference too: [`Frame::into_raw`] hands it to the entry and [`Frame::from_raw`] takes it
//! back. Copy-on-write decides between copying and reusing a page from this count. The shared zero
//! page is pinned (one reference is never dropped), so it is counted like any other frame and needs
//! no special case.
//!
//! Kernel-owned blocks (page tables, kernel stacks, the heap) are plain [`PhysFrame`]s from
//! [`alloc_block`] / [`alloc_frame`], given back with [`free_block`].

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use bootloader_api::info::{MemoryRegionKind, MemoryRegions};
use buddy::{Buddy, Link};
use x86_64::{PhysAddr, structures::paging::PhysFrame};

use super::layout::{PAGE_SIZE, PHYS_OFFSET};
use crate::sync::IrqMutex;

bitflags::bitflags! {
    /// What a frame is used for (a small subset of Linux's page flags).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PageFlags: u32 {
        /// Not RAM the allocator manages (firmware, the kernel image, these very arrays).
        const RESERVED = 1 << 0;
        /// Holds a page table.
        const PAGE_TABLE = 1 << 1;
        /// Backs the kernel heap.
        const HEAP = 1 << 2;
        /// Backs a kernel stack.
        const KSTACK = 1 << 3;
        /// The shared zero page: mapped read-only wherever anonymous memory is read before written.
        const ZERO = 1 << 4;
        /// Anonymous user memory (counted in RssAnon).
        const ANON = 1 << 5;
        /// A file's page-cache page (counted in RssFile where mapped).
        const PAGE_CACHE = 1 << 6;
        /// A page of anonymous shared memory (counted in RssShmem where mapped).
        const SHMEM = 1 << 7;
        /// One of the 512 frames of a hugetlbfs huge page (see `mm::hugetlb`): in the pool, not
        /// counted in any RSS, never split. With [`ANON`](Self::ANON) it is a private page.
        const HUGETLB = 1 << 8;
    }
}

/// Metadata for one physical frame.
pub struct Page {
    refcount: AtomicU32,
    flags: AtomicU32,
    /// On the first frame of a transparent huge page: how many page-table entries map the whole
    /// 2 MiB at once (huge PMDs, one per address space after fork). Linux's entire_mapcount; the
    /// huge page counts in AnonHugePages while it is not zero.
    pmd_mapcount: AtomicU32,
}

impl Page {
    /// Number of users of this frame (0 = free).
    pub fn refcount(&self) -> u32 {
        self.refcount.load(Ordering::Acquire)
    }

    /// Whether one reference alone holds the frame (copy-on-write may then reuse it in place).
    pub fn is_exclusive(&self) -> bool {
        self.refcount() == 1
    }

    pub fn flags(&self) -> PageFlags {
        PageFlags::from_bits_truncate(self.flags.load(Ordering::Relaxed))
    }

    pub fn set_flags(&self, flags: PageFlags) {
        self.flags.store(flags.bits(), Ordering::Relaxed);
    }
}

/// Frame counts, for the boot report, /proc/meminfo and the leak checks in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameStats {
    /// Frames the allocator manages (usable RAM less the metadata arrays).
    pub total: usize,
    /// Frames free right now.
    pub free: usize,
}

impl FrameStats {
    pub fn used(&self) -> usize {
        self.total - self.free
    }
}

static BUDDY: IrqMutex<Option<Buddy<'static>>> = IrqMutex::new(None);
static PAGES: spin::Once<&'static [Page]> = spin::Once::new();

/// Returns the kernel virtual address of a physical address, through the direct map.
pub fn phys_to_virt(addr: PhysAddr) -> *mut u8 {
    (PHYS_OFFSET + addr.as_u64()) as *mut u8
}

/// Sets up the allocator from the bootloader's memory map.
pub fn init(regions: &MemoryRegions) {
    let usable = || {
        regions
            .iter()
            .filter(|r| r.kind == MemoryRegionKind::Usable)
    };
    let max_pfn = usable()
        .map(|r| r.end / PAGE_SIZE)
        .max()
        .expect("no usable memory");

    // The metadata: one buddy Link and one Page per frame up to the highest usable one.
    let links_bytes = max_pfn as usize * size_of::<Link>();
    let pages_bytes = max_pfn as usize * size_of::<Page>();
    let meta_frames = (links_bytes + pages_bytes).div_ceil(PAGE_SIZE as usize) as u64;
    let home = usable()
        .find(|r| {
            r.end / PAGE_SIZE - r.start.div_ceil(PAGE_SIZE) >= meta_frames && r.start >= PAGE_SIZE
        })
        .expect("no usable region can hold the frame metadata");
    let meta_start = home.start.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let meta_end = meta_start + meta_frames * PAGE_SIZE;

    // SAFETY: [meta_start, meta_end) is usable RAM that no one else owns (the bootloader reports it
    // free and the allocator below never hands it out); the direct map covers it read-write. Every
    // element is written before the slices are formed.
    let (links, pages) = unsafe {
        let links_ptr = phys_to_virt(PhysAddr::new(meta_start)) as *mut Link;
        for i in 0..max_pfn as usize {
            links_ptr.add(i).write(Link::reserved());
        }
        let pages_ptr = links_ptr.add(max_pfn as usize).cast::<u8>();
        let pages_ptr = pages_ptr.add(pages_ptr.align_offset(align_of::<Page>())) as *mut Page;
        for i in 0..max_pfn as usize {
            pages_ptr.add(i).write(Page {
                refcount: AtomicU32::new(0),
                flags: AtomicU32::new(PageFlags::RESERVED.bits()),
                pmd_mapcount: AtomicU32::new(0),
            });
        }
        (
            core::slice::from_raw_parts_mut(links_ptr, max_pfn as usize),
            core::slice::from_raw_parts(pages_ptr as *const Page, max_pfn as usize),
        )
    };
    assert!(
        (pages.as_ptr_range().end as u64) <= PHYS_OFFSET + meta_end,
        "frame metadata overflows its reservation"
    );

    let mut buddy = Buddy::new(0, links);
    for region in usable() {
        // Frame 0 stays reserved: a zero physical address is too easily a bug.
        let mut start = region.start.div_ceil(PAGE_SIZE).max(1);
        let end = region.end / PAGE_SIZE;
        if region.start == home.start {
            start = meta_end / PAGE_SIZE;
        }
        if start < end {
            for pfn in start..end {
                pages[pfn as usize].set_flags(PageFlags::empty());
            }
            buddy.add_free_range(start as usize, end as usize);
        }
    }
    PAGES.call_once(|| pages);
    *BUDDY.lock() = Some(buddy);
}

fn pages() -> &'static [Page] {
    PAGES.get().expect("frame allocator not initialised")
}

/// The metadata of a frame.
pub fn page(frame: PhysFrame) -> &'static Page {
    &pages()[(frame.start_address().as_u64() / PAGE_SIZE) as usize]
}

/// Allocates a block of 2^order contiguous, naturally aligned frames, with reference count 1.
pub fn alloc_block(order: usize) -> Option<PhysFrame> {
    let pfn = BUDDY.lock().as_mut()?.alloc(order)?;
    let frame = PhysFrame::containing_address(PhysAddr::new(pfn as u64 * PAGE_SIZE));
    let page = page(frame);
    debug_assert_eq!(page.refcount(), 0, "buddy handed out a frame in use");
    page.refcount.store(1, Ordering::Release);
    page.set_flags(PageFlags::empty());
    Some(frame)
}

/// Frees a block from [`alloc_block`] whatever its reference count (for kernel-owned blocks).
pub fn free_block(frame: PhysFrame, order: usize) {
    let page = page(frame);
    page.refcount.store(0, Ordering::Release);
    page.set_flags(PageFlags::empty());
    let pfn = (frame.start_address().as_u64() / PAGE_SIZE) as usize;
    if let Err(err) = BUDDY
        .lock()
        .as_mut()
        .expect("frame allocator")
        .free(pfn, order)
    {
        panic!(
            "freeing frame {:#x} (order {order}): {err:?}",
            frame.start_address().as_u64()
        );
    }
}

/// Allocates one frame with reference count 1. Its contents are whatever was there.
pub fn alloc_frame() -> Option<PhysFrame> {
    alloc_block(0)
}

/// Frames kept back from user memory (anonymous pages, page cache, user page tables), so that the
/// kernel's own allocations (heap, kernel stacks) still succeed when user programs have used up
/// everything else: running out of memory is then an ENOMEM or a killed process, never a kernel
/// panic. Linux's min watermark plays this role.
pub const USER_RESERVE_FRAMES: usize = 512;

/// Allocates a frame for user memory or a user page table: fails while free frames are at or below
/// the reserve. Its contents are whatever was there.
pub fn alloc_user_block() -> Option<PhysFrame> {
    alloc_user_order(0)
}

/// [`alloc_user_block`] for a block of 2^order frames: fails unless the block leaves the reserve
/// intact.
fn alloc_user_order(order: usize) -> Option<PhysFrame> {
    if stats().free < USER_RESERVE_FRAMES + (1 << order) {
        return None;
    }
    alloc_block(order)
}

/// Allocates one frame filled with zeros.
pub fn alloc_zeroed_frame() -> Option<PhysFrame> {
    let frame = alloc_frame()?;
    zero_frame(frame);
    Some(frame)
}

/// Fills a frame with zeros through the direct map.
pub fn zero_frame(frame: PhysFrame) {
    // SAFETY: the caller owns the frame (it just allocated it or holds a reference); the direct map
    // covers all RAM read-write.
    unsafe { core::ptr::write_bytes(phys_to_virt(frame.start_address()), 0, PAGE_SIZE as usize) };
}

/// Copies one frame's contents to another (the copy in copy-on-write).
pub fn copy_frame(from: PhysFrame, to: PhysFrame) {
    // SAFETY: both frames are RAM covered by the direct map; distinct frames never overlap.
    unsafe {
        core::ptr::copy_nonoverlapping(
            phys_to_virt(from.start_address()),
            phys_to_virt(to.start_address()),
            PAGE_SIZE as usize,
        )
    };
}

/// Adds a user to a frame (Linux's get_page).
fn get_page(frame: PhysFrame) {
    let old = page(frame).refcount.fetch_add(1, Ordering::AcqRel);
    assert!(old > 0, "get_page on a free frame");
}

/// Drops a user of a frame and frees it when none is left (Linux's put_page). Returns true if freed.
fn put_page(frame: PhysFrame) -> bool {
    let old = page(frame).refcount.fetch_sub(1, Ordering::AcqRel);
    assert!(
        old > 0,
        "put_page on a free frame {:#x}",
        frame.start_address().as_u64()
    );
    if old == 1 {
        free_block(frame, 0);
        true
    } else {
        false
    }
}

/// Current counts.
pub fn stats() -> FrameStats {
    let guard = BUDDY.lock();
    let buddy = guard.as_ref().expect("frame allocator");
    FrameStats {
        total: buddy.managed_frames(),
        free: buddy.free_frames(),
    }
}

/// Free blocks per order, for the boot report.
pub fn free_blocks_per_order() -> [usize; buddy::MAX_ORDER + 1] {
    let guard = BUDDY.lock();
    let buddy = guard.as_ref().expect("frame allocator");
    core::array::from_fn(|order| buddy.free_blocks(order))
}

/// Checks the allocator's internal consistency (used by the self-tests).
pub fn check_invariants() -> Result<(), &'static str> {
    BUDDY
        .lock()
        .as_ref()
        .expect("frame allocator")
        .check_invariants()
}

/// Reads `buf.len()` bytes of a frame at `offset` through the direct map (the caller holds a
/// reference to the frame).
pub fn read_frame(frame: PhysFrame, offset: usize, buf: &mut [u8]) {
    assert!(
        offset + buf.len() <= PAGE_SIZE as usize,
        "read past the end of a frame"
    );
    // SAFETY: the range lies inside the frame (checked), which the caller keeps referenced; the
    // direct map covers it.
    unsafe {
        core::ptr::copy_nonoverlapping(
            phys_to_virt(frame.start_address()).add(offset),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
}

/// Writes `bytes` into a frame at `offset` through the direct map.
pub fn write_frame(frame: PhysFrame, offset: usize, bytes: &[u8]) {
    assert!(
        offset + bytes.len() <= PAGE_SIZE as usize,
        "write past the end of a frame"
    );
    // SAFETY: the range lies inside the frame (checked), which the caller owns or holds a
    // reference to; the direct map covers it read-write.
    unsafe {
        core::ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            phys_to_virt(frame.start_address()).add(offset),
            bytes.len(),
        )
    };
}

/// An owned reference to a reference-counted frame: user memory or a page-cache page. See the
/// module documentation.
#[must_use = "dropping a Frame releases its reference"]
pub struct Frame(PhysFrame);

impl Frame {
    /// A fresh frame for user memory (count 1), or None at the user reserve. Contents undefined.
    pub fn alloc_user() -> Option<Frame> {
        alloc_user_block().map(Frame)
    }

    /// [`alloc_user`](Self::alloc_user), filled with zeros.
    pub fn alloc_user_zeroed() -> Option<Frame> {
        let frame = Self::alloc_user()?;
        zero_frame(frame.0);
        Some(frame)
    }

    /// A reference to the shared zero page (Linux's ZERO_PAGE): one frame of zeros, mapped
    /// read-only wherever anonymous memory is read before it is written. Pinned: never freed.
    pub fn zero_page() -> Frame {
        ZERO_PAGE
            .get()
            .expect("zero page not allocated yet")
            .clone()
    }

    /// Another reference to a frame that is in use (mapped in a page table the caller holds
    /// locked), as fork takes for each page it shares.
    pub fn get(frame: PhysFrame) -> Frame {
        get_page(frame);
        Frame(frame)
    }

    /// Takes back the reference a page-table entry held (see [`into_raw`](Self::into_raw)).
    ///
    /// # Safety
    /// The entry that held `frame` must no longer do so (it was cleared or overwritten), and that
    /// reference must not be taken back twice.
    pub unsafe fn from_raw(frame: PhysFrame) -> Frame {
        Frame(frame)
    }

    /// Hands this reference over to a page-table entry: the frame stays referenced until the entry
    /// gives it back with [`from_raw`](Self::from_raw).
    pub fn into_raw(self) -> PhysFrame {
        let frame = self.0;
        core::mem::forget(self);
        frame
    }

    pub fn phys(&self) -> PhysFrame {
        self.0
    }

    /// The frame's metadata.
    pub fn page(&self) -> &'static Page {
        page(self.0)
    }

    /// Copies another frame's contents into this one (the copy in copy-on-write).
    pub fn copy_from(&self, from: PhysFrame) {
        copy_frame(from, self.0);
    }

    /// Writes `bytes` at `offset`.
    pub fn write(&self, offset: usize, bytes: &[u8]) {
        write_frame(self.0, offset, bytes);
    }

    /// Reads `buf.len()` bytes at `offset` (what read() of a page-cache page copies out).
    pub fn read(&self, offset: usize, buf: &mut [u8]) {
        assert!(
            offset + buf.len() <= PAGE_SIZE as usize,
            "read past the end of a frame"
        );
        // SAFETY: the range lies inside the frame (checked), which this reference keeps alive;
        // the direct map covers it.
        unsafe {
            core::ptr::copy_nonoverlapping(
                phys_to_virt(self.0.start_address()).add(offset),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
    }

    /// Zeroes `len` bytes at `offset` (the tail of a page that truncate cut).
    pub fn zero(&self, offset: usize, len: usize) {
        assert!(
            offset + len <= PAGE_SIZE as usize,
            "zero past the end of a frame"
        );
        // SAFETY: as for `read`, and the direct map is writable.
        unsafe { core::ptr::write_bytes(phys_to_virt(self.0.start_address()).add(offset), 0, len) };
    }
}

impl Clone for Frame {
    fn clone(&self) -> Self {
        Frame::get(self.0)
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        put_page(self.0);
    }
}

impl core::fmt::Debug for Frame {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        write!(f, "Frame({:#x})", self.0.start_address().as_u64())
    }
}

/// The zero page's own reference, which is never dropped.
static ZERO_PAGE: spin::Once<Frame> = spin::Once::new();

/// Allocates the zero page (at boot, once the allocator is up).
pub fn init_zero_page() {
    ZERO_PAGE.call_once(|| {
        let frame = alloc_zeroed_frame().expect("no memory for the zero page");
        page(frame).set_flags(PageFlags::ZERO);
        Frame(frame)
    });
}

/// The order of a transparent huge page: 2^9 frames, 2 MiB, what one PMD entry maps.
pub const HPAGE_PMD_ORDER: usize = 9;
/// Frames in a transparent huge page.
pub const HPAGE_PMD_NR: usize = 1 << HPAGE_PMD_ORDER;

/// Transparent huge pages mapped whole by at least one huge PMD (Linux's NR_ANON_THPS, the
/// AnonHugePages line of /proc/meminfo).
static NR_ANON_THPS: AtomicUsize = AtomicUsize::new(0);

/// The 512 frames of a transparent huge page: owned references to each of them.
///
/// A huge page is allocated as one naturally aligned order-9 block and split at once into 512
/// order-0 frames with a reference count each (Linux's split_page): a huge page-table entry then
/// holds one reference to every frame it maps, so splitting the entry into 512 small ones moves
/// the references over unchanged, and whichever frames outlive the others are freed one by one.
/// Linux keeps one count on the compound head instead and splits the page itself later; the
/// per-frame counts cost 512 increments at fork and make every rule of the small pages (the
/// copy-on-write reuse test, smaps' proportional sizes) hold for the parts of a huge one.
#[must_use = "dropping a HugeFrame releases its 512 references"]
pub struct HugeFrame(PhysFrame);

impl HugeFrame {
    /// A zeroed huge page of anonymous memory, or None when no free 2 MiB block is left above
    /// the user reserve (the fault then falls back to a small page, as Linux's does).
    pub fn alloc_anon_zeroed() -> Option<HugeFrame> {
        let huge = Self::alloc(PageFlags::ANON)?;
        huge.zero();
        Some(huge)
    }

    /// A huge page for the hugetlb pool, contents undefined, or None when no free 2 MiB block is
    /// left above the user reserve.
    pub fn alloc_hugetlb() -> Option<HugeFrame> {
        Self::alloc(PageFlags::HUGETLB)
    }

    /// An order-9 block split into 512 frames with one reference each and these flags.
    fn alloc(flags: PageFlags) -> Option<HugeFrame> {
        let head = alloc_user_order(HPAGE_PMD_ORDER)?;
        let pfn = (head.start_address().as_u64() / PAGE_SIZE) as usize;
        BUDDY
            .lock()
            .as_mut()
            .expect("frame allocator")
            .split(pfn, HPAGE_PMD_ORDER)
            .expect("a block just allocated splits");
        for i in 0..HPAGE_PMD_NR {
            let frame = nth(head, i);
            let page = page(frame);
            page.refcount.store(1, Ordering::Release);
            page.set_flags(flags);
        }
        Some(HugeFrame(head))
    }

    /// The first frame.
    pub fn head(&self) -> PhysFrame {
        self.0
    }

    /// Fills the 2 MiB with zeros.
    pub fn zero(&self) {
        for i in 0..HPAGE_PMD_NR {
            zero_frame(nth(self.0, i));
        }
    }

    /// Copies another huge page's 2 MiB into this one (a hugetlb copy-on-write).
    pub fn copy_from(&self, from: PhysFrame) {
        for i in 0..HPAGE_PMD_NR {
            copy_frame(nth(from, i), nth(self.0, i));
        }
    }

    /// Gives the 512 frames these flags.
    pub fn set_flags(&self, flags: PageFlags) {
        for i in 0..HPAGE_PMD_NR {
            page(nth(self.0, i)).set_flags(flags);
        }
    }

    /// Another reference to each frame of a huge page that a huge entry maps (fork).
    pub fn get(head: PhysFrame) -> HugeFrame {
        for i in 0..HPAGE_PMD_NR {
            get_page(nth(head, i));
        }
        HugeFrame(head)
    }

    /// Takes back the references a huge entry held.
    ///
    /// # Safety
    /// As for [`Frame::from_raw`], for the entry that mapped the 512 frames from `head`.
    pub unsafe fn from_raw(head: PhysFrame) -> HugeFrame {
        HugeFrame(head)
    }

    /// Hands the 512 references over to a huge entry.
    pub fn into_raw(self) -> PhysFrame {
        let head = self.0;
        core::mem::forget(self);
        head
    }

    /// The references one by one, as small pages: what unmapping or splitting a huge entry gives
    /// back to the per-page code.
    pub fn into_frames(self) -> impl Iterator<Item = Frame> {
        let head = self.into_raw();
        (0..HPAGE_PMD_NR).map(move |i| Frame(nth(head, i)))
    }
}

impl Drop for HugeFrame {
    fn drop(&mut self) {
        for i in 0..HPAGE_PMD_NR {
            put_page(nth(self.0, i));
        }
    }
}

/// The `i`-th frame after `head`.
fn nth(head: PhysFrame, i: usize) -> PhysFrame {
    head + i as u64
}

/// Whether this process alone uses the huge page at `head` (copy-on-write may then make the huge
/// entry writable in place): every frame has one reference, the entry's.
pub fn huge_is_exclusive(head: PhysFrame) -> bool {
    (0..HPAGE_PMD_NR).all(|i| page(nth(head, i)).is_exclusive())
}

/// A huge entry now maps the huge page at `head` (a fault, or fork's copy). A hugetlb page
/// counts its mappings the same way but is not anonymous transparent memory.
pub fn pmd_map(head: PhysFrame) {
    let hugetlb = page(head).flags().contains(PageFlags::HUGETLB);
    if page(head).pmd_mapcount.fetch_add(1, Ordering::AcqRel) == 0 && !hugetlb {
        NR_ANON_THPS.fetch_add(1, Ordering::Relaxed);
    }
}

/// A huge entry that mapped the huge page at `head` is gone (unmapped, or split into small ones).
pub fn pmd_unmap(head: PhysFrame) {
    let old = page(head).pmd_mapcount.fetch_sub(1, Ordering::AcqRel);
    assert!(old > 0, "pmd_unmap of a page no huge entry maps");
    if old == 1 && !page(head).flags().contains(PageFlags::HUGETLB) {
        NR_ANON_THPS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How many huge entries map the huge page at `head` (Linux's page_mapcount of a hugetlb page:
/// smaps' Shared_Hugetlb or Private_Hugetlb, pagemap's exclusive bit, copy-on-write reuse).
pub fn pmd_mapcount(head: PhysFrame) -> u32 {
    page(head).pmd_mapcount.load(Ordering::Acquire)
}

/// Huge pages mapped whole somewhere (/proc/meminfo's AnonHugePages, in 2 MiB units).
pub fn anon_thps() -> usize {
    NR_ANON_THPS.load(Ordering::Relaxed)
}
