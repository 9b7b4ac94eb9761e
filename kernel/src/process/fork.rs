//! fork (Linux's kernel/fork.c, copy_process for the fork-like clone): a new process with a
//! copy-on-write copy of the address space, a copy of the file-descriptor table sharing the open
//! files, the same signal actions, mask and alternate stack (no pending signals), and one thread: a copy of the caller's registers, except that fork
//! returns 0 in the child.

use alloc::sync::Arc;

use super::Process;
use crate::{
    arch::syscall::PtRegs,
    sched,
    syscall::errno::*,
    thread::{self, Thread},
};

/// fork(): returns the child's pid to the parent. Every step that can run out of memory comes
/// before the child is made runnable, and a failure leaves nothing behind (ENOMEM).
pub fn fork(regs: &PtRegs) -> Result<u64, Errno> {
    let me = thread::current().ok_or(ENOMEM)?;
    let parent = &me.process;
    let parent_mm = parent.mm().ok_or(ENOMEM)?;
    let child_mm = parent_mm.lock().dup_mm().map_err(|_| ENOMEM)?;
    let files = parent.files()?.lock().try_clone().ok_or(ENOMEM)?;
    let name = parent.name.lock().clone();

    let pid = thread::alloc_tid();
    let child = Process::new(pid, Some(parent), &name).ok_or(ENOMEM)?;
    let Some(main) = Thread::new(pid, child.clone()) else {
        super::unlist(pid);
        return Err(ENOMEM);
    };
    *child.mm.lock() = Some(child_mm);
    *child.files.lock() = Some(files);
    // Actions, mask and alternate stack are inherited; pending signals are not (Linux's
    // copy_sighand, copy_process).
    main.sigmask.set(me.sigmask.get());
    *main.comm.lock() = *me.comm.lock();
    *main.altstack.lock() = *me.altstack.lock();
    child.actions.copy_from(&parent.actions);
    // SAFETY: the child has never run; its context is ours to set. The parent's live x87/SSE
    // registers and FS/GS bases are what the child must start with.
    unsafe {
        let ctx = main.context.get();
        (*ctx).fpu.save();
        (*ctx).fs_base = x86_64::registers::model_specific::FsBase::read().as_u64();
        (*ctx).gs_base = x86_64::registers::model_specific::GsBase::read().as_u64();
    }
    let mut child_regs = *regs;
    child_regs.rax = 0;
    sched::prepare_user_entry(&main, &child_regs);
    if push(&child.threads, main.clone()).is_err() || push(&parent.children, child.clone()).is_err()
    {
        thread::unlist(&main);
        super::unlist(pid);
        return Err(ENOMEM);
    }
    sched::enqueue(main);
    Ok(pid as u64)
}

/// Appends to a locked list, failing rather than panicking when memory is short.
fn push<T>(list: &crate::sync::IrqMutex<alloc::vec::Vec<Arc<T>>>, item: Arc<T>) -> Result<(), ()> {
    let mut list = list.lock();
    list.try_reserve(1).map_err(|_| ())?;
    list.push(item);
    Ok(())
}
