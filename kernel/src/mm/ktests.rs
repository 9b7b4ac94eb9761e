//! Self-tests of physical memory, paging, the heap and kernel stacks (see [`crate::ktest`]).

use alloc::{string::String, vec::Vec};
use x86_64::{VirtAddr, structures::paging::PhysFrame};

use super::{
    frame, heap,
    kstack::{self, KernelStack},
    layout::PAGE_SIZE,
    mm_struct::{VmFlags, VmaInfo},
    paging::{self, AddressSpace, PteFlags},
};
use crate::ensure;

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Thousands of allocations of mixed orders, freed in a shuffled order: the free count comes back
/// exactly and the buddy structures stay consistent.
/// Fails unless as many frames are free as `before` (what a test had at its start).
fn frames_back(before: usize) -> Result<(), String> {
    let now = frame::stats().free;
    ensure!(now == before, "frames leaked: {} -> {}", before, now);
    Ok(())
}

/// An anonymous private read-write area of `pages` pages at `start`, as mmap would make it.
fn insert_anon_rw(m: &mut super::mm_struct::MmInner, start: u64, pages: u64) -> Result<(), String> {
    let flags =
        VmFlags::READ | VmFlags::WRITE | VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYEXEC;
    m.vmas
        .insert(VmaInfo {
            start,
            end: start + pages * PAGE_SIZE,
            flags,
            file: None,
            pgoff: 0,
        })
        .map_err(|e| alloc::format!("{e:?}"))
}

pub fn frame_storm() -> Result<(), String> {
    let before = frame::stats();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut live: Vec<(PhysFrame, usize)> = Vec::new();
    for round in 0..4000 {
        if live.is_empty() || rng.next() % 3 != 0 {
            let order = (rng.next() % 4) as usize;
            let Some(block) = frame::alloc_block(order) else {
                continue;
            };
            let pfn = block.start_address().as_u64() / PAGE_SIZE;
            ensure!(
                pfn.is_multiple_of(1 << order),
                "block {pfn:#x} of order {order} misaligned"
            );
            live.push((block, order));
        } else {
            let i = (rng.next() as usize) % live.len();
            let (block, order) = live.swap_remove(i);
            frame::free_block(block, order);
        }
        if round % 500 == 0 {
            frame::check_invariants().map_err(String::from)?;
        }
    }
    // No two live blocks overlap.
    let mut ranges: Vec<(u64, u64)> = live
        .iter()
        .map(|(b, o)| {
            (
                b.start_address().as_u64(),
                b.start_address().as_u64() + (PAGE_SIZE << o),
            )
        })
        .collect();
    ranges.sort();
    ensure!(
        ranges.windows(2).all(|w| w[0].1 <= w[1].0),
        "overlapping blocks handed out"
    );
    let used: usize = live.iter().map(|(_, o)| 1usize << o).sum();
    ensure!(
        frame::stats().free == before.free - used,
        "free count off while blocks are live"
    );
    for (block, order) in live {
        frame::free_block(block, order);
    }
    frame::check_invariants().map_err(String::from)?;
    ensure!(
        frame::stats() == before,
        "free count {:?} != {:?}",
        frame::stats(),
        before
    );
    Ok(())
}

/// Frame references: a clone counts a user, a drop releases one, the last frees the frame; a
/// reference handed to a raw holder (a PTE) and taken back counts the same; the zero page is pinned.
pub fn frame_refcount() -> Result<(), String> {
    let before = frame::stats().free;
    let f = frame::Frame::alloc_user().ok_or("out of frames")?;
    ensure!(
        f.page().refcount() == 1,
        "new frame refcount {}",
        f.page().refcount()
    );
    let second = f.clone();
    ensure!(f.page().refcount() == 2, "after clone");
    ensure!(!f.page().is_exclusive(), "exclusive while shared");
    let raw = second.into_raw();
    ensure!(f.page().refcount() == 2, "into_raw released its reference");
    // SAFETY: `raw` is the reference `second` handed over just above, taken back once.
    drop(unsafe { frame::Frame::from_raw(raw) });
    ensure!(
        f.page().is_exclusive(),
        "after dropping the second reference"
    );
    ensure!(frame::stats().free == before - 1, "frame freed too early");
    drop(f);
    ensure!(frame::stats().free == before, "frame not back");
    let zero = frame::Frame::zero_page();
    let users = zero.page().refcount();
    drop(frame::Frame::zero_page());
    ensure!(
        zero.page().refcount() == users,
        "zero page references miscounted"
    );
    drop(zero);
    ensure!(frame::stats().free == before, "the zero page was freed");
    Ok(())
}

