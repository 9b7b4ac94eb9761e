//! Unit tests, one or more per operation and edge case. The randomised model test is in
//! `tests/model.rs` and the `/proc/self/maps` round trip in `tests/maps.rs`; both use the public
//! API only. These may reach private state, to prove that `check_invariants` catches corruption.

use super::*;
use std::vec;
use std::vec::Vec;

const P: u64 = PAGE_SIZE;

/// `r--p`-style rights with every `MAY*` bit, as an anonymous `mmap` gets them.
fn anon_rights(access: VmFlags) -> VmFlags {
    access | VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYEXEC
}

/// A private writable area, charged as `mmap` charges it.
fn rw() -> VmFlags {
    anon_rights(VmFlags::READ | VmFlags::WRITE) | VmFlags::ACCOUNT
}

/// A private writable area made read-only: still charged.
fn ro_charged() -> VmFlags {
    ro() | VmFlags::ACCOUNT
}

fn ro() -> VmFlags {
    anon_rights(VmFlags::READ)
}

fn stack() -> VmFlags {
    rw() | VmFlags::GROWSDOWN
}

fn anon(start: u64, end: u64, flags: VmFlags) -> VmaInfo<u32> {
    VmaInfo {
        start: start * P,
        end: end * P,
        flags,
        file: None,
        pgoff: start,
    }
}

fn file(start: u64, end: u64, flags: VmFlags, id: u32, pgoff: u64) -> VmaInfo<u32> {
    VmaInfo {
        start: start * P,
        end: end * P,
        flags,
        file: Some(id),
        pgoff,
    }
}

/// A tree of the given areas (pages, not bytes), checked.
fn tree_of(areas: &[VmaInfo<u32>]) -> VmaTree<u32> {
    let mut tree = VmaTree::new();
    for area in areas {
        tree.insert(area.clone()).unwrap();
    }
    tree.check_invariants().unwrap();
    tree
}

/// The areas as `(start page, end page, flags, file, pgoff)`.
fn areas(tree: &VmaTree<u32>) -> Vec<(u64, u64, VmFlags, Option<u32>, u64)> {
    tree.check_invariants().unwrap();
    tree.iter()
        .map(|v| {
            (
                v.start() / P,
                v.end() / P,
                v.flags(),
                v.file().copied(),
                v.pgoff(),
            )
        })
        .collect()
}

fn starts(tree: &VmaTree<u32>) -> Vec<u64> {
    tree.iter().map(|v| v.start() / P).collect()
}

// ---- Vma ----

#[test]
fn vma_accessors() {
    let tree = tree_of(&[file(16, 20, ro(), 7, 3), anon(32, 34, stack())]);
    let f = tree.find(16 * P).unwrap();
    assert_eq!(
        (f.start(), f.end(), f.pages(), f.pgoff()),
        (16 * P, 20 * P, 4, 3)
    );
    assert_eq!(f.file(), Some(&7));
    assert!(f.contains(16 * P) && f.contains(20 * P - 1));
    assert!(!f.contains(16 * P - 1) && !f.contains(20 * P));
    assert_eq!(f.file_page(16 * P), 3);
    assert_eq!(f.file_page(19 * P + 123), 6);
    assert_eq!(f.maps_offset(), 3 * P);
    assert_eq!(f.start_gap(8 * P), 16 * P, "only stacks have a guard gap");
    assert_eq!(f.info(), file(16, 20, ro(), 7, 3));

    let s = tree.find(33 * P).unwrap();
    assert_eq!(s.file(), None);
    assert_eq!(s.pgoff(), 32, "an anonymous area's pgoff is its start page");
    assert_eq!(s.file_page(33 * P), 33);
    assert_eq!(s.maps_offset(), 0);
    assert_eq!(s.start_gap(8 * P), 24 * P);
    assert_eq!(s.start_gap(100 * P), 0, "the gap stops at address 0");
}

#[test]
fn access_allowed_follows_may_bits() {
    assert!(rw().access_allowed());
    assert!(VmFlags::empty().access_allowed());
    assert!(!(VmFlags::WRITE | VmFlags::MAYREAD).access_allowed());
    assert!((VmFlags::READ | VmFlags::MAYREAD).access_allowed());
    assert!(!(VmFlags::EXEC | VmFlags::MAYREAD | VmFlags::MAYWRITE).access_allowed());
    assert!(!VmFlags::MAYREAD.is_accessible());
    assert!(VmFlags::EXEC.is_accessible());
}

// ---- lookups ----

#[test]
fn find_vma_at_boundaries() {
    let tree = tree_of(&[anon(1, 3, rw()), anon(5, 6, ro())]);
    let start_of = |v: Option<&Vma<u32>>| v.map(|v| v.start() / P);
    assert_eq!(
        start_of(tree.find_vma(0)),
        Some(1),
        "below everything: the first area"
    );
    assert_eq!(start_of(tree.find_vma(P)), Some(1));
    assert_eq!(start_of(tree.find_vma(3 * P - 1)), Some(1));
    assert_eq!(
        start_of(tree.find_vma(3 * P)),
        Some(5),
        "an area's end is not in it"
    );
    assert_eq!(start_of(tree.find_vma(5 * P)), Some(5));
    assert_eq!(start_of(tree.find_vma(6 * P - 1)), Some(5));
    assert_eq!(start_of(tree.find_vma(6 * P)), None);
    assert_eq!(start_of(tree.find_vma(u64::MAX)), None);

    assert_eq!(start_of(tree.find(P - 1)), None);
    assert_eq!(start_of(tree.find(P)), Some(1));
    assert_eq!(start_of(tree.find(3 * P)), None);
    assert_eq!(start_of(tree.find(4 * P)), None);
    assert_eq!(start_of(tree.find(5 * P + 1)), Some(5));

    assert_eq!(start_of(tree.find_prev(0)), None);
    assert_eq!(
        start_of(tree.find_prev(2 * P)),
        None,
        "inside the first area"
    );
    assert_eq!(start_of(tree.find_prev(3 * P - 1)), None);
    assert_eq!(
        start_of(tree.find_prev(3 * P)),
        Some(1),
        "an area ending at addr is below it"
    );
    assert_eq!(start_of(tree.find_prev(5 * P)), Some(1));
    assert_eq!(start_of(tree.find_prev(6 * P - 1)), Some(1));
    assert_eq!(start_of(tree.find_prev(6 * P)), Some(5));
    assert_eq!(start_of(tree.find_prev(u64::MAX)), Some(5));

    assert!(!VmaTree::<u32>::new().intersects(0, u64::MAX));
    assert!(tree.intersects(0, P + 1));
    assert!(!tree.intersects(0, P));
    assert!(!tree.intersects(3 * P, 5 * P), "the hole between");
    assert!(tree.intersects(3 * P, 5 * P + 1));
    assert!(tree.intersects(2 * P, 2 * P + 1));
    assert!(
        !tree.intersects(2 * P, 2 * P),
        "an empty range intersects nothing"
    );
    assert!(!tree.intersects(6 * P, u64::MAX));
}

