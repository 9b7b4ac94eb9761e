//! Hardware page tables: the kernel's layer over x86_64's 4-level paging (PML4 → PDPT → PD → PT).
//!
//! An [`AddressSpace`] owns one PML4 and, in its lower half, every table below it. The upper half
//! (PML4 entries 256..512) is the kernel's: its PDPTs are allocated once at boot and the same entries
//! are copied into every new PML4, so a kernel mapping made later (heap growth, a new kernel stack)
//! is at once visible in every address space, as on Linux.
//!
//! Tables are reached through the direct map of physical memory. Intermediate tables are created on
//! demand and, in user space, freed when the last entry under them goes. This module is the only place
//! that turns a physical table address into a Rust reference.

use core::sync::atomic::{AtomicUsize, Ordering};
use x86_64::{
    PhysAddr, VirtAddr,
    instructions::tlb,
    registers::control::{Cr3, Cr3Flags},
    structures::paging::{PageTable, PhysFrame, page_table::PageTableEntry},
};

pub use x86_64::structures::paging::PageTableFlags as PteFlags;

use super::{
    frame::{self, Frame, HugeFrame, PageFlags},
    layout::{KERNEL_PML4_START, PAGE_SIZE},
};
use crate::sync::IrqMutex;

/// Why a mapping could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// No frame left for an intermediate table.
    NoMemory,
    /// The page is mapped already.
    AlreadyMapped,
    /// A huge page covers the address.
    HugePage,
}

/// How much one page table (level 1) maps: 2 MiB, which is also what one huge PMD entry maps.
const PT_SPAN: u64 = 512 * PAGE_SIZE;
/// The size of a transparent huge page (Linux's HPAGE_PMD_SIZE).
pub const HPAGE_PMD_SIZE: u64 = PT_SPAN;

/// One past the highest lower-half address.
pub const LOWER_HALF_END: u64 = 1 << 47;

/// The boot PML4, whose upper half every address space shares.
static KERNEL_PML4: spin::Once<PhysFrame> = spin::Once::new();
/// Serialises changes to the shared kernel half.
static KERNEL_PT_LOCK: IrqMutex<()> = IrqMutex::new(());

/// Turns a table's frame into a reference.
///
/// # Safety
/// `frame` must hold a page table that stays allocated for `'a`, and the caller must have exclusive
/// access to it for `'a` (the owning [`AddressSpace`] borrowed mutably, or the kernel-half lock).
unsafe fn table<'a>(frame: PhysFrame) -> &'a mut PageTable {
    // SAFETY: per the contract; the direct map covers every frame.
    unsafe { &mut *(frame::phys_to_virt(frame.start_address()) as *mut PageTable) }
}

fn index(va: u64, level: u8) -> usize {
    ((va >> (12 + 9 * (level as u64 - 1))) & 0x1ff) as usize
}

/// Page-table frames in the kernel half. They are never freed (every PML4 shares them), so the
/// leak checks of the self-tests allow for this number growing.
static KERNEL_TABLE_FRAMES: AtomicUsize = AtomicUsize::new(0);

fn new_table() -> Result<PhysFrame, MapError> {
    let frame = frame::alloc_zeroed_frame().ok_or(MapError::NoMemory)?;
    frame::page(frame).set_flags(PageFlags::PAGE_TABLE);
    Ok(frame)
}

/// A table for a user address space: subject to the user reserve (see frame::USER_RESERVE_FRAMES).
fn new_user_table() -> Result<PhysFrame, MapError> {
    let frame = frame::alloc_user_block().ok_or(MapError::NoMemory)?;
    frame::zero_frame(frame);
    frame::page(frame).set_flags(PageFlags::PAGE_TABLE);
    Ok(frame)
}

/// How many page-table frames the kernel half holds.
pub fn kernel_table_frames() -> usize {
    KERNEL_TABLE_FRAMES.load(Ordering::Relaxed)
}

/// The physical-address bits of a table entry (12..52).
const ENTRY_ADDR: u64 = 0x000f_ffff_ffff_f000;

/// The entries of the table at physical address `phys`, as raw words: the walks of the fault and
/// fork paths read and write entries directly, without the x86_64 crate's per-entry checks.
///
/// # Safety
/// As for [`table`].
#[inline(always)]
unsafe fn raw_table<'a>(phys: u64) -> &'a mut [u64; 512] {
    // SAFETY: per the contract; the direct map covers every frame.
    unsafe { &mut *(frame::phys_to_virt(PhysAddr::new_truncate(phys)) as *mut [u64; 512]) }
}

/// A raw entry as the x86_64 crate's type (which is a transparent `u64`).
#[inline(always)]
fn as_entry(raw: &mut u64) -> &mut PageTableEntry {
    // SAFETY: PageTableEntry is #[repr(transparent)] over u64.
    unsafe { &mut *(raw as *mut u64 as *mut PageTableEntry) }
}

/// Sets an entry to `phys` with `flags`, without the crate's alignment assertion (every caller
/// passes a frame's start address).
#[inline(always)]
fn set_entry(entry: &mut PageTableEntry, phys: PhysAddr, flags: PteFlags) {
    // SAFETY: PageTableEntry is #[repr(transparent)] over u64.
    unsafe { *(entry as *mut PageTableEntry as *mut u64) = phys.as_u64() | flags.bits() };
}

/// The PT entry for `va` below `pml4` when every table above it exists (the common case of the
/// fault path): three loads, no calls. None if a table is missing or a huge page covers `va`.
///
/// # Safety
/// As for [`table`], for the whole tree under `pml4` that the walk touches.
#[inline(always)]
unsafe fn leaf_fast<'a>(pml4: PhysFrame, va: u64) -> Option<&'a mut u64> {
    let mut phys = pml4.start_address().as_u64();
    for shift in [39u32, 30, 21] {
        // SAFETY: per this function's contract (`phys` is a table of this tree).
        let entry = unsafe { raw_table(phys)[((va >> shift) & 0x1ff) as usize] };
        if entry == 0 || entry & PteFlags::HUGE_PAGE.bits() != 0 {
            return None;
        }
        phys = entry & ENTRY_ADDR;
    }
    // SAFETY: `phys` is the PT of this tree covering `va`.
    Some(unsafe { &mut raw_table(phys)[((va >> 12) & 0x1ff) as usize] })
}

