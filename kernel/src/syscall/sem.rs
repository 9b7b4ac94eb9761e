//! semget, semop, semtimedop and semctl (Linux's ipc/sem.c), with Linux's checks in its order.
//! The sets themselves are [`crate::ipc::sem`].

use abi::{
    ipc::{
        GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, SEM_INFO,
        SEM_STAT, SEM_STAT_ANY, SEMOPM, SETALL, SETVAL, sembuf, semid64_ds,
    },
    time::timespec,
};
use alloc::vec::Vec;

use super::{
    SysResult,
    errno::*,
    time::{timespec_ns, valid_timespec},
};
use crate::{
    arch::uaccess,
    ipc::sem::{self, SemQuery},
    thread, time,
};

/// semget(key, nsems, semflg).
pub fn sys_semget(key: u64, nsems: u64, flags: u64) -> SysResult {
    let process = thread::current_process().ok_or(EINVAL)?;
    sem::semget(&process, key as i32, nsems as i32, flags as u32 as u64).map(|id| id as u64)
}

/// semop(semid, sops, nsops): semtimedop without a timeout.
pub fn sys_semop(semid: u64, sops: u64, nsops: u64) -> SysResult {
    do_semtimedop(semid as i32, sops, nsops as u32, None)
}

/// semtimedop(semid, sops, nsops, timeout) (Linux's ksys_semtimedop): the timeout, relative, is
/// read first (EFAULT); EAGAIN when it passes.
pub fn sys_semtimedop(semid: u64, sops: u64, nsops: u64, timeout: u64) -> SysResult {
    let timeout = if timeout == 0 {
        None
    } else {
        Some(uaccess::read_user::<timespec>(timeout)?)
    };
    do_semtimedop(semid as i32, sops, nsops as u32, timeout)
}

/// Linux's do_semtimedop: EINVAL for no operations or a negative id, E2BIG for more than SEMOPM,
/// EFAULT, EINVAL for a bad timeout; then the set's checks and the operations.
fn do_semtimedop(semid: i32, sops: u64, nsops: u32, timeout: Option<timespec>) -> SysResult {
    if nsops < 1 || semid < 0 {
        return Err(EINVAL);
    }
    if nsops as u64 > SEMOPM {
        return Err(E2BIG);
    }
    let mut ops = Vec::new();
    ops.try_reserve_exact(nsops as usize).map_err(|_| ENOMEM)?;
    for i in 0..nsops as u64 {
        let addr = sops
            .checked_add(i * size_of::<sembuf>() as u64)
            .ok_or(EFAULT)?;
        ops.push(uaccess::read_user::<sembuf>(addr)?);
    }
    let deadline = match timeout {
        None => None,
        Some(ts) if !valid_timespec(&ts) => return Err(EINVAL),
        Some(ts) => Some(time::now_ns().saturating_add(timespec_ns(ts) as u64)),
    };
    let process = thread::current_process().ok_or(EINVAL)?;
    sem::semtimedop(&process, semid, ops, deadline).map(|()| 0)
}

/// semctl(semid, semnum, cmd, arg) (Linux's ksys_semctl): `arg` is the value for SETVAL, else
/// a pointer.
pub fn sys_semctl(semid: u64, semnum: u64, cmd: u64, arg: u64) -> SysResult {
    let (semid, semnum, cmd) = (semid as i32, semnum as i32, cmd as i32);
    if semid < 0 {
        return Err(EINVAL);
    }
    let process = thread::current_process().ok_or(EINVAL)?;
    let query = |what| sem::query(&process, semid, semnum, what).map(|v| v as u64);
    match u64::try_from(cmd).map_err(|_| EINVAL)? {
        IPC_INFO | SEM_INFO => {
            let (info, max) = sem::info(cmd as u64 == SEM_INFO);
            uaccess::write_user(arg, &info)?;
            Ok(max as u64)
        }
        cmd @ (IPC_STAT | SEM_STAT | SEM_STAT_ANY) => {
            let (ds, id) = sem::stat(&process, semid, cmd != IPC_STAT, cmd != SEM_STAT_ANY)?;
            uaccess::write_user(arg, &ds)?;
            Ok(id as u64)
        }
        GETVAL => query(SemQuery::Val),
        GETPID => query(SemQuery::Pid),
        GETNCNT => query(SemQuery::Ncnt),
        GETZCNT => query(SemQuery::Zcnt),
        GETALL => {
            let vals = sem::get_all(&process, semid)?;
            let mut bytes = Vec::new();
            bytes
                .try_reserve_exact(vals.len() * 2)
                .map_err(|_| ENOMEM)?;
            bytes.extend(vals.iter().flat_map(|v| v.to_ne_bytes()));
            uaccess::copy_to_user(arg, &bytes)?;
            Ok(0)
        }
        SETALL => {
            let nsems = sem::nsems_for_write(&process, semid)?;
            let mut bytes = Vec::new();
            bytes.try_reserve_exact(nsems * 2).map_err(|_| ENOMEM)?;
            bytes.resize(nsems * 2, 0);
            uaccess::copy_from_user(&mut bytes, arg)?;
            let mut vals = Vec::new();
            vals.try_reserve_exact(nsems).map_err(|_| ENOMEM)?;
            vals.extend(
                bytes
                    .as_chunks::<2>()
                    .0
                    .iter()
                    .map(|&b| u16::from_ne_bytes(b)),
            );
            sem::set_all(&process, semid, &vals).map(|()| 0)
        }
        SETVAL => sem::set_val(&process, semid, semnum, arg as i32).map(|()| 0),
        IPC_SET => {
            let ds: semid64_ds = uaccess::read_user(arg)?;
            sem::set(&process, semid, &ds.sem_perm).map(|()| 0)
        }
        IPC_RMID => sem::remove(&process, semid).map(|()| 0),
        _ => Err(EINVAL),
    }
}