// ---- insert ----

#[test]
fn insert_refuses_overlap_and_bad_ranges() {
    let mut tree = tree_of(&[anon(10, 20, rw())]);
    let before = areas(&tree);
    for (start, end) in [(10, 20), (5, 11), (19, 25), (5, 25), (12, 13)] {
        assert_eq!(
            tree.insert(anon(start, end, ro())),
            Err(VmaError::Overlap),
            "{start}..{end}"
        );
    }
    let mut unaligned = anon(30, 31, ro());
    unaligned.start += 1;
    assert_eq!(tree.insert(unaligned.clone()), Err(VmaError::Unaligned));
    unaligned.start -= 1;
    unaligned.end -= 1;
    assert_eq!(tree.insert(unaligned), Err(VmaError::Unaligned));
    assert_eq!(tree.insert(anon(30, 30, ro())), Err(VmaError::Empty));
    assert_eq!(tree.insert(anon(31, 30, ro())), Err(VmaError::Empty));
    assert_eq!(areas(&tree), before, "a refused insert changes nothing");
    // Right next to the area, on both sides, is fine.
    tree.insert(anon(5, 10, ro())).unwrap();
    tree.insert(anon(20, 21, ro())).unwrap();
    assert_eq!(starts(&tree), [5, 10, 20]);
}

#[test]
fn insert_merges_with_prev_next_and_both() {
    let mut tree = tree_of(&[anon(10, 12, rw())]);
    tree.insert(anon(12, 13, rw())).unwrap();
    assert_eq!(areas(&tree), [(10, 13, rw(), None, 10)], "merged into prev");
    tree.insert(anon(8, 10, rw())).unwrap();
    assert_eq!(areas(&tree), [(8, 13, rw(), None, 8)], "merged into next");
    tree.insert(anon(15, 20, rw())).unwrap();
    assert_eq!(tree.len(), 2, "a gap between: no merge");
    tree.insert(anon(13, 15, rw())).unwrap();
    assert_eq!(
        areas(&tree),
        [(8, 20, rw(), None, 8)],
        "filling the gap merges all three"
    );
    assert_eq!(tree.len(), 1);
}

#[test]
fn insert_does_not_merge_different_areas() {
    let mut tree = tree_of(&[anon(10, 12, rw())]);
    tree.insert(anon(12, 14, ro())).unwrap();
    tree.insert(anon(8, 10, rw() | VmFlags::SHARED)).unwrap();
    tree.insert(file(14, 16, ro(), 1, 14)).unwrap();
    assert_eq!(
        starts(&tree),
        [8, 10, 12, 14],
        "different flags, or anonymous against file"
    );
}

#[test]
fn file_areas_merge_only_with_contiguous_pgoff() {
    let mut tree = tree_of(&[file(10, 12, ro(), 1, 100)]);
    tree.insert(file(12, 14, ro(), 1, 103)).unwrap();
    assert_eq!(tree.len(), 2, "pgoff 103 does not continue 100..102");
    tree.insert(file(8, 10, ro(), 2, 98)).unwrap();
    assert_eq!(tree.len(), 3, "another file");
    tree.insert(file(14, 16, ro(), 1, 105)).unwrap();
    assert_eq!(tree.len(), 3, "contiguous after: merged");
    tree.insert(file(6, 8, ro(), 2, 96)).unwrap();
    assert_eq!(
        areas(&tree),
        [
            (6, 10, ro(), Some(2), 96),
            (10, 12, ro(), Some(1), 100),
            (12, 16, ro(), Some(1), 103),
        ],
        "contiguous before: merged, keeping the lower pgoff"
    );
}

#[test]
fn anonymous_pgoff_is_the_start_page() {
    let mut tree = VmaTree::<u32>::new();
    tree.insert(VmaInfo {
        start: 16 * P,
        end: 17 * P,
        flags: rw(),
        file: None,
        pgoff: 12345,
    })
    .unwrap();
    assert_eq!(tree.find(16 * P).unwrap().pgoff(), 16);
}

// ---- unmap ----

#[test]
fn unmap_middle_splits_with_advanced_pgoff() {
    let mut tree = tree_of(&[file(16, 32, ro(), 3, 5)]);
    let removed = tree.unmap(20 * P, 22 * P).unwrap();
    assert_eq!(removed, [file(20, 22, ro(), 3, 9)]);
    assert_eq!(
        areas(&tree),
        [(16, 20, ro(), Some(3), 5), (22, 32, ro(), Some(3), 11)]
    );
    assert_eq!(
        tree.find(22 * P).unwrap().file_page(23 * P),
        12,
        "pages keep their file page"
    );

    // The same for anonymous memory: pgoff stays the page number.
    let mut tree = tree_of(&[anon(16, 32, rw())]);
    assert_eq!(tree.unmap(20 * P, 22 * P).unwrap(), [anon(20, 22, rw())]);
    assert_eq!(
        areas(&tree),
        [(16, 20, rw(), None, 16), (22, 32, rw(), None, 22)]
    );
}

#[test]
fn unmap_across_areas_and_holes() {
    let mut tree = tree_of(&[
        anon(2, 4, rw()),
        file(6, 10, ro(), 1, 0),
        anon(10, 12, ro()),
        anon(14, 20, rw()),
        anon(30, 31, rw()),
    ]);
    let removed = tree.unmap(3 * P, 16 * P).unwrap();
    assert_eq!(
        removed,
        [
            anon(3, 4, rw()),
            file(6, 10, ro(), 1, 0),
            anon(10, 12, ro()),
            anon(14, 16, rw()),
        ]
    );
    assert_eq!(
        areas(&tree),
        [
            (2, 3, rw(), None, 2),
            (16, 20, rw(), None, 16),
            (30, 31, rw(), None, 30)
        ]
    );
    assert_eq!(tree.len(), 3);
}

#[test]
fn unmap_of_nothing() {
    let mut tree = VmaTree::<u32>::new();
    assert!(tree.unmap(0, u64::MAX).unwrap().is_empty());
    let mut tree = tree_of(&[anon(2, 4, rw()), anon(8, 9, ro())]);
    let before = areas(&tree);
    assert!(
        tree.unmap(4 * P, 8 * P).unwrap().is_empty(),
        "only the hole"
    );
    assert!(
        tree.unmap(9 * P, 100 * P).unwrap().is_empty(),
        "above everything"
    );
    assert!(tree.unmap(3 * P, 3 * P).unwrap().is_empty(), "empty range");
    assert!(
        tree.unmap(5 * P, 3 * P).unwrap().is_empty(),
        "reversed range"
    );
    assert_eq!(areas(&tree), before);
}

#[test]
fn unmap_rounds_to_pages_and_takes_everything() {
    let mut tree = tree_of(&[anon(2, 6, rw()), anon(8, 9, ro())]);
    // [3P+1, 4P+1) covers the pages 3 and 4.
    assert_eq!(
        tree.unmap(3 * P + 1, 4 * P + 1).unwrap(),
        [anon(3, 5, rw())]
    );
    let all = tree.unmap(0, u64::MAX).unwrap();
    assert_eq!(all, [anon(2, 3, rw()), anon(5, 6, rw()), anon(8, 9, ro())]);
    assert!(tree.is_empty());
    tree.check_invariants().unwrap();
}

