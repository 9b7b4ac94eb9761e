//! Process groups and sessions (Linux's kernel/sys.c: setpgid, getpgid, getpgrp, setsid, getsid).
//! A process group is the set of processes with the same pgid (kill(-pgid), wait4(-pgid)); a
//! session the set with the same sid. The console is the controlling terminal of a session
//! ([`crate::tty`]).

use core::sync::atomic::Ordering;

use super::{Pid, Process, all, find};
use crate::{syscall::errno::*, thread};

/// The process `pid` names, 0 meaning the caller.
fn lookup(pid: i32) -> Result<alloc::sync::Arc<Process>, Errno> {
    let me = thread::current_process().ok_or(ESRCH)?;
    match pid {
        0 => Ok(me),
        p if p > 0 => find(p as Pid).ok_or(ESRCH),
        _ => Err(ESRCH),
    }
}

/// getpgid(pid): the process group of `pid` (0: the caller).
pub fn getpgid(pid: i32) -> Result<u64, Errno> {
    Ok(lookup(pid)?.pgid.load(Ordering::Relaxed) as u64)
}

/// getsid(pid): the session of `pid` (0: the caller).
pub fn getsid(pid: i32) -> Result<u64, Errno> {
    Ok(lookup(pid)?.sid.load(Ordering::Relaxed) as u64)
}

/// Whether some process is in process group `pgid` (and, if `sid` is given, in that session).
fn group_exists(pgid: Pid, sid: Option<Pid>) -> bool {
    all().iter().any(|p| {
        p.pgid.load(Ordering::Relaxed) == pgid
            && sid.is_none_or(|sid| p.sid.load(Ordering::Relaxed) == sid)
    })
}

/// setsid(): the caller starts a new session and a new group, both with its pid as id. EPERM if
/// a process group with that id exists already (the caller leads one), as on Linux.
pub fn setsid() -> Result<u64, Errno> {
    let me = thread::current_process().ok_or(EPERM)?;
    if group_exists(me.pid, None) {
        return Err(EPERM);
    }
    me.pgid.store(me.pid, Ordering::Relaxed);
    me.sid.store(me.pid, Ordering::Relaxed);
    Ok(me.pid as u64)
}

/// setpgid(pid, pgid): moves `pid` (0: the caller) into group `pgid` (0: a group of its own), with
/// Linux's checks in Linux's order: the target is the caller or one of its children (ESRCH), a
/// child in the same session (EPERM) that has not called execve (EACCES), not a session leader
/// (EPERM), and the group exists in the caller's session unless it is new (EPERM).
pub fn setpgid(pid: i32, pgid: i32) -> Result<u64, Errno> {
    let me = thread::current_process().ok_or(ESRCH)?;
    let pid = if pid == 0 { me.pid as i32 } else { pid };
    let pgid = if pgid == 0 { pid } else { pgid };
    if pgid < 0 {
        return Err(EINVAL);
    }
    let target = if pid > 0 { find(pid as Pid) } else { None }.ok_or(ESRCH)?;
    let my_sid = me.sid.load(Ordering::Relaxed);
    if target.ppid.load(Ordering::Relaxed) == me.pid && target.pid != me.pid {
        if target.sid.load(Ordering::Relaxed) != my_sid {
            return Err(EPERM);
        }
        if target.did_exec.load(Ordering::Relaxed) {
            return Err(EACCES);
        }
    } else if target.pid != me.pid {
        return Err(ESRCH);
    }
    if target.sid.load(Ordering::Relaxed) == target.pid {
        return Err(EPERM);
    }
    if pgid != pid && !group_exists(pgid as Pid, Some(my_sid)) {
        return Err(EPERM);
    }
    target.pgid.store(pgid as Pid, Ordering::Relaxed);
    Ok(0)
}

/// Whether process group `pgid` is orphaned (POSIX; Linux's will_become_orphaned_pgrp): no live
/// member has a parent in another group of the same session, so no shell is left to continue it.
/// Stop signals from the terminal are refused to such a group (EIO), since nobody could resume it.
pub fn is_orphaned_pgrp(pgid: Pid) -> bool {
    let processes = all();
    !processes.iter().any(|p| {
        p.pgid.load(Ordering::Relaxed) == pgid
            && matches!(p.state(), super::ProcessState::Alive)
            && find(p.ppid.load(Ordering::Relaxed)).is_some_and(|parent| {
                parent.pgid.load(Ordering::Relaxed) != pgid
                    && parent.sid.load(Ordering::Relaxed) == p.sid.load(Ordering::Relaxed)
            })
    })
}
