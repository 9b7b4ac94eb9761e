//! Signals (Linux's kernel/signal.c and arch/x86/kernel/signal.c): sets of pending and blocked
//! signals, the information each pending signal carries, and delivery on the way back to user mode.
//!
//! A signal is *sent* ([`send`]) by recording it in a pending set: the target thread's own
//! (a fault it caused, tkill, tgkill) or its process's shared one (kill). It is *delivered* only in
//! [`crate::entry::exit_to_user_mode`], the one path every return to user mode takes: [`do_signal`]
//! takes the first pending signal the thread does not block and acts on it: runs its handler
//! through a signal frame ([`frame`]), or its default action (terminate, ignore, stop). The same
//! place finishes interrupted system calls: restarted or failed with EINTR, as Linux decides from
//! the restart code the call left in rax and the handler's SA_RESTART.
//!
//! Per process (shared by threads, as Linux's signal_struct and sighand_struct): the actions
//! ([`action`]), the shared pending set and the job-control state. Per thread: the blocked mask,
//! its own pending set, the alternate stack and the mask sigsuspend saved.

pub mod action;
pub mod altstack;
pub mod frame;
pub mod job;
pub mod send;

use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::signal::{SA_NODEFER, SA_RESETHAND, SA_RESTART, SIG_DFL, SIG_IGN, sigaction, siginfo};

pub use send::{
    force_sig_fault, kill_pgrp, send_sig, send_sigqueue, send_to_process, send_to_thread,
};

use crate::{
    arch::syscall::PtRegs,
    process::ExitStatus,
    sync::{IrqMutex, IrqOff},
    thread::{self, Thread},
};

/// Signal numbers: `abi::signal`'s, as the `u8` this kernel keeps them in (all are 1..=64).
pub const SIGINT: u8 = abi::signal::SIGINT as u8;
pub const SIGQUIT: u8 = abi::signal::SIGQUIT as u8;
pub const SIGALRM: u8 = abi::signal::SIGALRM as u8;
pub const SIGVTALRM: u8 = abi::signal::SIGVTALRM as u8;
pub const SIGPROF: u8 = abi::signal::SIGPROF as u8;
pub const SIGILL: u8 = abi::signal::SIGILL as u8;
pub const SIGTRAP: u8 = abi::signal::SIGTRAP as u8;
pub const SIGABRT: u8 = abi::signal::SIGABRT as u8;
pub const SIGBUS: u8 = abi::signal::SIGBUS as u8;
pub const SIGFPE: u8 = abi::signal::SIGFPE as u8;
pub const SIGKILL: u8 = abi::signal::SIGKILL as u8;
pub const SIGSEGV: u8 = abi::signal::SIGSEGV as u8;
/// Sent to a writer of a pipe without readers ([`send::send_sig`]).
pub const SIGPIPE: u8 = abi::signal::SIGPIPE as u8;
pub const SIGCHLD: u8 = abi::signal::SIGCHLD as u8;
pub const SIGCONT: u8 = abi::signal::SIGCONT as u8;
pub const SIGSTOP: u8 = abi::signal::SIGSTOP as u8;
pub const SIGTSTP: u8 = abi::signal::SIGTSTP as u8;
pub const SIGTTIN: u8 = abi::signal::SIGTTIN as u8;
pub const SIGTTOU: u8 = abi::signal::SIGTTOU as u8;
pub const SIGURG: u8 = abi::signal::SIGURG as u8;
pub const SIGXCPU: u8 = abi::signal::SIGXCPU as u8;
pub const SIGXFSZ: u8 = abi::signal::SIGXFSZ as u8;
pub const SIGWINCH: u8 = abi::signal::SIGWINCH as u8;
pub const SIGSYS: u8 = abi::signal::SIGSYS as u8;
/// The highest signal number (SIGRTMAX).
pub const NSIG: u8 = abi::signal::NSIG as u8;