/// Finds the PT entry for `va` below `pml4`, creating missing tables if `create`.
///
/// # Safety
/// As for [`table`], for the whole tree under `pml4` that the walk touches.
unsafe fn leaf<'a>(
    pml4: PhysFrame,
    va: u64,
    create: bool,
) -> Result<Option<&'a mut PageTableEntry>, MapError> {
    // SAFETY: per this function's contract.
    if let Some(entry) = unsafe { leaf_fast(pml4, va) } {
        return Ok(Some(as_entry(entry)));
    }
    // SAFETY: per this function's contract.
    unsafe { leaf_slow(pml4, va, create) }
}

/// [`leaf`] when a table is missing (or a huge page is in the way).
///
/// # Safety
/// As for [`leaf`].
#[inline(never)]
unsafe fn leaf_slow<'a>(
    pml4: PhysFrame,
    va: u64,
    create: bool,
) -> Result<Option<&'a mut PageTableEntry>, MapError> {
    // SAFETY: per this function's contract.
    Ok(match unsafe { leaf_table(pml4, va, create)? } {
        Ok(table) => Some(as_entry(&mut table[index(va, 1)])),
        Err(_) => None,
    })
}

/// A new table for an entry of the user half (`user`) or of the kernel half, as the entry's word:
/// user tables come out of the user reserve, kernel ones are counted (see KERNEL_TABLE_FRAMES).
fn new_table_entry(user: bool) -> Result<u64, MapError> {
    let mut flags = PteFlags::PRESENT | PteFlags::WRITABLE;
    let table = if user {
        flags |= PteFlags::USER_ACCESSIBLE;
        new_user_table()?
    } else {
        let table = new_table()?;
        KERNEL_TABLE_FRAMES.fetch_add(1, Ordering::Relaxed);
        table
    };
    Ok(table.start_address().as_u64() | flags.bits())
}

/// The level-2 entry (PMD) over `va` below `pml4`, creating missing tables above it if `create`;
/// without `create`, `Err(next)` when a table above is missing, `next` being the first address
/// past the hole that entry would have mapped (so a caller can skip it whole).
///
/// # Safety
/// As for [`table`], for the whole tree under `pml4` that the walk touches.
unsafe fn pmd_slot<'a>(
    pml4: PhysFrame,
    va: u64,
    create: bool,
) -> Result<Result<&'a mut u64, u64>, MapError> {
    let mut phys = pml4.start_address().as_u64();
    for level in [4u8, 3] {
        // SAFETY: per this function's contract (`phys` is a table of this tree).
        let slot = unsafe { &mut raw_table(phys)[index(va, level)] };
        if *slot == 0 {
            if !create {
                let span = 1u64 << (12 + 9 * (level as u64 - 1));
                return Ok(Err((va & !(span - 1)).saturating_add(span)));
            }
            *slot = new_table_entry(va < LOWER_HALF_END)?;
        } else if *slot & PteFlags::HUGE_PAGE.bits() != 0 {
            return Err(MapError::HugePage);
        }
        // A used entry above the PMDs is a present table of the same tree.
        phys = *slot & ENTRY_ADDR;
    }
    // SAFETY: `phys` is the PD of this tree covering `va`.
    Ok(Ok(unsafe { &mut raw_table(phys)[index(va, 2)] }))
}

/// Whether a table entry is a huge one (a PMD mapping 2 MiB, present or PROT_NONE).
#[inline(always)]
fn is_huge(entry: u64) -> bool {
    entry & PteFlags::HUGE_PAGE.bits() != 0
}

/// The level-1 table (PT) that maps `va` below `pml4`, creating missing tables if `create`; without
/// `create`, `Err(next)` when a table above is missing, `next` being the first address past the
/// hole that entry would have mapped (so a caller can skip it whole). A huge PMD over `va` is
/// [`MapError::HugePage`].
///
/// # Safety
/// As for [`table`], for the whole tree under `pml4` that the walk touches.
unsafe fn leaf_table<'a>(
    pml4: PhysFrame,
    va: u64,
    create: bool,
) -> Result<Result<&'a mut [u64; 512], u64>, MapError> {
    // SAFETY: per this function's contract.
    let slot = match unsafe { pmd_slot(pml4, va, create)? } {
        Ok(slot) => slot,
        Err(next) => return Ok(Err(next)),
    };
    if *slot == 0 {
        if !create {
            return Ok(Err((va & !(PT_SPAN - 1)).saturating_add(PT_SPAN)));
        }
        *slot = new_table_entry(va < LOWER_HALF_END)?;
    } else if is_huge(*slot) {
        return Err(MapError::HugePage);
    }
    // SAFETY: a used, non-huge PMD points at the PT of this tree covering `va`.
    Ok(Ok(unsafe { raw_table(*slot & ENTRY_ADDR) }))
}

/// The page tables kept aside for the huge PMDs of one address space, one per huge entry, so that
/// splitting a huge entry into 512 small ones never needs memory (Linux's
/// pgtable_trans_huge_deposit / withdraw). They form a stack linked through their first word;
/// every other word is zero, and the first is cleared when a table is taken.
#[derive(Default)]
struct Deposits {
    /// Physical address of the top table, 0 if none.
    top: u64,
    count: usize,
}

impl Deposits {
    fn push(&mut self, table: PhysFrame) {
        let phys = table.start_address().as_u64();
        // SAFETY: the table was just handed over to this stack and nothing else refers to it.
        unsafe { raw_table(phys)[0] = self.top };
        self.top = phys;
        self.count += 1;
    }

