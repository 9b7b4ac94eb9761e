//! Unit tests. They may look at private state: a refused free must leave *everything* unchanged,
//! and `check_invariants` must catch corruption, which only code inside the crate can cause.
//! The randomised model test is in `tests/model.rs` and uses the public API only.

use super::*;
use std::collections::BTreeSet;
use std::vec;
use std::vec::Vec;

/// Every piece of allocator state, to prove that an operation changed nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    links: Vec<Link>,
    free_heads: [u32; NR_ORDERS],
    nr_free: [usize; NR_ORDERS],
    free_frames: usize,
    managed_frames: usize,
}

fn snapshot(buddy: &Buddy<'_>) -> Snapshot {
    Snapshot {
        links: buddy.links.to_vec(),
        free_heads: buddy.free_heads,
        nr_free: buddy.nr_free,
        free_frames: buddy.free_frames,
        managed_frames: buddy.managed_frames,
    }
}

/// `(pfn, order)` of every free block, sorted.
fn free_blocks(buddy: &Buddy<'_>) -> Vec<(usize, usize)> {
    let mut blocks: Vec<_> = (0..NR_ORDERS)
        .flat_map(|order| buddy.free_list(order).map(move |pfn| (pfn, order)))
        .collect();
    blocks.sort_unstable();
    blocks
}

fn reserved(n: usize) -> Vec<Link> {
    vec![Link::reserved(); n]
}

#[test]
fn link_is_small_and_buddy_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Buddy<'static>>();
    assert_eq!(core::mem::size_of::<Link>(), 12);
}

#[test]
fn new_resets_links_and_manages_nothing() {
    let mut links = vec![
        Link {
            next: 3,
            prev: 7,
            order: 4,
            state: State::Free,
        };
        64
    ];
    let mut buddy = Buddy::new(0, &mut links);
    assert_eq!(buddy.free_frames(), 0);
    assert_eq!(buddy.managed_frames(), 0);
    assert_eq!(buddy.alloc(0), None);
    assert_eq!(buddy.free(0, 0), Err(FreeError::NotAllocated));
    buddy.check_invariants().unwrap();
    assert!(buddy.links.iter().all(|&link| link == Link::reserved()));
}

#[test]
fn empty_slice() {
    let mut buddy = Buddy::new(5, &mut []);
    buddy.add_free_range(5, 5);
    buddy.add_free_range(0, 0); // empty: not even checked against the span
    assert_eq!(buddy.alloc(0), None);
    assert_eq!(buddy.free(5, 0), Err(FreeError::OutOfRange));
    buddy.check_invariants().unwrap();
}

#[test]
fn alloc_order_0_splits_the_top_block_and_free_merges_it_back() {
    let mut links = reserved(1 << MAX_ORDER);
    let mut buddy = Buddy::new(0, &mut links);
    buddy.add_free_range(0, 1 << MAX_ORDER);
    assert_eq!(free_blocks(&buddy), [(0, MAX_ORDER)]);

    assert_eq!(buddy.alloc(0), Some(0));
    buddy.check_invariants().unwrap();
    // One free block of every order below the top: the upper halves of each split.
    let expected: Vec<_> = (0..MAX_ORDER).map(|order| (1 << order, order)).collect();
    assert_eq!(free_blocks(&buddy), expected);
    assert_eq!(buddy.free_frames(), (1 << MAX_ORDER) - 1);

    buddy.free(0, 0).unwrap();
    buddy.check_invariants().unwrap();
    assert_eq!(free_blocks(&buddy), [(0, MAX_ORDER)]);
    assert_eq!(buddy.free_frames(), 1 << MAX_ORDER);
}

#[test]
fn alloc_takes_the_smallest_block_that_fits() {
    let mut links = reserved(64);
    let mut buddy = Buddy::new(0, &mut links);
    // Free blocks: 0 (order 0), 2 (order 1), 4 (order 2), 8 (order 3)...
    buddy.add_free_range(1, 64);
    assert_eq!(
        free_blocks(&buddy),
        [(1, 0), (2, 1), (4, 2), (8, 3), (16, 4), (32, 5)]
    );
    assert_eq!(buddy.alloc(2), Some(4));
    assert_eq!(buddy.alloc(2), Some(8)); // splits the order-3 block at 8...
    assert_eq!(buddy.alloc(2), Some(12)); // ...and this takes its upper half
    buddy.check_invariants().unwrap();
}

