//! Per-CPU data reached through the GS segment base.
//!
//! Only the `syscall` entry stub uses it: it needs somewhere to park the user stack pointer and to
//! find the kernel stack before it has a stack at all, and `swapgs` gives it that. Everywhere else the
//! kernel finds the current task from the top of the kernel stack it is running on (see
//! [`crate::task`]), so interrupt handlers never depend on which GS base is loaded.

use core::cell::UnsafeCell;
use x86_64::{VirtAddr, registers::model_specific::KernelGsBase};

/// The layout the entry stub relies on (offsets are used in assembly).
#[repr(C)]
pub struct PerCpu {
    /// gs:[0] — the user RSP saved at syscall entry.
    pub user_rsp_scratch: u64,
    /// gs:[8] — the kernel stack top of the task running on this CPU.
    pub kernel_rsp: u64,
}

struct PerCpuCell(UnsafeCell<PerCpu>);
// SAFETY: each CPU touches only its own instance (one CPU today), with interrupts off.
unsafe impl Sync for PerCpuCell {}

/// The boot CPU's area. With several CPUs, one per CPU.
static BOOT_CPU: PerCpuCell = PerCpuCell(UnsafeCell::new(PerCpu {
    user_rsp_scratch: 0,
    kernel_rsp: 0,
}));

/// Points IA32_KERNEL_GS_BASE at this CPU's area: while user code runs, `swapgs` at syscall entry
/// brings it in; while the kernel runs (between the entry stub's two `swapgs`), it is parked again.
pub fn init() {
    KernelGsBase::write(VirtAddr::from_ptr(BOOT_CPU.0.get()));
}

/// Sets the kernel stack the next syscall on this CPU enters on (with the TSS's rsp0, at every switch).
pub fn set_kernel_stack(top: u64) {
    // SAFETY: one aligned 8-byte store to this CPU's own area; the entry stub reads it only when
    // a syscall arrives, which cannot happen while the kernel runs this code on this CPU.
    unsafe { (*BOOT_CPU.0.get()).kernel_rsp = top };
}
