//! Entering and leaving user mode: the `syscall` entry stub, the common return path, and the MSRs
//! that wire them up (EFER.SCE, STAR, LSTAR, FMASK).
//!
//! On entry the stub switches to the task's kernel stack and saves every user register in a
//! [`PtRegs`] (Linux's `struct pt_regs`, same order), calls the dispatcher, and returns with
//! `sysretq` when the saved frame allows it, or else through [`return_to_user_from_frame`], which
//! restores the registers and `iretq`s. The same return path starts
//! a new program (exec) and a forked child, from a `PtRegs` built on their kernel stack.

use core::arch::naked_asm;
use x86_64::{
    VirtAddr,
    registers::{
        model_specific::{Efer, EferFlags, LStar, SFMask, Star},
        rflags::RFlags,
    },
};

use super::gdt::{KERNEL_CS, KERNEL_DS, USER_CS, USER_DS};

/// The user registers saved on the kernel stack, in Linux's `struct pt_regs` order.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PtRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    /// The system call number as it arrived (rax is overwritten by the return value).
    pub orig_rax: u64,
    // The hardware interrupt frame, as `iretq` pops it.
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

// The entry stub addresses these fields by offset.
const _: () = {
    assert!(core::mem::offset_of!(PtRegs, r11) == 48);
    assert!(core::mem::offset_of!(PtRegs, rcx) == 88);
    assert!(core::mem::offset_of!(PtRegs, rip) == 128);
    assert!(core::mem::offset_of!(PtRegs, rflags) == 144);
    assert!(size_of::<PtRegs>() == 21 * 8);
};

impl PtRegs {
    /// Registers for entering a fresh program at `entry` with stack pointer `sp` (exec), everything
    /// else zero and interrupts on.
    pub fn new_user(entry: u64, sp: u64) -> Self {
        PtRegs {
            rip: entry,
            cs: USER_CS.0 as u64,
            rflags: (RFlags::INTERRUPT_FLAG | RFlags::from_bits_retain(0x2)).bits(),
            rsp: sp,
            ss: USER_DS.0 as u64,
            ..Default::default()
        }
    }
}

/// Restores the general-purpose registers from a [`PtRegs`] at RSP, up to (not including)
/// `orig_rax`: the tail shared by the sysret and iret return paths.
macro_rules! pop_user_regs {
    () => {
        concat!(
            "pop r15\n",
            "pop r14\n",
            "pop r13\n",
            "pop r12\n",
            "pop rbp\n",
            "pop rbx\n",
            "pop r11\n",
            "pop r10\n",
            "pop r9\n",
            "pop r8\n",
            "pop rax\n",
            "pop rcx\n",
            "pop rdx\n",
            "pop rsi\n",
            "pop rdi",
        )
    };
}

/// Programs the syscall MSRs.
pub fn init() {
    // SAFETY: the selectors match the GDT layout that `sysret`/`syscall` require (checked in
    // gdt::init), and LSTAR points at the entry stub below.
    unsafe {
        Efer::update(|e| *e |= EferFlags::SYSTEM_CALL_EXTENSIONS);
        Star::write(USER_CS, USER_DS, KERNEL_CS, KERNEL_DS)
            .expect("GDT layout fits syscall/sysret");
        LStar::write(VirtAddr::new(syscall_entry as *const () as u64));
        // The flags the kernel must not inherit from user code, cleared on entry as Linux's
        // syscall_init does: interrupts off until the stack is switched, direction flag clear, no
        // single-stepping, AC clear (SMAP stays enforced), and NT clear: with NT set, the `iretq`
        // that returns another task to user mode would fault in ring 0. (Arithmetic flags, IOPL,
        // RF and ID too, so the kernel starts from a known RFLAGS.)
        SFMask::write(
            RFlags::INTERRUPT_FLAG
                | RFlags::DIRECTION_FLAG
                | RFlags::TRAP_FLAG
                | RFlags::ALIGNMENT_CHECK
                | RFlags::NESTED_TASK
                | RFlags::IOPL_HIGH
                | RFlags::IOPL_LOW
                | RFlags::RESUME_FLAG
                | RFlags::ID
                | RFlags::CARRY_FLAG
                | RFlags::PARITY_FLAG
                | RFlags::AUXILIARY_CARRY_FLAG
                | RFlags::ZERO_FLAG
                | RFlags::SIGN_FLAG
                | RFlags::OVERFLOW_FLAG,
        );
    }
}

/// The `syscall` instruction lands here: RCX = user RIP, R11 = user RFLAGS, RSP = user stack.
#[unsafe(naked)]
extern "C" fn syscall_entry() {
    naked_asm!(
        "swapgs",
        "mov gs:[0], rsp",          // park the user stack pointer
        "mov rsp, gs:[8]",          // this task's kernel stack
        "push {user_ds}",           // ss
        "push qword ptr gs:[0]",    // rsp
        "swapgs",
        "push r11",                 // rflags
        "push {user_cs}",           // cs
        "push rcx",                 // rip
        "push rax",                 // orig_rax
        "push rdi",
        "push rsi",
        "push rdx",
        "push rcx",
        "push -38",                 // rax = -ENOSYS until the handler says otherwise
        "push r8",
        "push r9",
        "push r10",
        "push r11",
        "push rbx",
        "push rbp",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "cld",
        "mov rdi, rsp",             // &mut PtRegs
        "sti",
        "call {dispatch}",
        // Fast return with sysretq, which takes RIP from RCX and RFLAGS from R11: only when the
        // frame still says so (exec and signal-like changes rewrite rip), and only to a canonical
        // user address (sysret with a non-canonical RCX faults in kernel mode on Intel CPUs).
        "cli",
        "mov rcx, [rsp + 128]",     // rip
        "cmp rcx, [rsp + 88]",      // == saved rcx?
        "jne 2f",
        "mov r11, [rsp + 144]",     // rflags
        "cmp r11, [rsp + 48]",      // == saved r11?
        "jne 2f",
        "mov rax, {task_size}",
        "cmp rcx, rax",
        "jae 2f",
        pop_user_regs!(),
        "add rsp, 8",               // orig_rax; rsp now points at rip
        "mov rsp, [rsp + 24]",      // the user stack pointer
        "sysretq",
        "2:",
        "jmp {ret}",
        user_ds = const USER_DS.0 as u64,
        user_cs = const USER_CS.0 as u64,
        task_size = const crate::mm::layout::TASK_SIZE,
        dispatch = sym crate::syscall::dispatch_entry,
        ret = sym return_to_user_from_frame,
    )
}

/// Restores the `PtRegs` at RSP and returns to user mode with `iretq`.
#[unsafe(naked)]
pub extern "C" fn return_to_user_from_frame() -> ! {
    naked_asm!(
        "cli",
        pop_user_regs!(),
        "add rsp, 8", // orig_rax
        "iretq",
    )
}
