//! Entering and leaving user mode: the `syscall` entry stub, the exception and interrupt stubs, the
//! common return path, and the MSRs that wire up `syscall` (EFER.SCE, STAR, LSTAR, FMASK).
//!
//! Every way into the kernel from user mode saves the user registers as a [`PtRegs`] (Linux's
//! `struct pt_regs`, same order) on the thread's kernel stack and makes one call into generic code,
//! which returns when the thread is ready to go back: [`crate::entry::syscall`],
//! [`crate::entry::trap`] (exceptions and the timer, from user or kernel mode) and
//! [`crate::entry::ret_from_fork`] (a new thread's first run). That generic code runs the handler
//! and then `exit_to_user_mode` (pending exit, signals, rescheduling); this file never calls up
//! into processes or the scheduler. The return restores the registers with `sysretq` when the saved
//! frame allows it (system calls only), or else with `iretq` ([`restore_regs_and_iret`]).
//!
//! The double fault, NMI and machine check keep their own stacks (IST) and handlers in
//! `arch::idt`: they never return to a thread that could be rescheduled.

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
    /// Whether these registers were saved from user mode (ring 3).
    pub fn user_mode(&self) -> bool {
        self.cs & 3 == 3
    }

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
        "push {enosys}",            // rax = -ENOSYS until the handler says otherwise
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
        "mov rdi, rsp",             // &mut PtRegs (DF is clear: SFMASK cleared it)
        "sti",
        "call {syscall}",
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
        enosys = const -(abi::Errno::ENOSYS as i64),
        syscall = sym crate::entry::syscall,
        ret = sym restore_regs_and_iret,
    )
}

/// Restores the `PtRegs` at RSP and returns with `iretq`: to user mode, or to the kernel code an
/// exception or interrupt interrupted.
#[unsafe(naked)]
pub extern "C" fn restore_regs_and_iret() -> ! {
    naked_asm!(
        "cli",
        pop_user_regs!(),
        "add rsp, 8", // orig_rax (the error code, for exceptions)
        "iretq",
    )
}

/// Where a new thread starts (its first switch returns here, see `sched::prepare_user_entry`):
/// RSP points at the `PtRegs` it is to enter user mode with.
#[unsafe(naked)]
pub extern "C" fn ret_from_fork() -> ! {
    naked_asm!(
        "mov rdi, rsp",
        "call {ret_from_fork}",
        "jmp {ret}",
        ret_from_fork = sym crate::entry::ret_from_fork,
        ret = sym restore_regs_and_iret,
    )
}

/// Saves the general-purpose registers below a hardware interrupt frame and its error-code slot,
/// completing a `PtRegs` at RSP (rax keeps its value here, unlike the syscall entry).
macro_rules! push_regs {
    () => {
        concat!(
            "push rdi\n",
            "push rsi\n",
            "push rdx\n",
            "push rcx\n",
            "push rax\n",
            "push r8\n",
            "push r9\n",
            "push r10\n",
            "push r11\n",
            "push rbx\n",
            "push rbp\n",
            "push r12\n",
            "push r13\n",
            "push r14\n",
            "push r15",
        )
    };
}

/// Defines the entry stub of one exception or interrupt vector (Linux's idtentry). The CPU pushed
/// SS, RSP, RFLAGS, CS, RIP and, for some exceptions, an error code; vectors without one push a
/// zero in its place, so that every stub leaves the same `PtRegs` (error code in `orig_rax`).
macro_rules! trap_stub {
    ($name:ident, $vector:expr, error_code) => {
        trap_stub!(@emit $name, $vector, "");
    };
    ($name:ident, $vector:expr) => {
        trap_stub!(@emit $name, $vector, "push 0");
    };
    (@emit $name:ident, $vector:expr, $error_code:literal) => {
        #[unsafe(naked)]
        pub extern "C" fn $name() {
            naked_asm!(
                $error_code,
                push_regs!(),
                "mov esi, {vector}",
                "jmp {common}",
                vector = const $vector,
                common = sym trap_common,
            )
        }
    };
}

/// The part every trap stub shares: call [`crate::entry::trap`] with the `PtRegs` and the vector
/// (in RSI), then return through [`restore_regs_and_iret`]. The CPU aligned the stack to 16 bytes
/// before its frame; 21 words of PtRegs leave it 8 off, hence the extra 8 around the call.
#[unsafe(naked)]
extern "C" fn trap_common() {
    naked_asm!(
        "cld",
        "mov rdi, rsp",
        "sub rsp, 8",
        "call {trap}",
        "add rsp, 8",
        "jmp {ret}",
        trap = sym crate::entry::trap,
        ret = sym restore_regs_and_iret,
    )
}

/// The stubs, one per vector that can come from a running thread. Vector numbers are the CPU's.
pub mod stubs {
    use super::*;

    trap_stub!(divide_error, 0);
    trap_stub!(debug, 1);
    trap_stub!(breakpoint, 3);
    trap_stub!(overflow, 4);
    trap_stub!(bound_range, 5);
    trap_stub!(invalid_opcode, 6);
    trap_stub!(device_not_available, 7);
    trap_stub!(invalid_tss, 10, error_code);
    trap_stub!(segment_not_present, 11, error_code);
    trap_stub!(stack_segment_fault, 12, error_code);
    trap_stub!(general_protection, 13, error_code);
    trap_stub!(page_fault, 14, error_code);
    trap_stub!(x87_floating_point, 16);
    trap_stub!(alignment_check, 17, error_code);
    trap_stub!(simd_floating_point, 19);
    trap_stub!(virtualization, 20);
    trap_stub!(control_protection, 21, error_code);
    trap_stub!(vmm_communication, 29, error_code);
    trap_stub!(security_exception, 30, error_code);
    trap_stub!(
        timer,
        crate::arch::pic::IRQ_BASE as u64 + crate::arch::pic::TIMER_IRQ as u64
    );
    trap_stub!(
        com1,
        crate::arch::pic::IRQ_BASE as u64 + crate::arch::serial::COM1_IRQ as u64
    );
}
