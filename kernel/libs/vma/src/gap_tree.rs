//! The balanced search tree the areas live in, augmented with the largest free gap of every
//! subtree so that the top-down free-area search is `O(log n)`.
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
//! it rotates, so the areas live here instead, in an AVL tree whose nodes own their children
//! (`Box`), written without `unsafe`.
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
//! * `max_gap`: the largest `gap` in the node's subtree, recomputed bottom-up after every change
//!   of the subtree's shape (rotations, inserts, removals) or of one of its gaps.
//! * `height`, for the AVL balance: the two subtrees' heights differ by at most one, so the tree
//!   is at most `1.44 log2(n + 2)` high and every operation is `O(log n)`.
//!
//! [`insert`](GapTree::insert) and [`remove`](GapTree::remove) set the gaps that change (below
//! the area and below the one after it) in their own descent, and stop recomputing `max_gap` on
//! the way up once a subtree's values come out unchanged, as Linux's `vma_gap_callbacks` do. The
//! tree does not see an area's `start` or `end` change in place (they are `Cell`s): an `end`
//! moves only in a split, whose right part is then inserted, or a merge, whose absorbed area is
//! then removed, which sets the gap above; a `start` moves only when a stack grows, after which
//! the owner calls [`refresh_gap`](GapTree::refresh_gap). [`check`](GapTree::check) verifies all
//! of it, and `VmaTree::check_invariants` calls it.
//!
//! Nothing here allocates: [`insert`](GapTree::insert) takes the node's memory from the caller,
//! who allocated it fallibly before changing anything. Recursion is bounded by the height.

use alloc::boxed::Box;
use core::cmp::Ordering;
use core::mem::MaybeUninit;

use crate::{Vma, page_align_down};

/// One node: an area, its subtrees, and the augmented values (see the [module](self) docs).
pub(crate) struct Node<F> {
    vma: Vma<F>,
    left: Link<F>,
    right: Link<F>,
    height: u8,
    /// Free bytes right below the area: `start - previous end`, or `start` for the lowest area.
    gap: u64,
    /// The largest `gap` in this subtree.
    max_gap: u64,
}

type Link<F> = Option<Box<Node<F>>>;

/// Room for one node, allocated by the caller before any change.
pub(crate) type Room<F> = Box<MaybeUninit<Node<F>>>;

fn height<F>(link: &Link<F>) -> u8 {
    link.as_ref().map_or(0, |node| node.height)
}

fn max_gap<F>(link: &Link<F>) -> u64 {
    link.as_ref().map_or(0, |node| node.max_gap)
}

impl<F> Node<F> {
    fn start(&self) -> u64 {
        self.vma.start()
    }

    /// Recompute `height` and `max_gap` from the children (Linux's `vma_compute_subtree_gap`).
    fn update(&mut self) {
        self.height = 1 + height(&self.left).max(height(&self.right));
        self.max_gap = self.gap.max(max_gap(&self.left)).max(max_gap(&self.right));
    }

    /// Left height minus right height.
    fn balance(&self) -> i16 {
        i16::from(height(&self.left)) - i16::from(height(&self.right))
    }
}

fn rotate_right<F>(mut node: Box<Node<F>>) -> Box<Node<F>> {
    let Some(mut left) = node.left.take() else {
        return node;
    };
    node.left = left.right.take();
    node.update();
    left.right = Some(node);
    left.update();
    left
}

fn rotate_left<F>(mut node: Box<Node<F>>) -> Box<Node<F>> {
    let Some(mut right) = node.right.take() else {
        return node;
    };
    node.right = right.left.take();
    node.update();
    right.left = Some(node);
    right.update();
    right
}

/// Restore the AVL balance at `node`, whose subtrees are balanced and differ in height by at
/// most two, and recompute its augmented values.
#[inline(never)]
fn rebalance<F>(mut node: Box<Node<F>>) -> Box<Node<F>> {
    node.update();
    match node.balance() {
        2.. => {
            if let Some(left) = node.left.take() {
                node.left = Some(if left.balance() < 0 {
                    rotate_left(left)
                } else {
                    left
                });
            }
            rotate_right(node)
        }
        ..=-2 => {
            if let Some(right) = node.right.take() {
                node.right = Some(if right.balance() > 0 {
                    rotate_right(right)
                } else {
                    right
                });
            }
            rotate_left(node)
        }
        _ => node,
    }
}

