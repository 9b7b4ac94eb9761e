//! Kernel stacks. Each lives in its own 64 KiB slot of the kernel-stack area: the top
//! [`KSTACK_SIZE`] bytes are mapped, everything below is left unmapped as a guard. A stack overflow
//! therefore faults on the guard instead of silently overwriting whatever lies below; the fault
//! escalates to a double fault (the CPU cannot push the page-fault frame on the overflowed stack),
//! which runs on its own IST stack and names the overflow, using [`guard_hit`].

use alloc::vec::Vec;
use x86_64::VirtAddr;

use super::{
    frame::{self, PageFlags},
    layout::{KSTACK_AREA_END, KSTACK_AREA_START, PAGE_SIZE},
    paging::{self, PteFlags},
};
use crate::sync::IrqMutex;

/// Bytes of each stack.
pub const KSTACK_SIZE: u64 = 32 * 1024;
const SLOT_SIZE: u64 = 64 * 1024;

struct Slots {
    next: u64,
    free: Vec<u64>,
}

static SLOTS: IrqMutex<Slots> = IrqMutex::new(Slots {
    next: 0,
    free: Vec::new(),
});

/// A kernel stack; unmapped and its frames freed on drop.
pub struct KernelStack {
    slot: u64,
}

impl KernelStack {
    /// Allocates and maps a stack, or None if memory ran out.
    pub fn new() -> Option<Self> {
        let slot = {
            let mut slots = SLOTS.lock();
            match slots.free.pop() {
                Some(slot) => slot,
                None if KSTACK_AREA_START + (slots.next + 1) * SLOT_SIZE <= KSTACK_AREA_END => {
                    slots.next += 1;
                    slots.next - 1
                }
                None => return None,
            }
        };
        let stack = KernelStack { slot };
        let top = stack.top().as_u64();
        let flags = PteFlags::WRITABLE | PteFlags::NO_EXECUTE;
        let mut page = stack.bottom().as_u64();
        while page < stack.top().as_u64() {
            // On failure, drop(stack) unmaps what was mapped so far.
            let frame = frame::alloc_frame()?;
            frame::page(frame).set_flags(PageFlags::KSTACK);
            if paging::map_kernel(VirtAddr::new(page), frame, flags).is_err() {
                frame::free_block(frame, 0);
                return None;
            }
            page += PAGE_SIZE;
        }
        // The top word holds the owning task's pointer (see task.rs); none yet.
        // SAFETY: the page below `top` was just mapped writable for this stack.
        unsafe { ((top - 8) as *mut u64).write(0) };
        Some(stack)
    }

    /// One past the highest byte: the initial stack pointer.
    pub fn top(&self) -> VirtAddr {
        VirtAddr::new(KSTACK_AREA_START + (self.slot + 1) * SLOT_SIZE)
    }

    /// The lowest mapped byte.
    pub fn bottom(&self) -> VirtAddr {
        self.top() - KSTACK_SIZE
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        let mut page = self.bottom().as_u64();
        while page < self.top().as_u64() {
            if let Some(frame) = paging::unmap_kernel(VirtAddr::new(page)) {
                frame::free_block(frame, 0);
            }
            page += PAGE_SIZE;
        }
        SLOTS.lock().free.push(self.slot);
    }
}

/// If `addr` lies in the guard below some kernel stack, that stack's [bottom, top).
pub fn guard_hit(addr: u64) -> Option<(u64, u64)> {
    if !(KSTACK_AREA_START..KSTACK_AREA_END).contains(&addr) {
        return None;
    }
    let slot_base = KSTACK_AREA_START + (addr - KSTACK_AREA_START) / SLOT_SIZE * SLOT_SIZE;
    let top = slot_base + SLOT_SIZE;
    let bottom = top - KSTACK_SIZE;
    (addr < bottom).then_some((bottom, top))
}

/// The top of the kernel stack the running code is on (`rsp`, its stack pointer), if it is on one.
/// A running stack pointer cannot be in a guard page (see [`guard_hit`]), so only the area is
/// checked.
#[inline(always)]
pub fn running_stack_top(rsp: u64) -> Option<u64> {
    if !(KSTACK_AREA_START..KSTACK_AREA_END).contains(&rsp) {
        return None;
    }
    Some(KSTACK_AREA_START + ((rsp - KSTACK_AREA_START) / SLOT_SIZE + 1) * SLOT_SIZE)
}
