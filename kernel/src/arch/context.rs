//! Switching stacks: the assembly that moves the CPU from one stack to another.

use core::arch::asm;

/// Continues execution in `entry` on the stack whose top is `stack_top`, abandoning the current one.
///
/// # Safety
/// `stack_top` must be the 16-byte-aligned top of a mapped, writable stack that nothing else uses and
/// that outlives `entry`, which never returns.
pub unsafe fn switch_to_stack(stack_top: u64, entry: extern "C" fn() -> !) -> ! {
    // SAFETY: per the contract. The top word stays zero: it is where a kernel stack keeps its
    // thread pointer, and zero tells `thread::current` that no thread runs here (the return
    // address `call` pushed there once made it take the code after the call for a thread). Two
    // words pushed, then `call`, leave `entry` a normally aligned frame (rsp % 16 == 8 at function
    // entry); rbp = 0 ends backtraces here.
    unsafe {
        asm!(
            "mov rsp, {stack}",
            "push 0",
            "push 0",
            "xor ebp, ebp",
            "call {entry}",
            "ud2",
            stack = in(reg) stack_top,
            entry = in(reg) entry,
            options(noreturn),
        )
    }
}

/// Switches from the current kernel context to another: saves the callee-saved registers on the
/// current stack, stores the stack pointer in `*prev_rsp`, loads `next_rsp` and restores the
/// registers saved there, then returns into the other context (Linux's __switch_to_asm).
///
/// # Safety
/// Interrupts must be off. `next_rsp` must be a stack pointer saved by this function, or a stack
/// prepared by [`initial_switch_frame`]; `prev_rsp` must stay valid until this context resumes.
#[unsafe(naked)]
pub unsafe extern "C" fn switch_to(prev_rsp: *mut u64, next_rsp: u64) {
    core::arch::naked_asm!(
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "mov [rdi], rsp",
        "mov rsp, rsi",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

/// Number of 8-byte words [`switch_to`] pops: six registers and the return address.
pub const SWITCH_FRAME_WORDS: u64 = 7;

/// Writes, just below `below`, a frame that [`switch_to`] can switch into: zeroed callee-saved
/// registers and `entry` as the return address. Returns the stack pointer to switch to.
///
/// # Safety
/// The 56 bytes below `below` must be writable stack memory nobody else uses.
pub unsafe fn initial_switch_frame(below: u64, entry: u64) -> u64 {
    let rsp = below - SWITCH_FRAME_WORDS * 8;
    // SAFETY: per the contract.
    unsafe {
        let words = rsp as *mut u64;
        for i in 0..6 {
            words.add(i).write(0);
        }
        words.add(6).write(entry);
    }
    rsp
}

/// The x87/SSE register state of a task, as FXSAVE stores it.
#[repr(C, align(16))]
#[derive(Clone)]
pub struct FpuState([u8; 512]);

impl FpuState {
    /// The state after FNINIT with SSE defaults: FCW 0x37f, MXCSR 0x1f80 (all exceptions masked).
    pub fn new() -> Self {
        let mut area = [0u8; 512];
        area[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
        area[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        FpuState(area)
    }

    /// The FXSAVE image (a signal frame's fpstate).
    pub fn as_bytes(&self) -> &[u8; 512] {
        &self.0
    }

    /// An image read back from a signal frame. The caller makes sure that MXCSR holds no reserved
    /// bits, which would make FXRSTOR fault.
    pub fn from_bytes(bytes: &[u8; 512]) -> Self {
        FpuState(*bytes)
    }

    /// Saves the CPU's current x87/SSE registers here.
    pub fn save(&mut self) {
        // SAFETY: FXSAVE64 writes 512 bytes to a 16-byte aligned area, which this is.
        unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) self.0.as_mut_ptr(), options(nostack)) };
    }

    /// Loads these registers into the CPU.
    pub fn restore(&self) {
        // SAFETY: FXRSTOR64 reads 512 bytes from a 16-byte aligned area holding a valid image
        // (from FXSAVE, or the defaults of `new`, whose reserved fields are zero).
        unsafe { core::arch::asm!("fxrstor64 [{}]", in(reg) self.0.as_ptr(), options(nostack)) };
    }
}