/// Insert `new` as a leaf below `link` and rebalance on the way back up. A new leaf's neighbours
/// in address order are on its path: the area before it is the deepest node the path leaves to
/// the right (whose end, `prev_end`, is handed down), the area after it the deepest node the path
/// leaves to the left. So both gaps that change, below `new` and below the area after it, are
/// set during the one descent; `next_done` records that the second one has been. Returns whether
/// the subtree's height or largest gap changed: once neither does, the nodes further up need no
/// work (the path is still unwound, to find the area after `new`).
fn insert_node<F>(
    link: &mut Link<F>,
    mut new: Box<Node<F>>,
    prev_end: u64,
    next_done: &mut bool,
) -> bool {
    let Some(node) = link else {
        new.gap = new.start().saturating_sub(prev_end);
        new.update();
        *link = Some(new);
        return true;
    };
    let changed = if new.start() < node.start() {
        let new_end = new.vma.end();
        let changed = insert_node(&mut node.left, new, prev_end, next_done);
        if *next_done {
            changed
        } else {
            // The first node above `new` on the way up is the area after it.
            node.gap = node.start().saturating_sub(new_end);
            *next_done = true;
            true
        }
    } else {
        let prev_end = node.vma.end();
        insert_node(&mut node.right, new, prev_end, next_done)
    };
    changed && fix_up(link)
}

/// After a change below `link`: recompute its node's augmented values, and rotate if the
/// change left it out of balance. Most nodes on a path need no rotation, and are not moved.
/// Returns whether the subtree's height or largest gap changed.
// Inlined: it runs on every level of every insert and remove, and a call per level cost
// about a tenth of them.
#[inline(always)]
fn fix_up<F>(link: &mut Link<F>) -> bool {
    let Some(node) = link else {
        return true;
    };
    let (left, left_gap) = node.left.as_ref().map_or((0, 0), |n| (n.height, n.max_gap));
    let (right, right_gap) = node
        .right
        .as_ref()
        .map_or((0, 0), |n| (n.height, n.max_gap));
    if left.abs_diff(right) > 1 {
        if let Some(node) = link.take() {
            *link = Some(rebalance(node));
        }
        return true;
    }
    let height = 1 + left.max(right);
    let max_gap = node.gap.max(left_gap).max(right_gap);
    let changed = height != node.height || max_gap != node.max_gap;
    node.height = height;
    node.max_gap = max_gap;
    changed
}

/// Detach the lowest node of the subtree `node`; returns it and what remains of the subtree.
/// The gap of the detached node is left for the caller to set.
fn take_min<F>(mut node: Box<Node<F>>) -> (Box<Node<F>>, Link<F>) {
    match node.left.take() {
        None => {
            let rest = node.right.take();
            (node, rest)
        }
        Some(left) => {
            let (min, rest) = take_min(left);
            node.left = rest;
            let mut rest = Some(node);
            fix_up(&mut rest);
            (min, rest)
        }
    }
}

/// What [`remove_node`] took out.
struct Removed<F> {
    node: Option<Box<Node<F>>>,
    /// The end of the area before it (0 if none), which the area after it now has below it.
    prev_end: u64,
    /// The start of the area after it, once that area's gap has been set.
    next: Option<u64>,
}

/// Remove the node starting at `start` from below `link` into `removed`, and rebalance on the way
/// back up. The area after it, whose gap now reaches down to the end of the area before it, is
/// either the lowest node of its right subtree or the deepest node the path leaves to the left;
/// either way its gap is set during the one descent. `prev_end` is the end of the deepest node
/// the path has left to the right so far. Returns whether the subtree's height or largest gap
/// changed.
fn remove_node<F>(link: &mut Link<F>, start: u64, prev_end: u64, removed: &mut Removed<F>) -> bool {
    let Some(node) = link else {
        return false;
    };
    let changed = match start.cmp(&node.start()) {
        Ordering::Less => {
            let changed = remove_node(&mut node.left, start, prev_end, removed);
            if removed.node.is_some() && removed.next.is_none() {
                node.gap = node.start().saturating_sub(removed.prev_end);
                removed.next = Some(node.start());
                true
            } else {
                changed
            }
        }
        Ordering::Greater => {
            let prev_end = node.vma.end();
            remove_node(&mut node.right, start, prev_end, removed)
        }
        Ordering::Equal => {
            unlink_here(link, prev_end, removed);
            return true;
        }
    };
    changed && fix_up(link)
}

