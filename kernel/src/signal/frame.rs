//! The signal frame (Linux's arch/x86/kernel/signal.c and signal_64.c): what delivery pushes on
//! the user stack before a handler runs, and what rt_sigreturn reads back.
//!
//! From the top down: the x87/SSE state (an FXSAVE image, 64-byte aligned, its software-reserved
//! bytes zero: a frame without XSAVE state), then `struct rt_sigframe` { return address
//! (sa_restorer), ucontext, siginfo }, placed so that RSP is 16-byte aligned minus 8 at the
//! handler's entry, as after a call. Below the interrupted RSP the 128-byte red zone is skipped,
//! unless the handler runs on the alternate stack. The layout is Linux's byte for byte, so C
//! libraries read the ucontext (sigsetjmp, abort, their own handlers) and a handler that edits the
//! saved registers changes where the program resumes.

use abi::{
    signal::{SA_ONSTACK, SA_RESTORER, sigaction, siginfo},
    ucontext::{UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS, sigcontext, ucontext},
};
use x86_64::registers::rflags::RFlags;

use super::{UNBLOCKABLE, altstack};
use crate::{
    arch::{
        context::FpuState,
        gdt::{USER_CS, USER_DS},
        syscall::PtRegs,
        uaccess,
    },
    thread::Thread,
};

/// `struct rt_sigframe` (64-bit): what RSP points at when the handler starts.
#[repr(C)]
#[derive(Clone, Copy)]
struct RtSigframe {
    /// The handler's return address: the C library's trampoline that calls rt_sigreturn.
    pretcode: u64,
    uc: ucontext,
    info: siginfo,
}

const _: () = {
    assert!(core::mem::offset_of!(RtSigframe, uc) == 8);
    assert!(core::mem::offset_of!(RtSigframe, info) == 312);
    assert!(size_of::<RtSigframe>() == 440);
};

/// Bytes below the interrupted RSP that leaf functions may use without moving RSP (the x86_64
/// ABI's red zone): the frame goes below them.
const REDZONE: u64 = 128;
/// The size of the FXSAVE image in the frame.
const FPSTATE_SIZE: u64 = 512;
/// The flags a handler (and rt_sigreturn) may change (Linux's FIX_EFLAGS): the arithmetic flags,
/// DF, TF, RF and AC; never IF, IOPL or NT.
const FIX_EFLAGS: u64 = RFlags::ALIGNMENT_CHECK.bits()
    | RFlags::OVERFLOW_FLAG.bits()
    | RFlags::DIRECTION_FLAG.bits()
    | RFlags::TRAP_FLAG.bits()
    | RFlags::SIGN_FLAG.bits()
    | RFlags::ZERO_FLAG.bits()
    | RFlags::AUXILIARY_CARRY_FLAG.bits()
    | RFlags::PARITY_FLAG.bits()
    | RFlags::CARRY_FLAG.bits()
    | RFlags::RESUME_FLAG.bits();

/// Whether `addr` is a canonical address: `iretq` to a non-canonical RIP faults in the kernel.
fn canonical(addr: u64) -> bool {
    x86_64::VirtAddr::try_new(addr).is_ok()
}

/// The saved general registers of `regs`, with the fault details the thread recorded.
fn sigcontext_of(me: &Thread, regs: &PtRegs, mask: u64, fpstate: u64) -> sigcontext {
    let fault = *me.fault.lock();
    sigcontext {
        r8: regs.r8,
        r9: regs.r9,
        r10: regs.r10,
        r11: regs.r11,
        r12: regs.r12,
        r13: regs.r13,
        r14: regs.r14,
        r15: regs.r15,
        rdi: regs.rdi,
        rsi: regs.rsi,
        rbp: regs.rbp,
        rbx: regs.rbx,
        rdx: regs.rdx,
        rax: regs.rax,
        rcx: regs.rcx,
        rsp: regs.rsp,
        rip: regs.rip,
        eflags: regs.rflags,
        cs: regs.cs as u16,
        gs: 0,
        fs: 0,
        ss: regs.ss as u16,
        err: fault.error_code,
        trapno: fault.trap_nr,
        oldmask: mask,
        cr2: fault.cr2,
        fpstate,
        reserved1: [0; 8],
    }
}

/// Where the frame goes (Linux's get_sigframe): returns the addresses of the FPU state and of the
/// frame, and the alternate stack as the ucontext records it.
fn get_sigframe(me: &Thread, regs: &PtRegs, act: &sigaction) -> Result<(u64, u64), &'static str> {
    let stack = *me.altstack.lock();
    let nested = stack.contains(regs.rsp);
    let mut sp = regs.rsp.checked_sub(REDZONE).ok_or("bad stack pointer")?;
    let mut entering = false;
    if act.sa_flags & SA_ONSTACK != 0 && stack.state(sp) == 0 {
        sp = stack
            .sp
            .checked_add(stack.size)
            .ok_or("bad alternate stack")?;
        entering = true;
    }
    let fpstate = sp.checked_sub(FPSTATE_SIZE).ok_or("stack overflow")? & !63;
    let frame = (fpstate
        .checked_sub(size_of::<RtSigframe>() as u64)
        .ok_or("stack overflow")?
        & !15)
        .checked_sub(8)
        .ok_or("stack overflow")?;
    if (nested || entering) && !(frame > stack.sp && frame - stack.sp <= stack.size) {
        return Err("alternate stack overflow");
    }
    Ok((fpstate, frame))
}

