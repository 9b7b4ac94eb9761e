//! The balanced search tree the areas live in, augmented with a bound on the largest free gap of
//! every subtree so that the top-down free-area search is `O(log n)`.
//!
//! # Why a tree of our own
//!
//! `get_unmapped_area` looks for the highest gap of at least `len` bytes. Walking the gaps down
//! from the top costs one step per area skipped, which is 60,000 steps in a process with 60,000
//! small mappings below the mmap base. Linux 6.0 keeps, in each node of its red-black tree, the
//! largest gap in the node's subtree (`rb_subtree_gap`, maintained by `vma_compute_gap` through
//! the augmented-rbtree callbacks), and `unmapped_area_topdown` descends only into subtrees whose
//! largest gap is big enough; Linux 6.1's maple tree keeps the same per-subtree gaps. An
//! intrusive red-black tree from `intrusive-collections` has no hook to update such a field when
//! it rotates, so the areas live here instead, in a balanced binary tree of our own.
//!
//! # What is kept
//!
//! Each [`Node`] holds one area and:
//!
//! * `gap`: the free bytes right below the area, `start - previous area's end` (or `start` for
//!   the lowest area, whose gap reaches down to address 0). This is Linux 6.1's maple-tree gap:
//!   the raw hole, without the stack guard gap. Like Linux 6.1 (after the fix "mm/mmap: regression
//!   fix for unmapped_area{_topdown}"), the search checks the guard gap only at a candidate and
//!   carries on downwards if the guard makes it too small, so the guard stays a per-call
//!   parameter. The raw gap is an upper bound of every usable gap below the area, which is all
//!   the pruning needs.
//! * `max_gap`: an *upper bound* of the largest `gap` in the node's subtree: at least the node's
//!   own `gap` and its children's `max_gap`. The search only ever prunes a subtree whose bound is
//!   below `len`, so a bound that is too high costs a wasted visit, never a wrong answer: the
//!   answer is exactly the highest fitting gap either way.
//! * `rank`, for the balance (see below): above the rank of each child (a missing child has
//!   rank 0), so a path down from a node is never longer than its rank.
//! * `parent`, so that an insert or a removal works from where it changed the tree without
//!   recursion, and stops as soon as nothing above needs to change.
//!
//! # Why the gap bound is lazy
//!
//! A gap that *grows* (a removal, a `munmap`) raises the bounds on its way up, and stops at the
//! first ancestor whose bound already covers it. A gap that *shrinks* (a new area placed in it)
//! leaves the bounds above as they were. Keeping them exact would cost a walk to the root on
//! nearly every `mmap` and every `munmap`: the gap a new mapping goes into is typically the largest
//! one in the whole tree (the space between the heap and the mappings), so every bound on its
//! path changes when it shrinks by a page, and changes back when the page is unmapped. With the
//! bounds left high, an `mmap` + `munmap` pair touches only the nodes whose shape changes.
//! Rotations recompute the bounds of the nodes they move, and the search tightens the bounds of
//! a subtree it entered for nothing ([`GapQuery::topdown`]), so a stale bound costs at most one
//! wasted visit. (Linux's maple tree is exact; its nodes have 10 to 16 entries, so its walks are
//! four levels long where ours are twenty.)
//!
//! # Why removals do not rebalance
//!
//! An AVL tree retraces the path after every insert and every removal until a height comes out
//! unchanged. That is `O(1)` amortized over inserts alone, but an `mmap` + `munmap` of one page,
//! again and again at the same place of a full, balanced tree, makes every height on the path
//! grow by one and then shrink back: two walks to the root per pair (measured: a third of its
//! cost at 60,000 areas). The tree is therefore a *relaxed AVL tree* (Sen and Tarjan, "Deletion
//! without rebalancing in binary search trees", 2016): inserts rebalance by rank with the
//! WAVL insertion rules (promotions, then at most two rotations), removals only unlink. The
//! height stays below `log_φ m` (1.44 log2 m) for `m` inserts since the tree was built, which is
//! the AVL bound counted in inserts rather than areas, and a rank a removal left high stops the
//! next insert's promotions at once: the pair above costs `O(1)` rebalancing. (A process makes
//! its areas anew at `exec`; `fork` copies the shape.)
//!
//! # The search
//!
//! [`GapTree::unmapped_area_topdown`] starts with one descent to the first area starting at or
//! above `high`, whose gap is the only one that can reach below `high` from above, and walks the
//! areas downwards from there in address order, skipping every subtree whose bound is below
//! `len` (see [`GapQuery::topdown`]): about two paths of the tree. A search with the limits of
//! the previous one starts where that one found its gap instead ([`SearchHint`]), which is one
//! step when nothing above changed, as after an `mmap` + `munmap` pair.
//!
//! # Memory, and why `unsafe`
//!
//! The tree owns its nodes: each was a `Box` (allocated by the caller before any change, see
//! [`Room`]) turned into a raw pointer when it was linked, and is turned back into a `Box` when it
//! is removed or the tree is dropped. Child and parent links are raw pointers (`NonNull`), which
//! is what lets the walks go up as well as down. All the `unsafe` of the crate is in this module.
//! The invariants every `unsafe` block relies on:
//!
//! 1. Every pointer reachable from `root` (children, and parents of nodes reachable from `root`)
//!    points to a live node owned by this tree, allocated by `Box` and not yet freed; no node is
//!    reachable twice. `parent` of the root is `None`, and `n.left.parent == n` and
//!    `n.right.parent == n` for every node `n`.
//! 2. Nodes are only mutated through `&mut GapTree`, except for `Cell`s (`max_gap`, the area's
//!    own fields, and the tree's `hint` and `recent`), which `&GapTree` may set; references handed
//!    out (`&Vma`) borrow the tree, so no node is freed or moved while one lives. Nodes never move
//!    in memory once linked.
//! 3. A node is freed only after it has been unlinked, so no pointer to it remains: neither in
//!    the tree nor in `hint` or `recent`, which a removal moves or clears.
//!
//! The module reads and writes nodes through two private helpers only, [`node`] and
//! [`node_mut`], which it calls on pointers taken from a tree (so invariant 1 holds for them), and
//! frees them in two places, [`GapTree::remove`] and the drop (`free_subtree`).
//!
//! [`check`](GapTree::check) verifies the links, the order, the ranks, every `gap`, that every
//! `max_gap` covers its node and children, the search hint's promise and the recent area;
//! `VmaTree::check_invariants` calls it.
//!
//! The tree does not see an area's `start` or `end` change in place (they are `Cell`s): an `end`
//! moves only in a split, whose right part is then inserted, in a merge, whose absorbed area is
//! then removed (which sets the gap above), or when an area is extended up (by `mremap`, or an
//! `mmap` merged into the area below it), after which the owner calls
//! [`refresh_gap`](GapTree::refresh_gap) on the area above; a `start` moves only when a stack
//! grows or an area is extended down by a merge, after which the owner calls `refresh_gap` on it.
//!
//! Nothing here allocates: [`insert`](GapTree::insert) takes the node's memory from the caller,
//! who allocated it fallibly before changing anything. Only the copy for `fork`, the drop and the
//! checks recurse, bounded by the height.