/// The bit of signal `sig` in a set: bit n-1 for signal n, as in Linux's sigset_t.
pub const fn sigmask(sig: u8) -> u64 {
    abi::signal::sigmask(sig as i32)
}

/// Signals that can be neither blocked nor caught.
pub const UNBLOCKABLE: u64 = abi::signal::UNBLOCKABLE;

/// The signals whose default action is to stop (Linux's SIG_KERNEL_STOP_MASK).
pub const STOP_MASK: u64 =
    sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU);

/// The signal number a system call argument names, if it is one (1..=64); 0 is not a signal.
pub fn valid_signal(sig: u64) -> Option<u8> {
    let sig = sig as i32;
    (1..=NSIG as i32).contains(&sig).then_some(sig as u8)
}

// The kernel-internal restart codes (include/linux/errno.h). A system call interrupted by a signal
// leaves one of them, negated, in rax; delivery turns it into EINTR or a restart, and none ever
// reaches user space.
/// Restart unless a handler without SA_RESTART runs (blocking calls: wait4, read...).
pub const ERESTARTSYS: u64 = 512;
/// Always restart.
pub const ERESTARTNOINTR: u64 = 513;
/// Restart only if no handler runs (pause, sigsuspend).
pub const ERESTARTNOHAND: u64 = 514;
/// Restart through restart_syscall if no handler runs (nanosleep).
pub const ERESTART_RESTARTBLOCK: u64 = 516;

/// A set of signals that can be changed from any CPU (a blocked set, the bits of a pending set).
pub struct SigSet(AtomicU64);

impl SigSet {
    pub const fn empty() -> Self {
        SigSet(AtomicU64::new(0))
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    pub fn set(&self, bits: u64) {
        self.0.store(bits, Ordering::Release);
    }

    pub fn contains(&self, sig: u8) -> bool {
        self.get() & sigmask(sig) != 0
    }
}

/// What a pending signal carries, in the kernel's compact form; [`KSigInfo::to_user`] builds the
/// siginfo a handler or rt_sigtimedwait sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KSigInfo {
    /// `si_code`: SI_USER, SI_TKILL, SI_KERNEL, a fault's or a child's code.
    pub code: i32,
    /// The sender (kill, tkill) or the child (SIGCHLD).
    pub pid: i32,
    /// SIGCHLD: the exit code or the signal.
    pub status: i32,
    /// Faults: the address.
    pub addr: u64,
    /// rt_sigqueueinfo (SI_QUEUE and the other codes a process may send with it): the sender's
    /// uid and the `sigval` it passed, with `pid` the pid it gave.
    pub uid: u32,
    pub value: u64,
    /// A POSIX timer's signal (SI_TIMER): the timer's id, the arming that sent it (from 1; 0 for
    /// a siginfo a process queued itself with SI_TIMER), and the expirations missed while it was
    /// pending, filled in when it is taken. A signal of a timer deleted or set again since it was
    /// sent is dropped then (see [`crate::process::posix_timers`]).
    pub timer_id: i32,
    pub timer_seq: u32,
    pub overrun: i32,
}

impl KSigInfo {
    /// Sent by a process with kill (SI_USER) or tkill/tgkill (SI_TKILL).
    pub fn user(code: i32, pid: u32) -> Self {
        KSigInfo {
            code,
            pid: pid as i32,
            ..Default::default()
        }
    }

    /// Sent by the kernel for no particular reason (SI_KERNEL: a general-protection fault, int3).
    pub fn kernel() -> Self {
        KSigInfo {
            code: abi::signal::SI_KERNEL,
            ..Default::default()
        }
    }

    /// Which fields of a siginfo signal `sig` with this information fills (Linux's
    /// siginfo_layout, for the layouts this kernel sends).
    pub fn layout(&self, sig: u8) -> SigLayout {
        let kernel_code = self.code > 0 && self.code != abi::signal::SI_KERNEL;
        if kernel_code && matches!(sig, SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP) {
            SigLayout::Fault
        } else if kernel_code && sig == SIGCHLD {
            SigLayout::Child
        } else if self.code == abi::signal::SI_TIMER {
            SigLayout::Timer
        } else if self.code < 0 && self.code != abi::signal::SI_TKILL {
            SigLayout::Queued
        } else {
            SigLayout::Kill
        }
    }

