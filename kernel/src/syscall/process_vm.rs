//! process_vm_readv and process_vm_writev (Linux's mm/process_vm_access.c): copying between the
//! caller's buffers and another process's memory, page batch by page batch. The other process's
//! pages are brought in and referenced under its mm lock (`MmInner::get_user_pages_remote`, in
//! [`crate::mm::gup`]), then copied with only the caller's own memory faulting.

use alloc::{sync::Arc, vec::Vec};

use super::{
    SysResult,
    errno::*,
    read_write::{UserBufs, kernel_buffer, read_iovecs},
};
use crate::{
    mm::{
        frame::Frame,
        gup::{Foll, GUP_BATCH},
        layout::PAGE_SIZE,
        mm_struct::Mm,
    },
    process::{
        self, Process,
        cred::{PtraceCreds, ptrace_may_access},
    },
    thread,
};

pub fn sys_process_vm_readv(
    pid: u64,
    lvec: u64,
    liovcnt: u64,
    rvec: u64,
    riovcnt: u64,
    flags: u64,
) -> SysResult {
    process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, false)
}

pub fn sys_process_vm_writev(
    pid: u64,
    lvec: u64,
    liovcnt: u64,
    rvec: u64,
    riovcnt: u64,
    flags: u64,
) -> SysResult {
    process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, true)
}

/// Linux's process_vm_rw and process_vm_rw_core, checks in their order: EINVAL for flags, the
/// local iovecs' errors, 0 if they hold no byte, the remote iovecs' errors (EINVAL past
/// IOV_MAX or for a negative length, EFAULT), 0 if they hold no byte, ESRCH for no such process
/// (or one without memory: a zombie), EPERM without the right to trace it. Then the bytes
/// copied, or EFAULT if none could be: a remote page that is not mapped or lacks the permission
/// ends the copy, as does a local buffer that faults.
fn process_vm_rw(
    pid: u64,
    lvec: u64,
    liovcnt: u64,
    rvec: u64,
    riovcnt: u64,
    flags: u64,
    write: bool,
) -> SysResult {
    if flags != 0 {
        return Err(EINVAL);
    }
    let mut local = UserBufs::import(lvec, liovcnt)?;
    if local.total() == 0 {
        return Ok(0);
    }
    // Linux's iovec_from_user: the addresses are the other process's, not checked here.
    let remote = read_iovecs(rvec, riovcnt)?;
    if remote.iter().all(|v| v.iov_len == 0) {
        return Ok(0);
    }
    let target = find_target(pid as i32)?;
    let mm = target.mm().ok_or(ESRCH)?;
    let me = thread::current_process().ok_or(ESRCH)?;
    if !ptrace_may_access(&me, &target, PtraceCreds::Real) {
        return Err(EPERM);
    }
    let mut copy = RemoteCopy {
        mm,
        write,
        done: 0,
        buf: kernel_buffer(PAGE_SIZE as usize)?,
        pages: Vec::new(),
    };
    copy.pages
        .try_reserve_exact(GUP_BATCH)
        .map_err(|_| ENOMEM)?;
    let mut result = Ok(());
    for v in &remote {
        if copy.done == local.total() || result.is_err() {
            break;
        }
        result = copy.one_vec(v.iov_base, v.iov_len, &mut local);
    }
    match (copy.done, result) {
        (0, Err(e)) => Err(e),
        (done, _) => Ok(done as u64),
    }
}

/// The process of a pid or of a thread id (Linux's find_get_task_by_vpid takes either).
fn find_target(pid: i32) -> Result<Arc<Process>, Errno> {
    let id = u32::try_from(pid).map_err(|_| ESRCH)?;
    process::find(id)
        .or_else(|| thread::find(id).map(|t| t.process.clone()))
        .ok_or(ESRCH)
}

/// One process_vm_readv or process_vm_writev in progress.
struct RemoteCopy {
    mm: Arc<Mm>,
    write: bool,
    /// Bytes copied so far.
    done: usize,
    /// A page of bounce buffer between the frames and the caller's buffers.
    buf: Vec<u8>,
    /// The frames of the current batch of remote pages.
    pages: Vec<Frame>,
}

impl RemoteCopy {
    /// process_vm_readv and writev reach only what the areas' rights allow (no FOLL_FORCE).
    fn foll(&self) -> Foll {
        Foll {
            write: self.write,
            force: false,
        }
    }

    /// Copies between the remote range [addr, addr + len) and the local buffers at their cursor
    /// (Linux's process_vm_rw_single_vec), a batch of pages at a time, until either runs out.
    fn one_vec(&mut self, mut addr: u64, mut len: u64, local: &mut UserBufs) -> Result<(), Errno> {
        while len > 0 && self.done < local.total() {
            let offset = addr % PAGE_SIZE;
            let spanned = (offset.saturating_add(len)).div_ceil(PAGE_SIZE);
            let batch = spanned.min(GUP_BATCH as u64) as usize;
            self.pages.clear();
            self.mm.lock().get_user_pages_remote(
                addr - offset,
                batch,
                self.foll(),
                &mut self.pages,
            );
            if self.pages.is_empty() {
                return Err(EFAULT);
            }
            let bytes = (self.pages.len() as u64 * PAGE_SIZE - offset).min(len);
            self.copy_pages(offset as usize, bytes as usize, local)?;
            addr += bytes;
            len -= bytes;
        }
        Ok(())
    }

    /// Copies `bytes` starting `offset` into the batch's first page (Linux's
    /// process_vm_rw_pages). EFAULT if a local buffer faults before the local side runs out.
    fn copy_pages(
        &mut self,
        offset: usize,
        bytes: usize,
        local: &mut UserBufs,
    ) -> Result<(), Errno> {
        let page = PAGE_SIZE as usize;
        let mut at = offset;
        let end = offset + bytes;
        while at < end && self.done < local.total() {
            let frame = &self.pages[at / page];
            let in_page = at % page;
            let n = local.in_one_page((page - in_page).min(end - at));
            let buf = &mut self.buf[..n];
            let (copied, result) = if self.write {
                let (copied, result) = local.copy_in(buf);
                frame.write(in_page, &buf[..copied]);
                (copied, result)
            } else {
                frame.read(in_page, buf);
                local.copy_out(buf)
            };
            self.done += copied;
            result?;
            at += n;
        }
        Ok(())
    }
}