/// The removal itself, at the node found (kept out of the recursive [`remove_node`], whose every
/// level would otherwise pay for its registers).
#[inline(never)]
fn unlink_here<F>(link: &mut Link<F>, prev_end: u64, removed: &mut Removed<F>) {
    let Some(mut node) = link.take() else {
        return;
    };
    let prev_end = node
        .left
        .as_deref()
        .map_or(prev_end, |left| max_node(left).vma.end());
    *link = match (node.left.take(), node.right.take()) {
        (only, None) => only,
        (left, Some(right)) => {
            let (mut successor, rest) = take_min(right);
            successor.gap = successor.start().saturating_sub(prev_end);
            removed.next = Some(successor.start());
            successor.left = left;
            successor.right = rest;
            Some(successor)
        }
    };
    removed.node = Some(node);
    removed.prev_end = prev_end;
    fix_up(link);
}

/// The lowest node of a subtree.
fn min_node<F>(mut node: &Node<F>) -> &Node<F> {
    while let Some(left) = node.left.as_deref() {
        node = left;
    }
    node
}

/// The highest node of a subtree.
fn max_node<F>(mut node: &Node<F>) -> &Node<F> {
    while let Some(right) = node.right.as_deref() {
        node = right;
    }
    node
}

/// Set the `gap` of the node starting at `start` and recompute `max_gap` on the path to it.
fn set_gap<F>(link: &mut Link<F>, start: u64, gap: u64) {
    let Some(node) = link else {
        return;
    };
    match start.cmp(&node.start()) {
        Ordering::Less => set_gap(&mut node.left, start, gap),
        Ordering::Greater => set_gap(&mut node.right, start, gap),
        Ordering::Equal => node.gap = gap,
    }
    node.update();
}

/// A copy of a subtree with the same shape, for `fork`. `copy_vma` fails when memory runs out;
/// what was copied so far is then freed.
fn copy_subtree<F, E>(
    node: &Node<F>,
    copy_vma: &mut impl FnMut(&Vma<F>) -> Result<(Room<F>, Vma<F>), E>,
) -> Result<Box<Node<F>>, E> {
    let left = node
        .left
        .as_deref()
        .map(|left| copy_subtree(left, copy_vma))
        .transpose()?;
    let (room, vma) = copy_vma(&node.vma)?;
    let right = node
        .right
        .as_deref()
        .map(|right| copy_subtree(right, copy_vma))
        .transpose()?;
    Ok(Box::write(
        room,
        Node {
            vma,
            left,
            right,
            height: node.height,
            gap: node.gap,
            max_gap: node.max_gap,
        },
    ))
}

/// The areas, ordered by `start`, in an AVL tree augmented with free gaps.
pub(crate) struct GapTree<F> {
    root: Link<F>,
}

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

    /// The highest fit in the subtree `node`. A subtree is entered only if its largest raw gap
    /// is at least `len` and some of its gaps can lie inside `[low, high)`: every area in a
    /// right subtree has its gap above the parent's end, every area in a left subtree starts
    /// below the parent's start.
    fn topdown<F>(&self, node: &Node<F>) -> Option<u64> {
        if let Some(right) = node.right.as_deref()
            && right.max_gap >= self.len
            && node.vma.end() <= self.high - self.len
            && let Some(addr) = self.topdown(right)
        {
            return Some(addr);
        }
        if node.gap >= self.len
            && let Some(addr) = self.fit_below(&node.vma, node.start() - node.gap)
        {
            return Some(addr);
        }
        match node.left.as_deref() {
            Some(left) if left.max_gap >= self.len && node.start() > self.low + self.len => {
                self.topdown(left)
            }
            _ => None,
        }
    }
}

impl<F> GapTree<F> {
    pub(crate) const fn new() -> Self {
        GapTree { root: None }
    }