/// Maps pages in a fresh address space, translates them, unmaps them, and checks that every page
/// table created on the way is freed again.
pub fn map_translate_unmap() -> Result<(), String> {
    let before = frame::stats().free;
    let mut space = AddressSpace::new().map_err(|e| alloc::format!("{e:?}"))?;
    let user = PteFlags::USER_ACCESSIBLE;
    let cases = [
        (0x40_0000u64, user),
        (0x40_1000, user | PteFlags::WRITABLE | PteFlags::NO_EXECUTE),
        (
            0x7fff_ffff_e000,
            user | PteFlags::WRITABLE | PteFlags::NO_EXECUTE,
        ),
    ];
    let mut frames = Vec::new();
    for (va, flags) in cases {
        let f = frame::Frame::alloc_user_zeroed().ok_or("out of frames")?;
        frames.push(f.phys());
        space
            .map(VirtAddr::new(va), f, flags)
            .map_err(|e| alloc::format!("map {va:#x}: {e:?}"))?;
    }
    ensure!(
        space.table_frames() == 6,
        "expected 6 user tables (2 paths of PDPT+PD+PT), got {}",
        space.table_frames()
    );
    ensure!(
        space.map(VirtAddr::new(0x40_0000), frame::Frame::get(frames[0]), user)
            == Err(paging::MapError::AlreadyMapped),
        "double map not refused"
    );
    for ((va, flags), f) in cases.iter().zip(&frames) {
        let (pa, got) = space
            .translate(VirtAddr::new(va + 0x123))
            .ok_or("not translated")?;
        ensure!(
            pa == f.start_address() + 0x123u64,
            "{va:#x} -> {pa:?}, want {:?}",
            f.start_address()
        );
        ensure!(
            got == *flags | PteFlags::PRESENT,
            "flags {got:?} != {flags:?}"
        );
    }
    ensure!(
        space.translate(VirtAddr::new(0x40_2000)).is_none(),
        "unmapped page translates"
    );
    // The kernel half is there too.
    let here = map_translate_unmap as *const () as u64;
    ensure!(
        space.translate(VirtAddr::new(here)).is_some(),
        "kernel text missing from a new space"
    );

    let mut released = Vec::new();
    space.unmap_range(0, paging::LOWER_HALF_END, &mut |va, f, _| {
        released.push((va, f.phys()))
    });
    ensure!(released.len() == 3, "unmapped {} pages", released.len());
    ensure!(
        space.table_frames() == 0,
        "{} tables left after unmapping everything",
        space.table_frames()
    );
    drop(space);
    frames_back(before)?;
    Ok(())
}

/// The bootloader's identity mappings are gone: nothing below the kernel half is mapped.
pub fn lower_half_is_empty() -> Result<(), String> {
    for addr in [
        0u64,
        0x1000,
        0x7c00,
        0x10_0000,
        0x40_0000,
        0x8000_0000,
        0x7fff_ffff_f000,
    ] {
        ensure!(
            paging::translate(VirtAddr::new(addr)).is_none(),
            "{addr:#x} is still mapped"
        );
    }
    Ok(())
}

static RODATA_PROBE: [u8; 16] = [7; 16];
static mut DATA_PROBE: [u8; 16] = [0; 16];