// ---- protect ----

#[test]
fn protect_splits_then_merges_back() {
    let mut tree = tree_of(&[file(10, 20, rw(), 1, 40)]);
    let changes = tree.protect(12 * P, 14 * P, VmFlags::READ).unwrap();
    assert_eq!(
        changes,
        [ProtectChange {
            start: 12 * P,
            end: 14 * P,
            old: rw(),
            new: ro_charged(),
        }]
    );
    assert_eq!(
        areas(&tree),
        [
            (10, 12, rw(), Some(1), 40),
            (12, 14, ro_charged(), Some(1), 42),
            (14, 20, rw(), Some(1), 44),
        ]
    );
    let changes = tree
        .protect(12 * P, 14 * P, VmFlags::READ | VmFlags::WRITE)
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        areas(&tree),
        [(10, 20, rw(), Some(1), 40)],
        "one area again"
    );
}

#[test]
fn protect_across_areas_merges_them() {
    let mut tree = tree_of(&[anon(0, 2, rw()), anon(2, 4, ro()), anon(4, 6, rw())]);
    let changes = tree.protect(0, 6 * P, VmFlags::READ).unwrap();
    assert_eq!(
        changes,
        [
            ProtectChange {
                start: 0,
                end: 2 * P,
                old: rw(),
                new: ro()
            },
            ProtectChange {
                start: 4 * P,
                end: 6 * P,
                old: rw(),
                new: ro()
            },
        ],
        "the middle area already had the rights"
    );
    assert_eq!(areas(&tree), [(0, 6, ro(), None, 0)]);
}

#[test]
fn protect_without_change_does_not_split() {
    let mut tree = tree_of(&[anon(0, 8, rw())]);
    // Bits other than READ/WRITE/EXEC in prot are ignored.
    assert_eq!(
        tree.protect(
            2 * P,
            3 * P,
            VmFlags::READ | VmFlags::WRITE | VmFlags::SHARED
        ),
        Ok(vec![])
    );
    assert_eq!(tree.len(), 1);
    assert_eq!(
        tree.protect(100 * P, 100 * P, VmFlags::READ),
        Ok(vec![]),
        "empty range"
    );
}

#[test]
fn protect_nomem_keeps_earlier_changes() {
    let mut tree = tree_of(&[anon(2, 4, rw()), anon(5, 8, rw())]);
    let before = areas(&tree);
    // The first page is unmapped: nothing happens.
    let err = tree.protect(P, 3 * P, VmFlags::READ).unwrap_err();
    assert_eq!(
        err,
        ProtectFailure {
            error: ProtectError::NoMem,
            changes: vec![]
        }
    );
    assert_eq!(areas(&tree), before);
    // A hole after the first area: that area stays changed.
    let err = tree.protect(3 * P, 6 * P, VmFlags::READ).unwrap_err();
    assert_eq!(err.error, ProtectError::NoMem);
    assert_eq!(
        err.changes,
        [ProtectChange {
            start: 3 * P,
            end: 4 * P,
            old: rw(),
            new: ro()
        }]
    );
    assert_eq!(
        areas(&tree),
        [
            (2, 3, rw(), None, 2),
            (3, 4, ro(), None, 3),
            (5, 8, rw(), None, 5)
        ]
    );
    // A range ending in the hole fails too, after changing everything before it.
    let err = tree.protect(2 * P, 5 * P, VmFlags::empty()).unwrap_err();
    assert_eq!(err.error, ProtectError::NoMem);
    assert_eq!(err.changes.len(), 2);
    assert_eq!(
        areas(&tree)[0],
        (2, 4, anon_rights(VmFlags::empty()), None, 2)
    );
}

#[test]
fn protect_access_stops_at_the_forbidding_area() {
    let read_only_file = VmFlags::READ | VmFlags::MAYREAD | VmFlags::MAYEXEC | VmFlags::MAYSHARE;
    let mut tree = tree_of(&[
        anon(0, 2, ro()),
        file(2, 4, read_only_file, 1, 0),
        anon(4, 6, ro()),
    ]);
    let err = tree
        .protect(P, 6 * P, VmFlags::READ | VmFlags::WRITE)
        .unwrap_err();
    assert_eq!(err.error, ProtectError::Access);
    assert_eq!(
        err.changes,
        [ProtectChange {
            start: P,
            end: 2 * P,
            old: ro(),
            new: rw()
        }]
    );
    assert_eq!(
        areas(&tree),
        [
            (0, 1, ro(), None, 0),
            (1, 2, rw(), None, 1),
            (2, 4, read_only_file, Some(1), 0),
            (4, 6, ro(), None, 4),
        ],
        "the area after the refusal is untouched"
    );
    // READ|EXEC is within the file's MAY bits.
    assert!(
        tree.protect(2 * P, 4 * P, VmFlags::READ | VmFlags::EXEC)
            .is_ok()
    );
}

// ---- get_unmapped_area ----

const LOW: u64 = 0x1000 * P;
const HIGH: u64 = 0x2000 * P;

#[test]
fn get_unmapped_area_is_top_down() {
    let mut tree = VmaTree::<u32>::new();
    assert_eq!(
        tree.get_unmapped_area(P, None, LOW, HIGH, 0),
        Some(HIGH - P)
    );
    assert_eq!(
        tree.get_unmapped_area(3 * P - 5, None, LOW, HIGH, 0),
        Some(HIGH - 3 * P),
        "len rounded up"
    );
    assert_eq!(
        tree.get_unmapped_area(0, None, LOW, HIGH, 0),
        None,
        "nothing to place"
    );
    assert_eq!(
        tree.get_unmapped_area(HIGH - LOW, None, LOW, HIGH, 0),
        Some(LOW),
        "exactly fits"
    );
    assert_eq!(
        tree.get_unmapped_area(HIGH - LOW + P, None, LOW, HIGH, 0),
        None
    );

    // Successive mappings stack downwards.
    for i in 1..=3 {
        let addr = tree.get_unmapped_area(2 * P, None, LOW, HIGH, 0).unwrap();
        assert_eq!(addr, HIGH - 2 * i * P);
        tree.insert(VmaInfo {
            start: addr,
            end: addr + 2 * P,
            flags: if i % 2 == 0 { ro() } else { rw() },
            file: None,
            pgoff: 0,
        })
        .unwrap();
    }
    // A hole of one page below the top area, and a larger one lower down.
    tree.unmap(HIGH - 3 * P, HIGH - 2 * P).unwrap();
    tree.insert(VmaInfo {
        start: LOW + 4 * P,
        end: LOW + 5 * P,
        flags: rw(),
        file: None,
        pgoff: 0,
    })
    .unwrap();
    assert_eq!(
        tree.get_unmapped_area(P, None, LOW, HIGH, 0),
        Some(HIGH - 3 * P),
        "highest hole that fits"
    );
    assert_eq!(
        tree.get_unmapped_area(2 * P, None, LOW, HIGH, 0),
        Some(HIGH - 8 * P),
        "skips a hole too small"
    );
    // Areas outside [low, high) only matter as edges of gaps.
    assert_eq!(
        tree.get_unmapped_area(4 * P, None, LOW, LOW + 8 * P, 0),
        Some(LOW),
        "below the low area"
    );
    assert_eq!(
        tree.get_unmapped_area(5 * P, None, LOW, LOW + 8 * P, 0),
        None
    );
    assert_eq!(
        tree.get_unmapped_area(3 * P, None, LOW + P, LOW + 8 * P, 0),
        Some(LOW + 5 * P)
    );
}

