//! Size-class caches for small kernel objects (the idea of Bonwick's slab allocator and Linux's
//! SLUB, reduced to what this kernel needs): VMA nodes, tree links, threads, open files and the
//! rest of the fixed-size objects are allocated and freed far more often than anything else, and
//! a first-fit list allocator slows down as it fragments. Each request of at most
//! [`MAX_OBJECT`] bytes goes to the smallest power-of-two class that fits its size and alignment;
//! a class hands out objects from a free list, refilled a slab at a time: [`SLAB_SIZE`] bytes,
//! [`SLAB_SIZE`]-aligned, taken from the general allocator and carved into equal objects. Every
//! object of a class is aligned to the class size. Freed objects go back on their class's list
//! (last freed, first reused: its cache lines are warm) and are not returned to the general
//! allocator.
//!
//! This crate is the bookkeeping only: the caller (the kernel heap) supplies slabs and serialises
//! calls. It keeps no state outside the free objects themselves (an intrusive singly linked list
//! through their first word) and a few counters.

#![no_std]

use core::{alloc::Layout, ptr::NonNull};

/// The object sizes, smallest first.
pub const CLASS_SIZES: [usize; 8] = [16, 32, 64, 128, 256, 512, 1024, 2048];
/// The largest request the caches serve; larger ones go to the general allocator.
pub const MAX_OBJECT: usize = 2048;
/// The size and alignment of a slab.
pub const SLAB_SIZE: usize = 4096;

/// A free object: the next free object of the class, or none.
struct FreeObject {
    next: Option<NonNull<FreeObject>>,
}

/// The caches of every class.
pub struct Caches {
    free: [Option<NonNull<FreeObject>>; CLASS_SIZES.len()],
    /// Bytes of slabs taken from the general allocator.
    slab_bytes: usize,
    /// Bytes of objects on the free lists.
    free_bytes: usize,
}

// SAFETY: the free lists point into memory the caches own (slabs handed over by `add_slab`); the
// caller serialises every call (one lock around the kernel heap).
unsafe impl Send for Caches {}

impl Default for Caches {
    fn default() -> Self {
        Self::new()
    }
}

impl Caches {
    pub const fn new() -> Self {
        Caches {
            free: [None; CLASS_SIZES.len()],
            slab_bytes: 0,
            free_bytes: 0,
        }
    }

    /// The class serving `layout`: the smallest whose size covers both its size and its
    /// alignment; None if it is larger than [`MAX_OBJECT`].
    pub fn class_of(layout: Layout) -> Option<usize> {
        let need = layout.size().max(layout.align());
        if need > MAX_OBJECT {
            return None;
        }
        Some(
            CLASS_SIZES
                .iter()
                .position(|&size| size >= need)
                .unwrap_or(0),
        )
    }

    /// An object of class `class` from its free list; None when the list is empty (the caller
    /// adds a slab and asks again).
    pub fn alloc(&mut self, class: usize) -> Option<NonNull<u8>> {
        let object = self.free[class]?;
        // SAFETY: every object on a free list is a free object of this class, written by
        // `dealloc` or `add_slab`, and nobody else uses it.
        self.free[class] = unsafe { object.as_ref().next };
        self.free_bytes -= CLASS_SIZES[class];
        Some(object.cast())
    }

    /// Puts an object back on its class's list.
    ///
    /// # Safety
    /// `ptr` must have come from [`alloc`](Self::alloc) with the same `class` and not be in use
    /// any more.
    pub unsafe fn dealloc(&mut self, ptr: NonNull<u8>, class: usize) {
        let object = ptr.cast::<FreeObject>();
        // SAFETY: per the contract the object is ours again, at least 16 bytes and aligned to its
        // class size, which holds a FreeObject.
        unsafe {
            object.write(FreeObject {
                next: self.free[class],
            })
        };
        self.free[class] = Some(object);
        self.free_bytes += CLASS_SIZES[class];
    }

    /// Carves a slab into objects of class `class` and puts them all on its list.
    ///
    /// # Safety
    /// `slab` must be [`SLAB_SIZE`] bytes, [`SLAB_SIZE`]-aligned, writable, and given up to the
    /// caches for good.
    pub unsafe fn add_slab(&mut self, slab: NonNull<u8>, class: usize) {
        debug_assert!((slab.as_ptr() as usize).is_multiple_of(SLAB_SIZE));
        let size = CLASS_SIZES[class];
        // Last object first, so that the list hands them out in address order.
        for offset in (0..SLAB_SIZE / size).rev().map(|i| i * size) {
            // SAFETY: inside the slab, which the contract gives us.
            unsafe { self.dealloc(slab.add(offset), class) };
        }
        self.slab_bytes += SLAB_SIZE;
    }

    /// Bytes of slabs taken from the general allocator.
    pub fn slab_bytes(&self) -> usize {
        self.slab_bytes
    }

    /// Bytes of free objects waiting on the lists: memory the general allocator counts as used
    /// that holds no live object.
    pub fn free_bytes(&self) -> usize {
        self.free_bytes
    }
}

#[cfg(test)]
mod tests;