    /// A zeroed table; one was deposited for every huge entry, so there is one whenever a huge
    /// entry is being split or removed.
    fn pop(&mut self) -> PhysFrame {
        assert!(self.top != 0, "no page table deposited for a huge entry");
        let phys = self.top;
        // SAFETY: `phys` is the top table of this stack, owned by it.
        let first = unsafe { &mut raw_table(phys)[0] };
        self.top = core::mem::take(first);
        self.count -= 1;
        PhysFrame::containing_address(PhysAddr::new(phys))
    }

    fn free_all(&mut self) {
        while self.count > 0 {
            frame::free_block(self.pop(), 0);
        }
    }
}

/// Splits the huge entry `slot` (mapping 2 MiB from its address) into a page table of 512 small
/// entries with the same frames and rights, taking the table from `deposits` (Linux's
/// __split_huge_pmd_locked). Each small entry takes over the reference the huge one held to its
/// frame; the huge page stops counting as mapped whole here. The caller flushes the TLB.
fn split_slot(slot: &mut u64, deposits: &mut Deposits) {
    let head = *slot & ENTRY_ADDR;
    let flags = *slot & !ENTRY_ADDR & !PteFlags::HUGE_PAGE.bits();
    let table = deposits.pop();
    // SAFETY: the table was deposited for this entry and is owned by no one else.
    let entries = unsafe { raw_table(table.start_address().as_u64()) };
    for (i, entry) in entries.iter_mut().enumerate() {
        *entry = (head + i as u64 * PAGE_SIZE) | flags;
    }
    *slot = table.start_address().as_u64()
        | (PteFlags::PRESENT | PteFlags::WRITABLE | PteFlags::USER_ACCESSIBLE).bits();
    frame::pmd_unmap(PhysFrame::containing_address(PhysAddr::new(head)));
}

/// What a walk changed, for the TLB flush.
#[derive(Default)]
struct Changed {
    /// Entries cleared or given other flags.
    entries: usize,
    /// Whether a huge entry was split.
    split: bool,
}

/// What a range walk does with each present PTE it visits.
pub enum Visit {
    Keep,
    /// Clear the entry (the visitor has taken care of the frame).
    Clear,
}

#[allow(clippy::too_many_arguments)] // one recursive walker; the arguments are its state
/// Walks the present PTEs of [start, end) under a table of the given level. When `free_tables`,
/// empty child tables are freed, and the result says whether this table is left empty; otherwise
/// the result is false and no table is scanned beyond the range (a fork walks one small range per
/// VMA: counting all 512 entries of 4 tables each time cost ~10,000 instructions per VMA).
/// `changed` counts the PTEs that were cleared or whose value changed, for the TLB flush.
///
/// # Safety
/// As for [`table`], for the subtree under `table_frame`.
unsafe fn walk_level(
    table_frame: PhysFrame,
    level: u8,
    base: u64,
    start: u64,
    end: u64,
    free_tables: bool,
    changed: &mut Changed,
    deposits: &mut Deposits,
    visit: &mut dyn FnMut(u64, &mut PageTableEntry) -> Visit,
) -> bool {
    // SAFETY: per this function's contract.
    let table = unsafe { table(table_frame) };
    let span = 1u64 << (12 + 9 * (level as u64 - 1));
    let first = ((start - base) / span) as usize;
    let last = ((end - 1 - base) / span) as usize;
    // Whether an entry of this table was cleared: only then can it have become empty.
    let mut cleared = false;
    for idx in first..=last.min(511) {
        let entry = &mut table[idx];
        if entry.is_unused() {
            continue;
        }
        let entry_start = base + idx as u64 * span;
        let huge = level == 2 && entry.flags().contains(PteFlags::HUGE_PAGE);
        if huge && (start > entry_start || end < entry_start + span) {
            // Only part of a huge page is in the range: split it and walk its small entries.
            // SAFETY: a PageTableEntry is a transparent u64.
            let slot = unsafe { &mut *(entry as *mut PageTableEntry as *mut u64) };
            split_slot(slot, deposits);
            changed.split = true;
        }
        if level == 1 || (huge && entry.flags().contains(PteFlags::HUGE_PAGE)) {
            let before = entry.flags();
            match visit(entry_start, entry) {
                Visit::Clear => {
                    if huge {
                        frame::pmd_unmap(PhysFrame::containing_address(entry.addr()));
                        frame::free_block(deposits.pop(), 0);
                    }
                    entry.set_unused();
                    changed.entries += 1;
                    cleared = true;
                }
                Visit::Keep if entry.flags() != before => changed.entries += 1,
                Visit::Keep => {}
            }
        } else {
            let child = entry.frame().expect("present table entry");
            let lo = start.max(entry_start);
            let hi = end.min(entry_start + span);
            // SAFETY: the child table belongs to the same tree, covered by our contract.
            let empty = unsafe {
                walk_level(
                    child,
                    level - 1,
                    entry_start,
                    lo,
                    hi,
                    free_tables,
                    changed,
                    deposits,
                    visit,
                )
            };
            if empty && free_tables {
                entry.set_unused();
                frame::free_block(child, 0);
                cleared = true;
            }
        }
    }
    // A table nothing was taken from keeps what it had: no need to look (tables are never left
    // empty, so it had something). Otherwise the scan stops at the first entry in use.
    free_tables && cleared && table.iter().all(|e| e.is_unused())
}

