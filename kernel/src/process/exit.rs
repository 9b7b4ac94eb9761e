//! Ending threads and processes (Linux's kernel/exit.c): exit, exit_group, and death by signal.
//!
//! A thread that exits leaves its process's thread list and is marked Dead; the scheduler frees it
//! once it has switched to another stack. The last thread to go ends the process: its memory and
//! files are released, its children pass to init, and it becomes a zombie that keeps its status
//! until the parent reaps it with wait4. When pid 1 ends, the machine powers off with its status.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use super::{ExitStatus, ProcessState};
use crate::{
    mm, sched,
    thread::{self, ThreadState},
};

/// exit_group(2), and the end of a process killed by a signal (Linux's do_group_exit): every
/// thread of the process ends, and the process with the status of the first group exit. The
/// other threads are sent SIGKILL, which they act on at their next return towards user mode (a
/// sleeping one is woken for it). A thread killed by another's execve ends alone.
pub fn do_exit_group(status: ExitStatus) -> ! {
    let me = thread::current().expect("exit without a current thread");
    let process = me.process.clone();
    let exec_tid = process.exec_tid.load(Ordering::Relaxed);
    if exec_tid != 0 && exec_tid != me.tid() {
        drop((me, process));
        do_exit(status)
    }
    let status = *process.group_exit.lock().get_or_insert(status);
    zap_other_threads(&process, me.tid());
    drop((me, process));
    do_exit(status)
}

/// Sends SIGKILL to every thread of `process` but `except` (Linux's zap_other_threads).
pub fn zap_other_threads(process: &super::Process, except: crate::thread::Tid) {
    for thread in process.threads.lock().iter() {
        if thread.tid() != except {
            thread.pending.add(
                crate::signal::SIGKILL,
                crate::signal::KSigInfo::kernel(),
                usize::MAX,
            );
            sched::wake(thread);
        }
    }
}

/// exit(2): ends the calling thread; the process ends with `status` if it was the last one.
pub fn do_exit(status: ExitStatus) -> ! {
    let me = thread::current().expect("exit without a current thread");
    let process = me.process.clone();
    crate::futex::exit_robust_list(&me);
    clear_child_tid(&me);
    log::debug!("pid {} tid {} exits: {:?}", process.pid, me.tid(), status);
    let last = {
        let mut threads = process.threads.lock();
        threads.retain(|t| t.tid() != me.tid());
        threads.is_empty()
    };
    super::rusage::thread_exited(&me);
    process.thread_exit_wait.wake_all();
    if last {
        // The process ends with the group's status if a group exit began it.
        let status = process.group_exit.lock().unwrap_or(status);
        if process.pid == 1 {
            crate::power_off(status.shell_status());
        }
        exit_process(&process, status);
    }
    *me.state.lock() = ThreadState::Dead;
    drop(process);
    drop(me);
    sched::schedule();
    unreachable!("a dead thread was scheduled")
}

/// The process's last thread is gone: release what it owned and become a zombie.
fn exit_process(process: &Arc<super::Process>, status: ExitStatus) {
    // A vfork parent waits for the child's exec or exit.
    process.vfork_done.complete();
    // Its ITIMER_REAL dies with it.
    crate::timer::cancel(&crate::timer::Target::ItimerReal(Arc::downgrade(process)));
    // So do its POSIX timers.
    super::posix_timers::exit_itimers(process);
    // Its System V semaphore adjustments are applied.
    crate::ipc::sem::exit_sem(process);
    // Leave the address space before it goes: CR3 must never point at freed tables.
    mm::paging::activate_kernel();
    let mm = process.mm.lock().take();
    if let Some(mm) = &mm {
        let counters = mm.lock().counters;
        super::rusage::retire_mm(process, &counters);
    }
    drop(mm);
    let files = process.files.lock().take();
    drop(files);

    // Orphans pass to init.
    let orphans = core::mem::take(&mut *process.children.lock());
    if let Some(init) = super::find(1) {
        let mut any_zombie = false;
        let mut adopted = init.children.lock();
        if adopted.try_reserve(orphans.len()).is_err() {
            // No memory to list them: they run on, but nobody can reap them when they end.
            log::error!(
                "pid {}: no memory to pass {} children to init",
                process.pid,
                orphans.len()
            );
        } else {
            for orphan in orphans {
                orphan.ppid.store(1, Ordering::Relaxed);
                any_zombie |= matches!(orphan.state(), ProcessState::Zombie(_));
                adopted.push(orphan);
            }
        }
        drop(adopted);
        if any_zombie {
            init.child_wait.wake_all();
        }
    }
    *process.state.lock() = ProcessState::Zombie(status);
    // The parent hears of it by SIGCHLD; one that wants no zombies gets none (autoreap).
    let autoreap = crate::signal::job::notify_parent_exit(process, status);
    if autoreap && let Some(parent) = super::find(process.ppid.load(Ordering::Relaxed)) {
        super::wait::reap(&parent, process);
        parent.child_wait.wake_all();
    }
}

/// Linux's mm_release: a thread that asked for it (set_tid_address, CLONE_CHILD_CLEARTID) has its
/// tid word cleared and one futex waiter on it woken, so that a thread join returns. Failures are
/// ignored, as on Linux.
fn clear_child_tid(me: &crate::thread::Thread) {
    let addr = me.clear_child_tid.swap(0, Ordering::Relaxed);
    if addr == 0 {
        return;
    }
    let Some(mm) = me.process.mm() else {
        return;
    };
    if crate::arch::uaccess::write_user(addr, &0u32).is_ok() {
        crate::futex::wake_one_private(&mm, addr);
    }
}