#[test]
fn get_unmapped_area_hint() {
    let tree = tree_of(&[anon(0x1100, 0x1110, rw())]);
    let get = |len, hint| tree.get_unmapped_area(len, Some(hint), LOW, HIGH, 0);
    assert_eq!(get(P, 0x1200 * P), Some(0x1200 * P), "free: honoured");
    assert_eq!(
        get(P, 0x1200 * P + 1),
        Some(0x1201 * P),
        "rounded up, as Linux does"
    );
    assert_eq!(
        get(0x10 * P, 0x10F0 * P),
        Some(0x10F0 * P),
        "ends right at an area"
    );
    assert_eq!(
        get(0x10 * P, 0x1110 * P),
        Some(0x1110 * P),
        "starts right at an area's end"
    );
    assert_eq!(
        get(2 * P, 0x10FF * P),
        Some(HIGH - 2 * P),
        "overlaps the area: refused"
    );
    assert_eq!(
        get(P, 0x1105 * P),
        Some(HIGH - P),
        "inside the area: refused"
    );
    assert_eq!(get(P, LOW - P), Some(HIGH - P), "below low: refused");
    assert_eq!(
        get(2 * P, HIGH - P),
        Some(HIGH - 2 * P),
        "runs past high: refused"
    );
    assert_eq!(
        get(P, u64::MAX),
        Some(HIGH - P),
        "rounds past the top: refused"
    );
}

#[test]
fn get_unmapped_area_keeps_stack_guard_gap() {
    const GAP: u64 = 16 * P;
    // A stack at the top, and an ordinary area lower down.
    let tree = tree_of(&[anon(0x1f00, 0x2000, stack()), anon(0x1e00, 0x1e10, rw())]);
    assert_eq!(
        tree.get_unmapped_area(P, None, LOW, HIGH, GAP),
        Some(0x1f00 * P - GAP - P),
        "nothing in the gap below the stack"
    );
    assert_eq!(
        tree.get_unmapped_area(P, None, LOW, HIGH, 0),
        Some(0x1eff * P)
    );
    // The gap below the stack is 0xf0 pages, 0xe0 of them usable.
    assert_eq!(
        tree.get_unmapped_area(0xe0 * P, None, LOW, HIGH, GAP),
        Some(0x1e10 * P)
    );
    assert_eq!(
        tree.get_unmapped_area(0xe1 * P, None, LOW, HIGH, GAP),
        Some(0x1e00 * P - 0xe1 * P),
        "does not fit above the lower area any more"
    );
    // A hint in the guard gap is refused; right below it is fine.
    let hint = 0x1f00 * P - P;
    assert_ne!(
        tree.get_unmapped_area(P, Some(hint), LOW, HIGH, GAP),
        Some(hint)
    );
    let hint = 0x1f00 * P - GAP - P;
    assert_eq!(
        tree.get_unmapped_area(P, Some(hint), LOW, HIGH, GAP),
        Some(hint)
    );
    // Only stacks have a gap: the same hint below the ordinary area is fine.
    let hint = 0x1e00 * P - P;
    assert_eq!(
        tree.get_unmapped_area(P, Some(hint), LOW, HIGH, GAP),
        Some(hint)
    );
    // The stack above `high` still keeps its gap free of a mapping placed at `high`'s top.
    assert_eq!(
        tree.get_unmapped_area(P, None, LOW, 0x1f00 * P, GAP),
        Some(0x1f00 * P - GAP - P)
    );
}

/// The search as it was before the tree kept its gaps, and as Linux 6.0 describes it: walk the
/// gaps down from the first area ending above `high`, one area at a time. The reference the
/// `O(log n)` search must agree with, answer for answer.
fn linear_unmapped_area(
    tree: &VmaTree<u32>,
    len: u64,
    hint: Option<u64>,
    low: u64,
    high: u64,
    guard: u64,
) -> Option<u64> {
    let len = page_align_up(len)?;
    let low = page_align_up(low)?;
    let high = page_align_down(high);
    if len == 0 || high < low || len > high - low {
        return None;
    }
    if let Some(addr) = hint.and_then(page_align_up)
        && addr >= low
        && addr <= high - len
        && tree
            .find_vma(addr)
            .is_none_or(|next| addr + len <= next.start_gap(guard))
    {
        return Some(addr);
    }
    let all: Vec<&Vma<u32>> = tree.iter().collect();
    // Index of the first area ending above `high`, or `all.len()` for none.
    let mut next = all.iter().position(|v| v.end() > high).unwrap_or(all.len());
    loop {
        let gap_end = all
            .get(next)
            .map_or(high, |v| page_align_down(v.start_gap(guard)).min(high));
        let prev = next.checked_sub(1).map(|i| all[i]);
        let gap_start = prev.map_or(low, |v| v.end().max(low));
        if gap_end >= gap_start && gap_end - gap_start >= len {
            return Some(gap_end - len);
        }
        if gap_start == low {
            return None;
        }
        next -= 1;
    }
}

/// A small deterministic generator (xorshift64*), so the test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn get_unmapped_area_matches_the_linear_walk() {
    const SPACE: u64 = 0x4000;
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut tree = VmaTree::<u32>::new();
    for round in 0..40 {
        // Fill: many small areas with small gaps, some of them stacks.
        for _ in 0..300 {
            let start = rng.below(SPACE);
            let longest = if rng.below(8) == 0 { 64 } else { 3 };
            let end = start + 1 + rng.below(longest);
            let flags = match rng.below(6) {
                0 => stack(),
                1 | 2 => ro(),
                _ => rw(),
            };
            let _ = tree.insert(anon(start, end, flags));
        }
        // Punch holes, and grow some stacks, so that gaps change in every way.
        for _ in 0..20 {
            let start = rng.below(SPACE) * P;
            tree.unmap(start, start + rng.below(40) * P).unwrap();
        }
        let stacks: Vec<u64> = tree
            .iter()
            .filter(|v| v.flags().contains(VmFlags::GROWSDOWN))
            .map(|v| v.start())
            .collect();
        for start in stacks.into_iter().take(10) {
            let _ = tree.expand_down(start, start.saturating_sub(rng.below(8) * P), 2 * P);
        }
        if round % 10 == 9 {
            tree = tree.duplicate().unwrap();
        }
        tree.check_invariants().unwrap();
        for _ in 0..400 {
            let bound = |rng: &mut Rng| match rng.below(10) {
                0 => rng.below(SPACE * P),
                1 => u64::MAX,
                2 => 0,
                _ => rng.below(SPACE + 16) * P,
            };
            let (a, b) = (bound(&mut rng), bound(&mut rng));
            let (low, high) = if rng.below(8) == 0 {
                (a, b)
            } else {
                (a.min(b), a.max(b))
            };
            let len = match rng.below(10) {
                0 => rng.below(SPACE * P),
                1 => u64::MAX - rng.below(4) * P,
                2..=5 => (1 + rng.below(4)) * P,
                _ => (1 + rng.below(80)) * P,
            };
            let hint = (rng.below(3) == 0).then(|| bound(&mut rng));
            let guard = match rng.below(4) {
                0 => 0,
                1 => rng.below(8 * P),
                _ => rng.below(8) * P,
            };
            assert_eq!(
                tree.get_unmapped_area(len, hint, low, high, guard),
                linear_unmapped_area(&tree, len, hint, low, high, guard),
                "len {len:#x} hint {hint:x?} low {low:#x} high {high:#x} guard {guard:#x}, {} areas",
                tree.len()
            );
        }
    }
}

