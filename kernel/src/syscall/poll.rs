//! Waiting for descriptors (Linux's fs/select.c): poll, ppoll, select and pselect6.
//!
//! Each call copies its descriptor lists into the kernel, then loops: with interrupts off, ask
//! every file what it is ready for ([`OpenFile::poll`](crate::fs::OpenFile::poll)); if something
//! is ready, or the timeout has passed, stop; otherwise sleep on the poll wait queue
//! ([`crate::fs::file::POLL_WAIT`]), which every change that can make a file ready wakes, until
//! woken or the deadline. After a timeout the files are checked once more, as Linux does. The
//! results are copied out at the end. ppoll and pselect6 run with the caller's signal mask
//! replaced for the duration of the call; ppoll, select and pselect6 store the time left where
//! the timeout was, as Linux does (poll_select_finish).

use abi::{
    poll::{
        POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND,
        POLLWRNORM, pollfd,
    },
    signal::sigset_t,
    time::{NSEC_PER_SEC, USEC_PER_SEC, timespec, timeval},
};
use alloc::vec::Vec;

use super::{SysResult, errno::*, read_write::current_files};
use crate::{
    arch::uaccess,
    fs::file::{POLL_WAIT, nofile_limit},
    signal,
    sync::IrqOff,
    thread, time,
};

/// Events select reports as readable, writable, exceptional (Linux's POLLIN_SET, ...).
const POLLIN_SET: u16 = (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR) as u16;
const POLLOUT_SET: u16 = (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR) as u16;
const POLLEX_SET: u16 = POLLPRI as u16;

/// When to give up: never (`None`), or at a time on the monotonic clock. A zero timeout is a
/// deadline already past: the files are checked once.
pub(super) type Deadline = Option<u64>;

/// The deadline `sec` seconds and `nsec` nanoseconds from now; EINVAL unless both are valid
/// (Linux's poll_select_set_timeout).
fn deadline_in(sec: i64, nsec: i64) -> Result<Deadline, Errno> {
    if sec < 0 || !(0..NSEC_PER_SEC).contains(&nsec) {
        return Err(EINVAL);
    }
    let ns = (sec as u64)
        .saturating_mul(NSEC_PER_SEC as u64)
        .saturating_add(nsec as u64);
    Ok(Some(time::now_ns().saturating_add(ns)))
}

/// The time left until `deadline`, for the calls that store it back.
fn time_left(deadline: u64) -> (i64, i64) {
    let left = deadline.saturating_sub(time::now_ns());
    (
        (left / NSEC_PER_SEC as u64) as i64,
        (left % NSEC_PER_SEC as u64) as i64,
    )
}

/// Linux's do_poll/do_select loop: calls `scan` (which returns how many descriptors are ready)
/// until it finds some, or the deadline has passed and one last scan found none. A sleep cut
/// short by a signal fails with its error (Linux: -ERESTARTNOHAND).
pub(super) fn wait_ready(
    deadline: Deadline,
    mut scan: impl FnMut() -> Result<usize, Errno>,
) -> SysResult {
    let mut timed_out = false;
    loop {
        // Interrupts stay off from the scan to the sleep, so that a wake-up is not lost.
        let irq = IrqOff::new();
        let ready = scan()?;
        if ready > 0 || timed_out {
            return Ok(ready as u64);
        }
        match POLL_WAIT.sleep_until(irq, deadline) {
            Ok(()) => {}
            Err(ETIMEDOUT) => timed_out = true,
            Err(e) => return Err(e),
        }
    }
}

/// Replaces the calling thread's signal mask for the length of a call (ppoll and pselect6's
/// `sigmask`), as Linux's set_user_sigmask: the old mask is kept as the thread's saved mask.
/// [`TempSigmask::finish`] puts it back at once, unless a signal interrupted the call: then it
/// stays saved, so that the handler runs with the temporary mask and sigreturn restores the old
/// one (Linux's restore_saved_sigmask_unless).
pub(super) struct TempSigmask {
    active: bool,
}

impl TempSigmask {
    /// Reads the mask at `set` (none if `set` is 0); EINVAL unless `size` is 8 bytes.
    pub(super) fn apply(set: u64, size: u64) -> Result<Self, Errno> {
        if set == 0 {
            return Ok(TempSigmask { active: false });
        }
        if size != size_of::<sigset_t>() as u64 {
            return Err(EINVAL);
        }
        let mask: sigset_t = uaccess::read_user(set)?;
        let me = thread::current().ok_or(EINVAL)?;
        me.saved_sigmask.save(me.sigmask.get());
        me.sigmask.set(mask & !signal::UNBLOCKABLE);
        Ok(TempSigmask { active: true })
    }

