//! The caches against a model: random allocations and frees over slabs cut from a test arena.
//! Live objects never overlap, are aligned as asked, keep what was written into them, and every
//! counter agrees with the model.

extern crate std;

use std::{alloc::Layout, collections::BTreeMap};

use proptest::prelude::*;

use super::*;

/// An arena of slabs for the test (leaked: the caches keep them for good).
fn new_slab() -> NonNull<u8> {
    let layout = Layout::from_size_align(SLAB_SIZE, SLAB_SIZE).unwrap();
    // SAFETY: a non-zero size.
    NonNull::new(unsafe { std::alloc::alloc(layout) }).unwrap()
}

fn alloc(caches: &mut Caches, layout: Layout) -> NonNull<u8> {
    let class = Caches::class_of(layout).unwrap();
    caches.alloc(class).unwrap_or_else(|| {
        // SAFETY: a fresh slab of the right size and alignment, given up for good.
        unsafe { caches.add_slab(new_slab(), class) };
        caches.alloc(class).unwrap()
    })
}

#[test]
fn classes_cover_size_and_alignment() {
    let class = |size, align| Caches::class_of(Layout::from_size_align(size, align).unwrap());
    assert_eq!(class(1, 1), Some(0));
    assert_eq!(class(16, 8), Some(0));
    assert_eq!(class(17, 8), Some(1));
    assert_eq!(class(8, 64), Some(2));
    assert_eq!(class(2048, 8), Some(7));
    assert_eq!(class(2049, 8), None);
    assert_eq!(class(8, 4096), None);
    assert_eq!(class(0, 1), Some(0));
}

#[test]
fn a_freed_object_is_reused_first_and_slabs_are_counted() {
    let mut caches = Caches::new();
    let layout = Layout::from_size_align(100, 8).unwrap();
    let a = alloc(&mut caches, layout);
    assert_eq!(caches.slab_bytes(), SLAB_SIZE);
    assert_eq!(caches.free_bytes(), SLAB_SIZE - 128);
    let b = alloc(&mut caches, layout);
    assert_eq!(
        b.as_ptr() as usize - a.as_ptr() as usize,
        128,
        "address order"
    );
    // SAFETY: `a` came from class 3 and is no longer used.
    unsafe { caches.dealloc(a, 3) };
    assert_eq!(alloc(&mut caches, layout), a);
    // A whole slab of one class is used before a second is taken.
    for _ in 2..SLAB_SIZE / 128 {
        alloc(&mut caches, layout);
    }
    assert_eq!(caches.slab_bytes(), SLAB_SIZE);
    assert_eq!(caches.free_bytes(), 0);
    alloc(&mut caches, layout);
    assert_eq!(caches.slab_bytes(), 2 * SLAB_SIZE);
}

#[derive(Clone, Debug)]
enum Op {
    Alloc { size: usize, align_log: u32 },
    Free(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..=2048, 0u32..=6).prop_map(|(size, align_log)| Op::Alloc { size, align_log }),
        2 => any::<usize>().prop_map(Op::Free),
    ]
}

proptest! {
    #[test]
    fn live_objects_never_overlap_and_keep_their_contents(ops in proptest::collection::vec(op(), 1..400)) {
        let mut caches = Caches::new();
        // Live objects: address -> (layout, fill byte).
        let mut live: BTreeMap<usize, (Layout, u8)> = BTreeMap::new();
        let mut fill = 0u8;
        for op in ops {
            match op {
                Op::Alloc { size, align_log } => {
                    let layout = Layout::from_size_align(size, 1 << align_log).unwrap();
                    let ptr = alloc(&mut caches, layout);
                    let at = ptr.as_ptr() as usize;
                    prop_assert_eq!(at % layout.align(), 0);
                    let class_size = CLASS_SIZES[Caches::class_of(layout).unwrap()];
                    prop_assert_eq!(at % class_size, 0, "aligned to its class");
                    // No overlap with the live neighbours.
                    if let Some((&prev, (l, _))) = live.range(..at).next_back() {
                        prop_assert!(prev + l.size() <= at);
                    }
                    if let Some((&next, _)) = live.range(at..).next() {
                        prop_assert!(at + size <= next);
                    }
                    fill = fill.wrapping_add(1);
                    // SAFETY: the object is ours, `size` bytes.
                    unsafe { ptr.as_ptr().write_bytes(fill, size) };
                    live.insert(at, (layout, fill));
                }
                Op::Free(pick) => {
                    if live.is_empty() {
                        continue;
                    }
                    let at = *live.keys().nth(pick % live.len()).unwrap();
                    let (layout, byte) = live.remove(&at).unwrap();
                    // SAFETY: reading the object we wrote.
                    let bytes = unsafe { std::slice::from_raw_parts(at as *const u8, layout.size()) };
                    prop_assert!(bytes.iter().all(|&b| b == byte), "contents kept");
                    let class = Caches::class_of(layout).unwrap();
                    // SAFETY: allocated with this class, no longer used.
                    unsafe { caches.dealloc(NonNull::new(at as *mut u8).unwrap(), class) };
                }
            }
            let live_bytes: usize = live
                .values()
                .map(|(l, _)| CLASS_SIZES[Caches::class_of(*l).unwrap()])
                .sum();
            prop_assert_eq!(caches.slab_bytes(), live_bytes + caches.free_bytes());
        }
    }
}
