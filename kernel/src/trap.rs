//! What happens when the CPU raises an exception: decide whether it is something the kernel resolves
//! (a user page fault served by the mm, later a signal to a user program) or a kernel bug, and in the
//! latter case report everything useful on the console and stop.

use core::fmt::Write;
use x86_64::{
    VirtAddr,
    structures::idt::{InterruptStackFrame, PageFaultErrorCode},
};

use crate::{
    arch::{gdt, qemu, serial, uaccess},
    mm::{
        fault::{Access, FaultError},
        kstack,
        layout::TASK_SIZE,
    },
    task::{self, ExitStatus, signal},
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
fn write_frame(w: &mut impl Write, frame: &InterruptStackFrame) {
    let _ = writeln!(
        w,
        "    RIP {:#018x}  CS {:#06x}  RFLAGS {:#010x}\n    RSP {:#018x}  SS {:#06x}",
        frame.instruction_pointer.as_u64(),
        frame.code_segment.0,
        frame.cpu_flags.bits(),
        frame.stack_pointer.as_u64(),
        frame.stack_segment.0,
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

/// A fatal exception in the kernel: report and stop.
fn die(exc: Exception, frame: &InterruptStackFrame, detail: core::fmt::Arguments) -> ! {
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
    write_frame(&mut w, frame);
    let _ = writeln!(w, "[kernel] panic: fatal exception, stopping");
    qemu::exit(qemu::QemuExit::Panic)
}

/// Whether the CPU was in user mode (ring 3) when the interrupt or exception arrived.
pub fn from_user(frame: &InterruptStackFrame) -> bool {
    frame.code_segment.0 & 3 == 3
}

/// The signal Linux sends for an exception raised by user code.
fn signal_for(vector: u8) -> u8 {
    match vector {
        0 | 16 | 19 => signal::SIGFPE,
        1 | 3 => signal::SIGTRAP,
        6 => signal::SIGILL,
        17 => signal::SIGBUS,
        _ => signal::SIGSEGV,
    }
}

fn signal_name(sig: u8) -> &'static str {
    match sig {
        signal::SIGSEGV => "SIGSEGV",
        signal::SIGBUS => "SIGBUS",
        signal::SIGILL => "SIGILL",
        signal::SIGFPE => "SIGFPE",
        signal::SIGTRAP => "SIGTRAP",
        signal::SIGKILL => "SIGKILL",
        _ => "signal",
    }
}

/// Ends the current process with a signal after a one-line report: pid, name, address, RIP, why.
fn kill_current(sig: u8, addr: Option<u64>, frame: &InterruptStackFrame, why: &str) -> ! {
    let (pid, name) = match task::current() {
        Some(t) => (t.pid, t.name.lock().clone()),
        None => (0, "?".into()),
    };
    let at = addr
        .map(|a| alloc::format!(" at {a:#x}"))
        .unwrap_or_default();
    crate::println!(
        "[kernel] pid {pid} ({name}): {} (signal {sig}){at}, rip {:#x}: {why}",
        signal_name(sig),
        frame.instruction_pointer.as_u64()
    );
    crate::process::exit_current(ExitStatus::Signaled(sig))
}

/// Every exception without a dedicated path ends here.
pub fn exception(exc: Exception, frame: &InterruptStackFrame) {
    if from_user(frame) {
        let (name, mnemonic) = exception_name(exc.vector);
        kill_current(
            signal_for(exc.vector),
            None,
            frame,
            &alloc::format!("{name} ({mnemonic})"),
        );
    }
    if exc.vector == 3 {
        log::info!("breakpoint at {:#x}", frame.instruction_pointer.as_u64());
        return;
    }
    die(exc, frame, format_args!(""))
}

/// A page fault. User faults, and kernel faults on user addresses inside the user-copy routine,
/// go to the mm first: most are demand paging or copy-on-write. What the mm cannot resolve is a
/// signal for user code, EFAULT for the user-copy routine, and a kernel bug otherwise.
pub fn page_fault(addr: VirtAddr, code: PageFaultErrorCode, frame: &mut InterruptStackFrame) {
    let user = from_user(frame);
    let fixup = uaccess::fixup_for(frame.instruction_pointer.as_u64());
    let addr = addr.as_u64();
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
        let mm = task::current().and_then(|t| t.mm());
        let result = match &mm {
            Some(mm) => mm.lock().handle_fault(addr, access),
            None => Err(FaultError::NoMapping),
        };
        drop(mm);
        log::trace!(
            "page fault at {addr:#x} ({}), rip {:#x}: {result:?}",
            PfBits(code),
            frame.instruction_pointer.as_u64()
        );
        match (result, fixup) {
            (Ok(_), _) => return,
            (Err(_), Some(fixup)) => {
                // SAFETY: resumes at the user-copy routine's fixup label, in the same function
                // with the same stack; it reports the copy as incomplete.
                unsafe {
                    frame
                        .as_mut()
                        .update(|f| f.instruction_pointer = VirtAddr::new(fixup))
                };
                return;
            }
            (Err(err), None) => {
                let sig = match err {
                    FaultError::OutOfMemory => signal::SIGKILL,
                    FaultError::Bus => signal::SIGBUS,
                    _ => signal::SIGSEGV,
                };
                kill_current(
                    sig,
                    Some(addr),
                    frame,
                    &alloc::format!("{} ({})", err.describe(), PfBits(code)),
                );
            }
        }
    }
    if user {
        // A user access to a kernel address, or a reserved-bit fault.
        let why = alloc::format!("no mapping at this address ({})", PfBits(code));
        kill_current(signal::SIGSEGV, Some(addr), frame, &why);
    }
    let exc = Exception {
        vector: 14,
        error_code: Some(code.bits()),
    };
    die(
        exc,
        frame,
        format_args!("    address (CR2) {:#018x}: {}\n", addr, PfBits(code)),
    )
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
            frame,
            format_args!(
                "    kernel stack overflow: {cr2:#018x} is in the guard below the stack {bottom:#x}..{top:#x}\n"
            ),
        )
    }
    let ist = gdt::ist_stack_ranges();
    die(
        exc,
        frame,
        format_args!("    CR2 {cr2:#018x}; IST stacks {ist:x?}\n"),
    )
}
