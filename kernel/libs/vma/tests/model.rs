//! Random sequences of `mmap`, `munmap`, `mprotect`, stack growth, lookups and `fork`, checked
//! against a model that knows nothing about areas: a map from page number to what that page is
//! (its flags, its file and the file page, or anonymous).
//!
//! The model is exact, not just a sanity check. Because the tree keeps its areas canonical (every
//! pair of adjacent areas that could merge is merged), the areas are determined by the pages:
//! they are the maximal runs of pages that continue one another (same flags, same backing, file
//! pages counting up). So after every operation the tree must expand to the model page for page,
//! and its areas must be exactly the model's runs; and what an operation returns (the error, the
//! pieces removed, the ranges whose rights changed, the address found) is predicted from the
//! pages alone, by a page-at-a-time reading of the Linux rule.
//!
//! The address space is small (128 pages) so that collisions, holes, splits and merges are
//! frequent, and so are the two files and the pgoffs chosen to line up with the address.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;
use vma::{
    PAGE_SIZE as P, ProtectChange, ProtectError, ProtectFailure, VmFlags, VmaError, VmaInfo,
    VmaTree,
};

/// Mappings go into pages `0..SPACE` (and a little past the end).
const SPACE: u64 = 128;
/// `get_unmapped_area` searches pages `LOW..HIGH`.
const LOW: u64 = 8;
const HIGH: u64 = 120;
/// The stack guard gap, in pages.
const GAP: u64 = 4;

/// What one mapped page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Page {
    flags: VmFlags,
    /// The file id, or `None` for anonymous memory.
    file: Option<u32>,
    /// The page of the file mapped here; `None` for anonymous memory.
    index: Option<u64>,
}

type Model = BTreeMap<u64, Page>;

/// Where a new mapping's backing comes from.
#[derive(Clone, Copy, Debug)]
enum Backing {
    Anon,
    /// File `id`; the pgoff is `start page + off` if `relative` (so that areas mapped next to
    /// each other continue one another, as in a program mapping a file piece by piece), else
    /// `off`.
    File {
        id: u32,
        relative: bool,
        off: u64,
    },
}

impl Backing {
    fn info(self, start_page: u64, end_page: u64, flags: VmFlags) -> VmaInfo<u32> {
        let (file, pgoff) = match self {
            // Anonymous pgoffs are ignored by insert: give a wrong one on purpose.
            Backing::Anon => (None, 999),
            Backing::File { id, relative, off } => {
                (Some(id), if relative { start_page + off } else { off })
            }
        };
        VmaInfo {
            start: start_page * P,
            end: end_page * P,
            flags,
            file,
            pgoff,
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// `mmap(MAP_FIXED_NOREPLACE)`-like: insert at a random place (often overlapping).
    Insert {
        start: u64,
        pages: u64,
        misalign: bool,
        flags: VmFlags,
        backing: Backing,
    },
    /// `mmap` without `MAP_FIXED`: `get_unmapped_area`, then insert there.
    Mmap {
        pages: u64,
        hint: Option<u64>,
        flags: VmFlags,
        backing: Backing,
    },
    /// `munmap` of `[start, start + len)`, in bytes, possibly unaligned.
    Unmap { start: u64, len: u64 },
    /// `mprotect` of `[start, start + len)`, in bytes, possibly unaligned at the end.
    Protect { start: u64, len: u64, prot: VmFlags },
    /// Grow the stack (or try to grow a non-stack) picked by `which` by `by` pages.
    ExpandDown { which: Index, by: u64, gap: bool },
    /// The lookups at `addr`, and `intersects(addr, addr + len)`.
    Query { addr: u64, len: u64 },
    /// Replace the tree by its `duplicate`.
    Fork,
    /// `get_unmapped_area` alone, with every parameter random (bytes, often unaligned).
    Search {
        len: u64,
        hint: Option<u64>,
        low: u64,
        high: u64,
        guard: u64,
    },
}

/// Where a search may look, in bytes: `[low, high)`.
#[derive(Clone, Copy, Debug)]
struct Window {
    low: u64,
    high: u64,
    guard: u64,
}

/// The window of the `Mmap` operation.
const MMAP_WINDOW: Window = Window {
    low: LOW * P,
    high: HIGH * P,
    guard: GAP * P,
};

/// A search bound: usually a page near the mappings, sometimes unaligned, sometimes an extreme.
fn bound() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => (0..SPACE + 8).prop_map(|page| page * P),
        2 => 0..(SPACE + 8) * P,
        1 => Just(0),
        1 => Just(u64::MAX),
        1 => Just(u64::MAX - P + 1),
    ]
}

