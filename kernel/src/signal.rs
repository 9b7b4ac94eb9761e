//! Signals: sets of pending and blocked signals, sending, and delivery on the way back to user mode
//! (Linux's kernel/signal.c, at the level this kernel needs so far).
//!
//! A signal is *sent* by setting its bit in a pending set: the target thread's own set (a fault it
//! caused, tkill) or its process's shared set (kill). It is *delivered* only in
//! [`crate::entry::exit_to_user_mode`], the one path every return to user mode takes, where the
//! first pending signal the thread does not block is taken and acted on. Today every action is the
//! default one (handlers, rt_sigaction and the signal frame are the signals issue): terminate,
//! terminate with a core-dump status, or ignore. Stop and continue are ignored for now.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::{
    process::{ExitStatus, Process},
    thread::Thread,
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

/// A set of signals that can be changed from any CPU (a pending or blocked set).
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

    pub fn add(&self, sig: u8) {
        self.0.fetch_or(sigmask(sig), Ordering::AcqRel);
    }

    /// Removes `sig`; true if it was there.
    pub fn take(&self, sig: u8) -> bool {
        self.0.fetch_and(!sigmask(sig), Ordering::AcqRel) & sigmask(sig) != 0
    }

    pub fn contains(&self, sig: u8) -> bool {
        self.get() & sigmask(sig) != 0
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

/// Sends a signal caused by `thread` itself (a fault): it cannot be blocked or ignored away, as
/// Linux's force_sig_fault makes sure, so it is delivered on the thread's way back to user mode.
pub fn force_sig(thread: &Thread, sig: u8) {
    let mask = thread.sigmask.get();
    thread.sigmask.set(mask & !sigmask(sig));
    thread.pending.add(sig);
}

/// Sends a signal to one thread (Linux's send_sig for a thread, e.g. SIGPIPE to a writer): it
/// stays pending while the thread blocks it, unlike [`force_sig`]. Used today for the calling
/// thread only, which is awake; waking a sleeping target comes with the signals work.
pub fn send_to_thread(thread: &Thread, sig: u8) {
    thread.pending.add(sig);
}

/// Sends a signal to a whole process (kill): any of its threads that does not block it takes it.
pub fn send_to_process(process: &Process, sig: u8) {
    process.shared_pending.add(sig);
    if sig == SIGKILL {
        // Linux's complete_signal: a fatal signal wakes every thread so that it can die.
        process.wake_all_threads();
    }
}

/// Whether the current thread has been sent SIGKILL (Linux's fatal_signal_pending): long kernel
/// loops and blocking calls stop early for it.
pub fn fatal_signal_pending() -> bool {
    crate::thread::current()
        .is_some_and(|t| t.pending.contains(SIGKILL) || t.process.shared_pending.contains(SIGKILL))
}

/// Takes the next deliverable signal of `thread`: pending, for it or its process, and not blocked.
/// Lower numbers first, thread-directed before process-directed, as Linux's dequeue_signal.
fn dequeue(thread: &Thread) -> Option<u8> {
    let blocked = thread.sigmask.get() & !UNBLOCKABLE;
    for set in [&thread.pending, &thread.process.shared_pending] {
        let ready = set.get() & !blocked;
        if ready != 0 {
            let sig = ready.trailing_zeros() as u8 + 1;
            if set.take(sig) {
                return Some(sig);
            }
        }
    }
    None
}

/// Whether `thread` has a signal to act on (checked on the way back to user mode).
pub fn has_deliverable(thread: &Thread) -> bool {
    let blocked = thread.sigmask.get() & !UNBLOCKABLE;
    (thread.pending.get() | thread.process.shared_pending.get()) & !blocked != 0
}

/// Acts on every deliverable signal of `thread`, the current one (Linux's get_signal). Returns
/// the status the process must end with if one of them is fatal: the caller drops its references
/// and calls `do_exit_group` (which never returns, so nothing it holds would ever be released).
pub fn deliver(thread: &Thread) -> Option<ExitStatus> {
    while let Some(sig) = dequeue(thread) {
        match default_action(sig) {
            DefaultAction::Terminate | DefaultAction::CoreDump => {
                return Some(ExitStatus::Signaled(sig));
            }
            // Job control comes with process groups and a terminal (the console issue).
            DefaultAction::Ignore | DefaultAction::Stop | DefaultAction::Continue => {}
        }
    }
    None
}
