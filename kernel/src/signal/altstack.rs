//! The alternate signal stack (Linux's sigaltstack, sas_ss_*): per thread, where handlers
//! installed with SA_ONSTACK run, so that a handler can run even when the normal stack overflowed.

use abi::signal::{MINSIGSTKSZ, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, stack_t};

use crate::{syscall::errno::*, thread::Thread};

/// A thread's alternate stack: `[sp, sp + size)`, and the flags it was set with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    pub flags: i32,
}

impl AltStack {
    /// No alternate stack (a new process, and after execve). The flags stay 0, as Linux's: a
    /// signal frame's uc_stack shows 0, while sigaltstack reports SS_DISABLE (from the size).
    pub const fn disabled() -> Self {
        AltStack {
            sp: 0,
            size: 0,
            flags: 0,
        }
    }

    /// An SS_AUTODISARM stack while a handler runs on it (Linux's sas_ss_reset).
    pub const fn disarmed() -> Self {
        AltStack {
            sp: 0,
            size: 0,
            flags: SS_DISABLE,
        }
    }

    /// Whether `sp` is on this stack (Linux's on_sig_stack); never with SS_AUTODISARM, which
    /// disarms the stack while a handler runs on it.
    pub fn contains(&self, sp: u64) -> bool {
        self.flags & SS_AUTODISARM == 0 && sp > self.sp && sp.wrapping_sub(self.sp) <= self.size
    }

    /// SS_DISABLE, SS_ONSTACK or 0, as seen from stack pointer `sp` (Linux's sas_ss_flags).
    pub fn state(&self, sp: u64) -> i32 {
        if self.size == 0 {
            SS_DISABLE
        } else if self.contains(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }

    /// As a `stack_t`, the way a signal frame's `uc_stack` records it.
    pub fn to_user(self) -> stack_t {
        stack_t {
            ss_sp: self.sp,
            ss_flags: self.flags,
            ss_size: self.size,
        }
    }
}

/// sigaltstack's work (Linux's do_sigaltstack) for the current thread whose user stack pointer is
/// `sp`: returns the old stack as sigaltstack reports it, after setting `new` if given.
pub fn do_sigaltstack(me: &Thread, new: Option<stack_t>, sp: u64) -> Result<stack_t, Errno> {
    let mut cur = me.altstack.lock();
    let old = stack_t {
        ss_sp: cur.sp,
        ss_flags: cur.state(sp) | (cur.flags & SS_AUTODISARM),
        ss_size: cur.size,
    };
    if let Some(ss) = new {
        if cur.contains(sp) {
            return Err(EPERM);
        }
        let mode = ss.ss_flags & !SS_AUTODISARM;
        if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 {
            return Err(EINVAL);
        }
        *cur = if mode == SS_DISABLE {
            AltStack {
                sp: 0,
                size: 0,
                flags: ss.ss_flags,
            }
        } else if ss.ss_size < MINSIGSTKSZ {
            return Err(ENOMEM);
        } else {
            AltStack {
                sp: ss.ss_sp,
                size: ss.ss_size,
                flags: ss.ss_flags,
            }
        };
    }
    Ok(old)
}