/// Releases a user table of the given level (3: PDPT .. 1: PT) and everything below it: each leaf's
/// frame reference is dropped, each table freed.
///
/// # Safety
/// As for [`table`]; the table is no longer reachable from any PML4 once this returns.
unsafe fn release_table(frame: PhysFrame, level: u8) {
    // SAFETY: per contract.
    let table = unsafe { table(frame) };
    for entry in table.iter_mut() {
        if entry.is_unused() {
            continue;
        }
        let below = PhysFrame::containing_address(entry.addr());
        assert!(
            level <= 2 || !entry.flags().contains(PteFlags::HUGE_PAGE),
            "huge page above a PMD in a user table"
        );
        if level == 2 && entry.flags().contains(PteFlags::HUGE_PAGE) {
            frame::pmd_unmap(below);
            // SAFETY: the entry held these references and goes with its table.
            drop(unsafe { HugeFrame::from_raw(below) });
        } else if level == 1 {
            // SAFETY: the entry held this reference and is cleared with its table.
            drop(unsafe { Frame::from_raw(below) });
        } else {
            // SAFETY: a used entry above level 1 in the user half points at a table of this tree.
            unsafe { release_table(below, level - 1) };
        }
    }
    frame::free_block(frame, 0);
}

/// What the PMD (level-2 entry) over an address holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pmd {
    /// Nothing: no table, no huge page.
    None,
    /// A page table of small entries.
    Table,
    /// A huge page: its first frame and the entry's flags (HUGE_PAGE included).
    Huge { head: PhysFrame, flags: PteFlags },
}

/// One hardware address space: a PML4 and the user-half tables under it.
pub struct AddressSpace {
    pml4: PhysFrame,
    /// One spare page table per huge PMD (see [`Deposits`]).
    deposits: Deposits,
}

impl AddressSpace {
    /// A new address space with an empty user half and the shared kernel half.
    pub fn new() -> Result<Self, MapError> {
        let pml4 = new_table()?;
        let kernel = *KERNEL_PML4.get().expect("paging not initialised");
        // SAFETY: `pml4` is ours alone; the kernel PML4's upper half is only read, under its lock.
        unsafe {
            let _guard = KERNEL_PT_LOCK.lock();
            let (new, boot) = (table(pml4), table(kernel));
            for i in KERNEL_PML4_START..512 {
                new[i] = boot[i].clone();
            }
        }
        Ok(Self {
            pml4,
            deposits: Deposits::default(),
        })
    }

    /// The physical frame of the PML4 (what CR3 holds while this space is active).
    pub fn pml4(&self) -> PhysFrame {
        self.pml4
    }

    /// True if this is the address space the CPU is using.
    pub fn is_active(&self) -> bool {
        Cr3::read().0 == self.pml4
    }

    /// Maps a user page to a frame; the entry keeps the frame's reference until it is unmapped.
    /// On failure the reference is dropped.
    pub fn map(&mut self, va: VirtAddr, frame: Frame, flags: PteFlags) -> Result<(), MapError> {
        self.map_raw(va, frame, flags | PteFlags::PRESENT)
    }

    /// Maps a user page with exactly these flags (PRESENT included or not: a PROT_NONE entry is
    /// copied as it is by fork).
    pub fn map_raw(&mut self, va: VirtAddr, frame: Frame, flags: PteFlags) -> Result<(), MapError> {
        debug_assert!(va.as_u64() < LOWER_HALF_END && va.is_aligned(PAGE_SIZE));
        // SAFETY: `&mut self` gives exclusive access to the user half of this tree.
        let entry = unsafe { leaf(self.pml4, va.as_u64(), true)? }.expect("created");
        if !entry.is_unused() {
            return Err(MapError::AlreadyMapped);
        }
        set_entry(entry, frame.into_raw().start_address(), flags);
        // A not-present entry is never cached in the TLB: no flush needed.
        Ok(())
    }

    /// fork's copy of the PTEs of [start, end) into `child` (Linux's copy_pte_range), one page
    /// table at a time: each parent PT is found once, the child's PT once (created if need be),
    /// and its entries copied in one loop. Every entry `copy` accepts (it returns the child's flags
    /// for a present or PROT_NONE entry after taking the child's reference to its frame, and may
    /// change the parent's entry, as when write access goes for copy-on-write) is set in the child.
    /// The parent's TLB is not flushed: the caller flushes once for all areas.
    pub fn copy_range_to(
        &mut self,
        child: &mut AddressSpace,
        start: u64,
        end: u64,
        mut copy: impl FnMut(&mut PageTableEntry) -> Option<PteFlags>,
    ) -> Result<(), MapError> {
        assert!(
            start <= end && end <= LOWER_HALF_END,
            "copy outside user space"
        );
        let mut va = start;
        while va < end {
            // SAFETY: `&mut self` gives exclusive access to the user half of this tree.
            let src = match unsafe { leaf_table(self.pml4, va, false) } {
                Ok(Ok(table)) => table,
                Ok(Err(next)) => {
                    va = next;
                    continue;
                }
                Err(MapError::HugePage) => {
                    va = self.copy_huge_to(child, va, end, &mut copy)?;
                    continue;
                }
                Err(err) => return Err(err),
            };
            let chunk_end = ((va | (PT_SPAN - 1)) + 1).min(end);
            let (first, last) = (index(va, 1), index(chunk_end - 1, 1));
            let mut dst = None;
            for idx in first..=last {
                if src[idx] == 0 {
                    continue;
                }
                // The child's table first: `copy` takes a reference for the child's entry, which
                // would be lost if the table could not be had after it.
                let dst = match &mut dst {
                    Some(table) => table,
                    // SAFETY: `&mut child` gives exclusive access to the child's user half.
                    None => {
                        dst.insert(unsafe { leaf_table(child.pml4, va, true)? }.expect("created"))
                    }
                };
                let addr = src[idx] & ENTRY_ADDR;
                let Some(flags) = copy(as_entry(&mut src[idx])) else {
                    continue;
                };
                dst[idx] = addr | flags.bits();
            }
            va = chunk_end;
        }
        Ok(())
    }