#[test]
fn exhaustion_hands_out_every_managed_frame_exactly_once() {
    // An unaligned base and unaligned ends, so blocks of every order appear.
    let (base, len) = (3, 3000);
    let mut links = reserved(len);
    let mut buddy = Buddy::new(base, &mut links);
    buddy.add_free_range(base, base + len);
    assert_eq!(buddy.managed_frames(), len);

    let mut seen = BTreeSet::new();
    while let Some(pfn) = buddy.alloc(0) {
        assert!((base..base + len).contains(&pfn));
        assert!(seen.insert(pfn), "pfn {pfn} handed out twice");
    }
    assert_eq!(seen.len(), len);
    assert_eq!(buddy.free_frames(), 0);
    buddy.check_invariants().unwrap();

    // Free in an order unrelated to allocation order; everything must merge back.
    let initial = {
        let mut fresh_links = reserved(len);
        let mut fresh = Buddy::new(base, &mut fresh_links);
        fresh.add_free_range(base, base + len);
        free_blocks(&fresh)
    };
    let pfns: Vec<_> = seen.into_iter().collect();
    for pfn in pfns.iter().step_by(2).chain(pfns.iter().skip(1).step_by(2)) {
        buddy.free(*pfn, 0).unwrap();
    }
    buddy.check_invariants().unwrap();
    assert_eq!(buddy.free_frames(), len);
    assert_eq!(free_blocks(&buddy), initial);
}

#[test]
fn exhaustion_at_a_large_order() {
    let mut links = reserved(5000);
    let mut buddy = Buddy::new(0, &mut links);
    buddy.add_free_range(0, 5000);
    let mut blocks = 0;
    while let Some(pfn) = buddy.alloc(MAX_ORDER) {
        assert_eq!(pfn % (1 << MAX_ORDER), 0);
        blocks += 1;
    }
    // 5000 = 4 * 1024 + 904: the rest is too small for another top-order block.
    assert_eq!(blocks, 4);
    assert_eq!(buddy.free_frames(), 904);
    assert_eq!(buddy.alloc(MAX_ORDER + 1), None);
    buddy.check_invariants().unwrap();
}

#[test]
fn blocks_never_exceed_max_order() {
    let mut links = reserved(4 << MAX_ORDER);
    let mut buddy = Buddy::new(0, &mut links);
    buddy.add_free_range(0, 4 << MAX_ORDER);
    assert_eq!(buddy.free_blocks(MAX_ORDER), 4);
    assert_eq!(buddy.free_blocks(MAX_ORDER + 1), 0);
    assert_eq!(buddy.free_list(MAX_ORDER + 1).count(), 0);
    buddy.check_invariants().unwrap();
}

#[test]
fn double_free_is_refused_and_changes_nothing() {
    let mut links = reserved(256);
    let mut buddy = Buddy::new(0, &mut links);
    buddy.add_free_range(0, 256);
    let a = buddy.alloc(2).unwrap();
    let _b = buddy.alloc(2).unwrap();
    buddy.free(a, 2).unwrap();
    let before = snapshot(&buddy);
    assert_eq!(buddy.free(a, 2), Err(FreeError::NotAllocated));
    assert_eq!(snapshot(&buddy), before);
    buddy.check_invariants().unwrap();
}