    /// The siginfo of signal `sig` with this information, laid out as Linux does for its code.
    pub fn to_user(self, sig: u8) -> siginfo {
        let signo = sig as i32;
        match self.layout(sig) {
            SigLayout::Fault => siginfo::fault(signo, self.code, self.addr),
            SigLayout::Child => siginfo::child(self.code, self.pid, 0, self.status, 0, 0),
            SigLayout::Timer => siginfo::timer(signo, self.timer_id, self.overrun, self.value),
            SigLayout::Queued => siginfo::queued(signo, self.code, self.pid, self.uid, self.value),
            SigLayout::Kill => siginfo::kill(signo, self.code, self.pid, 0),
        }
    }
}

/// The kinds of siginfo (Linux's SIL_FAULT, SIL_CHLD, SIL_RT, SIL_KILL): see [`KSigInfo::layout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigLayout {
    /// A fault's address.
    Fault,
    /// A child's pid and status.
    Child,
    /// The timer's id, its overrun and its `sigval` (POSIX timers).
    Timer,
    /// The sender's pid and uid and its `sigval` (sigqueue).
    Queued,
    /// The sender's pid and uid (kill, tkill, the kernel).
    Kill,
}

/// Signals waiting to be delivered, with what each carries (Linux's struct sigpending). A standard
/// signal already pending is not queued a second time: the first one's information is kept. A
/// real-time signal (SIGRTMIN and above) is queued each time it is sent, each with its own
/// information, and delivered as many times, oldest first, as Linux does: the first instance
/// lives in `info`, the others wait in `more` (bounded by the target's RLIMIT_SIGPENDING).
pub struct SigPending {
    bits: SigSet,
    info: IrqMutex<[KSigInfo; NSIG as usize]>,
    more: IrqMutex<VecDeque<(u8, KSigInfo)>>,
}

/// The first real-time signal (the kernel's; the C library keeps the first two for itself).
pub const SIGRTMIN: u8 = abi::signal::SIGRTMIN as u8;

impl SigPending {
    pub const fn new() -> Self {
        SigPending {
            bits: SigSet::empty(),
            info: IrqMutex::new(
                [KSigInfo {
                    code: 0,
                    pid: 0,
                    status: 0,
                    addr: 0,
                    uid: 0,
                    value: 0,
                    timer_id: 0,
                    timer_seq: 0,
                    overrun: 0,
                }; NSIG as usize],
            ),
            more: IrqMutex::new(VecDeque::new()),
        }
    }

    /// Signals waiting, counting each queued instance of a real-time signal (/proc's SigQ).
    pub fn queued(&self) -> usize {
        self.get().count_ones() as usize + self.more.lock().len()
    }

    /// The pending signals.
    pub fn get(&self) -> u64 {
        self.bits.get()
    }

    pub fn contains(&self, sig: u8) -> bool {
        self.bits.contains(sig)
    }

    /// Makes `sig` pending with `info`: a standard signal unless it already is, a real-time one
    /// once more, while fewer than `limit` instances wait here. False if a real-time signal could
    /// not be queued again (the limit, or no memory): its earlier instance stays pending, as with
    /// Linux's silent loss of information for kill, and rt_sigqueueinfo says EAGAIN.
    pub fn add(&self, sig: u8, info: KSigInfo, limit: usize) -> bool {
        let mut infos = self.info.lock();
        if !self.contains(sig) {
            infos[sig as usize - 1] = info;
            self.bits.set(self.bits.get() | sigmask(sig));
            return true;
        }
        if sig < SIGRTMIN {
            return true;
        }
        let mut more = self.more.lock();
        if self.get().count_ones() as usize + more.len() >= limit || more.try_reserve(1).is_err() {
            return false;
        }
        more.push_back((sig, info));
        true
    }

