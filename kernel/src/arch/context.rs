//! Switching stacks: the assembly that moves the CPU from one stack to another.

use core::arch::asm;

/// Continues execution in `entry` on the stack whose top is `stack_top`, abandoning the current one.
///
/// # Safety
/// `stack_top` must be the 16-byte-aligned top of a mapped, writable stack that nothing else uses and
/// that outlives `entry`, which never returns.
pub unsafe fn switch_to_stack(stack_top: u64, entry: extern "C" fn() -> !) -> ! {
    // SAFETY: per the contract; `call` pushes the return address so `entry` sees a normally aligned
    // frame (rsp % 16 == 8 at function entry), and rbp = 0 ends backtraces here.
    unsafe {
        asm!(
            "mov rsp, {stack}",
            "xor ebp, ebp",
            "call {entry}",
            "ud2",
            stack = in(reg) stack_top,
            entry = in(reg) entry,
            options(noreturn),
        )
    }
}