/// A stack guard gap: usually a few pages, sometimes none, unaligned or absurdly large.
fn guard() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => (0..8u64).prop_map(|pages| pages * P),
        1 => 0..8 * P,
        1 => Just(u64::MAX),
    ]
}

/// A search length: usually whole pages, sometimes empty, unaligned, larger than every gap or
/// than the address space.
fn search_len() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => (1..16u64).prop_map(|pages| pages * P),
        2 => len(),
        1 => (SPACE - 8..SPACE + 8).prop_map(|pages| pages * P),
        1 => Just(u64::MAX),
        1 => Just(u64::MAX - 2 * P),
    ]
}

fn flags() -> impl Strategy<Value = VmFlags> {
    let may = prop_oneof![
        4 => Just(VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYEXEC),
        // A file opened read-only: mprotect(PROT_WRITE) is refused.
        1 => Just(VmFlags::MAYREAD | VmFlags::MAYEXEC),
        1 => Just(VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYSHARE | VmFlags::SHARED),
    ];
    let access = prop_oneof![
        3 => Just(VmFlags::READ),
        3 => Just(VmFlags::READ | VmFlags::WRITE),
        2 => (0..8u64).prop_map(VmFlags::from_bits_truncate),
    ];
    let extra = prop_oneof![
        6 => Just(VmFlags::empty()),
        2 => Just(VmFlags::GROWSDOWN),
        1 => Just(VmFlags::NORESERVE),
    ];
    (may, access, extra).prop_map(|(may, access, extra)| {
        // Rights within the MAY bits, as mmap would give them.
        let access = VmFlags::from_bits_truncate(access.bits() & (may.bits() >> 4));
        may | access | extra
    })
}

fn backing() -> impl Strategy<Value = Backing> {
    prop_oneof![
        3 => Just(Backing::Anon),
        2 => (1..=2u32, any::<bool>(), 0..16u64)
            .prop_map(|(id, relative, off)| Backing::File { id, relative, off }),
    ]
}

/// A byte address near the mappings, usually page-aligned.
fn addr() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => (0..SPACE + 8).prop_map(|page| page * P),
        1 => 0..(SPACE + 8) * P,
    ]
}

/// A length in bytes, usually whole pages, sometimes empty.
fn len() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => (1..24u64).prop_map(|pages| pages * P),
        1 => Just(0),
        1 => 1..24 * P,
        1 => (24..SPACE).prop_map(|pages| pages * P),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..SPACE, 0..16u64, prop::bool::weighted(0.05), flags(), backing()).prop_map(
            |(start, pages, misalign, flags, backing)| Op::Insert {
                start,
                pages,
                misalign,
                flags,
                backing,
            }
        ),
        4 => (1..12u64, prop::option::of(addr()), flags(), backing())
            .prop_map(|(pages, hint, flags, backing)| Op::Mmap { pages, hint, flags, backing }),
        3 => (addr(), len()).prop_map(|(start, len)| Op::Unmap { start, len }),
        5 => (addr(), len(), 0..16u64).prop_map(|(start, len, prot)| Op::Protect {
            start,
            len,
            // Bit 3 is SHARED, which protect must ignore.
            prot: VmFlags::from_bits_truncate(prot),
        }),
        2 => (any::<Index>(), 1..12u64, any::<bool>())
            .prop_map(|(which, by, gap)| Op::ExpandDown { which, by, gap }),
        2 => (addr(), len()).prop_map(|(addr, len)| Op::Query { addr, len }),
        1 => Just(Op::Fork),
        4 => (search_len(), prop::option::of(bound()), bound(), bound(), guard()).prop_map(
            |(len, hint, low, high, guard)| Op::Search { len, hint, low, high, guard }
        ),
    ]
}