    /// Makes a POSIX timer's `sig` pending with `info` (see [`send::send_sigqueue`]): a
    /// real-time signal is queued once more (a timer has one signal pending at most, so there
    /// is no limit); a standard one only if it is not pending, or pending from an earlier setting
    /// of the same timer, whose information it replaces. False if it was not made pending.
    pub fn add_timer(&self, sig: u8, info: KSigInfo) -> bool {
        if sig < SIGRTMIN && self.contains(sig) {
            let mut infos = self.info.lock();
            let old = &mut infos[sig as usize - 1];
            if old.timer_seq == 0 || old.timer_id != info.timer_id {
                return false;
            }
            *old = info;
            return true;
        }
        self.add(sig, info, usize::MAX)
    }

    /// Takes `sig` if it is pending, with its information; a real-time signal stays pending
    /// while more instances of it wait.
    pub fn take(&self, sig: u8) -> Option<KSigInfo> {
        let mut infos = self.info.lock();
        if !self.contains(sig) {
            return None;
        }
        let info = infos[sig as usize - 1];
        let mut more = self.more.lock();
        match more.iter().position(|(s, _)| *s == sig) {
            Some(at) => infos[sig as usize - 1] = more.remove(at).map_or(info, |(_, i)| i),
            None => self.bits.set(self.bits.get() & !sigmask(sig)),
        }
        release_if_empty(&mut more);
        Some(info)
    }

    /// Takes the lowest pending signal of `mask`.
    pub fn take_first(&self, mask: u64) -> Option<(u8, KSigInfo)> {
        let ready = self.get() & mask;
        if ready == 0 {
            return None;
        }
        let sig = ready.trailing_zeros() as u8 + 1;
        self.take(sig).map(|info| (sig, info))
    }

    /// Forgets every pending signal of `mask` (Linux's flush_sigqueue_mask).
    pub fn remove_mask(&self, mask: u64) {
        let _infos = self.info.lock();
        let mut more = self.more.lock();
        more.retain(|(sig, _)| mask & sigmask(*sig) == 0);
        release_if_empty(&mut more);
        self.bits.set(self.bits.get() & !mask);
    }
}

/// Gives the queue's memory back once nothing waits in it, so that a burst of real-time signals
/// does not keep its high-water mark for the life of the process.
fn release_if_empty(more: &mut VecDeque<(u8, KSigInfo)>) {
    if more.is_empty() && more.capacity() > 0 {
        *more = VecDeque::new();
    }
}

/// What a signal does when nobody handles it (Linux's sig_kernel_* classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    /// Terminate; Linux would also dump core. The status is the same (plus the core flag, which
    /// this kernel never sets since it writes no core files).
    CoreDump,
    Ignore,
    Stop,
    Continue,
}

pub fn default_action(sig: u8) -> DefaultAction {
    match sig {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => DefaultAction::CoreDump,
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGCONT => DefaultAction::Continue,
        _ => DefaultAction::Terminate,
    }
}

/// The signal's name, for the kernel's reports.
pub fn name(sig: u8) -> &'static str {
    abi::signal::name(sig as i32).unwrap_or("signal")
}

/// Whether the current thread has been sent SIGKILL (Linux's fatal_signal_pending): long kernel
/// loops and blocking calls stop early for it.
pub fn fatal_signal_pending() -> bool {
    crate::thread::current()
        .is_some_and(|t| t.pending.contains(SIGKILL) || t.process.shared_pending.contains(SIGKILL))
}

/// Whether `thread` has a signal to act on: pending for it or its process and not blocked.
pub fn has_deliverable(thread: &Thread) -> bool {
    let blocked = thread.sigmask.get() & !UNBLOCKABLE;
    (thread.pending.get() | thread.process.shared_pending.get()) & !blocked != 0
}