use alloc::boxed::Box;
use core::cell::Cell;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::NonNull;

use crate::{Vma, page_align_down};

/// One node: an area, its links, and the augmented values (see the [module](self) docs).
pub(crate) struct Node<F> {
    vma: Vma<F>,
    left: Ptr<F>,
    right: Ptr<F>,
    parent: Ptr<F>,
    /// The rank (see the [module](self) docs): above every child's, at least 1.
    rank: u8,
    /// Free bytes right below the area: `start - previous end`, or `start` for the lowest area.
    gap: u64,
    /// An upper bound of the largest `gap` in this subtree (a `Cell`: the search tightens it).
    max_gap: Cell<u64>,
}

type Ptr<F> = Option<NonNull<Node<F>>>;

/// Room for one node, allocated by the caller before any change.
pub(crate) type Room<F> = Box<MaybeUninit<Node<F>>>;

/// A shared reference to a linked node.
#[inline(always)]
fn node<'a, F>(p: NonNull<Node<F>>) -> &'a Node<F> {
    // SAFETY: by invariant 1 every pointer the module passes here is a live node of a tree, and by
    // invariant 2 it is not being mutated while this reference is used: callers holding `&self`
    // only read, callers holding `&mut self` drop the reference before writing the same node.
    unsafe { &*p.as_ptr() }
}

/// An exclusive reference to a linked node; only called by methods holding `&mut GapTree`.
#[inline(always)]
fn node_mut<'a, F>(p: NonNull<Node<F>>) -> &'a mut Node<F> {
    // SAFETY: invariant 1 (the node is live) and 2: the caller holds the tree exclusively, no
    // `&Vma` handed out can be alive, and the module never keeps two references to the same node
    // at once across this call.
    unsafe { &mut *p.as_ptr() }
}

/// A node's rank; 0 for a missing child.
fn rank<F>(p: Ptr<F>) -> u8 {
    p.map_or(0, |p| node(p).rank)
}

fn bound<F>(p: Ptr<F>) -> u64 {
    p.map_or(0, |p| node(p).max_gap.get())
}

impl<F> Node<F> {
    fn start(&self) -> u64 {
        self.vma.start()
    }

    /// The bound its own gap and its children's bounds give.
    fn computed_bound(&self) -> u64 {
        self.gap.max(bound(self.left)).max(bound(self.right))
    }
}

/// Recompute `max_gap` from the children (Linux's `vma_compute_subtree_gap`).
fn update<F>(p: NonNull<Node<F>>) {
    let n = node(p);
    n.max_gap.set(n.computed_bound());
}