    /// fork's copy of the huge entry over `va` (Linux's copy_huge_pmd): `copy` sees the huge
    /// entry (HUGE_PAGE set) and takes the child's references to its 512 frames; the child gets a
    /// huge entry of its own and a deposited table. A huge page the range cuts (areas' edges
    /// split them, so this does not happen) is split and copied small. Returns where to go on.
    fn copy_huge_to(
        &mut self,
        child: &mut AddressSpace,
        va: u64,
        end: u64,
        copy: &mut impl FnMut(&mut PageTableEntry) -> Option<PteFlags>,
    ) -> Result<u64, MapError> {
        let haddr = va & !(HPAGE_PMD_SIZE - 1);
        if va != haddr || end - haddr < HPAGE_PMD_SIZE {
            self.split_huge_pmd(va);
            return Ok(va);
        }
        let deposit = new_user_table()?;
        // SAFETY: `&mut self` and `&mut child` give exclusive access to both user halves.
        let (src, dst) = unsafe {
            match (
                pmd_slot(self.pml4, haddr, false),
                pmd_slot(child.pml4, haddr, true),
            ) {
                (Ok(Ok(src)), Ok(Ok(dst))) if *dst == 0 => (src, dst),
                (_, dst) => {
                    frame::free_block(deposit, 0);
                    return Err(dst.err().unwrap_or(MapError::AlreadyMapped));
                }
            }
        };
        let head = *src & ENTRY_ADDR;
        match copy(as_entry(src)) {
            Some(flags) => {
                *dst = head | (flags | PteFlags::HUGE_PAGE).bits();
                frame::pmd_map(PhysFrame::containing_address(PhysAddr::new(head)));
                child.deposits.push(deposit);
            }
            None => frame::free_block(deposit, 0),
        }
        Ok(haddr + HPAGE_PMD_SIZE)
    }

    /// The frame and flags a user page maps to, if any.
    /// Inside a huge page, the frame is the small one at `va` and the flags are the huge entry's
    /// (HUGE_PAGE included, so that the caller can tell).
    pub fn lookup(&self, va: VirtAddr) -> Option<(PhysFrame, PteFlags)> {
        // SAFETY: only reading; `&self` excludes writers of this tree.
        let raw = match unsafe { leaf_fast(self.pml4, va.as_u64()) } {
            Some(raw) => *raw,
            None => return self.lookup_huge(va.as_u64()),
        };
        if raw & PteFlags::PRESENT.bits() == 0 {
            return None;
        }
        Some((
            PhysFrame::containing_address(PhysAddr::new_truncate(raw & ENTRY_ADDR)),
            PteFlags::from_bits_retain(raw & !ENTRY_ADDR),
        ))
    }

    /// The frame a user page holds, whether its entry is present or PROT_NONE (x86's
    /// pte_present, which /proc/PID/pagemap reports), small or inside a huge page.
    pub fn mapped_frame(&self, va: VirtAddr) -> Option<PhysFrame> {
        let va = va.as_u64();
        // SAFETY: only reading; `&self` excludes writers of this tree.
        match unsafe { leaf_fast(self.pml4, va) } {
            Some(&mut raw) => (raw != 0)
                .then(|| PhysFrame::containing_address(PhysAddr::new_truncate(raw & ENTRY_ADDR))),
            None => match self.pmd(va) {
                Pmd::Huge { head, .. } => Some(head + (va % HPAGE_PMD_SIZE) / PAGE_SIZE),
                _ => None,
            },
        }
    }

    /// [`lookup`](Self::lookup) where the fast walk found no page table.
    #[inline(never)]
    fn lookup_huge(&self, va: u64) -> Option<(PhysFrame, PteFlags)> {
        match self.pmd(va) {
            Pmd::Huge { head, flags } if flags.contains(PteFlags::PRESENT) => {
                Some((head + (va % HPAGE_PMD_SIZE) / PAGE_SIZE, flags))
            }
            _ => None,
        }
    }

    /// What the PMD over `va` holds (user half).
    pub fn pmd(&self, va: u64) -> Pmd {
        // SAFETY: only reading; `&self` excludes writers of this tree.
        match unsafe { pmd_slot(self.pml4, va, false) } {
            Ok(Ok(slot)) if is_huge(*slot) => Pmd::Huge {
                head: PhysFrame::containing_address(PhysAddr::new_truncate(*slot & ENTRY_ADDR)),
                flags: PteFlags::from_bits_retain(*slot & !ENTRY_ADDR),
            },
            Ok(Ok(slot)) if *slot != 0 => Pmd::Table,
            _ => Pmd::None,
        }
    }

    /// Maps a huge page at `haddr` (2 MiB-aligned, its PMD empty) with `flags`: the entry takes
    /// over the 512 references, and a page table is deposited for splitting it later. Fails, and
    /// drops the huge page, when a table cannot be had or the PMD is in use.
    pub fn map_huge(
        &mut self,
        haddr: u64,
        huge: HugeFrame,
        flags: PteFlags,
    ) -> Result<(), MapError> {
        debug_assert!(haddr.is_multiple_of(HPAGE_PMD_SIZE) && haddr < LOWER_HALF_END);
        let deposit = new_user_table()?;
        // SAFETY: `&mut self` gives exclusive access to the user half of this tree.
        let slot = match unsafe { pmd_slot(self.pml4, haddr, true) } {
            Ok(Ok(slot)) if *slot == 0 => slot,
            other => {
                frame::free_block(deposit, 0);
                return Err(other.err().unwrap_or(MapError::AlreadyMapped));
            }
        };
        let head = huge.into_raw();
        *slot = head.start_address().as_u64() | (flags | PteFlags::HUGE_PAGE).bits();
        frame::pmd_map(head);
        self.deposits.push(deposit);
        // A not-present entry is never cached in the TLB: no flush needed.
        Ok(())
    }

