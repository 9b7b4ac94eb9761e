//! futex(2) and set_tid_address(2): the argument decoding of Linux's kernel/futex/syscalls.c; the
//! work is in [`crate::futex`].

use abi::futex::{
    FUTEX_BITSET_MATCH_ANY, FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_CMP_REQUEUE,
    FUTEX_LOCK_PI2, FUTEX_PRIVATE_FLAG, FUTEX_REQUEUE, FUTEX_WAIT, FUTEX_WAIT_BITSET,
    FUTEX_WAIT_REQUEUE_PI, FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP,
};
use abi::time::{NSEC_PER_SEC, timespec};
use core::sync::atomic::Ordering;

use super::{SysResult, errno::*};
use crate::{arch::uaccess, futex, thread, time};

/// The deadline, on the monotonic clock, of a wait's timeout: relative for FUTEX_WAIT, absolute
/// (on CLOCK_MONOTONIC, or CLOCK_REALTIME with FUTEX_CLOCK_REALTIME) for FUTEX_WAIT_BITSET.
fn deadline(utime: u64, relative: bool, realtime: bool) -> Result<Option<u64>, Errno> {
    if utime == 0 {
        return Ok(None);
    }
    let ts: timespec = uaccess::read_user(utime)?;
    if ts.tv_sec < 0 || !(0..NSEC_PER_SEC).contains(&ts.tv_nsec) {
        return Err(EINVAL);
    }
    let ns = ts
        .tv_sec
        .saturating_mul(NSEC_PER_SEC)
        .saturating_add(ts.tv_nsec);
    Ok(Some(if relative {
        time::now_ns().saturating_add(ns as u64)
    } else if realtime {
        let offset = time::realtime_ns() - time::now_ns() as i64;
        ns.saturating_sub(offset).max(0) as u64
    } else {
        ns as u64
    }))
}

/// How many a wake count means: Linux's wake loops stop after the first waiter when the count is
/// zero or negative, so those wake one.
fn wake_count(val: u64) -> u64 {
    (val as i32).max(1) as u64
}

/// futex(uaddr, op, val, timeout or val2, uaddr2, val3). The priority-inheritance operations are
/// not implemented (ENOSYS, which glibc and musl handle for PI mutexes by failing their creation).
pub fn sys_futex(uaddr: u64, op: u64, val: u64, utime: u64, uaddr2: u64, val3: u64) -> SysResult {
    let op = op as u32 as u64;
    let cmd = op & FUTEX_CMD_MASK;
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    if realtime
        && !matches!(
            cmd,
            FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI | FUTEX_LOCK_PI2
        )
    {
        return Err(ENOSYS);
    }
    let val = val as u32;
    let val3 = val3 as u32;
    match cmd {
        FUTEX_WAIT => {
            let deadline = deadline(utime, true, false)?;
            futex::futex_wait(uaddr, val, FUTEX_BITSET_MATCH_ANY, deadline, private)
        }
        FUTEX_WAIT_BITSET => {
            let deadline = deadline(utime, false, realtime)?;
            futex::futex_wait(uaddr, val, val3, deadline, private)
        }
        FUTEX_WAKE => futex::futex_wake(
            uaddr,
            wake_count(val as u64),
            FUTEX_BITSET_MATCH_ANY,
            private,
        ),
        FUTEX_WAKE_BITSET => futex::futex_wake(uaddr, wake_count(val as u64), val3, private),
        FUTEX_REQUEUE => futex::futex_requeue(uaddr, uaddr2, val as u64, utime, None, private),
        FUTEX_CMP_REQUEUE => {
            futex::futex_requeue(uaddr, uaddr2, val as u64, utime, Some(val3), private)
        }
        FUTEX_WAKE_OP => futex::futex_wake_op(
            uaddr,
            uaddr2,
            wake_count(val as u64),
            wake_count(utime),
            val3,
            private,
        ),
        _ => Err(ENOSYS),
    }
}

/// set_tid_address(tidptr): where the calling thread's tid is cleared, and a futex waiter woken,
/// when it exits (CLONE_CHILD_CLEARTID's address; how a thread join waits). Returns the tid.
pub fn sys_set_tid_address(tidptr: u64) -> SysResult {
    let me = thread::current().ok_or(ESRCH)?;
    me.clear_child_tid.store(tidptr, Ordering::Relaxed);
    Ok(me.tid() as u64)
}

/// set_robust_list(head, len): where the calling thread's robust futex list is; EINVAL unless
/// `len` is the size of the list head.
pub fn sys_set_robust_list(head: u64, len: u64) -> SysResult {
    if len != futex::ROBUST_LIST_HEAD_SIZE {
        return Err(EINVAL);
    }
    let me = thread::current().ok_or(ESRCH)?;
    me.robust_list.store(head, Ordering::Relaxed);
    Ok(0)
}

/// get_robust_list(tid, head_ptr, len_ptr): the robust list of a thread (0: the caller).
pub fn sys_get_robust_list(tid: u64, head_ptr: u64, len_ptr: u64) -> SysResult {
    let tid = tid as i32;
    let target = match tid {
        0 => thread::current(),
        t if t > 0 => thread::find(t as u32),
        _ => None,
    }
    .ok_or(ESRCH)?;
    let head = target.robust_list.load(Ordering::Relaxed);
    uaccess::write_user(len_ptr, &futex::ROBUST_LIST_HEAD_SIZE)?;
    uaccess::write_user(head_ptr, &head)?;
    Ok(0)
}