/// The lowest node of a subtree.
fn min_node<F>(mut p: NonNull<Node<F>>) -> NonNull<Node<F>> {
    while let Some(left) = node(p).left {
        p = left;
    }
    p
}

/// The highest node of a subtree.
fn max_node<F>(mut p: NonNull<Node<F>>) -> NonNull<Node<F>> {
    while let Some(right) = node(p).right {
        p = right;
    }
    p
}

/// The node after `p` in address order.
fn successor<F>(p: NonNull<Node<F>>) -> Ptr<F> {
    if let Some(right) = node(p).right {
        return Some(min_node(right));
    }
    let mut child = p;
    while let Some(parent) = node(child).parent {
        if node(parent).left == Some(child) {
            return Some(parent);
        }
        child = parent;
    }
    None
}

/// The node before `p` in address order.
fn predecessor<F>(p: NonNull<Node<F>>) -> Ptr<F> {
    if let Some(left) = node(p).left {
        return Some(max_node(left));
    }
    let mut child = p;
    while let Some(parent) = node(child).parent {
        if node(parent).right == Some(child) {
            return Some(parent);
        }
        child = parent;
    }
    None
}

/// Raise the bounds from `p` up until one already covers `gap` (the gap of a node in `p`'s
/// subtree grew to `gap`).
fn raise<F>(mut p: Ptr<F>, gap: u64) {
    while let Some(n) = p {
        let n = node(n);
        if n.max_gap.get() >= gap {
            break;
        }
        n.max_gap.set(gap);
        p = n.parent;
    }
}

/// Frees a subtree, children first.
fn free_subtree<F>(p: Ptr<F>) {
    if let Some(p) = p {
        free_subtree(node(p).left);
        free_subtree(node(p).right);
        // SAFETY: the node was allocated by `Box` (invariant 1), its children are freed, and it is
        // unreachable from now on: the caller drops or forgets the link to it (invariant 3).
        drop(unsafe { Box::from_raw(p.as_ptr()) });
    }
}

/// A copy of a subtree with the same shape, for `fork`. `copy_vma` fails when memory runs out;
/// what was copied so far is then freed.
fn copy_subtree<F, E>(
    p: NonNull<Node<F>>,
    copy_vma: &mut impl FnMut(&Vma<F>) -> Result<(Room<F>, Vma<F>), E>,
) -> Result<NonNull<Node<F>>, E> {
    let src = node(p);
    let left = src.left.map(|l| copy_subtree(l, copy_vma)).transpose()?;
    let (room, vma) = match copy_vma(&src.vma) {
        Ok(copy) => copy,
        Err(e) => {
            free_subtree(left);
            return Err(e);
        }
    };
    let right = match src.right.map(|r| copy_subtree(r, copy_vma)).transpose() {
        Ok(right) => right,
        Err(e) => {
            free_subtree(left);
            // `room` and `vma` are dropped here, unlinked.
            return Err(e);
        }
    };
    let copy = NonNull::from(Box::leak(Box::write(
        room,
        Node {
            vma,
            left,
            right,
            parent: None,
            rank: src.rank,
            gap: src.gap,
            max_gap: Cell::new(src.max_gap.get()),
        },
    )));
    if let Some(left) = left {
        node_mut(left).parent = Some(copy);
    }
    if let Some(right) = right {
        node_mut(right).parent = Some(copy);
    }
    Ok(copy)
}

/// The areas, ordered by `start`, in a relaxed AVL tree augmented with free-gap bounds.
pub(crate) struct GapTree<F> {
    root: Ptr<F>,
    /// What the last search learned (see [`SearchHint`]).
    hint: Cell<Option<SearchHint<F>>>,
    /// The area inserted last, looked at before any descent by [`first_ending_above`] and
    /// [`remove`] (Linux's per-thread `vmacache` before 6.1, with one entry): the `munmap` that
    /// follows an `mmap` finds its area without a walk. Dropped when that area is removed.
    ///
    /// [`first_ending_above`]: GapTree::first_ending_above
    /// [`remove`]: GapTree::remove
    recent: Cell<Ptr<F>>,
    /// The tree owns its nodes, as a `Box` would.
    _owns: PhantomData<Box<Node<F>>>,
}

/// Where the last top-down search with these limits found its fit, so that the next one with
/// the same limits can start there: the per-mm search cache Linux had before its gap tree
/// (`free_area_cache` and `cached_hole_size` in 2.6's `arch_get_unmapped_area_topdown`), made
/// exact.
///
/// The promise: no gap after `node`'s (the gap above the last area included), cut to
/// `[low, high)` and below the stack guard, fits `limit` bytes or more. So a search with these
/// limits for `len >= limit` finds nothing above `node` and can start its walk at `node` itself:
/// an `mmap` + `munmap` pair in a process with 60,000 areas finds its gap in a step, where the
/// walk from the top would cross the tree twice.
///
/// Every change keeps the promise or drops the hint: a gap after `node` that grows or appears
/// raises `limit` above it; removing `node` moves the hint to the next area (whose own gap is
/// always looked at); removing the last area (which grows the gap above it) drops the hint. A
/// gap that shrinks keeps it. `check` verifies the promise gap by gap.
struct SearchHint<F> {
    low: u64,
    high: u64,
    stack_guard_gap: u64,
    node: NonNull<Node<F>>,
    limit: u64,
}