/// Whether page `b` (at `pb`) continues page `a` (at `pa`) in one area.
fn continues(pa: u64, a: &Page, pb: u64, b: &Page) -> bool {
    pb == pa + 1
        && a.flags == b.flags
        && a.file == b.file
        && match (a.index, b.index) {
            (Some(x), Some(y)) => y == x + 1,
            (None, None) => true,
            _ => false,
        }
}

/// The canonical areas of the model's pages in `[lo, hi)` (pages): its maximal runs, as
/// `VmaInfo`s with the pgoff the tree gives them (the file page, or for anonymous memory the
/// start page).
fn runs(model: &Model, lo: u64, hi: u64) -> Vec<VmaInfo<u32>> {
    let mut out: Vec<VmaInfo<u32>> = Vec::new();
    let mut last: Option<(u64, Page)> = None;
    for (&page, state) in model.range(lo..hi) {
        match (last, out.last_mut()) {
            (Some((lp, ls)), Some(run)) if continues(lp, &ls, page, state) => run.end += P,
            _ => out.push(VmaInfo {
                start: page * P,
                end: (page + 1) * P,
                flags: state.flags,
                file: state.file,
                pgoff: state.index.unwrap_or(page),
            }),
        }
        last = Some((page, *state));
    }
    out
}

/// The tree, page by page.
fn expand(tree: &VmaTree<u32>) -> Model {
    let mut model = Model::new();
    for vma in tree.iter() {
        for (i, page) in (vma.start() / P..vma.end() / P).enumerate() {
            let index = vma.file().map(|_| vma.pgoff() + i as u64);
            let state = Page {
                flags: vma.flags(),
                file: vma.file().copied(),
                index,
            };
            assert!(
                model.insert(page, state).is_none(),
                "page {page} mapped twice"
            );
        }
    }
    model
}

fn map_pages(model: &mut Model, info: &VmaInfo<u32>) {
    for (i, page) in (info.start / P..info.end / P).enumerate() {
        let index = info.file.map(|_| info.pgoff + i as u64);
        let state = Page {
            flags: info.flags,
            file: info.file,
            index,
        };
        assert!(model.insert(page, state).is_none());
    }
}

/// The page range `[start, start + len)` touches, as the operations round it.
fn page_range(start: u64, len: u64) -> (u64, u64) {
    (start / P, (start + len).div_ceil(P))
}

/// Whether a mapping of `pages` pages fits at page `at`: inside the window's pages
/// `[low, high)`, free, and not in the guard gap of a stack right above it (`guard` bytes,
/// rounded up to whole pages since mappings are).
fn fits(model: &Model, at: u64, pages: u64, (low, high, guard): (u64, u64, u64)) -> bool {
    let Some(end) = at.checked_add(pages) else {
        return false;
    };
    if at < low || end > high || model.range(at..end).next().is_some() {
        return false;
    }
    match model.range(end..).next() {
        Some((&next, state)) if state.flags.contains(VmFlags::GROWSDOWN) => {
            end <= next.saturating_sub(guard)
        }
        _ => true,
    }
}

/// What `get_unmapped_area` must answer, found by trying every page from the top of the window
/// down: the hint if it fits, otherwise the highest page that does.
fn predict_unmapped_area(
    model: &Model,
    len: u64,
    hint: Option<u64>,
    window: Window,
) -> Option<u64> {
    let pages = len.div_ceil(P);
    let low = window.low.div_ceil(P);
    let high = window.high / P;
    let guard = window.guard.div_ceil(P);
    let bounds = (low, high, guard);
    // A length that rounds up past the top of the address space is refused, like the empty one.
    if pages == 0 || len.checked_add(P - 1).is_none() {
        return None;
    }
    if let Some(hint) = hint
        && hint.checked_add(P - 1).is_some()
        && fits(model, hint.div_ceil(P), pages, bounds)
    {
        return Some(hint.div_ceil(P) * P);
    }
    // Above the highest mapped page (plus its guard) the first page tried fits or nothing does,
    // so the loop stays short even for a window reaching the top of the address space.
    (low..=high.checked_sub(pages)?)
        .rev()
        .find(|&at| fits(model, at, pages, bounds))
        .map(|at| at * P)
}