/// Kernel text is R-X, rodata R--, data RW- (NX), and NX/WP/SMEP/SMAP are on.
pub fn kernel_image_protections() -> Result<(), String> {
    let prot = crate::arch::cpu::enable_protections();
    ensure!(
        prot.nx && prot.write_protect,
        "NX {} / WP {}",
        prot.nx,
        prot.write_protect
    );
    ensure!(
        prot.smep && prot.smap,
        "SMEP {} / SMAP {} (QEMU -cpu max has both)",
        prot.smep,
        prot.smap
    );
    let text = kernel_image_protections as *const () as u64;
    let rodata = core::ptr::addr_of!(RODATA_PROBE) as u64;
    let data = core::ptr::addr_of!(DATA_PROBE) as u64;
    let flags = |va: u64| {
        paging::translate(VirtAddr::new(va))
            .map(|(_, f)| f)
            .ok_or("unmapped")
    };
    let (t, r, d) = (flags(text)?, flags(rodata)?, flags(data)?);
    ensure!(
        !t.contains(PteFlags::WRITABLE) && !t.contains(PteFlags::NO_EXECUTE),
        "text flags {t:?}"
    );
    ensure!(
        !r.contains(PteFlags::WRITABLE) && r.contains(PteFlags::NO_EXECUTE),
        "rodata flags {r:?}"
    );
    ensure!(
        d.contains(PteFlags::WRITABLE) && d.contains(PteFlags::NO_EXECUTE),
        "data flags {d:?}"
    );
    for f in [t, r, d] {
        ensure!(
            !f.contains(PteFlags::USER_ACCESSIBLE),
            "kernel page is user-accessible: {f:?}"
        );
    }
    Ok(())
}

/// A large allocation makes the heap grow; the memory is usable.
pub fn heap_grows() -> Result<(), String> {
    let (_, size_before) = heap::usage();
    let mut v: Vec<u64> = Vec::new();
    v.try_reserve_exact(256 * 1024)
        .map_err(|e| alloc::format!("{e}"))?; // 2 MiB
    v.extend(0..256 * 1024);
    ensure!(v.iter().copied().eq(0..256 * 1024), "heap memory corrupted");
    let (_, size_after) = heap::usage();
    ensure!(
        size_after > size_before,
        "heap did not grow ({size_before} -> {size_after})"
    );
    // The heap keeps what it grew (like a brk that never shrinks); the leak check allows for it.
    drop(v);
    Ok(())
}

/// A kernel stack is mapped, its guard is not, and dropping it frees its frames.
pub fn kstack_guard() -> Result<(), String> {
    let before = frame::stats().free;
    let stack = KernelStack::new().ok_or("no kernel stack")?;
    let (top, bottom) = (stack.top().as_u64(), stack.bottom().as_u64());
    ensure!(
        paging::translate(VirtAddr::new(top - 8)).is_some(),
        "top not mapped"
    );
    ensure!(
        paging::translate(VirtAddr::new(bottom)).is_some(),
        "bottom not mapped"
    );
    ensure!(
        paging::translate(VirtAddr::new(bottom - 8)).is_none(),
        "guard is mapped"
    );
    ensure!(
        kstack::guard_hit(bottom - 8) == Some((bottom, top)),
        "guard not recognised"
    );
    ensure!(kstack::guard_hit(bottom).is_none(), "stack taken for guard");
    drop(stack);
    ensure!(frame::stats().free == before, "stack frames not freed");
    ensure!(
        paging::translate(VirtAddr::new(top - 8)).is_none(),
        "stack still mapped after drop"
    );
    Ok(())
}