impl<F> Clone for SearchHint<F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F> Copy for SearchHint<F> {}

// SAFETY: the tree owns its nodes exclusively (invariant 1), as a tree of `Box`es would, so moving
// it to another thread moves the nodes with it; it is not `Sync` (the areas hold `Cell`s).
unsafe impl<F: Send> Send for GapTree<F> {}

/// The areas around an address, found by [`GapTree::around`] in one descent.
pub(crate) struct Around<'a, F> {
    /// The last area starting below the address.
    pub prev: Option<&'a Vma<F>>,
    /// The area starting exactly at the address.
    pub at: Option<&'a Vma<F>>,
    /// The first area starting above the address.
    pub next: Option<&'a Vma<F>>,
}

/// The parameters of one top-down search, already page-aligned and checked:
/// `0 < len <= high - low`.
pub(crate) struct GapQuery {
    pub len: u64,
    pub low: u64,
    pub high: u64,
    pub stack_guard_gap: u64,
}

impl GapQuery {
    /// Where a mapping would go in the gap right below `vma`, whose previous area ends at
    /// `prev_end` (0 if there is none): the top of the gap, cut to `[low, high)`, minus `len`,
    /// if it fits. This is one step of the walk Linux's `unmapped_area_topdown` makes: the end
    /// of the gap is the next area's `vm_start_gap` rounded down to a page.
    fn fit_below<F>(&self, vma: &Vma<F>, prev_end: u64) -> Option<u64> {
        let gap_end = page_align_down(vma.start_gap(self.stack_guard_gap)).min(self.high);
        self.fit(prev_end, gap_end)
    }

    /// The top of `[gap_start, gap_end)` cut to `[low, high)`, minus `len`, if it fits.
    fn fit(&self, gap_start: u64, gap_end: u64) -> Option<u64> {
        let gap_start = gap_start.max(self.low);
        let gap_end = gap_end.min(self.high);
        (gap_end >= gap_start && gap_end - gap_start >= self.len).then(|| gap_end - self.len)
    }

    /// The highest fit at or below the node `from`, whose right subtree holds nothing that
    /// can fit: `from`'s own gap, then its left subtree, then each ancestor reached from its
    /// right child with that ancestor's left subtree, walking the areas downwards in the order
    /// Linux 6.0's `unmapped_area_topdown` visits them, but skipping every subtree whose gap
    /// bound is below `len`. Inside a subtree it goes down the right side while the right
    /// subtree's bound allows a fit. Every area here starts below `high` (the caller starts at
    /// the last area starting below it, or the first one at or above it), so only `fit_below`
    /// needs the limits; a left subtree ends below its parent's start, so none is entered when
    /// that start is at most `low + len`.
    ///
    /// A subtree that was entered for its bound and held no fit gets its bound recomputed from
    /// its children (which the walk has tightened below it) on the way out: a stale bound is paid
    /// for once, and a fruitful walk pays nothing for it.
    fn topdown<F>(&self, from: NonNull<Node<F>>) -> Option<(u64, NonNull<Node<F>>)> {
        let mut p = from;
        // The root of the subtree the walk went down into, if it is inside one.
        let mut entered: Ptr<F> = None;
        loop {
            let n = node(p);
            if n.gap >= self.len
                && let Some(addr) = self.fit_below(&n.vma, n.start() - n.gap)
            {
                return Some((addr, p));
            }
            if let Some(left) = n.left
                && node(left).max_gap.get() >= self.len
                && n.start() > self.low + self.len
            {
                entered = entered.or(Some(left));
                p = left;
                while let Some(right) = node(p).right
                    && node(right).max_gap.get() >= self.len
                {
                    p = right;
                }
                continue;
            }
            // Done with `p` and its left subtree: up to the first ancestor reached from its
            // right child, which comes next in descending order.
            loop {
                let n = node(p);
                if entered.is_some() {
                    n.max_gap.set(n.computed_bound());
                    if entered == Some(p) {
                        entered = None;
                    }
                }
                let parent = n.parent?;
                let from_right = node(parent).right == Some(p);
                p = parent;
                if from_right {
                    break;
                }
            }
        }
    }
}

impl<F> GapTree<F> {
    pub(crate) const fn new() -> Self {
        GapTree {
            root: None,
            hint: Cell::new(None),
            recent: Cell::new(None),
            _owns: PhantomData,
        }
    }

