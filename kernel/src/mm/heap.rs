//! The kernel heap: size-class caches (the `slab` crate) for the small objects the kernel makes and
//! frees all the time (VMA nodes, threads, open files, tree links), in front of a first-fit
//! linked-list allocator (linked_list_allocator) for the rest and for the caches' slabs, over a
//! virtual region that grows on demand, a chunk of frames at a time, up to `HEAP_MAX`.

use core::{
    alloc::{GlobalAlloc, Layout},
    ptr::NonNull,
    sync::atomic::{AtomicUsize, Ordering},
};
use linked_list_allocator::Heap;
use slab::{Caches, SLAB_SIZE};
use x86_64::VirtAddr;

use super::{
    frame::{self, PageFlags},
    layout::{HEAP_MAX, HEAP_START, PAGE_SIZE},
    paging::{self, PteFlags},
};
use crate::sync::IrqMutex;

/// Initial size, and the smallest step by which the heap grows.
const GROW_STEP: u64 = 256 * 1024;

/// Free frames that allocations made on behalf of a user program (see [`charged`]) leave alone:
/// the kernel's own allocations, which cannot fail gracefully, still find the heap room to grow
/// after a program has used every frame it may (Linux's min watermark, which GFP_KERNEL
/// allocations do not dip below while atomic ones may).
const CHARGED_FLOOR_FRAMES: usize = frame::USER_RESERVE_FRAMES / 2;

/// How many [`charged`] scopes are open. One CPU today; with several it becomes per-CPU.
static CHARGED: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` with its heap allocations charged to the user program: they fail (and the caller
/// returns ENOMEM) rather than take the heap into the last [`CHARGED_FLOOR_FRAMES`] free frames.
/// Every allocation inside must be fallible (`try_reserve`, `Box::try_new`): VMA nodes, their
/// lists.
pub fn charged<R>(f: impl FnOnce() -> R) -> R {
    CHARGED.fetch_add(1, Ordering::Relaxed);
    let result = f();
    CHARGED.fetch_sub(1, Ordering::Relaxed);
    result
}

/// Whether the heap may take `frames` more frames now.
fn may_grow(frames: usize) -> bool {
    CHARGED.load(Ordering::Relaxed) == 0
        || frame::stats().free >= CHARGED_FLOOR_FRAMES.saturating_add(frames)
}

/// The general allocator and the caches in front of it, under one lock.
struct Allocators {
    heap: Heap,
    caches: Caches,
}

struct KernelHeap {
    heap: IrqMutex<Allocators>,
}

#[global_allocator]
static HEAP: KernelHeap = KernelHeap {
    heap: IrqMutex::new(Allocators {
        heap: Heap::empty(),
        caches: Caches::new(),
    }),
};

/// Maps `len` bytes of fresh frames at `at`. Returns false if memory ran out (what was mapped stays,
/// unused, which is harmless).
fn map_heap_pages(at: u64, len: u64) -> bool {
    let flags = PteFlags::WRITABLE | PteFlags::NO_EXECUTE;
    for page in (at..at + len).step_by(PAGE_SIZE as usize) {
        let Some(frame) = frame::alloc_frame() else {
            return false;
        };
        frame::page(frame).set_flags(PageFlags::HEAP);
        if paging::map_kernel(VirtAddr::new(page), frame, flags).is_err() {
            frame::free_block(frame, 0);
            return false;
        }
    }
    true
}

/// Maps the first chunk and hands it to the allocator.
pub fn init() {
    assert!(
        map_heap_pages(HEAP_START, GROW_STEP),
        "no memory for the kernel heap"
    );
    // SAFETY: [HEAP_START, HEAP_START + GROW_STEP) was just mapped read-write and is used for nothing else.
    unsafe {
        HEAP.heap
            .lock()
            .heap
            .init(HEAP_START as *mut u8, GROW_STEP as usize)
    };
}

/// Bytes in use (by live objects: free objects waiting in the caches are not counted) and bytes
/// mapped.
pub fn usage() -> (usize, usize) {
    let a = HEAP.heap.lock();
    (a.heap.used() - a.caches.free_bytes(), a.heap.size())
}

impl Allocators {
    /// First fit in the general allocator, growing the heap if nothing fits.
    fn alloc_general(&mut self, layout: Layout) -> *mut u8 {
        let heap = &mut self.heap;
        loop {
            if let Ok(ptr) = heap.allocate_first_fit(layout) {
                return ptr.as_ptr();
            }
            // Grow by enough for this request (with room for alignment), at least GROW_STEP.
            let need = (layout.size() + layout.align()) as u64 + PAGE_SIZE;
            let grow = need.div_ceil(GROW_STEP) * GROW_STEP;
            let top = heap.top() as u64;
            if top + grow > HEAP_START + HEAP_MAX
                || !may_grow((grow / PAGE_SIZE) as usize)
                || !map_heap_pages(top, grow)
            {
                return core::ptr::null_mut();
            }
            // SAFETY: [top, top + grow) is now mapped right above the heap and used by nothing else.
            unsafe { heap.extend(grow as usize) };
        }
    }

    /// An object of a cache class, refilling the class with a slab from the general allocator
    /// when its list is empty.
    fn alloc_cached(&mut self, class: usize) -> *mut u8 {
        if let Some(ptr) = self.caches.alloc(class) {
            return ptr.as_ptr();
        }
        let slab = self.alloc_general(
            Layout::new::<[u8; SLAB_SIZE]>()
                .align_to(SLAB_SIZE)
                .unwrap(),
        );
        let Some(slab) = NonNull::new(slab) else {
            return core::ptr::null_mut();
        };
        // SAFETY: a fresh SLAB_SIZE block, SLAB_SIZE-aligned, given to the caches for good.
        unsafe { self.caches.add_slab(slab, class) };
        self.caches
            .alloc(class)
            .map_or(core::ptr::null_mut(), NonNull::as_ptr)
    }
}

// SAFETY: allocation is serialised by the lock; each block handed out is exclusively the caller's.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut a = self.heap.lock();
        match Caches::class_of(layout) {
            Some(class) => a.alloc_cached(class),
            None => a.alloc_general(layout),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let mut a = self.heap.lock();
        // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc` with this layout, hence from the
        // class of this layout or from the general allocator.
        unsafe {
            let ptr = NonNull::new_unchecked(ptr);
            match Caches::class_of(layout) {
                Some(class) => a.caches.dealloc(ptr, class),
                None => a.heap.deallocate(ptr, layout),
            }
        }
    }
}