/// Demand paging and copy-on-write on an address space built in the kernel: a read maps the zero
/// page, a write a private frame; after dup_mm both share it read-only; a write in the child copies,
/// and once the child is gone the parent's write reuses its frame in place.
/// mremap moves page-table entries, not pages: after a move the same frames are mapped at the new
/// address with unchanged reference counts (a forked child still shares them copy-on-write), the
/// old address maps nothing, and every frame and table comes back in the end. Linux cannot be
/// asked which frame backs a page, so this is checked here.
pub fn mremap_moves_entries() -> Result<(), String> {
    use super::{
        fault::{Access, FaultOutcome},
        mm_struct::Mm,
    };
    use abi::mman::{MREMAP_FIXED, MREMAP_MAYMOVE};
    let before = frame::stats().free;
    let mm = Mm::new().map_err(|e| alloc::format!("{e:?}"))?;
    let (old, new) = (0x1000_0000u64, 0x5000_0000u64);
    let mut frames = [None; 3];
    {
        let mut m = mm.lock();
        insert_anon_rw(&mut m, old, 4)?;
        for (i, slot) in frames.iter_mut().enumerate() {
            let addr = old + i as u64 * PAGE_SIZE;
            m.handle_fault(addr, Access::Write)
                .map_err(|e| alloc::format!("{e:?}"))?;
            *slot = m.pt.lookup(VirtAddr::new(addr)).map(|(f, _)| f);
        }
    }
    let child = mm.lock().dup_mm().map_err(|e| alloc::format!("{e:?}"))?;
    let rss = mm.lock().counters.anon;
    {
        let mut m = mm.lock();
        let tables = m.pt.table_frames();
        let r = m
            .do_mremap(
                old,
                4 * PAGE_SIZE,
                6 * PAGE_SIZE,
                MREMAP_MAYMOVE | MREMAP_FIXED,
                new,
            )
            .map_err(|e| alloc::format!("mremap: {e:?}"))?;
        ensure!(
            r.addr == new && r.populate.is_none(),
            "mremap gave {:#x}",
            r.addr
        );
        for (i, frame) in frames.iter().enumerate() {
            let moved = m.pt.lookup(VirtAddr::new(new + i as u64 * PAGE_SIZE));
            ensure!(
                moved.map(|(f, _)| f) == *frame,
                "page {i} is not the same frame after the move"
            );
            let f = frame.ok_or("no frame")?;
            ensure!(
                frame::page(f).refcount() == 2,
                "page {i} refcount {} after the move",
                frame::page(f).refcount()
            );
            ensure!(
                m.pt.lookup(VirtAddr::new(old + i as u64 * PAGE_SIZE))
                    .is_none(),
                "page {i} still mapped at the old address"
            );
        }
        ensure!(m.counters.anon == rss, "rss {} -> {}", rss, m.counters.anon);
        // The old range's tables went with its area; the destination needed its own.
        ensure!(
            m.pt.table_frames() <= tables + 3,
            "page tables {} -> {}",
            tables,
            m.pt.table_frames()
        );
        ensure!(
            m.handle_fault(new, Access::Write) == Ok(FaultOutcome::CowCopy),
            "a write after the move did not copy the shared page"
        );
        ensure!(
            m.handle_fault(new + 5 * PAGE_SIZE, Access::Write) == Ok(FaultOutcome::NewAnonPage),
            "the grown part"
        );
        ensure!(
            m.handle_fault(old, Access::Read).is_err(),
            "the old address still resolves"
        );
        m.vmas.check_invariants().map_err(String::from)?;
    }
    {
        let c = child.lock();
        let (f, _) =
            c.pt.lookup(VirtAddr::new(old))
                .ok_or("the child lost its page")?;
        ensure!(Some(f) == frames[0], "the child's page changed");
    }
    drop(child);
    drop(mm);
    frames_back(before)?;
    Ok(())
}

