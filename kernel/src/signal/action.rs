//! Signal actions (Linux's sighand_struct and do_sigaction): what each signal does in a process,
//! shared by its threads, copied by fork, reset by execve.

use abi::signal::{
    SA_EXPOSE_TAGBITS, SA_NOCLDSTOP, SA_NOCLDWAIT, SA_NODEFER, SA_ONSTACK, SA_RESETHAND,
    SA_RESTART, SA_RESTORER, SA_SIGINFO, SIG_DFL, SIG_IGN, sigaction,
};

use super::{DefaultAction, NSIG, UNBLOCKABLE, default_action};
use crate::sync::IrqMutex;

/// The flags Linux knows (UAPI_SA_FLAGS on x86_64): others are cleared, so that a program can
/// find out which ones the kernel supports.
pub const KNOWN_FLAGS: u64 = SA_NOCLDSTOP
    | SA_NOCLDWAIT
    | SA_SIGINFO
    | SA_ONSTACK
    | SA_RESTART
    | SA_NODEFER
    | SA_RESETHAND
    | SA_EXPOSE_TAGBITS
    | SA_RESTORER;

const DEFAULT: sigaction = sigaction {
    sa_handler: SIG_DFL,
    sa_flags: 0,
    sa_restorer: 0,
    sa_mask: 0,
};

/// The action of every signal of a process.
pub struct SigActions(IrqMutex<[sigaction; NSIG as usize]>);

impl SigActions {
    /// Every signal at its default action.
    pub const fn new() -> Self {
        SigActions(IrqMutex::new([DEFAULT; NSIG as usize]))
    }

    /// A copy of `other` (fork).
    pub fn copy_from(&self, other: &SigActions) {
        let theirs = *other.0.lock();
        *self.0.lock() = theirs;
    }

    pub fn get(&self, sig: u8) -> sigaction {
        self.0.lock()[sig as usize - 1]
    }

    /// Sets `sig` back to its default action (SA_RESETHAND, a fault that cannot be handled).
    pub fn reset(&self, sig: u8) {
        self.0.lock()[sig as usize - 1] = DEFAULT;
    }

    /// Replaces the action of `sig` and returns the old one (Linux's do_sigaction; the caller
    /// checked `sig`, and flushes what the new action ignores). SIGKILL and SIGSTOP cannot be
    /// blocked by a handler's mask either.
    pub fn set(&self, sig: u8, mut new: sigaction) -> sigaction {
        new.sa_flags &= KNOWN_FLAGS;
        new.sa_mask &= !UNBLOCKABLE;
        core::mem::replace(&mut self.0.lock()[sig as usize - 1], new)
    }

    /// execve: caught signals go back to their default action; ignored ones stay ignored (Linux's
    /// flush_signal_handlers).
    pub fn flush_handlers(&self) {
        for act in self.0.lock().iter_mut() {
            let ignored = act.sa_handler == SIG_IGN;
            *act = DEFAULT;
            if ignored {
                act.sa_handler = SIG_IGN;
            }
        }
    }

    /// Whether `sig` would be dropped on arrival: ignored explicitly or by default (Linux's
    /// sig_handler_ignored).
    pub fn ignores(&self, sig: u8) -> bool {
        let act = self.get(sig);
        act.sa_handler == SIG_IGN
            || (act.sa_handler == SIG_DFL && default_action(sig) == DefaultAction::Ignore)
    }

    /// Whether the process does not want its children to become zombies: SIGCHLD ignored or
    /// SA_NOCLDWAIT (Linux's do_notify_parent autoreap).
    pub fn no_zombies(&self) -> bool {
        let act = self.get(super::SIGCHLD);
        act.sa_handler == SIG_IGN || act.sa_flags & SA_NOCLDWAIT != 0
    }

    /// Whether the process wants SIGCHLD when a child stops or continues.
    pub fn wants_cldstop(&self) -> bool {
        self.get(super::SIGCHLD).sa_flags & SA_NOCLDSTOP == 0
    }
}
