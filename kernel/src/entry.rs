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
    // Whether rax is a result to restart is settled on the slow path (after rt_sigreturn it is
    // not: see exit_to_user_mode_loop).
    exit_to_user_mode(regs, true);
}

/// An exception or interrupt (vector `vector`), from user or kernel mode.
pub extern "C" fn trap(regs: &mut PtRegs, vector: u64) {
    trap::handle(regs, vector);
    if regs.user_mode() {
        exit_to_user_mode(regs, false);
    }
}

/// A new thread's first run, on its own stack right after the switch that started it.
pub extern "C" fn ret_from_fork(regs: &mut PtRegs) {
    sched::finish_task_switch();
    // CLONE_CHILD_SETTID: the new thread stores its tid in its own memory (Linux's
    // schedule_tail), ignoring a bad address.
    if let Some(me) = thread::current() {
        let at = me
            .set_child_tid
            .swap(0, core::sync::atomic::Ordering::Relaxed);
        if at != 0 {
            x86_64::instructions::interrupts::enable();
            let _ = crate::arch::uaccess::write_user(at, &(me.tid() as i32));
        }
    }
    exit_to_user_mode(regs, false);
}

/// The work to do before returning to user mode (Linux's exit_to_user_mode_loop): give up the CPU
/// if the time slice is over, act on pending signals (run a handler through a signal frame, stop,
/// or end the process, which never returns) and finish a system call they interrupted (`syscall`:
/// `regs` are a system call's and rax its result), and check again, since each may have let more
/// work arrive. Returns with interrupts off; the stub that called it restores `regs` and returns
/// to user mode.
#[inline(always)]
pub fn exit_to_user_mode(regs: &mut PtRegs, syscall: bool) {
    x86_64::instructions::interrupts::disable();
    if !sched::need_resched() && !work_pending(regs, syscall) {
        return;
    }
    exit_to_user_mode_loop(regs, syscall);
}

/// Whether a signal is to be acted on, a system call restarted or a saved mask put back (the
/// check of the common case, made without taking a reference to the thread).
#[inline(always)]
fn work_pending(regs: &PtRegs, syscall: bool) -> bool {
    let restarting = syscall
        && signal::ERESTARTSYS <= regs.rax.wrapping_neg()
        && regs.rax.wrapping_neg() <= signal::ERESTART_RESTARTBLOCK;
    thread::with_current(|me| {
        restarting
            || (syscall && signal::restart_recorded(me))
            || signal::has_deliverable(me)
            || !me.saved_sigmask.is_none()
    }) == Some(true)
}

/// [`exit_to_user_mode`] when there is work: done until none is left.
#[inline(never)]
fn exit_to_user_mode_loop(regs: &mut PtRegs, syscall: bool) {
    // rt_sigreturn sets orig_rax to -1: what it restored is no system call's result.
    let syscall = syscall && regs.orig_rax != u64::MAX;
    if syscall {
        // A call a signal interrupted returned EINTR: the restart code it recorded says how it
        // is to finish (Linux's -ERESTART* results), which do_signal decides below.
        let restart = thread::with_current(signal::take_restart).unwrap_or(0);
        if restart != 0 && regs.rax == crate::syscall::errno::EINTR.to_syscall_return() {
            regs.rax = restart.wrapping_neg();
        }
    }
    let mut syscall = syscall;
    loop {
        x86_64::instructions::interrupts::disable();
        if sched::need_resched() {
            sched::schedule();
            continue;
        }
        if !work_pending(regs, syscall) {
            return;
        }
        let outcome = {
            let Some(me) = thread::current() else {
                return;
            };
            // Writing a frame may fault in user pages: interrupts on, as for a system call.
            x86_64::instructions::interrupts::enable();
            signal::do_signal(&me, regs, syscall)
        };
        // A frame is set up or the call finished: regs no longer hold a result to restart.
        syscall = false;
        // No reference may be held here: do_exit_group never returns to drop it.
        if let signal::Outcome::Fatal(status) = outcome {
            process::exit::do_exit_group(status);
        }
    }
}
