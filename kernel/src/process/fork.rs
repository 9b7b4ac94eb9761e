//! fork, vfork and clone (Linux's kernel/fork.c, copy_process): a new thread of the calling process
//! (CLONE_THREAD), or a new process whose address space is a copy-on-write copy of the caller's
//! or the same one (CLONE_VM), whose descriptor table is a copy or the same one (CLONE_FILES), with
//! the same signal actions, mask and alternate stack and no pending signals. The new thread starts
//! with the caller's registers, except that the call returns 0 in it, and with its own stack and
//! thread-local storage if given (CLONE_SETTLS).
//!
//! | flags | here |
//! |---|---|
//! | CLONE_THREAD (with CLONE_SIGHAND and CLONE_VM) | a thread: same process, mm, files, cwd, actions |
//! | CLONE_VM without CLONE_THREAD | a process sharing the caller's mm (vfork, posix_spawn) |
//! | CLONE_FILES | the descriptor table is shared, not copied |
//! | CLONE_SIGHAND | the signal actions are shared, not copied (requires CLONE_VM) |
//! | CLONE_CLEAR_SIGHAND (clone3) | the child's handlers go back to the default; ignored signals stay ignored |
//! | CLONE_FS | the working directory and umask are shared, not copied |
//! | CLONE_VFORK | the caller sleeps until the child execs or exits |
//! | CLONE_PARENT | the child's parent is the caller's parent |
//! | CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID | as Linux |
//! | CLONE_SYSVSEM | the System V semaphore undo list is shared (see `ipc::sem`) |
//! | CLONE_IO, CLONE_PTRACE, CLONE_UNTRACED, CLONE_DETACHED | accepted |
//! | namespaces, CLONE_PIDFD, cgroups | EINVAL (not supported) |
//!
//! Threads (CLONE_THREAD) share all of it, being one process.

use abi::clone::*;
use alloc::sync::Arc;

use super::Process;
use crate::{
    arch::{syscall::PtRegs, uaccess},
    sched, signal,
    syscall::errno::*,
    thread::{self, Thread},
};

/// What clone was asked for (clone's arguments, or clone3's struct).
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneArgs {
    pub flags: u64,
    /// The new thread's stack pointer (0: the caller's).
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
    /// The signal the parent gets when the child ends (CSIGNAL of clone's flags).
    pub exit_signal: u64,
}

/// Flags this kernel does not support: EINVAL, rather than a child that behaves differently.
const UNSUPPORTED: u64 = CLONE_NEWTIME
    | CLONE_NEWNS
    | CLONE_NEWCGROUP
    | CLONE_NEWUTS
    | CLONE_NEWIPC
    | CLONE_NEWUSER
    | CLONE_NEWPID
    | CLONE_NEWNET
    | CLONE_PIDFD
    | CLONE_INTO_CGROUP;

/// Linux's copy_process checks, in its order.
fn check(args: &CloneArgs) -> Result<(), Errno> {
    let f = args.flags;
    if f & (CLONE_NEWNS | CLONE_FS) == CLONE_NEWNS | CLONE_FS
        || f & (CLONE_NEWUSER | CLONE_FS) == CLONE_NEWUSER | CLONE_FS
    {
        return Err(EINVAL);
    }
    if f & CLONE_THREAD != 0 && f & CLONE_SIGHAND == 0 {
        return Err(EINVAL);
    }
    if f & CLONE_SIGHAND != 0 && f & CLONE_VM == 0 {
        return Err(EINVAL);
    }
    if f & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND) == CLONE_SIGHAND | CLONE_CLEAR_SIGHAND {
        return Err(EINVAL);
    }
    if f & UNSUPPORTED != 0 {
        log::debug!("clone: flags {f:#x} not supported");
        return Err(EINVAL);
    }
    // init may not make a sibling (Linux: SIGNAL_UNKILLABLE's CLONE_PARENT check).
    if f & CLONE_PARENT != 0 && thread::current_process().is_some_and(|p| p.pid == 1) {
        return Err(EINVAL);
    }
    if args.exit_signal > abi::signal::NSIG as u64 {
        return Err(EINVAL);
    }
    Ok(())
}

/// fork(): a copy of the calling process.
pub fn fork(regs: &PtRegs) -> Result<u64, Errno> {
    do_clone(
        regs,
        CloneArgs {
            exit_signal: signal::SIGCHLD as u64,
            ..Default::default()
        },
    )
}