/// Searches with the same limits again and again, as `mmap` without a hint makes them, start at
/// the area the last one found (the tree's search hint): after every kind of change in between,
/// the answer must still be the linear walk's, and `check_invariants` must find the hint's promise
/// kept.
#[test]
fn repeated_searches_match_the_linear_walk() {
    const SPACE: u64 = 0x2000;
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let mut tree = VmaTree::<u32>::new();
    let (low, high, guard) = (0x10 * P, (SPACE - 0x100) * P, 4 * P);
    for _ in 0..400 {
        let start = rng.below(SPACE);
        let flags = if rng.below(10) == 0 { stack() } else { rw() };
        let _ = tree.insert(anon(start, start + 1 + rng.below(4), flags));
    }
    for step in 0..6000 {
        let longest = if rng.below(4) == 0 { 40 } else { 3 };
        let len = (1 + rng.below(longest)) * P;
        let found = tree.get_unmapped_area(len, None, low, high, guard);
        assert_eq!(
            found,
            linear_unmapped_area(&tree, len, None, low, high, guard),
            "step {step}: len {len:#x}, {} areas",
            tree.len()
        );
        tree.check_invariants().unwrap();
        // A change of any kind, near the answer or anywhere.
        let near = found.unwrap_or(rng.below(SPACE) * P);
        let at = if rng.below(2) == 0 {
            (near + rng.below(16) * P).saturating_sub(8 * P)
        } else {
            rng.below(SPACE) * P
        } & !(P - 1);
        match rng.below(8) {
            0 | 1 => {
                if let Some(addr) = found {
                    let _ = tree.insert(anon(addr / P, (addr + len) / P, rw()));
                }
            }
            2 => {
                let _ = tree.unmap(at, at + (1 + rng.below(8)) * P);
            }
            3 => {
                let _ = tree.insert(anon(at / P, at / P + 1 + rng.below(3), ro()));
            }
            4 => {
                let _ = tree.protect(at, at + (1 + rng.below(4)) * P, VmFlags::READ);
            }
            5 => {
                if let Some(vma) = tree.find_vma(at) {
                    let (start, end) = (vma.start(), vma.end());
                    let _ = tree.expand_up(start, end + rng.below(4) * P);
                }
            }
            6 => {
                if let Some(vma) = tree.find_vma(at).filter(|v| v.flags() == stack()) {
                    let start = vma.start();
                    let _ = tree.expand_down(start, start.saturating_sub(rng.below(4) * P), guard);
                }
            }
            _ => {
                // The last area, which a removal must not forget.
                let last = tree.iter().next_back().map(|v| (v.start(), v.end()));
                if let Some((start, end)) = last {
                    tree.unmap(start, end).unwrap();
                }
            }
        }
        tree.check_invariants().unwrap();
        if step % 1000 == 999 {
            tree = tree.duplicate().unwrap();
        }
    }
}

/// `find_vma` and `unmap` look at the area inserted last before they walk the tree: right after
/// an insert (and after the removals and merges that may take that area away), every lookup
/// around it must still give what a linear scan of the areas gives.
#[test]
fn lookups_after_inserts_match_a_linear_scan() {
    const SPACE: u64 = 0x400;
    let mut rng = Rng(0x5eed_0f10_0c05);
    let mut tree = VmaTree::<u32>::new();
    for step in 0..4000 {
        let start = rng.below(SPACE);
        let end = start + 1 + rng.below(4);
        let flags = if rng.below(3) == 0 { ro() } else { rw() };
        match rng.below(4) {
            0 => {
                let _ = tree.unmap(start * P, end * P);
            }
            _ => {
                let _ = tree.insert(anon(start, end, flags));
            }
        }
        tree.check_invariants().unwrap();
        for addr in (start.saturating_sub(2)..end + 2).map(|page| page * P + rng.below(P)) {
            let linear = tree.iter().find(|v| v.end() > addr).map(|v| v.start());
            assert_eq!(
                tree.find_vma(addr).map(|v| v.start()),
                linear,
                "step {step}"
            );
        }
    }
}

#[test]
fn get_unmapped_area_edges() {
    // Gaps: [LOW, 0x1010) at low, [0x1020, 0x1030), [0x1fe0, HIGH) at high, 2 pages below a stack.
    let tree = tree_of(&[
        anon(0x1010, 0x1020, rw()),
        anon(0x1030, 0x1fe0, ro()),
        anon(0x2000, 0x2010, stack()),
        anon(0x2012, 0x2020, stack()),
    ]);
    let get = |len, low, high, guard| tree.get_unmapped_area(len, None, low, high, guard);
    // Larger than every gap: none, however the window is cut.
    assert_eq!(get(0x21 * P, LOW, HIGH, 0), None);
    assert_eq!(
        get(0x21 * P, 0, u64::MAX, 0),
        Some(u64::MAX - P + 1 - 0x21 * P)
    );
    // The gap at `high`, and the same with the stack's guard eating it.
    assert_eq!(get(0x20 * P, LOW, HIGH, 0), Some(0x1fe0 * P));
    assert_eq!(
        get(0x20 * P, LOW, HIGH, P),
        None,
        "guard: no other gap is that large"
    );
    assert_eq!(get(0x1f * P, LOW, HIGH, P), Some(0x1fe0 * P));
    assert_eq!(get(0x10 * P, LOW, HIGH, 0x11 * P), Some(0x1020 * P));
    // The gap at `low`, exactly its size; one page more does not fit.
    assert_eq!(get(0x10 * P, LOW, 0x1030 * P, 0), Some(0x1020 * P));
    assert_eq!(get(0x10 * P, LOW, 0x1020 * P, 0), Some(LOW));
    assert_eq!(get(0x11 * P, LOW, 0x1020 * P, 0), None);
    // A window inside one gap, and one inside an area.
    assert_eq!(get(P, 0x1022 * P, 0x1024 * P, 0), Some(0x1023 * P));
    assert_eq!(get(P, 0x1100 * P, 0x1200 * P, 0), None);
    // The two pages between the stacks: only without a guard.
    assert_eq!(get(2 * P, 0x2000 * P, 0x2020 * P, 0), Some(0x2010 * P));
    assert_eq!(get(2 * P, 0x2000 * P, 0x2020 * P, P), None);
    assert_eq!(get(P, 0x2000 * P, 0x2020 * P, P), Some(0x2010 * P));
    // An unaligned guard covers the page it reaches into.
    assert_eq!(get(P, 0x2000 * P, 0x2020 * P, P + 1), None);
    // A guard reaching below address 0: nothing below either stack, so the gap under the area
    // below them.
    assert_eq!(get(P, 0, 0x2012 * P, u64::MAX), Some(0x102f * P));
}