    /// The area starting exactly at `start`.
    pub(crate) fn get(&self, start: u64) -> Option<&Vma<F>> {
        let mut cur = self.root.as_deref();
        while let Some(node) = cur {
            cur = match start.cmp(&node.start()) {
                Ordering::Less => node.left.as_deref(),
                Ordering::Greater => node.right.as_deref(),
                Ordering::Equal => return Some(&node.vma),
            };
        }
        None
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
        let mut cur = self.root.as_deref();
        while let Some(node) = cur {
            cur = match key.cmp(&node.start()) {
                Ordering::Less => {
                    around.next = Some(&node.vma);
                    node.left.as_deref()
                }
                Ordering::Greater => {
                    around.prev = Some(&node.vma);
                    node.right.as_deref()
                }
                Ordering::Equal => {
                    around.at = Some(&node.vma);
                    if let Some(left) = node.left.as_deref() {
                        around.prev = Some(&max_node(left).vma);
                    }
                    if let Some(right) = node.right.as_deref() {
                        around.next = Some(&min_node(right).vma);
                    }
                    break;
                }
            };
        }
        around
    }

    /// The first area whose end is above `addr` (Linux's `find_vma`). Areas do not overlap, so
    /// they are ordered by end as well as by start, and one comparison per level finds it, as in
    /// Linux 6.0's rbtree walk.
    pub(crate) fn first_ending_above(&self, addr: u64) -> Option<&Vma<F>> {
        let mut cur = self.root.as_deref();
        let mut best = None;
        while let Some(node) = cur {
            if node.vma.end() > addr {
                best = Some(&node.vma);
                cur = node.left.as_deref();
            } else {
                cur = node.right.as_deref();
            }
        }
        best
    }

    /// The last area whose start is at most `key` (`inclusive`) or below `key`.
    pub(crate) fn last_before(&self, key: u64, inclusive: bool) -> Option<&Vma<F>> {
        let mut cur = self.root.as_deref();
        let mut best = None;
        while let Some(node) = cur {
            if node.start() < key || (inclusive && node.start() == key) {
                best = Some(&node.vma);
                cur = node.right.as_deref();
            } else {
                cur = node.left.as_deref();
            }
        }
        best
    }

    /// The first area whose start is at least `key` (`inclusive`) or above `key`.
    pub(crate) fn first_after(&self, key: u64, inclusive: bool) -> Option<&Vma<F>> {
        let mut cur = self.root.as_deref();
        let mut best = None;
        while let Some(node) = cur {
            if node.start() > key || (inclusive && node.start() == key) {
                best = Some(&node.vma);
                cur = node.left.as_deref();
            } else {
                cur = node.right.as_deref();
            }
        }
        best
    }

    /// The lowest area.
    pub(crate) fn first(&self) -> Option<&Vma<F>> {
        Some(&min_node(self.root.as_deref()?).vma)
    }

    /// The highest area.
    pub(crate) fn last(&self) -> Option<&Vma<F>> {
        Some(&max_node(self.root.as_deref()?).vma)
    }

