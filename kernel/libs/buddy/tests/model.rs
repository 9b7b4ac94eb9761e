//! Random alloc/free sequences checked against a model that knows nothing about buddies: which
//! frames are managed, and which frames each live block owns.
//!
//! The model is exact, not just a sanity check. Because the allocator coalesces eagerly, every
//! naturally aligned run of `2^order` free managed frames is covered by one free block, so
//! `alloc(order)` must fail exactly when the model has no such run.

use buddy::{Buddy, FreeError, Link, MAX_ORDER, NR_ORDERS};
use proptest::prelude::*;
use proptest::sample::Index;

#[derive(Clone, Debug)]
enum Op {
    Alloc(usize),
    /// Free one of the live blocks.
    Free(Index),
    /// Free a pfn/order pair picked at random, usually not a live block.
    Wild(Index, usize),
    /// Split one of the live blocks into order-0 blocks (Linux's split_page).
    Split(Index),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        // Mostly small orders, as in a kernel; any order, and one past MAX_ORDER, now and then.
        5 => (0..=3usize).prop_map(Op::Alloc),
        2 => (0..=MAX_ORDER + 1).prop_map(Op::Alloc),
        5 => any::<Index>().prop_map(Op::Free),
        1 => (any::<Index>(), 0..=MAX_ORDER + 1).prop_map(|(pfn, order)| Op::Wild(pfn, order)),
        1 => any::<Index>().prop_map(Op::Split),
    ]
}

/// `(pfn, order)` of every free block, sorted.
fn free_blocks(buddy: &Buddy<'_>) -> Vec<(usize, usize)> {
    let mut blocks: Vec<_> = (0..NR_ORDERS)
        .flat_map(|order| buddy.free_list(order).map(move |pfn| (pfn, order)))
        .collect();
    blocks.sort_unstable();
    blocks
}

struct Model {
    base: usize,
    managed: Vec<bool>,
    owned: Vec<bool>,
    /// `(pfn, order)` of the live blocks.
    live: Vec<(usize, usize)>,
}

impl Model {
    fn block(&self, pfn: usize, order: usize) -> std::ops::Range<usize> {
        pfn - self.base..pfn - self.base + (1 << order)
    }

    /// Whether some naturally aligned block of `order` consists of free managed frames only.
    fn fits(&self, order: usize) -> bool {
        let size = 1 << order;
        let first = self.base.next_multiple_of(size);
        (first..self.base + self.managed.len())
            .step_by(size)
            .filter(|pfn| pfn + size <= self.base + self.managed.len())
            .any(|pfn| {
                self.block(pfn, order)
                    .all(|i| self.managed[i] && !self.owned[i])
            })
    }

    fn free_frames(&self) -> usize {
        (0..self.managed.len())
            .filter(|&i| self.managed[i] && !self.owned[i])
            .count()
    }

    /// What `free(pfn, order)` must answer when `(pfn, order)` is not a live block.
    fn expected_error(&self, pfn: usize, order: usize) -> FreeError {
        if order > MAX_ORDER {
            FreeError::WrongOrder
        } else if pfn < self.base || pfn >= self.base + self.managed.len() {
            FreeError::OutOfRange
        } else if !pfn.is_multiple_of(1 << order) {
            FreeError::Misaligned
        } else if self.live.iter().any(|&(live, _)| live == pfn) {
            FreeError::WrongOrder
        } else {
            FreeError::NotAllocated
        }
    }
}