// ---- expand_down ----

#[test]
fn expand_down_grows_a_stack() {
    let mut tree = tree_of(&[anon(0x10, 0x20, rw()), anon(0x40, 0x50, stack())]);
    tree.expand_down(0x40 * P, 0x38 * P, 4 * P).unwrap();
    assert_eq!(
        areas(&tree)[1],
        (0x38, 0x50, stack(), None, 0x38),
        "pgoff moves with start"
    );
    // Not closer than the guard gap to an accessible area below.
    assert_eq!(
        tree.expand_down(0x38 * P, 0x23 * P, 4 * P),
        Err(VmaError::Overlap)
    );
    tree.expand_down(0x38 * P, 0x24 * P, 4 * P).unwrap();
    // Never over the area below, whatever the gap.
    assert_eq!(
        tree.expand_down(0x24 * P, 0x1f * P, 0),
        Err(VmaError::Overlap)
    );
    tree.expand_down(0x24 * P, 0x20 * P, 0).unwrap();
    assert_eq!(
        starts(&tree),
        [0x10, 0x20],
        "adjacent but not mergeable: different flags"
    );
    // Nothing to do, and things that are not stacks.
    assert_eq!(tree.expand_down(0x20 * P, 0x20 * P, 0), Ok(()));
    assert_eq!(tree.expand_down(0x20 * P, 0x30 * P, 0), Ok(()));
    assert_eq!(
        tree.expand_down(0x10 * P, 0x8 * P, 0),
        Err(VmaError::NotFound)
    );
    assert_eq!(
        tree.expand_down(0x21 * P, 0x8 * P, 0),
        Err(VmaError::NotFound)
    );
    assert_eq!(
        tree.expand_down(0x20 * P, 0x8 * P + 1, 0),
        Err(VmaError::Unaligned)
    );
    tree.check_invariants().unwrap();
}

#[test]
fn expand_down_may_approach_guards_and_stacks() {
    // A PROT_NONE area below is a guard itself; another stack below is no obstacle either.
    let none = anon_rights(VmFlags::empty());
    let mut tree = tree_of(&[anon(0x10, 0x20, none), anon(0x40, 0x50, stack())]);
    tree.expand_down(0x40 * P, 0x20 * P, 16 * P).unwrap();
    let mut tree = tree_of(&[anon(0x10, 0x20, stack()), anon(0x40, 0x50, stack())]);
    tree.expand_down(0x40 * P, 0x20 * P, 16 * P).unwrap();
    assert_eq!(
        areas(&tree),
        [(0x10, 0x50, stack(), None, 0x10)],
        "identical stacks merge"
    );
    // A file-backed stack cannot grow below the start of its file.
    let mut tree = tree_of(&[file(0x40, 0x50, stack(), 1, 2)]);
    assert_eq!(
        tree.expand_down(0x40 * P, 0x3d * P, 0),
        Err(VmaError::OutOfRange)
    );
    tree.expand_down(0x40 * P, 0x3e * P, 0).unwrap();
    assert_eq!(areas(&tree), [(0x3e, 0x50, stack(), Some(1), 0)]);
}

// ---- many areas, duplicate, invariants ----

#[test]
fn thousands_of_areas_removed_by_one_unmap() {
    const N: u64 = 2048;
    let mut tree = VmaTree::<u32>::new();
    for i in 0..N {
        // Alternating rights, so that neighbours do not merge.
        let flags = if i % 2 == 0 { rw() } else { ro() };
        tree.insert(anon(0x100 + i, 0x101 + i, flags)).unwrap();
    }
    assert_eq!(tree.len(), N as usize);
    tree.check_invariants().unwrap();
    assert_eq!(tree.find(0x100 * P + 1000 * P).unwrap().flags(), rw());
    assert_eq!(
        tree.find_prev(u64::MAX).unwrap().start(),
        (0x100 + N - 1) * P
    );

    let removed = tree.unmap(0, u64::MAX).unwrap();
    assert_eq!(removed.len(), N as usize);
    assert!(
        removed.windows(2).all(|w| w[0].end == w[1].start),
        "ascending, contiguous"
    );
    assert_eq!(removed[0], anon(0x100, 0x101, rw()));
    assert!(tree.is_empty());
    tree.check_invariants().unwrap();
}

#[test]
fn duplicate_is_an_independent_copy() {
    let mut tree = tree_of(&[anon(2, 4, rw()), file(8, 12, ro(), 5, 9)]);
    let copy = tree.duplicate().unwrap();
    assert_eq!(areas(&copy), areas(&tree));
    tree.unmap(0, u64::MAX).unwrap();
    assert_eq!(copy.len(), 2);
    assert_eq!(areas(&copy)[1], (8, 12, ro(), Some(5), 9));
}

#[test]
fn check_invariants_catches_corruption() {
    let tree = tree_of(&[anon(2, 4, rw()), anon(6, 8, ro())]);
    // Overlap: grow the first area into the second.
    tree.find(2 * P).unwrap().set_end(7 * P);
    assert_eq!(tree.check_invariants(), Err("areas overlap"));
    // Adjacent and mergeable.
    tree.find(2 * P).unwrap().set_end(6 * P);
    tree.find(6 * P).unwrap().set_flags(rw());
    assert_eq!(
        tree.check_invariants(),
        Err("adjacent areas should have been merged")
    );
    tree.find(6 * P).unwrap().set_flags(ro());
    // An end moved without telling the tree: the gap it keeps below the next area is stale.
    assert_eq!(tree.check_invariants(), Err("stale gap below an area"));
    tree.find(2 * P).unwrap().set_end(4 * P);
    tree.check_invariants().unwrap();
    tree.find(6 * P).unwrap().set_pgoff(7);
    assert_eq!(
        tree.check_invariants(),
        Err("anonymous area's pgoff is not its start page")
    );
    tree.find(6 * P).unwrap().set_pgoff(6);
    tree.find(6 * P).unwrap().set_end(8 * P + 1);
    assert_eq!(tree.check_invariants(), Err("area not page-aligned"));
}