/// clone, clone3, fork and vfork: returns the new thread's id to the caller. Every step that can
/// run out of memory comes before the child is made runnable, and a failure leaves nothing
/// behind (ENOMEM).
pub fn do_clone(regs: &PtRegs, args: CloneArgs) -> Result<u64, Errno> {
    check(&args)?;
    let me = thread::current().ok_or(ENOMEM)?;
    // A process on its way out makes no more threads (Linux: -ERESTARTNOINTR; the caller dies).
    if signal::fatal_signal_pending() {
        return Err(EINTR);
    }
    let (child, main) = if args.flags & CLONE_THREAD != 0 {
        let tid = thread::alloc_tid();
        let main = Thread::new(tid, me.process.clone()).ok_or(ENOMEM)?;
        (me.process.clone(), main)
    } else {
        new_process(&me, &args)?
    };
    // Actions (per process), mask and name are inherited; pending signals are not (Linux's
    // copy_sighand, copy_process). A thread that shares the mm gets no alternate stack: the
    // caller's is in use by the caller.
    main.sigmask.set(me.sigmask.get());
    *main.comm.lock() = *me.comm.lock();
    if args.flags & CLONE_VM == 0 || args.flags & CLONE_VFORK != 0 {
        *main.altstack.lock() = *me.altstack.lock();
    }
    if args.flags & CLONE_CHILD_CLEARTID != 0 {
        main.clear_child_tid
            .store(args.child_tid, core::sync::atomic::Ordering::Relaxed);
    }
    if args.flags & CLONE_CHILD_SETTID != 0 {
        main.set_child_tid
            .store(args.child_tid, core::sync::atomic::Ordering::Relaxed);
    }
    // SAFETY: the new thread has never run; its context is ours to set. The caller's live x87/SSE
    // registers and FS/GS bases are what it starts with (FS: the TLS it was given, if any).
    unsafe {
        let ctx = main.context.get();
        (*ctx).fpu.save();
        (*ctx).fs_base = if args.flags & CLONE_SETTLS != 0 {
            args.tls
        } else {
            x86_64::registers::model_specific::FsBase::read().as_u64()
        };
        (*ctx).gs_base = x86_64::registers::model_specific::GsBase::read().as_u64();
    }
    let mut child_regs = *regs;
    child_regs.rax = 0;
    if args.stack != 0 {
        child_regs.rsp = args.stack;
    }
    sched::prepare_user_entry(&main, &child_regs);
    let is_thread = Arc::ptr_eq(&child, &me.process);
    let parent = if is_thread {
        None
    } else if args.flags & CLONE_PARENT != 0 {
        super::find(me.process.ppid.load(core::sync::atomic::Ordering::Relaxed))
    } else {
        Some(me.process.clone())
    };
    if push(&child.threads, main.clone()).is_err()
        || parent
            .as_ref()
            .is_some_and(|p| push(&p.children, child.clone()).is_err())
    {
        thread::unlist(&main);
        if !is_thread {
            child.threads.lock().clear();
            super::unlist(child.pid);
        }
        return Err(ENOMEM);
    }
    let tid = main.tid();
    // Linux stores it before the child runs, and ignores a bad address.
    if args.flags & CLONE_PARENT_SETTID != 0 {
        let _ = uaccess::write_user(args.parent_tid, &(tid as i32));
    }
    let vfork = (args.flags & CLONE_VFORK != 0).then(|| child.vfork_done.clone());
    sched::enqueue(main);
    if let Some(done) = vfork {
        done.wait();
    }
    Ok(tid as u64)
}

/// A new process for a clone without CLONE_THREAD: its mm (shared or copied), its descriptors
/// (shared or copied), its parent the caller (or the caller's parent, CLONE_PARENT). The caller
/// lists it among that parent's children.
fn new_process(me: &Arc<Thread>, args: &CloneArgs) -> Result<(Arc<Process>, Arc<Thread>), Errno> {
    let caller = &me.process;
    let parent_mm = caller.mm().ok_or(ENOMEM)?;
    let mm = if args.flags & CLONE_VM != 0 {
        parent_mm
    } else {
        parent_mm.lock().dup_mm().map_err(|_| ENOMEM)?
    };
    let files = if args.flags & CLONE_FILES != 0 {
        caller.files()?
    } else {
        caller.files()?.lock().try_clone().ok_or(ENOMEM)?
    };
    let name = caller.name.lock().clone();
    let pid = thread::alloc_tid();
    let child = Process::new(pid, Some(caller), &name).ok_or(ENOMEM)?;
    if args.flags & CLONE_PARENT != 0 {
        let grandparent = caller.ppid.load(core::sync::atomic::Ordering::Relaxed);
        child
            .ppid
            .store(grandparent, core::sync::atomic::Ordering::Relaxed);
    }
    child.exit_signal.store(
        args.exit_signal as u8,
        core::sync::atomic::Ordering::Relaxed,
    );
    if args.flags & CLONE_SYSVSEM != 0
        && let Err(e) = crate::ipc::sem::copy_semundo(caller, &child)
    {
        super::unlist(pid);
        return Err(e);
    }
    let Some(main) = Thread::new(pid, child.clone()) else {
        super::unlist(pid);
        return Err(ENOMEM);
    };
    *child.mm.lock() = Some(mm);
    *child.files.lock() = Some(files);
    // Process::new gave the child fresh actions and a copy of the caller's fs_struct.
    if args.flags & CLONE_SIGHAND != 0 {
        *child.sighand.lock() = caller.actions();
    } else {
        let actions = child.actions();
        actions.copy_from(&caller.actions());
        if args.flags & CLONE_CLEAR_SIGHAND != 0 {
            actions.flush_handlers();
        }
    }
    if args.flags & CLONE_FS != 0 {
        *child.fs.lock() = caller.fs();
    }
    Ok((child, main))
}

/// Appends to a locked list, failing rather than panicking when memory is short.
fn push<T>(list: &crate::sync::IrqMutex<alloc::vec::Vec<Arc<T>>>, item: Arc<T>) -> Result<(), ()> {
    let mut list = list.lock();
    list.try_reserve(1).map_err(|_| ())?;
    list.push(item);
    Ok(())
}