    /// Replaces the huge page mapped at `haddr` by `huge` with `flags` (a hugetlb copy-on-write);
    /// returns the old page's references. Flushes the TLB entry. If no huge page is mapped there,
    /// `huge` is dropped and None returned.
    pub fn replace_huge(
        &mut self,
        haddr: u64,
        huge: HugeFrame,
        flags: PteFlags,
    ) -> Option<HugeFrame> {
        // SAFETY: `&mut self` gives exclusive access to the user half of this tree.
        let Ok(Ok(slot)) = (unsafe { pmd_slot(self.pml4, haddr, false) }) else {
            return None;
        };
        if !is_huge(*slot) {
            return None;
        }
        let old = PhysFrame::containing_address(PhysAddr::new(*slot & ENTRY_ADDR));
        let head = huge.into_raw();
        *slot = head.start_address().as_u64() | (flags | PteFlags::HUGE_PAGE).bits();
        frame::pmd_map(head);
        frame::pmd_unmap(old);
        self.flush_page(VirtAddr::new(haddr));
        // SAFETY: the entry held these references and now maps another page.
        Some(unsafe { HugeFrame::from_raw(old) })
    }

    /// Gives the huge entry at `haddr` new flags (copy-on-write reuse). Flushes its TLB entry.
    pub fn set_huge_flags(&mut self, haddr: u64, flags: PteFlags) {
        // SAFETY: `&mut self` gives exclusive access to the user half of this tree.
        if let Ok(Ok(slot)) = unsafe { pmd_slot(self.pml4, haddr, false) }
            && is_huge(*slot)
        {
            *slot = (*slot & ENTRY_ADDR) | (flags | PteFlags::HUGE_PAGE).bits();
            self.flush_page(VirtAddr::new(haddr));
        }
    }

    /// Splits the huge entry over `va`, if there is one, into 512 small entries mapping the same
    /// frames with the same rights (Linux's split_huge_pmd). Never fails: the table was
    /// deposited when the huge entry was made. Returns whether there was one.
    pub fn split_huge_pmd(&mut self, va: u64) -> bool {
        // SAFETY: `&mut self` gives exclusive access to the user half of this tree.
        match unsafe { pmd_slot(self.pml4, va, false) } {
            Ok(Ok(slot)) if is_huge(*slot) => {
                split_slot(slot, &mut self.deposits);
                self.flush_page(VirtAddr::new(va & !(HPAGE_PMD_SIZE - 1)));
                true
            }
            _ => false,
        }
    }

    /// Replaces the PTE of a page that holds a frame, present or PROT_NONE (frame and flags,
    /// exactly these: PRESENT or not); returns the old frame's reference and flags. Flushes the
    /// TLB entry. If nothing is mapped there, `frame` is dropped and None returned.
    pub fn replace(
        &mut self,
        va: VirtAddr,
        frame: Frame,
        flags: PteFlags,
    ) -> Option<(Frame, PteFlags)> {
        // SAFETY: `&mut self` gives exclusive access to the user half of this tree.
        let entry = unsafe { leaf(self.pml4, va.as_u64(), false) }.ok()??;
        if entry.is_unused() {
            return None;
        }
        let old = PhysFrame::containing_address(entry.addr());
        let old_flags = entry.flags();
        entry.set_addr(frame.into_raw().start_address(), flags);
        self.flush_page(va);
        // SAFETY: the entry held this reference and now holds another frame.
        Some((unsafe { Frame::from_raw(old) }, old_flags))
    }

    /// Makes a mapped page writable or not, keeping its frame (copy-on-write reuse, and fork
    /// taking write access away). Flushes the TLB entry.
    pub fn set_flags(&mut self, va: VirtAddr, flags: PteFlags) {
        // SAFETY: `&mut self` gives exclusive access to the user half of this tree.
        if let Ok(Some(entry)) = unsafe { leaf(self.pml4, va.as_u64(), false) } {
            entry.set_flags(flags | PteFlags::PRESENT);
            self.flush_page(va);
        }
    }

    /// Translates any address (user or kernel) to the physical address and the leaf's flags.
    pub fn translate(&self, va: VirtAddr) -> Option<(PhysAddr, PteFlags)> {
        translate_in(self.pml4, va)
    }

    /// Visits every present PTE in [start, end) of the user half. When `free_tables` is set, tables
    /// left empty afterwards are freed. The TLB is flushed for what changed if this space is active.
    /// The range is given as plain numbers because its end may be 2^47, which is not canonical.
    ///
    /// A huge page wholly inside the range is visited once, as its huge entry (HUGE_PAGE set,
    /// `va` its first address); clearing it gives back its deposited table. A huge page the range
    /// cuts is split first (Linux's zap_pmd_range and change_pmd_range do the same), and its
    /// small entries are visited.
    pub fn walk(
        &mut self,
        start: u64,
        end: u64,
        free_tables: bool,
        visit: &mut dyn FnMut(VirtAddr, &mut PageTableEntry) -> Visit,
    ) {
        assert!(
            start <= end && end <= LOWER_HALF_END,
            "walk outside user space"
        );
        if start == end {
            return;
        }
        let mut changed = Changed::default();
        // SAFETY: `&mut self` gives exclusive access to the user half, the only part walked.
        unsafe {
            walk_level(
                self.pml4,
                4,
                0,
                start,
                end,
                free_tables,
                &mut changed,
                &mut self.deposits,
                &mut |va, e| visit(VirtAddr::new(va), e),
            )
        };
        if (changed.entries > 0 || changed.split) && self.is_active() {
            // invlpg each page of a small range; reload CR3 for anything larger (or after a split,
            // whose huge TLB entry may cover pages outside the range).
            if changed.split || changed.entries > 32 || (end - start) / PAGE_SIZE > 32 {
                tlb::flush_all();
            } else {
                for va in (start..end).step_by(PAGE_SIZE as usize) {
                    tlb::flush(VirtAddr::new(va));
                }
            }
        }
    }

    /// Unmaps every page in [start, end), handing each frame's reference to `release`, and frees
    /// the page tables left empty.
    pub fn unmap_range(
        &mut self,
        start: u64,
        end: u64,
        release: &mut dyn FnMut(VirtAddr, Frame, PteFlags),
    ) {
        self.unmap_range_if(start, end, &|_| true, release);
    }