    /// Ends the call with `result`: the old mask comes back now unless a signal interrupted it.
    pub(super) fn finish(self, result: &SysResult) {
        if !self.active || *result == Err(EINTR) {
            return;
        }
        if let Some(me) = thread::current()
            && let Some(old) = me.saved_sigmask.take()
        {
            me.sigmask.set(old);
        }
    }
}

/// poll and select interrupted by a signal restart only if no handler runs (Linux:
/// -ERESTARTNOHAND), whatever SA_RESTART says.
fn no_restart_after_handler(result: SysResult) -> SysResult {
    if result == Err(EINTR) && !signal::fatal_signal_pending() {
        signal::set_restart(signal::ERESTARTNOHAND);
    }
    result
}

/// poll(fds, nfds, timeout_ms): a negative timeout waits for ever.
pub fn sys_poll(ufds: u64, nfds: u64, timeout_ms: u64) -> SysResult {
    let ms = timeout_ms as i32;
    let deadline = if ms < 0 {
        None
    } else {
        deadline_in(ms as i64 / 1000, (ms as i64 % 1000) * 1_000_000)?
    };
    no_restart_after_handler(do_sys_poll(ufds, nfds, deadline))
}

/// ppoll(fds, nfds, timeout, sigmask, sigsetsize): poll with a timespec (none: for ever) and a
/// signal mask for the duration.
pub fn sys_ppoll(ufds: u64, nfds: u64, tsp: u64, sigmask: u64, sigsetsize: u64) -> SysResult {
    let (deadline, zero) = read_timespec(tsp)?;
    let mask = TempSigmask::apply(sigmask, sigsetsize)?;
    let result = no_restart_after_handler(do_sys_poll(ufds, nfds, deadline));
    mask.finish(&result);
    finish(result, deadline, zero, |sec, nsec| {
        uaccess::write_user(
            tsp,
            &timespec {
                tv_sec: sec,
                tv_nsec: nsec,
            },
        )
    })
}

/// The deadline of a `struct timespec` timeout at `tsp` (0: none, wait for ever), and whether
/// the timeout is zero.
pub(super) fn read_timespec(tsp: u64) -> Result<(Deadline, bool), Errno> {
    if tsp == 0 {
        return Ok((None, false));
    }
    let ts: timespec = uaccess::read_user(tsp)?;
    Ok((
        deadline_in(ts.tv_sec, ts.tv_nsec)?,
        ts == timespec::default(),
    ))
}

/// Linux's poll_select_finish: stores the time left where the timeout was (`store`), unless
/// there was none or it was zero. If that store fails, the result stands.
fn finish(
    result: SysResult,
    deadline: Deadline,
    zero: bool,
    store: impl FnOnce(i64, i64) -> Result<(), uaccess::Fault>,
) -> SysResult {
    if let Some(deadline) = deadline
        && !zero
    {
        let (sec, nsec) = time_left(deadline);
        let _ = store(sec, nsec);
    }
    result
}

/// Linux's do_sys_poll: EINVAL for more descriptors than the limit, EFAULT for an unreadable
/// array; fills every `revents` (POLLNVAL for a closed descriptor, nothing for a negative one).
fn do_sys_poll(ufds: u64, nfds: u64, deadline: Deadline) -> SysResult {
    let nfds = nfds as u32 as usize;
    if nfds > nofile_limit() {
        return Err(EINVAL);
    }
    let mut fds: Vec<pollfd> = Vec::new();
    fds.try_reserve_exact(nfds).map_err(|_| ENOMEM)?;
    for i in 0..nfds {
        let at = ufds
            .checked_add((i * size_of::<pollfd>()) as u64)
            .ok_or(EFAULT)?;
        fds.push(uaccess::read_user(at)?);
    }
    let files = current_files()?;
    let ready = wait_ready(deadline, || {
        let table = files.lock();
        let mut ready = 0;
        for p in &mut fds {
            let mask = if p.fd < 0 {
                0
            } else {
                match table.get(p.fd as u64) {
                    Ok(file) => file.poll() & (p.events as u16 | POLLERR as u16 | POLLHUP as u16),
                    Err(_) => POLLNVAL as u16,
                }
            };
            p.revents = mask as i16;
            ready += usize::from(mask != 0);
        }
        Ok(ready)
    })?;
    for (i, p) in fds.iter().enumerate() {
        let at = ufds + (i * size_of::<pollfd>()) as u64 + 6;
        uaccess::write_user(at, &p.revents)?;
    }
    Ok(ready)
}

