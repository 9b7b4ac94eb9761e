//! The generic side of entering and leaving the kernel (Linux's kernel/entry/common.c; Asterinas's
//! task loop after `UserMode::execute()` returns). The architecture's entry stubs
//! (`arch::syscall`) save the user registers and call exactly one of the three functions below;
//! each runs its handler and then [`exit_to_user_mode`], the one way back to user mode, which deals
//! with everything that must happen before user code runs again: rescheduling, pending signals
//! (including the SIGKILL of a process that must die, and the signals faults queue), and later
//! signal frames.

use crate::{arch::syscall::PtRegs, process, sched, signal, syscall, thread, trap};

/// A system call: `regs` holds the number and arguments; the result goes into `regs.rax`.
pub extern "C" fn syscall(regs: &mut PtRegs) {
    syscall::dispatch_entry(regs);
    exit_to_user_mode(regs);
}

/// An exception or interrupt (vector `vector`), from user or kernel mode.
pub extern "C" fn trap(regs: &mut PtRegs, vector: u64) {
    trap::handle(regs, vector);
    if regs.user_mode() {
        exit_to_user_mode(regs);
    }
}

/// A new thread's first run, on its own stack right after the switch that started it.
pub extern "C" fn ret_from_fork(regs: &mut PtRegs) {
    sched::finish_task_switch();
    exit_to_user_mode(regs);
}

/// The work to do before returning to user mode (Linux's exit_to_user_mode_loop): give up the CPU
/// if the time slice is over, act on pending signals (a fatal one never returns), and check again,
/// since either may have let more work arrive. Returns with interrupts off; the stub that called
/// it restores `regs` and returns to user mode.
pub fn exit_to_user_mode(regs: &mut PtRegs) {
    let _ = regs; // Signal frames will be written here (the signals issue).
    loop {
        x86_64::instructions::interrupts::disable();
        if sched::need_resched() {
            sched::schedule();
            continue;
        }
        let fatal = {
            let Some(me) = thread::current() else {
                return;
            };
            if !signal::has_deliverable(&me) {
                return;
            }
            signal::deliver(&me)
        };
        // No reference may be held here: do_exit_group never returns to drop it.
        if let Some(status) = fatal {
            process::exit::do_exit_group(status);
        }
    }
}
