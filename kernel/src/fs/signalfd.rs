//! signalfd (Linux's fs/signalfd.c): the signals of a mask, read from a descriptor instead of
//! delivered. The program blocks them; a read takes the reading thread's pending signals of the
//! mask (its own first, then its process's, lowest first, as delivery would) as 128-byte
//! `signalfd_siginfo` records, as many as fit, waiting while there is none (EAGAIN when
//! non-blocking). Poll and epoll see the descriptor readable while one is pending. Sending a
//! signal wakes the readers of the target's process (see `signal::send`).

use core::sync::atomic::{AtomicU64, Ordering};

use crate::{
    signal::{self, KSigInfo, SIGKILL, SIGSTOP, SigLayout, sigmask},
    sync::IrqOff,
    syscall::errno::*,
    thread,
};

/// The size of one record (`struct signalfd_siginfo`).
pub const SIGINFO_SIZE: usize = 128;

pub struct SignalFd {
    mask: AtomicU64,
}

impl SignalFd {
    pub fn new(mask: u64) -> Self {
        let fd = SignalFd {
            mask: AtomicU64::new(0),
        };
        fd.set_mask(mask);
        fd
    }

    /// The signals it reads; SIGKILL and SIGSTOP never (Linux drops them from the mask).
    pub fn set_mask(&self, mask: u64) {
        let mask = mask & !(sigmask(SIGKILL) | sigmask(SIGSTOP));
        self.mask.store(mask, Ordering::Relaxed);
    }

    /// Linux's signalfd_read: records into `dst` (EINVAL if not even one fits).
    pub fn read(&self, dst: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if dst.len() < SIGINFO_SIZE {
            return Err(EINVAL);
        }
        let me = thread::current().ok_or(EINVAL)?;
        let mask = self.mask.load(Ordering::Relaxed);
        loop {
            let irq = IrqOff::new();
            let mut done = 0;
            while done + SIGINFO_SIZE <= dst.len() {
                let Some((sig, info)) = signal::dequeue_mask(&me, mask) else {
                    break;
                };
                dst[done..done + SIGINFO_SIZE].copy_from_slice(&record(sig, &info));
                done += SIGINFO_SIZE;
            }
            if done > 0 {
                return Ok(done);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            me.process.signalfd_wait.sleep(irq)?;
        }
    }

    /// Readable while the looking thread has a signal of the mask pending.
    pub fn poll(&self) -> u16 {
        use abi::poll::{POLLIN, POLLRDNORM};
        let mask = self.mask.load(Ordering::Relaxed);
        let pending =
            thread::current().map_or(0, |t| t.pending.get() | t.process.shared_pending.get());
        if pending & mask != 0 {
            (POLLIN | POLLRDNORM) as u16
        } else {
            0
        }
    }
}

/// One `signalfd_siginfo`, filled as Linux's signalfd_copyinfo does for the signal's layout.
fn record(sig: u8, info: &KSigInfo) -> [u8; SIGINFO_SIZE] {
    let mut r = [0u8; SIGINFO_SIZE];
    let mut put =
        |offset: usize, bytes: &[u8]| r[offset..offset + bytes.len()].copy_from_slice(bytes);
    put(0, &(sig as u32).to_ne_bytes()); // ssi_signo
    put(8, &info.code.to_ne_bytes()); // ssi_code
    let layout = info.layout(sig);
    if layout == SigLayout::Fault {
        put(72, &info.addr.to_ne_bytes()); // ssi_addr
        return r;
    }
    if layout == SigLayout::Timer {
        put(24, &(info.timer_id as u32).to_ne_bytes()); // ssi_tid
        put(32, &(info.overrun as u32).to_ne_bytes()); // ssi_overrun
        put(44, &(info.value as u32).to_ne_bytes()); // ssi_int
        put(48, &info.value.to_ne_bytes()); // ssi_ptr
        return r;
    }
    put(12, &(info.pid as u32).to_ne_bytes()); // ssi_pid
    put(16, &info.uid.to_ne_bytes()); // ssi_uid
    match layout {
        SigLayout::Child => put(40, &info.status.to_ne_bytes()), // ssi_status
        SigLayout::Queued => {
            put(44, &(info.value as u32).to_ne_bytes()); // ssi_int
            put(48, &info.value.to_ne_bytes()); // ssi_ptr
        }
        SigLayout::Fault | SigLayout::Timer | SigLayout::Kill => {}
    }
    r
}