#[test]
fn errors_display() {
    use std::string::ToString;
    assert_eq!(
        VmaError::Overlap.to_string(),
        "range overlaps an existing area"
    );
    let failure = ProtectFailure {
        error: ProtectError::Access,
        changes: vec![],
    };
    assert_eq!(failure.to_string(), "rights exceed what the mapping allows");
}

#[test]
fn merge_barrier_keeps_the_heap_apart_from_the_bss() {
    // bss [2, 4), heap grown above start_brk = 4 page by page: the heap merges with itself only.
    let mut tree = tree_of(&[anon(2, 4, rw())]);
    tree.set_merge_barrier(Some(4 * P));
    tree.insert(anon(4, 5, rw())).unwrap();
    tree.insert(anon(5, 6, rw())).unwrap();
    let got: Vec<(u64, u64)> = areas(&tree).iter().map(|a| (a.0, a.1)).collect();
    assert_eq!(got, vec![(2, 4), (4, 6)]);
    // Unmapping and remapping across the barrier, and mprotect round trips, respect it too.
    tree.protect(2 * P, 6 * P, ro()).unwrap();
    tree.protect(2 * P, 6 * P, rw()).unwrap();
    let got: Vec<(u64, u64)> = areas(&tree).iter().map(|a| (a.0, a.1)).collect();
    assert_eq!(got, vec![(2, 4), (4, 6)]);
    // fork keeps the barrier; without it the two areas merge as usual.
    let copy = tree.duplicate().unwrap();
    assert_eq!(areas(&copy).len(), 2);
    let mut plain = tree_of(&[anon(2, 4, rw())]);
    plain.insert(anon(4, 6, rw())).unwrap();
    assert_eq!(areas(&plain).len(), 1);
}

/// `vm.max_map_count` as Linux applies it: mprotect's splits stop at the limit with ENOMEM
/// (changing nothing for the refused area), a munmap that would punch a hole inside one area is
/// refused, a munmap that splits only one edge is not (it does not add an area), and a new area
/// is refused only once the count is above the limit.
#[test]
fn map_count_limit() {
    let mut tree = tree_of(&[anon(0, 64, rw())]);
    tree.set_max_count(4);
    // Every other page read-only: each one splits off areas, until the limit.
    let mut refused_at = None;
    for page in (0..63).step_by(2) {
        if let Err(failure) = tree.protect(page * P, (page + 1) * P, VmFlags::READ) {
            assert_eq!(failure.error, ProtectError::NoMem);
            assert!(failure.changes.is_empty());
            refused_at = Some(page);
            break;
        }
    }
    assert_eq!(refused_at, Some(4), "{:?}", areas(&tree));
    assert_eq!(tree.len(), 4);
    let before = areas(&tree);
    // A hole inside the last area would add one: refused, nothing changed.
    assert_eq!(tree.unmap(10 * P, 11 * P), Err(VmaError::NoMem));
    assert_eq!(areas(&tree), before);
    // Cutting its top off splits one edge only: allowed.
    assert_eq!(tree.unmap(60 * P, 64 * P).unwrap(), [anon(60, 64, rw())]);
    // At the limit a new (unmergeable) area is still allowed, once: Linux tests `count > max`.
    tree.insert(anon(100, 101, ro())).unwrap();
    assert_eq!(tree.len(), 5);
    assert_eq!(tree.insert(anon(200, 201, ro())), Err(VmaError::NoMem));
    assert_eq!(tree.len(), 5);
}

/// A file area whose last page offset would overflow is refused (the kernel's EOVERFLOW guard).
#[test]
fn insert_refuses_file_offset_overflow() {
    let mut tree = VmaTree::new();
    assert_eq!(
        tree.insert(file(1, 3, ro(), 1, u64::MAX - 1)),
        Err(VmaError::OutOfRange)
    );
    tree.insert(file(1, 3, ro(), 1, u64::MAX - 2)).unwrap();
}

// ---- modify_flags (vma_modify_flags) ----

#[test]
fn modify_flags_splits_sets_and_merges_back() {
    let mut tree = tree_of(&[file(10, 20, rw(), 1, 40)]);
    let locked = rw() | VmFlags::LOCKED;
    tree.modify_flags(12 * P, 14 * P, locked).unwrap();
    assert_eq!(
        areas(&tree),
        [
            (10, 12, rw(), Some(1), 40),
            (12, 14, locked, Some(1), 42),
            (14, 20, rw(), Some(1), 44),
        ]
    );
    // The same flags again: nothing to do.
    tree.modify_flags(12 * P, 14 * P, locked).unwrap();
    assert_eq!(tree.len(), 3);
    // The rest of the area too: all three merge into one.
    tree.modify_flags(10 * P, 12 * P, locked).unwrap();
    tree.modify_flags(14 * P, 20 * P, locked).unwrap();
    assert_eq!(areas(&tree), [(10, 20, locked, Some(1), 40)]);
    tree.modify_flags(10 * P, 20 * P, rw()).unwrap();
    assert_eq!(areas(&tree), [(10, 20, rw(), Some(1), 40)]);
}

#[test]
fn modify_flags_wants_a_range_inside_one_area() {
    let mut tree = tree_of(&[anon(10, 12, rw()), anon(12, 14, ro()), anon(20, 22, rw())]);
    let before = areas(&tree);
    let dc = rw() | VmFlags::DONTCOPY;
    // Across two areas, over a hole, outside every area, empty, unaligned.
    for (start, end) in [
        (11 * P, 13 * P),
        (14 * P, 21 * P),
        (30 * P, 31 * P),
        (10 * P, 10 * P),
        (10 * P + 1, 11 * P),
    ] {
        assert_eq!(tree.modify_flags(start, end, dc), Err(VmaError::NotFound));
    }
    assert_eq!(areas(&tree), before);
}

#[test]
fn modify_flags_respects_the_map_count_limit() {
    let mut tree = tree_of(&[anon(0, 10, rw())]);
    tree.set_max_count(2);
    let dd = rw() | VmFlags::DONTDUMP;
    // A split at one edge fits; a second one does not, and changes nothing.
    tree.modify_flags(0, 2 * P, dd).unwrap();
    assert_eq!(tree.len(), 2);
    let before = areas(&tree);
    assert_eq!(tree.modify_flags(4 * P, 5 * P, dd), Err(VmaError::NoMem));
    assert_eq!(areas(&tree), before);
    // Extending the changed part needs no split at its left: the pieces merge.
    tree.modify_flags(2 * P, 10 * P, dd).unwrap();
    assert_eq!(areas(&tree), [(0, 10, dd, None, 0)]);
}

// ---- expand_up (mremap growing in place) ----