/// Records that the running system call was interrupted by a signal and how Linux would finish
/// it (one of the ERESTART* codes): the call returns EINTR, which the syscall layer turns into
/// this code for delivery to act on.
pub fn set_restart(code: u64) {
    if let Some(me) = thread::current() {
        me.restart.store(code, Ordering::Relaxed);
    }
}

/// Whether the running call left a restart code (see [`set_restart`]).
#[inline(always)]
pub fn restart_recorded(thread: &Thread) -> bool {
    thread.restart.load(Ordering::Relaxed) != 0
}

/// Takes the restart code [`set_restart`] left for the running call (0 if none).
pub fn take_restart(thread: &Thread) -> u64 {
    thread.restart.swap(0, Ordering::Relaxed)
}

/// Takes the next signal of `thread` in `mask`: thread-directed before process-directed, lower
/// numbers first, as Linux's dequeue_signal.
/// A POSIX timer's signal gets its overrun here, and is dropped if its timer was deleted or set
/// again since it was sent (Linux's posixtimer_deliver_signal).
pub fn dequeue_mask(thread: &Thread, mask: u64) -> Option<(u8, KSigInfo)> {
    loop {
        let (sig, mut info) = thread
            .pending
            .take_first(mask)
            .or_else(|| thread.process.shared_pending.take_first(mask))?;
        if info.timer_seq == 0 || crate::process::posix_timers::deliver(&thread.process, &mut info)
        {
            return Some((sig, info));
        }
    }
}

/// What [`get_signal`] found to do.
enum Next {
    /// Run this handler for this signal.
    Handler(u8, KSigInfo, sigaction),
    /// The process must end with this status.
    Fatal(ExitStatus),
}

/// Takes pending signals one after the other until one has a handler or ends the process (Linux's
/// get_signal). Ignored ones are dropped; stop signals stop the process here until SIGCONT.
fn get_signal(me: &Thread) -> Option<Next> {
    loop {
        let blocked = me.sigmask.get() & !UNBLOCKABLE;
        let (sig, info) = dequeue_mask(me, !blocked)?;
        let act = me.process.actions().get(sig);
        match act.sa_handler {
            SIG_IGN => continue,
            SIG_DFL => {}
            _ => {
                if act.sa_flags & SA_RESETHAND != 0 {
                    me.process.actions().reset(sig);
                }
                return Some(Next::Handler(sig, info, act));
            }
        }
        match default_action(sig) {
            DefaultAction::Ignore | DefaultAction::Continue => {}
            // init is never stopped, as on Linux (SIGNAL_UNKILLABLE): nothing could continue it,
            // and the machine would hang (a ^Z reaching `make shell`'s shell before it has set up
            // job control, say). Fatal signals still end it here, so that a test program running
            // as pid 1 can die of one and report it.
            DefaultAction::Stop if me.process.pid == 1 => {}
            DefaultAction::Stop => job::do_signal_stop(me, sig),
            DefaultAction::Terminate | DefaultAction::CoreDump => {
                return Some(Next::Fatal(ExitStatus::Signaled(sig)));
            }
        }
    }
}

/// What [`do_signal`] leaves to its caller.
pub enum Outcome {
    /// Nothing more to do: return to user mode (perhaps into a handler).
    Done,
    /// The process must end: the caller drops its references and calls `do_exit_group` (which
    /// never returns, so nothing it holds would ever be released).
    Fatal(ExitStatus),
}

/// The system call result in `regs.rax` as a restart code, if it is one.
fn restart_code(regs: &PtRegs) -> Option<u64> {
    let code = (regs.rax as i64).checked_neg()? as u64;
    matches!(
        code,
        ERESTARTSYS | ERESTARTNOINTR | ERESTARTNOHAND | ERESTART_RESTARTBLOCK
    )
    .then_some(code)
}