/// Pushes the frame for handler `act` of `sig` and points `regs` at the handler (Linux's
/// setup_rt_frame and the register part of handle_signal). `mask` is the blocked mask to restore
/// on return. An Err says why the frame could not be written; nothing is changed then.
pub fn setup_rt_frame(
    me: &Thread,
    regs: &mut PtRegs,
    sig: u8,
    info: &siginfo,
    act: &sigaction,
    mask: u64,
) -> Result<(), &'static str> {
    // x86_64 has no signal trampoline of its own: the C library must supply one.
    if act.sa_flags & SA_RESTORER == 0 {
        return Err("no SA_RESTORER");
    }
    if !canonical(act.sa_handler) {
        return Err("bad handler address");
    }
    let (fpstate, frame) = get_sigframe(me, regs, act)?;
    let mut fpu = FpuState::new();
    fpu.save();
    let mut image = *fpu.as_bytes();
    image[464..].fill(0);
    uaccess::copy_to_user(fpstate, &image).map_err(|_| "cannot write the frame")?;

    let uc_stack = me.altstack.lock().to_user();
    let rt = RtSigframe {
        pretcode: act.sa_restorer,
        uc: ucontext {
            uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
            uc_link: 0,
            uc_stack,
            uc_mcontext: sigcontext_of(me, regs, mask, fpstate),
            uc_sigmask: mask,
        },
        info: *info,
    };
    uaccess::write_user(frame, &rt).map_err(|_| "cannot write the frame")?;

    // The handler disarms an SS_AUTODISARM stack until it returns (rt_sigreturn restores it).
    {
        let mut stack = me.altstack.lock();
        if stack.flags & abi::signal::SS_AUTODISARM != 0 {
            *stack = altstack::AltStack::disarmed();
        }
    }
    regs.rdi = sig as u64;
    regs.rsi = frame + core::mem::offset_of!(RtSigframe, info) as u64;
    regs.rdx = frame + core::mem::offset_of!(RtSigframe, uc) as u64;
    regs.rax = 0;
    regs.rip = act.sa_handler;
    regs.rsp = frame;
    regs.cs = USER_CS.0 as u64;
    regs.ss = USER_DS.0 as u64;
    regs.rflags &= !(RFlags::DIRECTION_FLAG | RFlags::RESUME_FLAG | RFlags::TRAP_FLAG).bits();
    // The handler starts with a clean x87/SSE state (Linux's fpu__clear_user_states).
    FpuState::new().restore();
    Ok(())
}

/// The MXCSR bits FXRSTOR accepts (the CPU's MXCSR_MASK; 0xffbf when it reports none): others
/// would fault in the kernel.
fn mxcsr_mask() -> u32 {
    let mut probe = FpuState::new();
    probe.save();
    let bytes = probe.as_bytes();
    match u32::from_le_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]) {
        0 => 0xffbf,
        mask => mask,
    }
}

/// rt_sigreturn (Linux's restore_sigcontext and friends): reloads the registers, the blocked
/// mask, the x87/SSE state and the alternate stack from the frame the handler returned from (its
/// `ret` popped the return address, so the frame is 8 bytes below RSP). Err for a frame that
/// cannot be read or would resume at an impossible address: the caller sends SIGSEGV.
pub fn restore_sigframe(me: &Thread, regs: &mut PtRegs) -> Result<(), ()> {
    let frame = regs.rsp.checked_sub(8).ok_or(())?;
    let uc: ucontext = uaccess::read_user(frame + 8).map_err(|_| ())?;
    let sc = uc.uc_mcontext;
    if !canonical(sc.rip) || !canonical(sc.rsp) {
        return Err(());
    }
    let mut image = [0u8; FPSTATE_SIZE as usize];
    if sc.fpstate != 0 {
        uaccess::copy_from_user(&mut image, sc.fpstate).map_err(|_| ())?;
        let mxcsr = u32::from_le_bytes([image[24], image[25], image[26], image[27]]) & mxcsr_mask();
        image[24..28].copy_from_slice(&mxcsr.to_le_bytes());
    }
    me.sigmask.set(uc.uc_sigmask & !UNBLOCKABLE);
    regs.r8 = sc.r8;
    regs.r9 = sc.r9;
    regs.r10 = sc.r10;
    regs.r11 = sc.r11;
    regs.r12 = sc.r12;
    regs.r13 = sc.r13;
    regs.r14 = sc.r14;
    regs.r15 = sc.r15;
    regs.rdi = sc.rdi;
    regs.rsi = sc.rsi;
    regs.rbp = sc.rbp;
    regs.rbx = sc.rbx;
    regs.rdx = sc.rdx;
    regs.rax = sc.rax;
    regs.rcx = sc.rcx;
    regs.rsp = sc.rsp;
    regs.rip = sc.rip;
    regs.rflags = (regs.rflags & !FIX_EFLAGS) | (sc.eflags & FIX_EFLAGS);
    regs.cs = USER_CS.0 as u64;
    regs.ss = USER_DS.0 as u64;
    // No longer a system call: its "result" (rax) is not to be restarted.
    regs.orig_rax = u64::MAX;
    if sc.fpstate != 0 {
        FpuState::from_bytes(&image).restore();
    } else {
        FpuState::new().restore();
    }
    // As Linux's restore_altstack: a bad saved stack is ignored, not an error.
    let _ = altstack::do_sigaltstack(me, Some(uc.uc_stack), regs.rsp);
    Ok(())
}
