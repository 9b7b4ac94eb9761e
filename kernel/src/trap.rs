//! What happens when the CPU raises an exception: decide whether it is something the kernel resolves
//! (a page fault served by the mm), a signal for the user program that caused it (queued here,
//! delivered on its way back to user mode), or a kernel bug, and in that case report everything
//! useful on the console and stop.

use core::fmt::Write;
use x86_64::{
    registers::control::Cr2,
    structures::idt::{InterruptStackFrame, PageFaultErrorCode},
};

use crate::{
    arch::{gdt, pic, qemu, serial, syscall::PtRegs, uaccess},
    mm::{
        fault::{Access, FaultError},
        kstack,
        layout::TASK_SIZE,
    },
    signal::{self, SIGBUS, SIGKILL, SIGSEGV},
    thread,
};

/// An exception as delivered by the CPU.
#[derive(Clone, Copy, Debug)]
pub struct Exception {
    pub vector: u8,
    pub error_code: Option<u64>,
}

/// The architectural name and mnemonic of an exception vector.
pub fn exception_name(vector: u8) -> (&'static str, &'static str) {
    match vector {
        0 => ("divide error", "#DE"),
        1 => ("debug", "#DB"),
        2 => ("non-maskable interrupt", "NMI"),
        3 => ("breakpoint", "#BP"),
        4 => ("overflow", "#OF"),
        5 => ("bound range exceeded", "#BR"),
        6 => ("invalid opcode", "#UD"),
        7 => ("device not available", "#NM"),
        8 => ("double fault", "#DF"),
        10 => ("invalid TSS", "#TS"),
        11 => ("segment not present", "#NP"),
        12 => ("stack-segment fault", "#SS"),
        13 => ("general protection fault", "#GP"),
        14 => ("page fault", "#PF"),
        16 => ("x87 floating-point error", "#MF"),
        17 => ("alignment check", "#AC"),
        18 => ("machine check", "#MC"),
        19 => ("SIMD floating-point error", "#XM"),
        20 => ("virtualization exception", "#VE"),
        21 => ("control protection exception", "#CP"),
        29 => ("VMM communication exception", "#VC"),
        30 => ("security exception", "#SX"),
        _ => ("reserved exception", "#??"),
    }
}

/// Describes a page-fault error code the way a person reads it:
/// `not-present write user` / `protection-violation instruction-fetch supervisor`.
pub struct PfBits(pub PageFaultErrorCode);

impl core::fmt::Display for PfBits {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        let c = self.0;
        f.write_str(if c.contains(PageFaultErrorCode::PROTECTION_VIOLATION) {
            "protection-violation"
        } else {
            "not-present"
        })?;
        f.write_str(if c.contains(PageFaultErrorCode::INSTRUCTION_FETCH) {
            " instruction-fetch"
        } else if c.contains(PageFaultErrorCode::CAUSED_BY_WRITE) {
            " write"
        } else {
            " read"
        })?;
        f.write_str(if c.contains(PageFaultErrorCode::USER_MODE) {
            " user"
        } else {
            " supervisor"
        })?;
        if c.contains(PageFaultErrorCode::MALFORMED_TABLE) {
            f.write_str(" reserved-bit")?;
        }
        if c.contains(PageFaultErrorCode::PROTECTION_KEY) {
            f.write_str(" protection-key")?;
        }
        if c.contains(PageFaultErrorCode::SHADOW_STACK) {
            f.write_str(" shadow-stack")?;
        }
        Ok(())
    }
}

/// Prints the interrupted context.
fn write_frame(w: &mut impl Write, rip: u64, cs: u64, rflags: u64, rsp: u64, ss: u64) {
    let _ = writeln!(
        w,
        "    RIP {rip:#018x}  CS {cs:#06x}  RFLAGS {rflags:#010x}\n    RSP {rsp:#018x}  SS {ss:#06x}",
    );
}

/// Writer that goes straight to the UART, without locks: used once the kernel has failed.
struct Emergency;

impl Write for Emergency {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        serial::emergency_write_fmt(format_args!("{s}"));
        Ok(())
    }
}

/// A fatal exception in the kernel: report and stop. `frame` is (rip, cs, rflags, rsp, ss).
fn die(exc: Exception, frame: (u64, u64, u64, u64, u64), detail: core::fmt::Arguments) -> ! {
    let (name, mnemonic) = exception_name(exc.vector);
    let mut w = Emergency;
    let _ = writeln!(
        w,
        "\n[kernel] EXCEPTION: {name} ({mnemonic}, vector {}) in kernel mode",
        exc.vector
    );
    if let Some(code) = exc.error_code {
        let _ = writeln!(w, "    error code {code:#x}");
    }
    let _ = w.write_fmt(detail);
    let (rip, cs, rflags, rsp, ss) = frame;
    write_frame(&mut w, rip, cs, rflags, rsp, ss);
    let _ = writeln!(w, "[kernel] panic: fatal exception, stopping");
    qemu::exit(qemu::QemuExit::Panic)
}