    /// The node of the area starting exactly at `start`.
    fn get_node(&self, start: u64) -> Ptr<F> {
        if let Some(recent) = self.recent.get()
            && node(recent).start() == start
        {
            return Some(recent);
        }
        let mut cur = self.root;
        while let Some(p) = cur {
            let n = node(p);
            let s = n.start();
            if start < s {
                cur = n.left;
            } else if start > s {
                cur = n.right;
            } else {
                return Some(p);
            }
        }
        None
    }

    /// The area starting exactly at `start`.
    pub(crate) fn get(&self, start: u64) -> Option<&Vma<F>> {
        self.get_node(start).map(|p| &node(p).vma)
    }

    /// The areas starting below, at and above `key`, in one descent from the root: the path to
    /// `key` passes the nearest areas on either side, or ends at the area starting at `key`,
    /// whose neighbours are the extremes of its subtrees.
    pub(crate) fn around(&self, key: u64) -> Around<'_, F> {
        let mut around = Around {
            prev: None,
            at: None,
            next: None,
        };
        let mut cur = self.root;
        while let Some(p) = cur {
            let n = node(p);
            let s = n.start();
            if key < s {
                around.next = Some(&n.vma);
                cur = n.left;
            } else if key > s {
                around.prev = Some(&n.vma);
                cur = n.right;
            } else {
                around.at = Some(&n.vma);
                if let Some(left) = n.left {
                    around.prev = Some(&node(max_node(left)).vma);
                }
                if let Some(right) = n.right {
                    around.next = Some(&node(min_node(right)).vma);
                }
                break;
            }
        }
        around
    }

    /// The first area whose end is above `addr` (Linux's `find_vma`). Areas do not overlap, so
    /// they are ordered by end as well as by start, and one comparison per level finds it, as in
    /// Linux 6.0's rbtree walk.
    pub(crate) fn first_ending_above(&self, addr: u64) -> Option<&Vma<F>> {
        self.node_ending_above(addr).map(|p| &node(p).vma)
    }

    fn node_ending_above(&self, addr: u64) -> Ptr<F> {
        // The area containing `addr` is the first one ending above it.
        if let Some(recent) = self.recent.get()
            && node(recent).vma.contains(addr)
        {
            return Some(recent);
        }
        let mut cur = self.root;
        let mut best = None;
        while let Some(p) = cur {
            let n = node(p);
            if n.vma.end() > addr {
                best = Some(p);
                cur = n.left;
            } else {
                cur = n.right;
            }
        }
        best
    }

    /// The last area whose start is at most `key` (`inclusive`) or below `key`.
    pub(crate) fn last_before(&self, key: u64, inclusive: bool) -> Option<&Vma<F>> {
        let mut cur = self.root;
        let mut best = None;
        while let Some(p) = cur {
            let n = node(p);
            if n.start() < key || (inclusive && n.start() == key) {
                best = Some(&n.vma);
                cur = n.right;
            } else {
                cur = n.left;
            }
        }
        best
    }

    /// The first area whose start is at least `key` (`inclusive`) or above `key`.
    pub(crate) fn first_after(&self, key: u64, inclusive: bool) -> Option<&Vma<F>> {
        let mut cur = self.root;
        let mut best = None;
        while let Some(p) = cur {
            let n = node(p);
            if n.start() > key || (inclusive && n.start() == key) {
                best = Some(&n.vma);
                cur = n.left;
            } else {
                cur = n.right;
            }
        }
        best
    }

    /// The areas in ascending order.
    pub(crate) fn iter(&self) -> Iter<'_, F> {
        Iter {
            front: self.root.map(min_node),
            back: self.root.map(max_node),
            _tree: PhantomData,
        }
    }

    /// The areas in ascending order from the first one ending above `addr`.
    pub(crate) fn iter_ending_above(&self, addr: u64) -> Iter<'_, F> {
        let front = self.node_ending_above(addr);
        Iter {
            front,
            back: front.and(self.root.map(max_node)),
            _tree: PhantomData,
        }
    }

    /// Make `new` the child that `old` was of `parent` (or the root).
    fn replace_child(&mut self, parent: Ptr<F>, old: NonNull<Node<F>>, new: Ptr<F>) {
        match parent {
            None => self.root = new,
            Some(parent) => {
                let parent = node_mut(parent);
                if parent.left == Some(old) {
                    parent.left = new;
                } else {
                    parent.right = new;
                }
            }
        }
        if let Some(new) = new {
            node_mut(new).parent = parent;
        }
    }

    /// Rotate `x`'s right child up into its place; returns the new subtree root.
    fn rotate_left(&mut self, x: NonNull<Node<F>>) -> NonNull<Node<F>> {
        let Some(y) = node(x).right else {
            return x;
        };
        let inner = node(y).left;
        node_mut(x).right = inner;
        if let Some(inner) = inner {
            node_mut(inner).parent = Some(x);
        }
        self.replace_child(node(x).parent, x, Some(y));
        node_mut(y).left = Some(x);
        node_mut(x).parent = Some(y);
        update(x);
        update(y);
        y
    }

    /// Rotate `x`'s left child up into its place; returns the new subtree root.
    fn rotate_right(&mut self, x: NonNull<Node<F>>) -> NonNull<Node<F>> {
        let Some(y) = node(x).left else {
            return x;
        };
        let inner = node(y).right;
        node_mut(x).left = inner;
        if let Some(inner) = inner {
            node_mut(inner).parent = Some(x);
        }
        self.replace_child(node(x).parent, x, Some(y));
        node_mut(y).right = Some(x);
        node_mut(x).parent = Some(y);
        update(x);
        update(y);
        y
    }

    /// Restore the rank rule after `x` was linked as a new leaf: the insertion rebalancing of
    /// rank-balanced trees (Haeupler, Sen and Tarjan's WAVL insertion, which Sen and Tarjan's
    /// relaxed AVL trees keep). While `x` has its parent's rank, the parent is promoted if its
    /// other child is one rank below it; otherwise one or two rotations end it. A walk that starts
    /// under a node whose rank a removal left high stops at once.
    fn rebalance_insert(&mut self, mut x: NonNull<Node<F>>) {
        while let Some(p) = node(x).parent {
            if node(p).rank > node(x).rank {
                return;
            }
            let x_is_left = node(p).left == Some(x);
            let sibling = if x_is_left {
                node(p).right
            } else {
                node(p).left
            };
            if node(p).rank - rank(sibling) == 1 {
                // Ranks stay below log_φ of the inserts made (92 after 2^64): no overflow.
                node_mut(p).rank += 1;
                x = p;
                continue;
            }
            // `p` has a child of its own rank and one at least two below: rotate.
            let inner = if x_is_left {
                node(x).right
            } else {
                node(x).left
            };
            match inner {
                Some(y) if node(x).rank - node(y).rank == 1 => {
                    // Double rotation: `y` comes up between `x` and `p`.
                    if x_is_left {
                        self.rotate_left(x);
                        self.rotate_right(p);
                    } else {
                        self.rotate_right(x);
                        self.rotate_left(p);
                    }
                    node_mut(y).rank += 1;
                    node_mut(x).rank -= 1;
                    node_mut(p).rank -= 1;
                }
                _ => {
                    if x_is_left {
                        self.rotate_right(p);
                    } else {
                        self.rotate_left(p);
                    }
                    node_mut(p).rank -= 1;
                }
            }
            return;
        }
    }

    /// Add `vma` (which overlaps no area) in the memory `room`, and bring the gaps below it and
    /// below the area after it up to date, in one descent and a walk back up that stops as soon
    /// as the balance allows.
    pub(crate) fn insert(&mut self, room: Room<F>, vma: Vma<F>) {
        let (start, end) = (vma.start(), vma.end());
        let mut parent = None;
        let mut cur = self.root;
        let mut prev_end = 0;
        let mut next = None;
        let mut left = false;
        while let Some(p) = cur {
            let n = node(p);
            parent = Some(p);
            left = start < n.start();
            if left {
                next = Some(p);
                cur = n.left;
            } else {
                prev_end = n.vma.end();
                cur = n.right;
            }
        }
        let gap = start.saturating_sub(prev_end);
        let new = NonNull::from(Box::leak(Box::write(
            room,
            Node {
                vma,
                left: None,
                right: None,
                parent,
                rank: 1,
                gap,
                max_gap: Cell::new(gap),
            },
        )));
        match parent {
            None => self.root = Some(new),
            Some(p) if left => node_mut(p).left = Some(new),
            Some(p) => node_mut(p).right = Some(new),
        }
        // The gap below the area after `new` shrinks: the bounds above it stay bounds.
        if let Some(next) = next {
            let next = node_mut(next);
            next.gap = next.start().saturating_sub(end);
        }
        raise(parent, gap);
        self.hint_gap_grew(start, gap);
        self.recent.set(Some(new));
        self.rebalance_insert(new);
    }

    /// Take out the area starting at `start`, and bring the gap below the area after it up to
    /// date. Returns the area and the start of the one after it.
    pub(crate) fn remove(&mut self, start: u64) -> Option<(Vma<F>, Option<u64>)> {
        let z = self.get_node(start)?;
        if self.recent.get() == Some(z) {
            self.recent.set(None);
        }
        let next = successor(z);
        if let Some(mut hint) = self.hint.get() {
            // The hint moves off `z` to the next area; without one, the last area goes and the
            // gap above the last grows: drop it.
            match next {
                Some(next) if hint.node == z => {
                    hint.node = next;
                    self.hint.set(Some(hint));
                }
                Some(_) => {}
                None => self.hint.set(None),
            }
        }
        // The area before may have grown over `z` already (a merge): its end as it is now.
        let prev_end = predecessor(z).map_or(0, |p| node(p).vma.end());
        let (zl, zr, zp) = (node(z).left, node(z).right, node(z).parent);
        // Unlinked without rebalancing (see the module docs): the ranks stay as they are.
        match (zl, zr) {
            (Some(zl), Some(zr)) => {
                // The successor, lowest of the right subtree, takes `z`'s place and rank.
                let y = min_node(zr);
                if y != zr {
                    let (yp, yr) = (node(y).parent, node(y).right);
                    if let Some(yp) = yp {
                        node_mut(yp).left = yr;
                    }
                    if let Some(yr) = yr {
                        node_mut(yr).parent = yp;
                    }
                    node_mut(y).right = Some(zr);
                    node_mut(zr).parent = Some(y);
                }
                node_mut(y).left = Some(zl);
                node_mut(zl).parent = Some(y);
                self.replace_child(zp, z, Some(y));
                // `z`'s bound covers `y`'s new subtree.
                node_mut(y).rank = node(z).rank;
                node(y).max_gap.set(node(z).max_gap.get());
            }
            (only, None) | (None, only) => self.replace_child(zp, z, only),
        }
        let next = next.map(|next| {
            let n = node_mut(next);
            n.gap = n.start().saturating_sub(prev_end);
            let gap = n.gap;
            raise(Some(next), gap);
            self.hint_gap_grew(node(next).start(), gap);
            node(next).start()
        });
        // SAFETY: `z` was allocated by `Box` and is now unlinked (invariant 3): no pointer in the
        // tree reaches it any more.
        let z = unsafe { Box::from_raw(z.as_ptr()) };
        Some((z.vma, next))
    }

    /// Recompute the gap below the area starting at `start` from the area before it; called
    /// after that area's `start` or the previous area's `end` changed in place.
    pub(crate) fn refresh_gap(&mut self, start: u64) {
        let prev_end = self.last_before(start, false).map_or(0, Vma::end);
        if let Some(p) = self.get_node(start) {
            let gap = start.saturating_sub(prev_end);
            let grew = gap > node(p).gap;
            node_mut(p).gap = gap;
            if grew {
                raise(Some(p), gap);
                self.hint_gap_grew(start, gap);
            }
        }
    }

    /// The highest gap below an area that fits `query` (see [`GapQuery::topdown`]), the gap
    /// above the last area included: with no area at all, `[low, high)` itself. `O(log n)`, plus
    /// `O(log n)` for each candidate rejected because of a stack's guard gap or the edges of
    /// `[low, high)`.
    pub(crate) fn unmapped_area_topdown(&self, query: &GapQuery) -> Option<u64> {
        let hint = self.hint.get().filter(|h| {
            h.low == query.low
                && h.high == query.high
                && h.stack_guard_gap == query.stack_guard_gap
                && query.len >= h.limit
        });
        let (addr, at) = match hint {
            // Nothing above the hint's area fits: start there.
            Some(hint) => query.topdown(hint.node)?,
            None => match self.search_from_top(query)? {
                (addr, Some(at)) => (addr, at),
                // Above the last area: no area to start a later search at.
                (addr, None) => return Some(addr),
            },
        };
        // Nothing above `at` fits `len` now, nor `limit` if the walk started at `at`.
        let limit = match hint {
            Some(hint) if hint.node == at => hint.limit,
            Some(hint) => hint.limit.max(query.len),
            None => query.len,
        };
        self.hint.set(Some(SearchHint {
            low: query.low,
            high: query.high,
            stack_guard_gap: query.stack_guard_gap,
            node: at,
            limit,
        }));
        Some(addr)
    }

    /// The search without a hint: the address, and the area below whose gap it is (none for
    /// the gap above the last area).
    fn search_from_top(&self, query: &GapQuery) -> Option<(u64, Ptr<F>)> {
        // One descent finds the first area starting at or above `high`, the only one whose gap
        // can reach below `high` from above it, or else the last area, with the gap above it.
        let mut cur = self.root;
        let mut at_high = None;
        let mut below_high = None;
        while let Some(p) = cur {
            let n = node(p);
            if n.start() >= query.high {
                at_high = Some(p);
                cur = n.left;
            } else {
                below_high = Some(p);
                cur = n.right;
            }
        }
        let from = match at_high {
            Some(p) => p,
            None => {
                let top = query.fit(below_high.map_or(0, |p| node(p).vma.end()), query.high);
                if let Some(addr) = top {
                    return Some((addr, None));
                }
                below_high?
            }
        };
        query.topdown(from).map(|(addr, at)| (addr, Some(at)))
    }

    /// Keep the search hint's promise after the gap below the area starting at `start` grew
    /// to `gap`.
    fn hint_gap_grew(&self, start: u64, gap: u64) {
        if let Some(mut hint) = self.hint.get()
            && start > node(hint.node).start()
        {
            hint.limit = hint.limit.max(gap.saturating_add(1));
            self.hint.set(Some(hint));
        }
    }

    /// A copy with the same shape; `copy_vma` makes each area and its room.
    pub(crate) fn try_copy<E>(
        &self,
        mut copy_vma: impl FnMut(&Vma<F>) -> Result<(Room<F>, Vma<F>), E>,
    ) -> Result<Self, E> {
        let root = self
            .root
            .map(|root| copy_subtree(root, &mut copy_vma))
            .transpose()?;
        Ok(GapTree {
            root,
            hint: Cell::new(None),
            recent: Cell::new(None),
            _owns: PhantomData,
        })
    }

    /// Check the tree's own invariants: links both ways, keys in order, every rank above its
    /// children's, every `gap` equal to what the areas give, every `max_gap` covering its node
    /// and its children (so, by induction, its whole subtree), the search hint's promise, and
    /// the recent area in the tree. Returns the number of nodes.
    pub(crate) fn check(&self) -> Result<usize, &'static str> {
        let mut prev_end = 0;
        let mut count = 0;
        if let Some(root) = self.root
            && node(root).parent.is_some()
        {
            return Err("tree root has a parent");
        }
        check_subtree(self.root, &mut prev_end, &mut count)?;
        self.check_hint()?;
        if let Some(recent) = self.recent.get()
            && !self.iter().any(|vma| core::ptr::eq(vma, &node(recent).vma))
        {
            return Err("recent area not in the tree");
        }
        Ok(count)
    }

    /// The search hint's promise (see [`SearchHint`]), checked gap by gap: its area is in the
    /// tree, and no gap after it fits `limit` bytes.
    fn check_hint(&self) -> Result<(), &'static str> {
        let Some(hint) = self.hint.get() else {
            return Ok(());
        };
        if hint.limit == 0 {
            return Err("search hint without a limit");
        }
        let mut iter = self.iter();
        if !iter
            .by_ref()
            .any(|vma| core::ptr::eq(vma, &node(hint.node).vma))
        {
            return Err("search hint at an area not in the tree");
        }
        if hint.high < hint.low || hint.limit > hint.high - hint.low {
            return Ok(());
        }
        let query = GapQuery {
            len: hint.limit,
            low: hint.low,
            high: hint.high,
            stack_guard_gap: hint.stack_guard_gap,
        };
        let mut prev_end = node(hint.node).vma.end();
        for vma in iter {
            if query.fit_below(vma, prev_end).is_some() {
                return Err("search hint skips a gap that fits");
            }
            prev_end = vma.end();
        }
        if query.fit(prev_end, query.high).is_some() {
            return Err("search hint skips the gap above the last area");
        }
        Ok(())
    }
}