/// Makes the interrupted system call run again when the thread returns to user mode: back up over
/// the 2-byte `syscall` instruction with the call number in rax again.
fn restart_syscall(regs: &mut PtRegs, nr: u64) {
    regs.rax = nr;
    regs.rip = regs.rip.wrapping_sub(2);
}

/// Acts on the current thread's pending signals on its way back to user mode (Linux's
/// arch_do_signal_or_restart). `syscall` says whether `regs` are a system call's, whose result may
/// be a restart code to finish.
pub fn do_signal(me: &Thread, regs: &mut PtRegs, syscall: bool) -> Outcome {
    let restart = if syscall { restart_code(regs) } else { None };
    match get_signal(me) {
        Some(Next::Fatal(status)) => Outcome::Fatal(status),
        Some(Next::Handler(sig, info, act)) => {
            if let Some(code) = restart {
                let again = code == ERESTARTNOINTR
                    || (code == ERESTARTSYS && act.sa_flags & SA_RESTART != 0);
                if again {
                    restart_syscall(regs, regs.orig_rax);
                } else {
                    regs.rax = abi::Errno::EINTR.to_syscall_return();
                }
            }
            handle_signal(me, regs, sig, info, &act);
            Outcome::Done
        }
        None => {
            match restart {
                Some(ERESTART_RESTARTBLOCK) => restart_syscall(regs, abi::nr::RESTART_SYSCALL),
                Some(_) => restart_syscall(regs, regs.orig_rax),
                None => {}
            }
            // sigsuspend's mask goes once no handler ran (Linux's restore_saved_sigmask).
            if let Some(mask) = me.saved_sigmask.take() {
                me.sigmask.set(mask);
            }
            Outcome::Done
        }
    }
}

/// Runs the handler of `sig`: pushes the signal frame, then blocks the handler's mask (Linux's
/// handle_signal and signal_delivered). A frame that cannot be written kills the process with
/// SIGSEGV (force_sigsegv).
fn handle_signal(me: &Thread, regs: &mut PtRegs, sig: u8, info: KSigInfo, act: &sigaction) {
    let saved = me.saved_sigmask.take();
    let old_mask = saved.unwrap_or_else(|| me.sigmask.get());
    if let Err(why) = frame::setup_rt_frame(me, regs, sig, &info.to_user(sig), act, old_mask) {
        let name = me.process.name.lock().clone();
        crate::println!(
            "[kernel] pid {} ({name}): SIGSEGV (signal {}), rip {:#x}: cannot deliver {}: {why}",
            me.process.pid,
            SIGSEGV,
            regs.rip,
            self::name(sig),
        );
        me.process.actions().reset(SIGSEGV);
        send::force_sig(me, SIGSEGV);
        return;
    }
    let mut mask = me.sigmask.get() | act.sa_mask;
    if act.sa_flags & SA_NODEFER == 0 {
        mask |= sigmask(sig);
    }
    me.sigmask.set(mask & !UNBLOCKABLE);
}

/// Sleeps until the current thread has a signal to act on, or until jiffy `deadline` passes
/// (pause, sigsuspend, rt_sigtimedwait). Returns false if a signal came, true on timeout. Without a
/// deadline the thread blocks and a sent signal wakes it; with one it waits tick by tick (a simple
/// stand-in, in this one function, until the scheduler has timers).
pub fn sleep_until_signal(me: &Thread, deadline: Option<u64>) -> bool {
    loop {
        let irq = IrqOff::new();
        if has_deliverable(me) {
            return false;
        }
        match deadline {
            None => {
                *me.state.lock() = crate::thread::ThreadState::Blocked;
                crate::sched::schedule();
                drop(irq);
            }
            Some(deadline) => {
                if crate::time::jiffies() >= deadline {
                    return true;
                }
                drop(irq);
                crate::sched::schedule();
                x86_64::instructions::interrupts::disable();
                if !has_deliverable(me) {
                    x86_64::instructions::interrupts::enable_and_hlt();
                }
            }
        }
    }
}