fn regs_frame(regs: &PtRegs) -> (u64, u64, u64, u64, u64) {
    (regs.rip, regs.cs, regs.rflags, regs.rsp, regs.ss)
}

fn stack_frame(frame: &InterruptStackFrame) -> (u64, u64, u64, u64, u64) {
    (
        frame.instruction_pointer.as_u64(),
        frame.code_segment.0 as u64,
        frame.cpu_flags.bits(),
        frame.stack_pointer.as_u64(),
        frame.stack_segment.0 as u64,
    )
}

/// The signal and si_code Linux sends for an exception raised by user code (arch/x86/kernel/
/// traps.c): the code says whether si_addr is the instruction's address (a fault) or the signal
/// carries no address (SI_KERNEL: int3, a general-protection fault).
fn signal_for(vector: u8) -> (u8, i32) {
    use abi::signal::*;
    match vector {
        0 => (SIGFPE as u8, FPE_INTDIV),
        16 | 19 => (SIGFPE as u8, FPE_FLTINV),
        1 => (SIGTRAP as u8, TRAP_TRACE),
        3 => (SIGTRAP as u8, SI_KERNEL),
        6 => (SIGILL as u8, ILL_ILLOPN),
        17 => (SIGBUS as u8, BUS_ADRALN),
        _ => (SIGSEGV as u8, SI_KERNEL),
    }
}

/// Sends the current thread the signal for a fault of its own (`code`, `addr` make its siginfo),
/// recording the CPU's details for the signal frame. If no handler will run, the fault ends the
/// process: a one-line report says so (pid, name, address, RIP, why), as Linux's
/// show_unhandled_signals does. It is delivered on the way back to user mode.
fn signal_current(
    sig: u8,
    code: i32,
    addr: Option<u64>,
    regs: &PtRegs,
    vector: u8,
    why: core::fmt::Arguments,
) {
    let Some(me) = thread::current() else {
        return;
    };
    *me.fault.lock() = thread::FaultInfo {
        trap_nr: vector as u64,
        error_code: regs.orig_rax,
        cr2: addr.unwrap_or(0),
    };
    let si_addr = match code {
        abi::signal::SI_KERNEL => 0,
        _ => addr.unwrap_or(regs.rip),
    };
    if !signal::force_sig_fault(&me, sig, code, si_addr) {
        return;
    }
    let name = me.process.name.lock().clone();
    let at = addr
        .map(|a| alloc::format!(" at {a:#x}"))
        .unwrap_or_default();
    crate::println!(
        "[kernel] pid {} ({name}): {} (signal {sig}){at}, rip {:#x}: {why}",
        me.process.pid,
        signal::name(sig),
        regs.rip,
    );
}

/// The timer interrupt: the clock, CPU-time sampling, sleepers' deadlines, the time slice.
fn timer(regs: &PtRegs) {
    crate::time::tick();
    crate::process::rusage::account_tick(regs.user_mode());
    pic::end_of_interrupt(pic::TIMER_IRQ);
    crate::timer::run_expired(crate::time::now_ns());
    crate::sched::tick();
}

/// Every exception and interrupt that comes through an entry stub (see `arch::syscall`).
pub fn handle(regs: &mut PtRegs, vector: u64) {
    match vector {
        14 => page_fault(regs),
        v if v == (pic::IRQ_BASE + pic::TIMER_IRQ) as u64 => timer(regs),
        v if v == (pic::IRQ_BASE + crate::arch::serial::COM1_IRQ) as u64 => {
            crate::tty::receive_interrupt();
            pic::end_of_interrupt(crate::arch::serial::COM1_IRQ);
        }
        v => exception(regs, v as u8),
    }
}

/// Every exception without a dedicated path ends here.
fn exception(regs: &mut PtRegs, vector: u8) {
    let has_code = matches!(vector, 10..=14 | 17 | 21 | 29 | 30);
    let exc = Exception {
        vector,
        error_code: has_code.then_some(regs.orig_rax),
    };
    if regs.user_mode() {
        let (name, mnemonic) = exception_name(vector);
        let (sig, code) = signal_for(vector);
        signal_current(
            sig,
            code,
            None,
            regs,
            vector,
            format_args!("{name} ({mnemonic})"),
        );
        return;
    }
    if vector == 3 {
        log::info!("breakpoint at {:#x}", regs.rip);
        return;
    }
    die(exc, regs_frame(regs), format_args!(""))
}