/// select(nfds, readfds, writefds, exceptfds, timeout): a timeval timeout (none: for ever),
/// whose microseconds may exceed a second (they carry into the seconds, as in Linux's
/// kern_select).
pub fn sys_select(n: u64, inp: u64, outp: u64, exp: u64, tvp: u64) -> SysResult {
    let (deadline, zero) = if tvp == 0 {
        (None, false)
    } else {
        let tv: timeval = uaccess::read_user(tvp)?;
        let sec = tv
            .tv_sec
            .checked_add(tv.tv_usec / USEC_PER_SEC)
            .ok_or(EINVAL)?;
        let deadline = deadline_in(sec, (tv.tv_usec % USEC_PER_SEC) * 1000)?;
        (deadline, tv == timeval::default())
    };
    let result = no_restart_after_handler(core_sys_select(n, [inp, outp, exp], deadline));
    finish(result, deadline, zero, |sec, nsec| {
        uaccess::write_user(
            tvp,
            &timeval {
                tv_sec: sec,
                tv_usec: nsec / 1000,
            },
        )
    })
}

/// pselect6(nfds, readfds, writefds, exceptfds, timeout, sig): select with a timespec and, in
/// `sig`, a pointer to { sigset pointer, its size }: the mask for the duration.
pub fn sys_pselect6(n: u64, inp: u64, outp: u64, exp: u64, tsp: u64, sig: u64) -> SysResult {
    let (deadline, zero) = read_timespec(tsp)?;
    let (set, size) = if sig == 0 {
        (0, 0)
    } else {
        let pack: [u64; 2] = uaccess::read_user(sig)?;
        (pack[0], pack[1])
    };
    let mask = TempSigmask::apply(set, size)?;
    let result = no_restart_after_handler(core_sys_select(n, [inp, outp, exp], deadline));
    mask.finish(&result);
    finish(result, deadline, zero, |sec, nsec| {
        uaccess::write_user(
            tsp,
            &timespec {
                tv_sec: sec,
                tv_nsec: nsec,
            },
        )
    })
}

/// Linux's core_sys_select: EINVAL for a negative count; a count above the table's size
/// (max_fds) is cut to it; EFAULT for an unreadable or unwritable set; EBADF if a set names a
/// closed descriptor. The sets are read and written in whole 64-bit words, the bits at and above
/// `n` in the last word cleared.
fn core_sys_select(n: u64, sets: [u64; 3], deadline: Deadline) -> SysResult {
    let n = n as i32;
    if n < 0 {
        return Err(EINVAL);
    }
    let files = current_files()?;
    let n = (n as usize).min(files.lock().max_fds());
    let words = n.div_ceil(64);
    let mut wanted: [Vec<u64>; 3] = Default::default();
    for (bits, &user) in wanted.iter_mut().zip(&sets) {
        bits.try_reserve_exact(words).map_err(|_| ENOMEM)?;
        bits.resize(words, 0);
        if user != 0 {
            for (w, word) in bits.iter_mut().enumerate() {
                *word = uaccess::read_user(user + (w * 8) as u64)?;
            }
        }
        if n % 64 != 0
            && let Some(last) = bits.last_mut()
        {
            *last &= (1u64 << (n % 64)) - 1;
        }
    }
    // Every descriptor named must be open (Linux's max_select_fd).
    {
        let table = files.lock();
        for fd in 0..n {
            if wanted.iter().any(|b| b[fd / 64] & (1 << (fd % 64)) != 0)
                && table.get(fd as u64).is_err()
            {
                return Err(EBADF);
            }
        }
    }
    let mut result: [Vec<u64>; 3] = Default::default();
    for bits in &mut result {
        bits.try_reserve_exact(words).map_err(|_| ENOMEM)?;
        bits.resize(words, 0);
    }
    let ready = wait_ready(deadline, || {
        let table = files.lock();
        let mut ready = 0;
        for fd in 0..n {
            let (w, bit) = (fd / 64, 1u64 << (fd % 64));
            if wanted.iter().all(|b| b[w] & bit == 0) {
                continue;
            }
            // A descriptor closed meanwhile (by another thread) is skipped, as in Linux.
            let Ok(file) = table.get(fd as u64) else {
                continue;
            };
            let mask = file.poll();
            for (set, events) in [POLLIN_SET, POLLOUT_SET, POLLEX_SET].iter().enumerate() {
                if wanted[set][w] & bit != 0 && mask & events != 0 {
                    result[set][w] |= bit;
                    ready += 1;
                }
            }
        }
        Ok(ready)
    })?;
    for (bits, &user) in result.iter().zip(&sets) {
        if user != 0 {
            for (w, word) in bits.iter().enumerate() {
                uaccess::write_user(user + (w * 8) as u64, word)?;
            }
        }
    }
    Ok(ready)
}
