//! Taking a file's pages out of every mapping when the file shrinks (Linux's unmap_mapping_range
//! with even_cows, which truncate_pagecache calls): after a truncation, no process may still reach
//! a page beyond the new end, neither the page-cache page a shared mapping maps nor a private copy
//! made from it. The next access faults, and the fault path answers SIGBUS for a page wholly
//! beyond the end.
//!
//! There is no reverse map from a file to its mappings here: every address space is looked at,
//! area by area, which is linear in the areas of the system. Truncation of a mapped file is rare;
//! an i_mmap-like list per file belongs to the performance work if it ever matters.

use super::{layout::PAGE_SIZE, mm_struct::VmFlags};
use crate::process;

/// Calls `f` with every address space of the system, each once (threads and CLONE_VM children
/// share one; best effort if the list of those done cannot grow: doing one twice is harmless).
pub(super) fn for_each_mm(mut f: impl FnMut(&mut super::mm_struct::MmInner)) {
    let mut done: alloc::vec::Vec<*const super::mm_struct::Mm> = alloc::vec::Vec::new();
    for p in process::all() {
        let Some(mm) = p.mm() else {
            continue;
        };
        let id = alloc::sync::Arc::as_ptr(&mm);
        if done.contains(&id) {
            continue;
        }
        if done.try_reserve(1).is_ok() {
            done.push(id);
        }
        f(&mut mm.lock());
    }
}

/// The object an area maps, by its address (how the functions here name a file), if any.
pub fn object_of(vma: &super::mm_struct::Vma) -> Option<*const ()> {
    vma.file()
        .map(|f| alloc::sync::Arc::as_ptr(&f.0) as *const ())
}

/// Whether `object` (named by its address, as below) is mapped shared with write permission
/// possible anywhere (Linux's mapping_writably_mapped: a VM_SHARED area with VM_MAYWRITE), which
/// F_SEAL_WRITE refuses (EBUSY).
pub fn mapping_writably_mapped(object: *const ()) -> bool {
    let mut found = false;
    for_each_mm(|inner| {
        found |= inner.vmas.iter().any(|v| {
            v.flags().contains(VmFlags::SHARED | VmFlags::MAYWRITE) && object_of(v) == Some(object)
        });
    });
    found
}

/// How many areas map `object` (named as below), in every address space: a System V segment's
/// attach count (Linux's shm_nattch, which counts areas: a split one counts twice).
pub fn mapping_count(object: *const ()) -> u64 {
    let mut count = 0;
    for_each_mm(|inner| {
        count += inner
            .vmas
            .iter()
            .filter(|v| object_of(v) == Some(object))
            .count() as u64;
    });
    count
}

/// Unmaps, in every address space, the pages of `object` at page offset `from` and beyond. The
/// object is named by its address (what a VMA's [`super::vm_object::VmFile`] points at). Call it
/// with no file lock held: it takes each mm lock in turn.
pub fn unmap_mapping_range(object: *const (), from: u64) {
    unmap_mapping_pages(object, from, u64::MAX, true);
}

/// Unmaps, in every address space, the pages of `object` at page offsets [first, last) (Linux's
/// unmap_mapping_pages); the private copies made of them too if `even_cows` (truncation), not
/// otherwise (a punched hole). Call it with no file lock held.
pub fn unmap_mapping_pages(object: *const (), first: u64, last: u64, even_cows: bool) {
    for_each_mm(|inner| {
        // One area at a time, without a list (no allocation here): the next matching area at or
        // above the cursor.
        let mut cursor = 0u64;
        loop {
            let next = inner
                .vmas
                .iter_range(cursor, u64::MAX)
                .filter(|v| object_of(v) == Some(object))
                .find_map(|v| {
                    let (start, end) = (v.pgoff(), v.pgoff() + v.pages());
                    let (from, to) = (start.max(first), end.min(last));
                    (from < to).then(|| {
                        let addr = |pgoff: u64| v.start() + (pgoff - start) * PAGE_SIZE;
                        (addr(from), addr(to), v.end())
                    })
                });
            let Some((start, end, area_end)) = next else {
                break;
            };
            if even_cows {
                inner.release_pages(start, end);
            } else {
                inner.release_file_pages(start, end);
            }
            cursor = area_end;
        }
    });
}