/// The trace line of a page fault, out of the fast path.
#[cold]
#[inline(never)]
fn trace_fault(
    addr: u64,
    code: PageFaultErrorCode,
    rip: u64,
    result: &Result<crate::mm::fault::FaultOutcome, FaultError>,
) {
    log::trace!(
        "page fault at {addr:#x} ({}), rip {rip:#x}: {result:?}",
        PfBits(code)
    );
}

/// A page fault. User faults, and kernel faults on user addresses inside the user-copy routine,
/// go to the mm first: most are demand paging or copy-on-write. What the mm cannot resolve is a
/// signal for user code, EFAULT for the user-copy routine, and a kernel bug otherwise.
fn page_fault(regs: &mut PtRegs) {
    let addr = Cr2::read_raw();
    let code = PageFaultErrorCode::from_bits_truncate(regs.orig_rax);
    let user = regs.user_mode();
    // Only the kernel's user-copy routine has a fixup: a user fault needs no search.
    let fixup = if user {
        None
    } else {
        uaccess::fixup_for(regs.rip)
    };
    if (user || fixup.is_some())
        && addr < TASK_SIZE
        && !code.contains(PageFaultErrorCode::MALFORMED_TABLE)
    {
        let access = if code.contains(PageFaultErrorCode::INSTRUCTION_FETCH) {
            Access::Execute
        } else if code.contains(PageFaultErrorCode::CAUSED_BY_WRITE) {
            Access::Write
        } else {
            Access::Read
        };
        let mm = thread::with_current(|t| t.process.mm()).flatten();
        let result = match &mm {
            Some(mm) => mm.lock().handle_fault(addr, access),
            None => Err(FaultError::NoMapping),
        };
        drop(mm);
        if crate::console::tracing() {
            trace_fault(addr, code, regs.rip, &result);
        }
        match (result, fixup) {
            (Ok(_), _) => {
                thread::with_current(|me| me.cpu.count_fault());
                return;
            }
            (Err(_), Some(fixup)) => {
                // Resume at the user-copy routine's fixup label, in the same function with the same
                // stack; it reports the copy as incomplete.
                regs.rip = fixup;
                return;
            }
            (Err(err), None) => {
                let (sig, si_code) = match err {
                    FaultError::OutOfMemory => (SIGKILL, abi::signal::SI_KERNEL),
                    FaultError::Bus => (SIGBUS, abi::signal::BUS_ADRERR),
                    FaultError::Protection => (SIGSEGV, abi::signal::SEGV_ACCERR),
                    FaultError::NoMapping => (SIGSEGV, abi::signal::SEGV_MAPERR),
                };
                signal_current(
                    sig,
                    si_code,
                    Some(addr),
                    regs,
                    14,
                    format_args!("{} ({})", err.describe(), PfBits(code)),
                );
                return;
            }
        }
    }
    if user {
        // A user access to a kernel address, or a reserved-bit fault.
        signal_current(
            SIGSEGV,
            abi::signal::SEGV_MAPERR,
            Some(addr),
            regs,
            14,
            format_args!("no mapping at this address ({})", PfBits(code)),
        );
        return;
    }
    let exc = Exception {
        vector: 14,
        error_code: Some(code.bits()),
    };
    die(
        exc,
        regs_frame(regs),
        format_args!("    address (CR2) {:#018x}: {}\n", addr, PfBits(code)),
    )
}

/// A non-maskable interrupt: nothing raises one on purpose here; report it and go on.
pub fn nmi(frame: &InterruptStackFrame) {
    log::warn!(
        "non-maskable interrupt at rip {:#x}",
        frame.instruction_pointer.as_u64()
    );
}

/// A machine check: the hardware failed. Report and stop.
pub fn machine_check(frame: &InterruptStackFrame) -> ! {
    let exc = Exception {
        vector: 18,
        error_code: None,
    };
    die(exc, stack_frame(frame), format_args!(""))
}

/// A double fault: almost always a kernel stack overflow, which this names when the faulting
/// address lies in a stack's guard.
pub fn double_fault(frame: &InterruptStackFrame, code: u64, cr2: u64) -> ! {
    let exc = Exception {
        vector: 8,
        error_code: Some(code),
    };
    if let Some((bottom, top)) = kstack::guard_hit(cr2) {
        die(
            exc,
            stack_frame(frame),
            format_args!(
                "    kernel stack overflow: {cr2:#018x} is in the guard below the stack {bottom:#x}..{top:#x}\n"
            ),
        )
    }
    let ist = gdt::ist_stack_ranges();
    die(
        exc,
        stack_frame(frame),
        format_args!("    CR2 {cr2:#018x}; IST stacks {ist:x?}\n"),
    )
}