impl<F> Drop for GapTree<F> {
    fn drop(&mut self) {
        free_subtree(self.root.take());
    }
}

/// Checks one subtree in order; `prev_end` is the end of the area before it. Returns the
/// subtree's rank.
fn check_subtree<F>(p: Ptr<F>, prev_end: &mut u64, count: &mut usize) -> Result<u8, &'static str> {
    let Some(p) = p else {
        return Ok(0);
    };
    let n = node(p);
    for child in [n.left, n.right].into_iter().flatten() {
        if node(child).parent != Some(p) {
            return Err("tree parent link wrong");
        }
    }
    let left = check_subtree(n.left, prev_end, count)?;
    if n.start() < *prev_end {
        return Err("tree out of order");
    }
    if n.gap != n.start() - *prev_end {
        return Err("stale gap below an area");
    }
    *prev_end = n.vma.end();
    *count += 1;
    let right = check_subtree(n.right, prev_end, count)?;
    if n.rank <= left.max(right) {
        return Err("tree rank not above its children's");
    }
    if n.max_gap.get() < n.computed_bound() {
        return Err("largest gap of a subtree under its bound");
    }
    Ok(n.rank)
}

/// The areas of a [`GapTree`] in ascending order, from both ends. Each step follows the links
/// to the next node (`O(1)` amortized: a whole walk crosses each link twice).
pub(crate) struct Iter<'a, F> {
    /// The next node from the front, and from the back; `None` once they have met.
    front: Ptr<F>,
    back: Ptr<F>,
    /// The nodes are borrowed from the tree.
    _tree: PhantomData<&'a GapTree<F>>,
}

impl<'a, F> Iterator for Iter<'a, F> {
    type Item = &'a Vma<F>;

    fn next(&mut self) -> Option<&'a Vma<F>> {
        let p = self.front?;
        if self.back == Some(p) {
            self.front = None;
            self.back = None;
        } else {
            self.front = successor(p);
        }
        Some(&node(p).vma)
    }
}

impl<'a, F> DoubleEndedIterator for Iter<'a, F> {
    fn next_back(&mut self) -> Option<&'a Vma<F>> {
        let p = self.back?;
        if self.front == Some(p) {
            self.front = None;
            self.back = None;
        } else {
            self.back = predecessor(p);
        }
        Some(&node(p).vma)
    }
}