#[test]
fn bad_frees_are_refused_and_change_nothing() {
    let base = 1000;
    let mut links = reserved(512);
    let mut buddy = Buddy::new(base, &mut links);
    buddy.add_free_range(base + 8, base + 512);
    // Free blocks 1008 (order 4), 1024 (8), 1280 (7), 1408 (6), 1472 (5), 1504 (3).
    let block = buddy.alloc(3).unwrap();
    assert_eq!(block, 1504);
    let single = buddy.alloc(0).unwrap();
    assert_eq!(single, 1008);
    buddy.check_invariants().unwrap();
    let before = snapshot(&buddy);

    let cases = [
        (base - 1, 0, FreeError::OutOfRange),
        (base + 512, 0, FreeError::OutOfRange),
        (usize::MAX, 0, FreeError::OutOfRange),
        (block + 1, 3, FreeError::Misaligned),
        (block + 4, 3, FreeError::Misaligned),
        (block, 2, FreeError::WrongOrder),
        (block, 4, FreeError::WrongOrder),
        (block, MAX_ORDER + 1, FreeError::WrongOrder),
        (block, usize::MAX, FreeError::WrongOrder),
        (single, 1, FreeError::WrongOrder),
        (single + 1, 1, FreeError::Misaligned),
        // A tail of an allocated block.
        (block + 1, 0, FreeError::NotAllocated),
        (block + 4, 2, FreeError::NotAllocated),
        // A reserved frame (inside the slice, never added).
        (base, 0, FreeError::NotAllocated),
        // Frames that are free (a head and a tail).
        (1024, 8, FreeError::NotAllocated),
        (1300, 0, FreeError::NotAllocated),
        (single + 1, 0, FreeError::NotAllocated),
    ];
    for (pfn, order, error) in cases {
        assert_eq!(buddy.free(pfn, order), Err(error), "free({pfn}, {order})");
        assert_eq!(
            snapshot(&buddy),
            before,
            "free({pfn}, {order}) changed state"
        );
    }
    buddy.free(block, 3).unwrap();
    buddy.free(single, 0).unwrap();
    assert_eq!(buddy.free_frames(), 504);
    buddy.check_invariants().unwrap();
}

#[test]
fn holes_are_never_handed_out_and_block_merging() {
    let base = 100;
    let mut links = reserved(3000);
    let mut buddy = Buddy::new(base, &mut links);
    let ranges = [100..357, 400..1400, 1401..1402, 1500..3100];
    for range in ranges.clone() {
        buddy.add_free_range(range.start, range.end);
        buddy.check_invariants().unwrap();
    }
    let managed: usize = ranges.iter().map(|range| range.len()).sum();
    assert_eq!(buddy.managed_frames(), managed);

    let mut handed_out = 0;
    for order in (0..=MAX_ORDER).rev() {
        while let Some(pfn) = buddy.alloc(order) {
            assert_eq!(pfn % (1 << order), 0);
            let block = pfn..pfn + (1 << order);
            assert!(
                ranges
                    .iter()
                    .any(|range| range.start <= block.start && block.end <= range.end),
                "block {block:?} not inside a free range"
            );
            handed_out += block.len();
        }
    }
    assert_eq!(handed_out, managed);
    assert_eq!(buddy.free_frames(), 0);
    buddy.check_invariants().unwrap();
}

#[test]
fn adjacent_ranges_coalesce_as_if_added_at_once() {
    let mut links = reserved(1 << MAX_ORDER);
    let mut buddy = Buddy::new(0, &mut links);
    buddy.add_free_range(512, 1024);
    buddy.add_free_range(3, 512);
    buddy.add_free_range(0, 3);
    assert_eq!(free_blocks(&buddy), [(0, MAX_ORDER)]);
    buddy.check_invariants().unwrap();
}

#[test]
fn add_free_range_cuts_maximal_aligned_blocks() {
    let mut links = reserved(64);
    let mut buddy = Buddy::new(0, &mut links);
    buddy.add_free_range(3, 17);
    assert_eq!(free_blocks(&buddy), [(3, 0), (4, 2), (8, 3), (16, 0)]);
    assert_eq!(buddy.free_frames(), 14);
    buddy.check_invariants().unwrap();
}

