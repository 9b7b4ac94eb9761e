//! msgget, msgsnd, msgrcv and msgctl (Linux's ipc/msg.c), with Linux's checks in its order. The
//! queues themselves are [`crate::ipc::msg`].

use abi::ipc::{
    IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, MSG_COPY, MSG_EXCEPT, MSG_INFO, MSG_STAT,
    MSG_STAT_ANY, MSGMAX, msqid64_ds,
};
use alloc::vec::Vec;

use super::{SysResult, errno::*};
use crate::{
    arch::uaccess,
    ipc::msg::{self, Msg},
    thread,
};

/// The size of a message's type field before its text (`struct msgbuf`'s mtype).
const MTYPE_SIZE: u64 = size_of::<i64>() as u64;

/// msgget(key, msgflg).
pub fn sys_msgget(key: u64, flags: u64) -> SysResult {
    let process = thread::current_process().ok_or(EINVAL)?;
    msg::msgget(&process, key as i32, flags as u32 as u64).map(|id| id as u64)
}

/// msgsnd(msqid, msgp, msgsz, msgflg) (Linux's ksys_msgsnd and do_msgsnd): the type is read
/// first (EFAULT); EINVAL for a size above MSGMAX, a negative id or a type below 1; the text is
/// read before the queue is looked at.
pub fn sys_msgsnd(msqid: u64, msgp: u64, msgsz: u64, flags: u64) -> SysResult {
    let (msqid, flags) = (msqid as i32, flags as u32 as u64);
    let mtype: i64 = uaccess::read_user(msgp)?;
    if msgsz > MSGMAX || msqid < 0 {
        return Err(EINVAL);
    }
    if mtype < 1 {
        return Err(EINVAL);
    }
    let mut text = Vec::new();
    text.try_reserve_exact(msgsz as usize).map_err(|_| ENOMEM)?;
    text.resize(msgsz as usize, 0);
    uaccess::copy_from_user(&mut text, msgp.wrapping_add(MTYPE_SIZE))?;
    let process = thread::current_process().ok_or(EINVAL)?;
    msg::msgsnd(&process, msqid, Msg { mtype, text }, flags).map(|()| 0)
}

/// msgrcv(msqid, msgp, msgsz, msgtyp, msgflg) (Linux's ksys_msgrcv and do_msgrcv): EINVAL for a
/// negative id or size, or MSG_COPY with MSG_EXCEPT or without IPC_NOWAIT. Returns the bytes of
/// text stored; a message that cannot be stored (EFAULT) is lost, as on Linux.
pub fn sys_msgrcv(msqid: u64, msgp: u64, msgsz: u64, msgtyp: u64, flags: u64) -> SysResult {
    let (msqid, flags) = (msqid as i32, flags as u32 as u64);
    if msqid < 0 || (msgsz as i64) < 0 {
        return Err(EINVAL);
    }
    if flags & MSG_COPY != 0 && (flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT as u64 == 0) {
        return Err(EINVAL);
    }
    let process = thread::current_process().ok_or(EINVAL)?;
    let msg = msg::msgrcv(&process, msqid, msgsz as usize, msgtyp as i64, flags)?;
    uaccess::write_user(msgp, &msg.mtype)?;
    let len = msg.text.len().min(msgsz as usize);
    uaccess::copy_to_user(msgp.wrapping_add(MTYPE_SIZE), &msg.text[..len])?;
    Ok(len as u64)
}

/// msgctl(msqid, cmd, buf) (Linux's ksys_msgctl).
pub fn sys_msgctl(msqid: u64, cmd: u64, buf: u64) -> SysResult {
    let (msqid, cmd) = (msqid as i32, cmd as i32);
    if msqid < 0 || cmd < 0 {
        return Err(EINVAL);
    }
    let process = thread::current_process().ok_or(EINVAL)?;
    match cmd as u64 {
        IPC_INFO | MSG_INFO => {
            let (info, max) = msg::info(cmd as u64 == MSG_INFO);
            uaccess::write_user(buf, &info)?;
            Ok(max as u64)
        }
        cmd @ (IPC_STAT | MSG_STAT | MSG_STAT_ANY) => {
            let (ds, id) = msg::stat(&process, msqid, cmd != IPC_STAT, cmd != MSG_STAT_ANY)?;
            uaccess::write_user(buf, &ds)?;
            Ok(id as u64)
        }
        IPC_SET => {
            let ds: msqid64_ds = uaccess::read_user(buf)?;
            msg::set(&process, msqid, &ds.msg_perm, ds.msg_qbytes).map(|()| 0)
        }
        IPC_RMID => msg::remove(&process, msqid).map(|()| 0),
        _ => Err(EINVAL),
    }
}