/// Check the tree against the model: its own invariants, page-by-page equality, and areas equal
/// to the model's runs.
fn check(tree: &VmaTree<u32>, model: &Model) -> Result<(), TestCaseError> {
    if let Err(e) = tree.check_invariants() {
        return Err(TestCaseError::fail(format!(
            "invariant: {e}; tree {tree:?}"
        )));
    }
    prop_assert_eq!(&expand(tree), model);
    let areas: Vec<_> = tree.iter().map(|vma| vma.info()).collect();
    prop_assert_eq!(areas, runs(model, 0, u64::MAX));
    prop_assert_eq!(tree.len(), tree.iter().count());
    Ok(())
}

fn apply(tree: &mut VmaTree<u32>, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match *op {
        Op::Insert {
            start,
            pages,
            misalign,
            flags,
            backing,
        } => {
            let mut info = backing.info(start, start + pages, flags);
            if misalign {
                info.end += 512;
            }
            let expected = if misalign {
                Err(VmaError::Unaligned)
            } else if pages == 0 {
                Err(VmaError::Empty)
            } else if model.range(start..start + pages).next().is_some() {
                Err(VmaError::Overlap)
            } else {
                Ok(())
            };
            prop_assert_eq!(tree.insert(info.clone()), expected);
            if expected.is_ok() {
                map_pages(model, &info);
            }
        }
        Op::Mmap {
            pages,
            hint,
            flags,
            backing,
        } => {
            let found = tree.get_unmapped_area(pages * P, hint, LOW * P, HIGH * P, GAP * P);
            prop_assert_eq!(
                found,
                predict_unmapped_area(model, pages * P, hint, MMAP_WINDOW)
            );
            if let Some(addr) = found {
                let info = backing.info(addr / P, addr / P + pages, flags);
                prop_assert_eq!(tree.insert(info.clone()), Ok(()));
                map_pages(model, &info);
            }
        }
        Op::Unmap { start, len } => {
            let (lo, hi) = page_range(start, len);
            let expected = runs(model, lo, hi);
            prop_assert_eq!(tree.unmap(start, start + len).unwrap(), expected);
            model.retain(|&page, _| page < lo || page >= hi);
        }
        Op::Protect { start, len, prot } => {
            let (lo, hi) = page_range(start, len);
            let before = model.clone();
            // Page at a time: stop at the first unmapped page, or the first page whose new
            // rights its MAY bits forbid; every page before that gets the new rights.
            let mut error = None;
            let mut changed = Vec::new();
            for page in lo..hi {
                let Some(state) = model.get_mut(&page) else {
                    error = Some(ProtectError::NoMem);
                    break;
                };
                let mut new = (state.flags - VmFlags::ACCESS) | (prot & VmFlags::ACCESS);
                // Charged when first made writable (private), uncharged when an anonymous area
                // becomes read-only.
                let old = state.flags;
                let unaccounted =
                    VmFlags::ACCOUNT | VmFlags::WRITE | VmFlags::SHARED | VmFlags::NORESERVE;
                if new.contains(VmFlags::WRITE) && !old.intersects(unaccounted) {
                    new |= VmFlags::ACCOUNT;
                } else if !new.contains(VmFlags::WRITE) && state.file.is_none() {
                    new.remove(VmFlags::ACCOUNT);
                }
                if !new.access_allowed() {
                    error = Some(ProtectError::Access);
                    break;
                }
                if new != state.flags {
                    changed.push((page, state.flags, new));
                    state.flags = new;
                }
            }
            // The changes are reported per area: group changed pages that were one area.
            let mut changes: Vec<ProtectChange> = Vec::new();
            for &(page, old, new) in &changed {
                match changes.last_mut() {
                    Some(last)
                        if last.end == page * P
                            && continues(page - 1, &before[&(page - 1)], page, &before[&page]) =>
                    {
                        last.end += P;
                    }
                    _ => changes.push(ProtectChange {
                        start: page * P,
                        end: (page + 1) * P,
                        old,
                        new,
                    }),
                }
            }
            let expected = match error {
                None => Ok(changes),
                Some(error) => Err(ProtectFailure { error, changes }),
            };
            prop_assert_eq!(tree.protect(start, start + len, prot), expected);
        }
        Op::ExpandDown { which, by, gap } => {
            if tree.is_empty() {
                return Ok(());
            }
            // Prefer stacks, but sometimes pick any area to see it refused.
            let stacks: Vec<_> = tree
                .iter()
                .filter(|vma| vma.flags().contains(VmFlags::GROWSDOWN))
                .map(|vma| vma.start() / P)
                .collect();
            let all: Vec<_> = tree.iter().map(|vma| vma.start() / P).collect();
            let start = if stacks.is_empty() || by % 4 == 0 {
                *which.get(&all)
            } else {
                *which.get(&stacks)
            };
            let new = start.saturating_sub(by);
            let gap = if gap { GAP } else { 0 };
            let area = model[&start];
            let prev = model
                .range(..start)
                .next_back()
                .map(|(&page, state)| (page + 1, *state));
            let expected = if !area.flags.contains(VmFlags::GROWSDOWN) {
                Err(VmaError::NotFound)
            } else if new >= start {
                Ok(())
            } else if prev.is_some_and(|(end, state)| {
                // Over the area below, or into the guard gap above an ordinary area.
                end > new
                    || (!state.flags.contains(VmFlags::GROWSDOWN)
                        && state.flags.is_accessible()
                        && new - end < gap)
            }) {
                Err(VmaError::Overlap)
            } else if area.index.is_some_and(|index| index < start - new) {
                Err(VmaError::OutOfRange)
            } else {
                Ok(())
            };
            prop_assert_eq!(tree.expand_down(start * P, new * P, gap * P), expected);
            if expected.is_ok() {
                for page in new..start {
                    let index = area.index.map(|index| index - (start - page));
                    model.insert(page, Page { index, ..area });
                }
            }
        }
        Op::Query { addr, len } => {
            let areas = runs(model, 0, u64::MAX);
            let find_vma = areas.iter().find(|a| a.end > addr);
            let find_prev = areas.iter().rev().find(|a| a.end <= addr);
            let info = |vma: Option<&vma::Vma<u32>>| vma.map(|vma| vma.info());
            prop_assert_eq!(info(tree.find_vma(addr)), find_vma.cloned());
            prop_assert_eq!(
                info(tree.find(addr)),
                find_vma.filter(|a| a.start <= addr).cloned()
            );
            prop_assert_eq!(info(tree.find_prev(addr)), find_prev.cloned());
            let intersects = len > 0 && areas.iter().any(|a| a.start < addr + len && addr < a.end);
            prop_assert_eq!(tree.intersects(addr, addr + len), intersects);
        }
        Op::Search {
            len,
            hint,
            low,
            high,
            guard,
        } => {
            let window = Window { low, high, guard };
            prop_assert_eq!(
                tree.get_unmapped_area(len, hint, low, high, guard),
                predict_unmapped_area(model, len, hint, window),
                "len {:#x} hint {:x?} window {:x?}",
                len,
                hint,
                window
            );
        }
        Op::Fork => {
            let copy = tree.duplicate().unwrap();
            check(&copy, model)?;
            *tree = copy;
        }
    }
    Ok(())
}

proptest! {
    // 100 cases of 100 to 160 operations: at least 10,000 operations.
    // The minimum length makes shrunk failures long, but the extra operations shrink to
    // harmless ones (empty inserts); allow the shrinking the time to get there.
    #![proptest_config(ProptestConfig { cases: 100, max_shrink_iters: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_match_the_model(ops in prop::collection::vec(op(), 100..=160)) {
        let mut tree = VmaTree::new();
        let mut model = Model::new();
        for op in &ops {
            apply(&mut tree, &mut model, op)?;
            check(&tree, &model)?;
        }
    }
}