#[test]
fn unaligned_base_uses_absolute_alignment() {
    // Frame 1's order-0 buddy is frame 0, below the base: it does not exist, so frame 1 stays a
    // block of its own even though every frame of the slice is free.
    let mut links = reserved(15);
    let mut buddy = Buddy::new(1, &mut links);
    buddy.add_free_range(1, 16);
    assert_eq!(free_blocks(&buddy), [(1, 0), (2, 1), (4, 2), (8, 3)]);
    assert_eq!(buddy.alloc(3), Some(8));
    assert_eq!(buddy.alloc(1), Some(2));
    assert_eq!(buddy.alloc(2), Some(4));
    assert_eq!(buddy.alloc(1), None);
    assert_eq!(buddy.alloc(0), Some(1));
    buddy.check_invariants().unwrap();
}

#[test]
fn pfns_near_the_top_of_the_address_space() {
    let base = usize::MAX - 4096;
    let mut links = reserved(4096);
    let mut buddy = Buddy::new(base, &mut links);
    buddy.add_free_range(base, usize::MAX);
    let mut pfns = Vec::new();
    while let Some(pfn) = buddy.alloc(0) {
        pfns.push(pfn);
    }
    assert_eq!(pfns.len(), 4096);
    for pfn in pfns {
        buddy.free(pfn, 0).unwrap();
    }
    assert_eq!(buddy.free_frames(), 4096);
    buddy.check_invariants().unwrap();
}

#[test]
#[should_panic(expected = "overlaps frames already added")]
fn adding_a_range_twice_panics() {
    let mut links = reserved(64);
    let mut buddy = Buddy::new(0, &mut links);
    buddy.add_free_range(0, 32);
    buddy.add_free_range(31, 40);
}

#[test]
#[should_panic(expected = "outside")]
fn adding_a_range_outside_the_slice_panics() {
    let mut links = reserved(64);
    let mut buddy = Buddy::new(16, &mut links);
    buddy.add_free_range(8, 20);
}

#[test]
#[should_panic(expected = "reversed")]
fn adding_a_reversed_range_panics() {
    let mut links = reserved(64);
    let mut buddy = Buddy::new(0, &mut links);
    buddy.add_free_range(20, 8);
}

/// `check_invariants` is only worth calling if it actually catches corruption.
#[test]
fn check_invariants_detects_corruption() {
    type Corruption = fn(&mut Buddy<'_>);
    let corruptions: [(&str, Corruption); 9] = [
        ("stray tail", |b| b.links[200].state = State::Tail),
        ("tail turned head", |b| b.links[65].state = State::Allocated),
        ("free count", |b| b.free_frames += 1),
        ("managed count", |b| b.managed_frames -= 1),
        ("list count", |b| b.nr_free[0] += 1),
        ("broken prev", |b| {
            let head = b.free_heads[4] as usize;
            b.links[head].prev = 0;
        }),
        ("cycle", |b| {
            let head = b.free_heads[3];
            b.links[head as usize].next = head;
        }),
        ("free head off its list", |b| {
            let head = b.free_heads[5] as usize;
            b.list_del(head, 5);
            b.links[head].state = State::Free;
        }),
        ("uncoalesced buddies", |b| {
            // Split the free order-6 block at 64 into two free order-5 blocks by hand.
            b.list_del(64, 6);
            b.set_head(64, State::Free, 5);
            b.list_add(64, 5);
            b.set_head(96, State::Free, 5);
            b.list_add(96, 5);
        }),
    ];
    for (what, corrupt) in corruptions {
        let mut links = reserved(256);
        let mut buddy = Buddy::new(0, &mut links);
        buddy.add_free_range(0, 128);
        // Splitting the order-7 block leaves free blocks 1 (order 0), 2 (1), 4 (2) ... 64 (6),
        // and frames 128..256 reserved.
        assert_eq!(buddy.alloc(0), Some(0));
        buddy.check_invariants().unwrap();
        corrupt(&mut buddy);
        assert!(buddy.check_invariants().is_err(), "missed: {what}");
    }
}

#[test]
fn free_error_display() {
    use std::string::ToString;
    assert_eq!(
        FreeError::NotAllocated.to_string(),
        "no allocated block starts at this pfn"
    );
}