    /// [`unmap_range`](Self::unmap_range) of only the pages whose frame `take` accepts (a huge
    /// entry is taken or kept whole, by its first frame); the others stay mapped.
    pub fn unmap_range_if(
        &mut self,
        start: u64,
        end: u64,
        take: &dyn Fn(PhysFrame) -> bool,
        release: &mut dyn FnMut(VirtAddr, Frame, PteFlags),
    ) {
        self.walk(start, end, true, &mut |va, entry| {
            // A leaf may be non-present but hold a frame (a PROT_NONE page): release it all the same.
            let frame = PhysFrame::containing_address(entry.addr());
            if !take(frame) {
                return Visit::Keep;
            }
            let flags = entry.flags();
            if flags.contains(PteFlags::HUGE_PAGE) {
                // A whole huge page: its 512 references, one small page at a time.
                // SAFETY: as below, for the 512 references of the huge entry.
                let huge = unsafe { HugeFrame::from_raw(frame) };
                let small = flags - PteFlags::HUGE_PAGE;
                for (i, frame) in huge.into_frames().enumerate() {
                    release(va + i as u64 * PAGE_SIZE, frame, small);
                }
                return Visit::Clear;
            }
            // SAFETY: the entry is cleared right after (Visit::Clear): its reference passes here.
            release(va, unsafe { Frame::from_raw(frame) }, flags);
            Visit::Clear
        });
    }

    /// Drops the reference of every page the user half maps (present or PROT_NONE) and frees every
    /// user table: the last step of an address space that is going (Linux's exit_mmap), in one
    /// pass over the tables, without the per-page callback of [`unmap_range`](Self::unmap_range)
    /// (the owner's counters go with it). Must not be the active space.
    pub fn release_all(&mut self) {
        assert!(!self.is_active(), "releasing the active address space");
        // SAFETY: `&mut self` gives exclusive access to the user half, which is not in use.
        let pml4 = unsafe { table(self.pml4) };
        for entry in pml4.iter_mut().take(KERNEL_PML4_START) {
            if !entry.is_unused() {
                // SAFETY: a present entry of the user half points at a table of this tree.
                unsafe { release_table(entry.frame().expect("present table entry"), 3) };
                entry.set_unused();
            }
        }
        self.deposits.free_all();
    }

    /// Moves the entries of [old, old + len) to [new, new + len) as they are (Linux's
    /// move_page_tables, for mremap): each frame, its reference and its flags go with the entry,
    /// nothing is copied, and the source tables are kept. Ranges where a whole table is missing
    /// are skipped a table at a time. The destination must be empty.
    ///
    /// Fails with NoMemory when a table for the destination cannot be had; the entries moved
    /// before that stay moved (moving them back needs no new table: the source tables remain).
    /// Returns the number of entries moved.
    pub fn move_range(&mut self, old: u64, new: u64, len: u64) -> Result<u64, MapError> {
        const TABLE_SPAN: u64 = 512 * PAGE_SIZE;
        assert!(
            old.checked_add(len).is_some_and(|e| e <= LOWER_HALF_END)
                && new.checked_add(len).is_some_and(|e| e <= LOWER_HALF_END),
            "move_range outside user space"
        );
        let mut moved = 0;
        let mut off = 0;
        let mut result = Ok(());
        while off < len {
            let from = old + off;
            // SAFETY: `&mut self` gives exclusive access to the user half of this tree.
            let src = match unsafe { leaf(self.pml4, from, false) } {
                Ok(Some(src)) => src,
                Err(MapError::HugePage) => {
                    // A huge page moves whole when it can (Linux's move_huge_pmd), else is split
                    // and its small entries move one by one.
                    match self.move_huge(from, new + off, len - off) {
                        Ok(true) => {
                            moved += 512;
                            off += TABLE_SPAN;
                        }
                        Ok(false) => {
                            self.split_huge_pmd(from);
                        }
                        Err(err) => {
                            result = Err(err);
                            break;
                        }
                    }
                    continue;
                }
                _ => {
                    // No leaf table here: skip to the next one.
                    off = (from / TABLE_SPAN + 1) * TABLE_SPAN - old;
                    continue;
                }
            };
            if !src.is_unused() {
                let (addr, flags) = (src.addr(), src.flags());
                // SAFETY: as above; the source entry is not used while this one is.
                let dst = match unsafe { leaf(self.pml4, new + off, true) } {
                    Ok(Some(dst)) => dst,
                    Ok(None) | Err(_) => {
                        result = Err(MapError::NoMemory);
                        break;
                    }
                };
                if !dst.is_unused() {
                    result = Err(MapError::AlreadyMapped);
                    break;
                }
                dst.set_addr(addr, flags);
                // SAFETY: as above. Creating the destination's tables never moves an entry.
                if let Ok(Some(src)) = unsafe { leaf(self.pml4, from, false) } {
                    src.set_unused();
                }
                moved += 1;
            }
            off += PAGE_SIZE;
        }
        if moved > 0 && self.is_active() {
            tlb::flush_all();
        }
        result.map(|()| moved)
    }

    /// Moves the huge entry at `from` to `to` when both are 2 MiB-aligned, `left` covers it whole
    /// and the destination's PMD is empty; false if not (the caller splits it).
    fn move_huge(&mut self, from: u64, to: u64, left: u64) -> Result<bool, MapError> {
        if !from.is_multiple_of(HPAGE_PMD_SIZE)
            || !to.is_multiple_of(HPAGE_PMD_SIZE)
            || left < HPAGE_PMD_SIZE
        {
            return Ok(false);
        }
        // SAFETY: `&mut self` gives exclusive access to the user half of this tree; creating the
        // destination's tables never moves an entry, and the two slots differ (`to` != `from`,
        // both aligned).
        unsafe {
            let Ok(dst) = pmd_slot(self.pml4, to, true)? else {
                return Ok(false);
            };
            if *dst != 0 {
                return Ok(false);
            }
            let Ok(Ok(src)) = pmd_slot(self.pml4, from, false) else {
                return Ok(false);
            };
            *dst = core::mem::take(src);
        }
        Ok(true)
    }

