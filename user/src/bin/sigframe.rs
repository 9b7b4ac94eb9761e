//! The signal frame as raw bytes, compared with Linux: what a handler finds at RSP (the return
//! address sa_restorer, then the ucontext, then the siginfo), RSP's alignment, the fpstate
//! pointer's, the saved mask, registers and fault details (trapno, err, cr2), and that edits of
//! the saved registers (RIP, RAX, R12) are what rt_sigreturn resumes with. No C library: the
//! handler entry, the restorer and the system calls are this program's own.
//!
//! Segment selectors differ between kernels (Linux's user CS is 0x33) and are not printed.

#![no_std]
#![no_main]

use core::{
    arch::{asm, naked_asm},
    sync::atomic::{AtomicU64, Ordering},
};

use abi::{
    signal::{SA_RESTORER, SA_SIGINFO, SIGSEGV, SIGUSR1, SIGUSR2, siginfo},
    ucontext::ucontext,
};
use user::{Args, println, sys::*};

user::entry!(main);

/// RSP when the kernel entered the handler.
static ENTRY_RSP: AtomicU64 = AtomicU64::new(0);
/// Where the faulting store of the page-fault case resumes.
static RESUME: AtomicU64 = AtomicU64::new(0);

/// The kernel's `struct sigaction`.
#[repr(C)]
struct KSigaction {
    handler: u64,
    flags: u64,
    restorer: u64,
    mask: u64,
}

#[unsafe(naked)]
extern "C" fn restore_rt() {
    naked_asm!("mov eax, 15", "syscall", "ud2")
}

/// The handler's entry: records RSP exactly as the kernel left it, then continues in
/// [`on_signal`] with the stack untouched (so it returns to the restorer).
#[unsafe(naked)]
extern "C" fn entry() {
    naked_asm!(
        "mov qword ptr [rip + {rsp}], rsp",
        "jmp {handler}",
        rsp = sym ENTRY_RSP,
        handler = sym on_signal,
    )
}

extern "C" fn on_signal(sig: i32, info: *const siginfo, uc: *mut ucontext) {
    let rsp = ENTRY_RSP.load(Ordering::Relaxed);
    // SAFETY: the kernel passes pointers into the frame it just wrote on our stack.
    let (info_v, uc_v) = unsafe { (*info, *uc) };
    let sc = &uc_v.uc_mcontext;
    println!("handler for signal {sig}:");
    // SAFETY: RSP points at the frame's first word.
    let pretcode = unsafe { *(rsp as *const u64) };
    println!("  rsp % 16 = {}", rsp % 16);
    println!(
        "  [rsp] is sa_restorer: {}",
        pretcode == restore_rt as *const () as u64
    );
    println!("  ucontext at rsp+8: {}", uc as u64 == rsp + 8);
    println!("  siginfo at rsp+312: {}", info as u64 == rsp + 312);
    println!(
        "  uc_flags & (SIGCONTEXT_SS|STRICT_RESTORE_SS) = {}",
        uc_v.uc_flags & 6
    );
    println!("  uc_link = {}", uc_v.uc_link);
    println!(
        "  uc_stack: flags {} size {}",
        uc_v.uc_stack.ss_flags, uc_v.uc_stack.ss_size
    );
    println!(
        "  uc_sigmask has SIGUSR2: {}, oldmask the same: {}",
        uc_v.uc_sigmask & abi::signal::sigmask(SIGUSR2) != 0,
        sc.oldmask == uc_v.uc_sigmask
    );
    println!(
        "  fpstate 64-byte aligned: {}, above the frame: {}, below the red zone: {}",
        sc.fpstate % 64 == 0,
        sc.fpstate >= rsp + 440,
        sc.fpstate + 512 + 128 <= sc.rsp
    );
    // SAFETY: fpstate points at the frame's FXSAVE image.
    let mxcsr = unsafe { *((sc.fpstate + 24) as *const u32) };
    println!("  saved mxcsr = {mxcsr:#x}");
    println!(
        "  si_signo {} si_code {} si_pid is ours: {}",
        info_v.si_signo,
        info_v.si_code,
        // SAFETY: the kill member is the valid one for SI_TKILL; for faults only printed below.
        unsafe { info_v.fields.kill.si_pid } as i64 == getpid()
    );
    // SAFETY: as above.
    let uc = unsafe { &mut *uc };
    if sig == SIGSEGV {
        // SAFETY: the fault member is the valid one for SIGSEGV.
        let addr = unsafe { info_v.fields.sigfault.si_addr };
        println!(
            "  fault: si_addr {addr:#x} trapno {} err {:#x} cr2 {:#x}",
            sc.trapno, sc.err, sc.cr2
        );
        uc.uc_mcontext.rip = RESUME.load(Ordering::Relaxed);
    } else {
        println!("  saved rax (the call's result) = {}", sc.rax as i64);
        uc.uc_mcontext.rax = 77;
        uc.uc_mcontext.r12 = 0x1212;
    }
}

fn sigaction(sig: i32) {
    let act = KSigaction {
        handler: entry as *const () as u64,
        flags: SA_SIGINFO | SA_RESTORER,
        restorer: restore_rt as *const () as u64,
        mask: 0,
    };
    let r = raw(
        nr::RT_SIGACTION,
        [sig as u64, &act as *const _ as u64, 0, 8, 0, 0],
    );
    assert!(r == 0, "rt_sigaction: {r}");
}

fn main(_args: Args) -> i32 {
    sigaction(SIGUSR1);
    sigaction(SIGSEGV);
    let mask = abi::signal::sigmask(SIGUSR2);
    raw(
        nr::RT_SIGPROCMASK,
        [0, &mask as *const u64 as u64, 0, 8, 0, 0],
    );

    // A signal sent to ourselves: delivered on the way out of tkill.
    let pid = getpid() as u64;
    let (ret, r12): (i64, u64);
    // SAFETY: tkill with plain numbers; r12 is an ordinary register the handler edits.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") nr::TKILL as i64 => ret,
            in("rdi") pid, in("rsi") SIGUSR1 as u64,
            inlateout("r12") 0x55u64 => r12,
            lateout("rcx") _, lateout("r11") _,
        );
    }
    println!("after the handler: tkill returned {ret}, r12 = {r12:#x}");

    // A page fault: the handler moves RIP past the faulting store.
    // SAFETY: the store faults (nothing is mapped at 0x10); the handler resumes at label 3.
    unsafe {
        asm!(
            "lea {l}, [rip + 3f]",
            "mov qword ptr [rip + {resume}], {l}",
            "mov byte ptr [{a}], 1",
            "3:",
            l = out(reg) _,
            a = in(reg) 0x10u64,
            resume = sym RESUME,
        );
    }
    println!("resumed after the faulting store");
    0
}