#[test]
fn expand_up_grows_into_the_free_gap_and_merges() {
    let mut tree = tree_of(&[anon(10, 12, rw()), anon(14, 16, rw()), anon(20, 22, ro())]);
    tree.expand_up(10 * P, 13 * P).unwrap();
    assert_eq!(areas(&tree)[0], (10, 13, rw(), None, 10));
    // Up to the next, identical area: one area.
    tree.expand_up(10 * P, 14 * P).unwrap();
    assert_eq!(
        areas(&tree),
        [(10, 16, rw(), None, 10), (20, 22, ro(), None, 20)]
    );
    // Over the next area: refused, nothing changed.
    assert_eq!(tree.expand_up(10 * P, 21 * P), Err(VmaError::Overlap));
    assert_eq!(tree.expand_up(11 * P, 18 * P), Err(VmaError::NotFound));
    assert_eq!(tree.expand_up(10 * P, 18 * P + 1), Err(VmaError::Unaligned));
    tree.expand_up(10 * P, 12 * P).unwrap(); // below the end: nothing to do
    assert_eq!(areas(&tree)[0], (10, 16, rw(), None, 10));
    // The free gaps follow: 4 pages fit between 16 and 20, 5 only below 10.
    assert_eq!(
        tree.get_unmapped_area(4 * P, None, 0, 22 * P, 0),
        Some(16 * P)
    );
    assert_eq!(
        tree.get_unmapped_area(5 * P, None, 0, 22 * P, 0),
        Some(5 * P)
    );
}

#[test]
fn expand_up_of_a_file_area_continues_its_pages() {
    let mut tree = tree_of(&[file(10, 12, ro(), 1, 5), file(14, 16, ro(), 1, 9)]);
    tree.expand_up(10 * P, 14 * P).unwrap();
    // Pages 5..9 then 9..11: contiguous, so they merge.
    assert_eq!(areas(&tree), [(10, 16, ro(), Some(1), 5)]);
    let mut tree = tree_of(&[file(10, 12, ro(), 1, u64::MAX - 3)]);
    assert_eq!(tree.expand_up(10 * P, 20 * P), Err(VmaError::OutOfRange));
}
/// A library's RELRO: the data segment (private, writable, charged) made read-only after
/// relocation stays charged, so it does not merge with the read-only segment right below it even
/// though the file offsets continue, as on Linux; an anonymous area made read-only does merge.
#[test]
fn relro_made_read_only_stays_apart_from_the_read_only_segment() {
    let mut tree = tree_of(&[file(10, 14, ro(), 1, 0), file(14, 16, rw(), 1, 4)]);
    tree.protect(14 * P, 15 * P, VmFlags::READ).unwrap();
    assert_eq!(
        areas(&tree),
        [
            (10, 14, ro(), Some(1), 0),
            (14, 15, ro_charged(), Some(1), 4),
            (15, 16, rw(), Some(1), 5),
        ]
    );
    let mut tree = tree_of(&[anon(10, 14, ro()), anon(14, 16, rw())]);
    tree.protect(14 * P, 15 * P, VmFlags::READ).unwrap();
    assert_eq!(
        areas(&tree),
        [(10, 15, ro(), None, 10), (15, 16, rw(), None, 15)]
    );
}

/// The kernel benchmark's `mmap_munmap_nohint_at_N` on the tree alone, for counting instructions
/// on the host: `VMA_BENCH_N=60000 valgrind --tool=callgrind --toggle-collect='*nohint_loop*'
/// target/debug/deps/vma-* --ignored nohint_bench`. A program's usual areas (text, data, heap,
/// stack) plus `N` one-page areas alternating read-only and read-write right below the mmap base.
#[test]
#[ignore]
fn nohint_bench() {
    let n: u64 = std::env::var("VMA_BENCH_N").map_or(10, |v| v.parse().unwrap());
    let iters: u64 = std::env::var("VMA_BENCH_ITERS").map_or(1000, |v| v.parse().unwrap());
    let guard = 256 * P;
    let mmap_base = 0x7ff0_0000_0000u64;
    let mut tree = VmaTree::new();
    tree.insert(file(0x400, 0x401, ro(), 1, 0)).unwrap();
    tree.insert(file(0x401, 0x420, ro() | VmFlags::EXEC, 1, 1))
        .unwrap();
    tree.insert(anon(0x420, 0x430, rw())).unwrap();
    tree.insert(anon(0x1000, 0x1021, rw())).unwrap();
    tree.insert(anon(0x7_ffff_ffde, 0x7_ffff_ffff, stack()))
        .unwrap();
    let block = mmap_base - n * P;
    tree.insert(anon(block / P, mmap_base / P, rw())).unwrap();
    for i in (0..n).step_by(2) {
        tree.protect(block + i * P, block + (i + 1) * P, VmFlags::READ)
            .unwrap();
    }
    tree.check_invariants().unwrap();
    nohint_loop(&mut tree, iters, mmap_base, guard);
    tree.check_invariants().unwrap();
}

#[inline(never)]
fn nohint_loop(tree: &mut VmaTree<u32>, iters: u64, mmap_base: u64, guard: u64) {
    for _ in 0..iters {
        let a = tree
            .get_unmapped_area(P, None, 0x10000, mmap_base, guard)
            .unwrap();
        tree.insert(VmaInfo {
            start: a,
            end: a + P,
            flags: rw(),
            file: None,
            pgoff: 0,
        })
        .unwrap();
        tree.unmap_each(a, a + P, |_| {}).unwrap();
    }
}

/// `fork`'s copy and `exit`'s drop of a tree of `VMA_BENCH_N` areas, `VMA_BENCH_ITERS` times, for
/// counting instructions on the host like [`nohint_bench`].
#[test]
#[ignore]
fn copy_bench() {
    let n: u64 = std::env::var("VMA_BENCH_N").map_or(10, |v| v.parse().unwrap());
    let iters: u64 = std::env::var("VMA_BENCH_ITERS").map_or(10, |v| v.parse().unwrap());
    let mut tree = VmaTree::new();
    tree.insert(anon(0x1000, 0x1000 + n, rw())).unwrap();
    for i in (0..n).step_by(2) {
        tree.protect((0x1000 + i) * P, (0x1001 + i) * P, VmFlags::READ)
            .unwrap();
    }
    for _ in 0..iters {
        let copy = tree.duplicate().unwrap();
        assert_eq!(copy.len(), tree.len());
        drop(copy);
    }
}

/// A copy that runs out of memory part-way frees what it copied (valgrind's leak check on this
/// test binary shows none) and leaves the original whole.
#[test]
fn failed_copy_frees_what_it_copied() {
    use crate::gap_tree::GapTree;
    let mut tree = GapTree::<u32>::new();
    for i in 0..50u64 {
        let start = (i * 3 + 1) * P;
        tree.insert(
            alloc::boxed::Box::new_uninit(),
            Vma::new(start, start + P, rw(), Some(7), 0),
        );
    }
    for fail_at in 0..=50 {
        let mut made = 0;
        let copy = tree.try_copy(|vma| {
            if made == fail_at {
                return Err(());
            }
            made += 1;
            let copy = Vma::new(vma.start(), vma.end(), vma.flags(), vma.file().cloned(), 0);
            Ok((alloc::boxed::Box::new_uninit(), copy))
        });
        match copy {
            Ok(copy) => {
                assert_eq!(fail_at, 50);
                assert_eq!(copy.check(), Ok(50));
            }
            Err(()) => assert!(fail_at < 50),
        }
        assert_eq!(tree.check(), Ok(50));
    }
}