    /// Number of page-table frames this space owns in its user half (for accounting and tests).
    /// The tables deposited for huge entries count (as in Linux's VmPTE).
    pub fn table_frames(&self) -> usize {
        // SAFETY: only reading; `&self` excludes writers.
        unsafe { count_tables(self.pml4, 4, true) + self.deposits.count }
    }

    fn flush_page(&self, va: VirtAddr) {
        if self.is_active() {
            tlb::flush(va);
        }
    }
}

/// Counts the tables below a table (the table itself included unless it is a PML4).
///
/// # Safety
/// As for [`table`] (read only).
unsafe fn count_tables(frame: PhysFrame, level: u8, lower_half_only: bool) -> usize {
    // SAFETY: per contract.
    let table = unsafe { table(frame) };
    let limit = if level == 4 && lower_half_only {
        KERNEL_PML4_START
    } else {
        512
    };
    let own = if level == 4 { 0 } else { 1 };
    if level == 1 {
        return own;
    }
    own + table
        .iter()
        .take(limit)
        .filter(|e| !e.is_unused() && !e.flags().contains(PteFlags::HUGE_PAGE))
        // SAFETY: child tables of the same tree.
        .map(|e| unsafe { count_tables(e.frame().expect("table"), level - 1, false) })
        .sum::<usize>()
}

impl Drop for AddressSpace {
    /// Frees the user-half tables and the PML4. Leaf frames must have been released by the owner
    /// (the mm releases everything first); any left are reported, as they would be a leak, and
    /// released.
    fn drop(&mut self) {
        assert!(!self.is_active(), "dropping the active address space");
        let mut leaked = 0usize;
        self.walk(0, LOWER_HALF_END, false, &mut |_, _| {
            leaked += 1;
            Visit::Keep
        });
        if leaked > 0 {
            log::error!("address space dropped with {leaked} pages still mapped");
        }
        self.release_all();
        frame::free_block(self.pml4, 0);
    }
}

fn translate_in(pml4: PhysFrame, va: VirtAddr) -> Option<(PhysAddr, PteFlags)> {
    let va = va.as_u64();
    // SAFETY: read-only walk; a concurrent writer could at worst make the answer stale.
    let mut table = unsafe { table(pml4) };
    for level in [4u8, 3, 2, 1] {
        let entry = &table[index(va, level)];
        if entry.is_unused() {
            return None;
        }
        let span = 1u64 << (12 + 9 * (level as u64 - 1));
        if level == 1 || entry.flags().contains(PteFlags::HUGE_PAGE) {
            return Some((entry.addr() + (va & (span - 1)), entry.flags()));
        }
        // SAFETY: a present non-huge entry points at the next table.
        table = unsafe { self::table(entry.frame().ok()?) };
    }
    None
}

/// Translates in whatever address space is active.
pub fn translate(va: VirtAddr) -> Option<(PhysAddr, PteFlags)> {
    translate_in(Cr3::read().0, va)
}

/// Maps a page in the kernel half (heap, kernel stacks). Visible in every address space at once.
pub fn map_kernel(va: VirtAddr, frame: PhysFrame, flags: PteFlags) -> Result<(), MapError> {
    assert!(
        va.as_u64() >= 0xffff_8000_0000_0000,
        "map_kernel below the kernel half"
    );
    let pml4 = *KERNEL_PML4.get().expect("paging not initialised");
    let _guard = KERNEL_PT_LOCK.lock();
    // SAFETY: the kernel half is changed only under KERNEL_PT_LOCK.
    let entry = unsafe { leaf(pml4, va.as_u64(), true)? }.expect("created");
    if !entry.is_unused() {
        return Err(MapError::AlreadyMapped);
    }
    entry.set_frame(frame, flags | PteFlags::PRESENT);
    Ok(())
}

/// Unmaps a kernel-half page and returns its frame. Kernel tables are never freed (they are shared
/// by reference from every PML4).
pub fn unmap_kernel(va: VirtAddr) -> Option<PhysFrame> {
    let pml4 = *KERNEL_PML4.get().expect("paging not initialised");
    let _guard = KERNEL_PT_LOCK.lock();
    // SAFETY: the kernel half is changed only under KERNEL_PT_LOCK.
    let entry = unsafe { leaf(pml4, va.as_u64(), false) }.ok()??;
    let frame = entry.frame().ok()?;
    entry.set_unused();
    // Single CPU for now: with several, this becomes a TLB shootdown.
    tlb::flush(va);
    Some(frame)
}

/// Takes over the bootloader's page tables: drops its lower-half identity mappings and gives every
/// kernel-half PML4 slot a table, so that the kernel half can be shared by all address spaces.
pub fn init() {
    let (pml4, _) = Cr3::read();
    KERNEL_PML4.call_once(|| pml4);
    let _guard = KERNEL_PT_LOCK.lock();
    // SAFETY: at boot nothing else touches the page tables; the lower half holds only the
    // bootloader's identity mappings, which the kernel no longer uses (its own GDT is loaded).
    unsafe {
        let root = table(pml4);
        for entry in root.iter_mut().take(KERNEL_PML4_START) {
            entry.set_unused();
        }
        for entry in root.iter_mut().skip(KERNEL_PML4_START) {
            if entry.is_unused() {
                let frame = new_table().expect("no memory for kernel page tables");
                KERNEL_TABLE_FRAMES.fetch_add(1, Ordering::Relaxed);
                entry.set_frame(frame, PteFlags::PRESENT | PteFlags::WRITABLE);
            }
        }
    }
    tlb::flush_all();
}

/// The kernel's PML4, for address spaces that are not a process's.
pub fn kernel_pml4() -> PhysFrame {
    *KERNEL_PML4.get().expect("paging not initialised")
}

/// Switches back to the kernel's own page tables (before an address space is freed).
pub fn activate_kernel() {
    // SAFETY: the kernel PML4 maps the whole kernel half.
    unsafe { Cr3::write(kernel_pml4(), Cr3Flags::empty()) };
}