pub fn fault_and_fork() -> Result<(), String> {
    use super::{
        fault::{Access, FaultOutcome},
        mm_struct::Mm,
    };
    let before = frame::stats().free;
    let mm = Mm::new().map_err(|e| alloc::format!("{e:?}"))?;
    let addr = 0x1000_0000u64;
    {
        let mut m = mm.lock();
        insert_anon_rw(&mut m, addr, 4)?;
        ensure!(
            m.handle_fault(addr, Access::Read) == Ok(FaultOutcome::ZeroPage),
            "read did not map the zero page"
        );
        ensure!(
            m.counters.anon == 0,
            "the zero page was counted as resident"
        );
        ensure!(
            m.handle_fault(addr, Access::Write) == Ok(FaultOutcome::NewAnonPage),
            "write after read"
        );
        ensure!(
            m.handle_fault(addr + PAGE_SIZE, Access::Write) == Ok(FaultOutcome::NewAnonPage),
            "write"
        );
        ensure!(
            m.handle_fault(addr + 8 * PAGE_SIZE, Access::Read).is_err(),
            "fault outside every VMA resolved"
        );
        ensure!(m.counters.anon == 2, "rss_anon {}", m.counters.anon);
    }
    let (frame_a, _) = mm
        .lock()
        .pt
        .lookup(VirtAddr::new(addr))
        .ok_or("page not mapped")?;
    let child = mm.lock().dup_mm().map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        frame::page(frame_a).refcount() == 2,
        "shared page refcount {}",
        frame::page(frame_a).refcount()
    );
    {
        let mut c = child.lock();
        let (f, pte) =
            c.pt.lookup(VirtAddr::new(addr))
                .ok_or("child lacks the page")?;
        ensure!(
            f == frame_a && !pte.contains(PteFlags::WRITABLE),
            "child's PTE not shared read-only"
        );
        ensure!(
            c.handle_fault(addr, Access::Write) == Ok(FaultOutcome::CowCopy),
            "child write did not copy"
        );
        ensure!(
            c.counters.cow_copies == 1,
            "child cow_copies {}",
            c.counters.cow_copies
        );
    }
    ensure!(
        frame::page(frame_a).refcount() == 1,
        "refcount after the child's copy"
    );
    drop(child);
    {
        let mut m = mm.lock();
        ensure!(
            m.handle_fault(addr, Access::Write) == Ok(FaultOutcome::CowReuse),
            "parent write did not reuse"
        );
        ensure!(
            m.handle_fault(addr + PAGE_SIZE, Access::Write) == Ok(FaultOutcome::CowReuse),
            "second page"
        );
        ensure!(
            m.counters.cow_reuses == 2 && m.counters.cow_copies == 0,
            "parent counters {:?}",
            m.counters
        );
        m.vmas.check_invariants().map_err(String::from)?;
    }
    drop(mm);
    frames_back(before)?;
    Ok(())
}

/// fork's page-table copy running out of memory half-way (regression: the reference taken for a
/// child's entry was lost when the child's page table for it could not be allocated, so memory
/// leaked whenever fork failed with ENOMEM). Two pages in different 2 MiB ranges; user memory is
/// used up but for the three tables the child's first page needs, so the second page's table
/// cannot be had: the copy fails, and once the child is dropped every frame has one user again.
pub fn fork_copy_out_of_memory() -> Result<(), String> {
    let before = frame::stats().free;
    let mut parent = AddressSpace::new().map_err(|e| alloc::format!("{e:?}"))?;
    let user = PteFlags::USER_ACCESSIBLE | PteFlags::WRITABLE;
    let pages = [0x40_0000u64, 0x60_0000];
    let mut frames = Vec::new();
    for va in pages {
        let f = frame::Frame::alloc_user_zeroed().ok_or("out of frames")?;
        frames.push(f.phys());
        parent
            .map(VirtAddr::new(va), f, user)
            .map_err(|e| alloc::format!("map {va:#x}: {e:?}"))?;
    }
    let mut child = AddressSpace::new().map_err(|e| alloc::format!("{e:?}"))?;
    // Use up user memory, then give back room for exactly a PDPT, a PD and one PT.
    let mut hog = Vec::new();
    hog.try_reserve(frame::stats().free)
        .map_err(|_| "no heap for the hog list")?;
    while let Some(f) = frame::Frame::alloc_user() {
        hog.push(f);
    }
    hog.truncate(hog.len().saturating_sub(3));
    let copied = parent.copy_range_to(&mut child, 0, 0x80_0000, |entry| {
        let frame = entry.frame().ok()?;
        let _ = frame::Frame::get(frame).into_raw();
        Some(entry.flags())
    });
    drop(hog);
    ensure!(
        copied == Err(paging::MapError::NoMemory),
        "copy with no memory for the second table: {copied:?}"
    );
    ensure!(
        child.lookup(VirtAddr::new(pages[0])).is_some(),
        "the first page was not copied"
    );
    child.unmap_range(0, paging::LOWER_HALF_END, &mut |_, f, _| drop(f));
    drop(child);
    for f in &frames {
        let count = frame::page(*f).refcount();
        ensure!(count == 1, "frame {f:?} has {count} users, not 1");
    }
    parent.unmap_range(0, paging::LOWER_HALF_END, &mut |_, f, _| drop(f));
    drop(parent);
    frames_back(before)
}