/// Deterministic Fisher-Yates with xorshift, so that proptest shrinks the seed, not a permutation.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    seed |= 1;
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_alloc_free_matches_model(
        base in 0usize..5000,
        len in 1usize..2600,
        // Alternating (gap, run) lengths, laid out from `base`: the runs are the free ranges.
        layout in prop::collection::vec((0usize..100, 1usize..1500), 1..6),
        ops in prop::collection::vec(op(), 1..400),
        seed in any::<u64>(),
    ) {
        let mut links = vec![Link::reserved(); len];
        let mut buddy = Buddy::new(base, &mut links);
        let mut model = Model {
            base,
            managed: vec![false; len],
            owned: vec![false; len],
            live: Vec::new(),
        };
        let mut cursor = base;
        for (gap, run) in layout {
            let start = (cursor + gap).min(base + len);
            let end = (start + run).min(base + len);
            buddy.add_free_range(start, end);
            model.managed[start - base..end - base].fill(true);
            cursor = end;
        }
        let managed = model.managed.iter().filter(|&&m| m).count();
        prop_assert_eq!(buddy.managed_frames(), managed);
        prop_assert_eq!(buddy.free_frames(), managed);
        prop_assert_eq!(buddy.check_invariants(), Ok(()));
        let initial = free_blocks(&buddy);

        for op in ops {
            match op {
                Op::Alloc(order) => match buddy.alloc(order) {
                    Some(pfn) => {
                        prop_assert!(order <= MAX_ORDER);
                        prop_assert!(pfn.is_multiple_of(1 << order), "misaligned block");
                        prop_assert!(pfn >= base && pfn + (1 << order) <= base + len);
                        for i in model.block(pfn, order) {
                            prop_assert!(model.managed[i], "frame {} is not managed", base + i);
                            prop_assert!(!model.owned[i], "frame {} handed out twice", base + i);
                            model.owned[i] = true;
                        }
                        model.live.push((pfn, order));
                    }
                    None => {
                        prop_assert!(order > MAX_ORDER || !model.fits(order),
                            "alloc({}) failed but a block fits", order);
                        prop_assert!((order..NR_ORDERS).all(|k| buddy.free_blocks(k) == 0));
                    }
                },
                Op::Free(index) if !model.live.is_empty() => {
                    let (pfn, order) = model.live.swap_remove(index.index(model.live.len()));
                    prop_assert_eq!(buddy.free(pfn, order), Ok(()));
                    for i in model.block(pfn, order) {
                        model.owned[i] = false;
                    }
                }
                Op::Split(index) if !model.live.is_empty() => {
                    let at = index.index(model.live.len());
                    let (pfn, order) = model.live.swap_remove(at);
                    prop_assert_eq!(buddy.split(pfn, order), Ok(()));
                    // The first frame is now an order-0 block: splitting at the old order again
                    // must be refused.
                    if order > 0 {
                        prop_assert_eq!(buddy.split(pfn, order), Err(FreeError::WrongOrder));
                    }
                    model.live.extend((pfn..pfn + (1 << order)).map(|p| (p, 0)));
                }
                Op::Free(_) | Op::Split(_) => {}
                Op::Wild(index, order) => {
                    let low = base.saturating_sub(2);
                    let pfn = low + index.index(base + len + 2 - low);
                    if let Some(at) = model.live.iter().position(|&live| live == (pfn, order)) {
                        model.live.swap_remove(at);
                        prop_assert_eq!(buddy.free(pfn, order), Ok(()));
                        for i in model.block(pfn, order) {
                            model.owned[i] = false;
                        }
                    } else {
                        let before = buddy.free_frames();
                        prop_assert_eq!(buddy.free(pfn, order), Err(model.expected_error(pfn, order)));
                        prop_assert_eq!(buddy.free_frames(), before);
                    }
                }
            }
            prop_assert_eq!(buddy.free_frames(), model.free_frames());
            prop_assert_eq!(buddy.check_invariants(), Ok(()));
        }

        // Exhaustion: order-0 allocations take every free frame, which splits every block down
        // to order 0, so that the frees below have to merge all the way up again.
        while let Some(pfn) = buddy.alloc(0) {
            let i = pfn.checked_sub(base).filter(|&i| i < len).expect("pfn outside the slice");
            prop_assert!(model.managed[i] && !model.owned[i], "bad frame {}", pfn);
            model.owned[i] = true;
            model.live.push((pfn, 0));
        }
        prop_assert_eq!(model.free_frames(), 0);
        prop_assert_eq!(buddy.free_frames(), 0);
        prop_assert_eq!(buddy.check_invariants(), Ok(()));

        // Freeing everything, in any order, restores the initial block structure exactly.
        shuffle(&mut model.live, seed);
        for (pfn, order) in model.live.drain(..) {
            prop_assert_eq!(buddy.free(pfn, order), Ok(()));
        }
        prop_assert_eq!(buddy.check_invariants(), Ok(()));
        prop_assert_eq!(buddy.free_frames(), managed);
        prop_assert_eq!(free_blocks(&buddy), initial);
    }
}