    /// The areas in ascending order. Each step is a search from the root, `O(log n)`, which
    /// keeps the nodes free of parent pointers.
    pub(crate) fn iter(&self) -> Iter<'_, F> {
        Iter {
            tree: self,
            front: self.first(),
            back: self.last(),
        }
    }

    /// Add `vma` (which overlaps no area) in the memory `room`, and bring the gaps below it and
    /// below the area after it up to date.
    pub(crate) fn insert(&mut self, room: Room<F>, vma: Vma<F>) {
        let node = Box::write(
            room,
            Node {
                vma,
                left: None,
                right: None,
                height: 1,
                gap: 0,
                max_gap: 0,
            },
        );
        insert_node(&mut self.root, node, 0, &mut false);
    }

    /// Take out the area starting at `start`, and bring the gap below the area after it up to
    /// date. Returns the area and the start of the one after it.
    pub(crate) fn remove(&mut self, start: u64) -> Option<(Vma<F>, Option<u64>)> {
        let mut removed = Removed {
            node: None,
            prev_end: 0,
            next: None,
        };
        remove_node(&mut self.root, start, 0, &mut removed);
        Some((removed.node?.vma, removed.next))
    }

    /// Recompute the gap below the area starting at `start` from the area before it; called
    /// after that area's `start` or the previous area's `end` changed in place.
    pub(crate) fn refresh_gap(&mut self, start: u64) {
        let prev_end = self.last_before(start, false).map_or(0, Vma::end);
        set_gap(&mut self.root, start, start.saturating_sub(prev_end));
    }

    /// The highest gap below an area that fits `query` (see [`GapQuery::topdown`]), the gap
    /// above the last area included. `O(log n)`, plus `O(log n)` for each candidate rejected
    /// because of a stack's guard gap or the edges of `[low, high)`.
    pub(crate) fn unmapped_area_topdown(&self, query: &GapQuery) -> Option<u64> {
        let top = query.fit(self.last().map_or(0, Vma::end), query.high);
        top.or_else(|| query.topdown(self.root.as_deref()?))
    }

    /// A copy with the same shape; `copy_vma` makes each area and its room.
    pub(crate) fn try_copy<E>(
        &self,
        mut copy_vma: impl FnMut(&Vma<F>) -> Result<(Room<F>, Vma<F>), E>,
    ) -> Result<Self, E> {
        let root = self
            .root
            .as_deref()
            .map(|root| copy_subtree(root, &mut copy_vma))
            .transpose()?;
        Ok(GapTree { root })
    }

    /// Check the tree's own invariants: keys in order, AVL heights and balance, and every `gap`
    /// and `max_gap` equal to what the areas give. Returns the number of nodes.
    pub(crate) fn check(&self) -> Result<usize, &'static str> {
        let mut prev_end = 0;
        let mut count = 0;
        check_subtree(self.root.as_deref(), &mut prev_end, &mut count)?;
        Ok(count)
    }
}

/// Checks one subtree in order; `prev_end` is the end of the area before it. Returns the
/// subtree's height.
fn check_subtree<F>(
    node: Option<&Node<F>>,
    prev_end: &mut u64,
    count: &mut usize,
) -> Result<u8, &'static str> {
    let Some(node) = node else {
        return Ok(0);
    };
    let left = check_subtree(node.left.as_deref(), prev_end, count)?;
    if node.start() < *prev_end {
        return Err("tree out of order");
    }
    if node.gap != node.start() - *prev_end {
        return Err("stale gap below an area");
    }
    *prev_end = node.vma.end();
    *count += 1;
    let right = check_subtree(node.right.as_deref(), prev_end, count)?;
    if node.height != 1 + left.max(right) {
        return Err("tree height wrong");
    }
    if left.abs_diff(right) > 1 {
        return Err("tree unbalanced");
    }
    if node.max_gap != node.gap.max(max_gap(&node.left)).max(max_gap(&node.right)) {
        return Err("stale largest gap of a subtree");
    }
    Ok(node.height)
}

/// The areas of a [`GapTree`] in ascending order, from both ends.
pub(crate) struct Iter<'a, F> {
    tree: &'a GapTree<F>,
    /// The next area from the front, and from the back; `None` once they have met.
    front: Option<&'a Vma<F>>,
    back: Option<&'a Vma<F>>,
}

impl<'a, F> Iter<'a, F> {
    /// An iterator from `front` to the last area (none if `front` is `None`).
    pub(crate) fn from(tree: &'a GapTree<F>, front: Option<&'a Vma<F>>) -> Self {
        let back = front.and(tree.last());
        Iter { tree, front, back }
    }
}

impl<'a, F> Iterator for Iter<'a, F> {
    type Item = &'a Vma<F>;

    fn next(&mut self) -> Option<&'a Vma<F>> {
        let vma = self.front?;
        if self.back.is_some_and(|back| back.start() == vma.start()) {
            self.front = None;
            self.back = None;
        } else {
            self.front = self.tree.first_after(vma.start(), false);
        }
        Some(vma)
    }
}

impl<'a, F> DoubleEndedIterator for Iter<'a, F> {
    fn next_back(&mut self) -> Option<&'a Vma<F>> {
        let vma = self.back?;
        if self.front.is_some_and(|front| front.start() == vma.start()) {
            self.front = None;
            self.back = None;
        } else {
            self.back = self.tree.last_before(vma.start(), false);
        }
        Some(vma)
    }
}