/// The hugetlb pool: grown and shrunk by exactly 512 frames a page; a private MAP_HUGETLB area
/// reserves at creation, a fault takes the reserved page whole, a forked child's write copies it
/// into another, and every page, promise and frame comes back when the mms and the pool go.
pub fn hugetlb_pool() -> Result<(), String> {
    use super::{
        fault::{Access, FaultOutcome},
        hugetlb::{self, HPAGE_SIZE, HugetlbFile},
        mm_struct::Mm,
    };
    // Once for the heap's sake (the pool's list), then measured.
    hugetlb::set_nr_hugepages(4);
    hugetlb::set_nr_hugepages(0);
    let before = frame::stats().free;
    hugetlb::set_nr_hugepages(4);
    let pool = hugetlb::stats();
    ensure!(
        pool.persistent() == 4 && pool.free == 4,
        "pool of 4: {pool:?}"
    );
    ensure!(
        frame::stats().free == before - 4 * frame::HPAGE_PMD_NR,
        "the pool did not take 4 x 512 frames"
    );
    let mm = Mm::new().map_err(|e| alloc::format!("{e:?}"))?;
    let addr = 0x4000_0000u64;
    {
        let mut m = mm.lock();
        let file = HugetlbFile::new("/anon_hugepage (deleted)", 2 * HPAGE_SIZE).ok_or("file")?;
        let owner = m.pt.pml4().start_address().as_u64();
        let object = hugetlb::mapping_object(file, None, owner, 0, 2, false)
            .map_err(|e| alloc::format!("{e:?}"))?;
        let flags = VmFlags::READ
            | VmFlags::WRITE
            | VmFlags::MAYREAD
            | VmFlags::MAYWRITE
            | VmFlags::HUGETLB
            | VmFlags::DONTEXPAND;
        m.vmas
            .insert(VmaInfo {
                start: addr,
                end: addr + 2 * HPAGE_SIZE,
                flags,
                file: Some(object),
                pgoff: 0,
            })
            .map_err(|e| alloc::format!("{e:?}"))?;
        ensure!(
            hugetlb::stats().resv == 2,
            "reservation {:?}",
            hugetlb::stats()
        );
        ensure!(
            m.handle_fault(addr + 5 * PAGE_SIZE, Access::Write) == Ok(FaultOutcome::NewHugePage),
            "write fault did not map a huge page"
        );
        ensure!(m.counters.anon == 0, "a hugetlb page counted in RssAnon");
    }
    let pool = hugetlb::stats();
    ensure!(
        pool.free == 3 && pool.resv == 1,
        "after the fault: {pool:?}"
    );
    let child = mm.lock().dup_mm().map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        child.lock().handle_fault(addr, Access::Write) == Ok(FaultOutcome::CowCopy),
        "the child's write did not copy the huge page"
    );
    ensure!(
        hugetlb::stats().free == 2,
        "after the copy: {:?}",
        hugetlb::stats()
    );
    drop(child);
    ensure!(hugetlb::stats().free == 3, "the child's copy stayed");
    drop(mm);
    let pool = hugetlb::stats();
    ensure!(pool.free == 4 && pool.resv == 0, "after the mm: {pool:?}");
    hugetlb::set_nr_hugepages(0);
    ensure!(hugetlb::stats().total == 0, "pool not emptied");
    frames_back(before)
}
