//! Locks. Every lock the kernel takes is a spinlock that also keeps interrupts off while held, so an
//! interrupt handler that needs the same lock can never deadlock against the code it interrupted.
//! With several CPUs (a later step) the spinning does the real work; today it costs one atomic op.
//!
//! # Lock order
//!
//! A lock may be taken while holding only locks above it in this list; locks on one line are never
//! held together. The rule keeps deadlock out on one CPU today and on several later.
//!
//! 1. An open /proc file's text slot, held while the text is produced (which takes the mm lock);
//!    `Process::children` of a parent (wait4 reads each child's `state` under it).
//! 2. The mm lock (`Mm::lock`, Linux's mmap_lock) of one process; never two at once, except fork,
//!    which takes the parent's and then the new child's (which nobody else can see yet).
//! 3. An fd table, under which a descriptor may be closed (execve's close-on-exec; poll and
//!    select look files up under it): dropping the last reference to a pipe end takes the pipe's
//!    lock and wakes its wait queues; dropping a file open for writing takes its inode's
//!    metadata. A process's `threads` list while a signal is sent to or flushed from each of its
//!    threads (`signal::send`: it takes the thread's pending set, its `state` and the run queue).
//!    The timer list (`timer::TIMERS`) or a process's POSIX timer list, then one POSIX timer's
//!    state, under which the timer's signal is sent (`process::posix_timers`); ITIMER_REAL's
//!    SIGALRM is sent under the timer list too.
//!    Closing a file or directory for good queues inotify's IN_CLOSE_* events
//!    (`fs::inotify`), which look the file's name up in the watched directories (level 4).
//! 4. A directory's entries (`Directory`, in `InodeKind::Directory`): a parent's before its
//!    child's (rmdir looks into the child, rename into the target); rename holds its two
//!    directories, an ancestor before its descendant, else in address order.
//!    Never held with the mm lock. Nothing takes an fd table under one. inotify's events are
//!    generated after the VFS operation has released them (and the inode's metadata).
//! 5. An open file's position (a leaf where it is only read or set).
//!    Then an inode's metadata (`Inode::meta`: size, times, the initramfs source), held by read,
//!    write and truncate across their page-cache work, and by the fault path under the mm lock.
//! 6. An inode's page cache (`Inode::cache`), taken under its metadata lock. A hugetlbfs file's
//!    pages (`mm::hugetlb::HugetlbFile`) or a private hugetlb area's reservations, taken under
//!    the mm lock by the fault path, never with another of them; truncation and hole punching
//!    take each mm lock in turn with neither held.
//! 7. Leaves, each held alone for a few instructions: a process's `state`, `threads`, `name`, `mm`
//!    and `files` slots, `cwd`, signal actions and job-control state, credentials, limits and
//!    timers; a thread's `state`, pending set, saved mask, alternate stack and fault record; a
//!    pipe's state (which may hold the kernel heap: a write allocates a page); a Unix socket's
//!    state (`net::unix`: one at a time, never two sockets' together; it may hold the heap and
//!    the list of descriptors in flight, `net::garbage::INFLIGHT`, which is otherwise a leaf:
//!    messages, which hold files, are dropped with neither held); inotify's table of watches
//!    (`fs::inotify::MARKS`) and an instance's event queue, one at a time (either may hold the
//!    heap; the watched inodes and instances are dropped, and readers woken, with neither held);
//!    the System V IPC tables (`ipc::shm`, `ipc::sem`, `ipc::msg`), one at a time, which may
//!    hold the caller's credentials and the heap, and the semaphore and message tables a
//!    sleeper's wait queue (waking it or going to sleep on it) and a receiver's answer slot (a
//!    leaf); the process,
//!    thread and run-queue tables; wait queues (which may hold the timer list, `timer::TIMERS`,
//!    which may hold a thread's state and the run queue: a sleep with a deadline and the tick's
//!    wake-ups); a futex bucket (taken under the mm lock, see `futex`); the console tty; the
//!    hugetlb pool (`mm::hugetlb::POOL`, which may hold the frame allocator and the heap); the frame
//!    allocator (`BUDDY`), the kernel heap,
//!    the kernel-stack slots, the kernel page tables; the console.
//!
//! Never copy to or from user memory holding any of them: the copy may fault, and the fault takes
//! the mm lock (and may sleep, once pages come from a disk).
//!
//! # What remains single-CPU
//!
//! The mm lock is a spinlock with interrupts off, held across a whole fault or mmap: several
//! threads of one process fault one after the other, never at once. With threads on several CPUs
//! it becomes a sleeping reader-writer lock (faults as readers, with page-table updates under a
//! per-table spinlock, as Linux's split PTE locks), mmap/munmap/mprotect as writers; TLB flushes then
//! need a shootdown of every CPU running the mm (`Mm` keeps the one call, see `mm::paging`). The
//! need-resched flag, the heap's charge counter and the current-task pointer's per-CPU data are
//! per-CPU values kept in statics today.

use core::ops::{Deref, DerefMut};
use x86_64::instructions::interrupts;

/// A spinlock that disables interrupts on this CPU while it is held (Linux's `spin_lock_irqsave`).
pub struct IrqMutex<T> {
    inner: spin::Mutex<T>,
}

/// Holds the lock; restores the interrupt flag on drop.
pub struct IrqMutexGuard<'a, T> {
    guard: core::mem::ManuallyDrop<spin::MutexGuard<'a, T>>,
    were_enabled: bool,
}

impl<T> IrqMutex<T> {
    pub const fn new(value: T) -> Self {
        Self {
            inner: spin::Mutex::new(value),
        }
    }

    pub fn lock(&self) -> IrqMutexGuard<'_, T> {
        let were_enabled = interrupts::are_enabled();
        interrupts::disable();
        IrqMutexGuard {
            guard: core::mem::ManuallyDrop::new(self.inner.lock()),
            were_enabled,
        }
    }

    /// Access without locking, through exclusive ownership.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

/// Interrupts off on this CPU until dropped (then back as they were): for a check-then-sleep that
/// a wake-up from an interrupt must not slip between (see `sched::WaitQueue::sleep`).
pub struct IrqOff {
    were_enabled: bool,
}

impl IrqOff {
    pub fn new() -> Self {
        let were_enabled = interrupts::are_enabled();
        interrupts::disable();
        IrqOff { were_enabled }
    }
}

impl Drop for IrqOff {
    fn drop(&mut self) {
        if self.were_enabled {
            interrupts::enable();
        }
    }
}

impl<T> Deref for IrqMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for IrqMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for IrqMutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: dropped exactly once, here, before interrupts come back on.
        unsafe { core::mem::ManuallyDrop::drop(&mut self.guard) };
        if self.were_enabled {
            interrupts::enable();
        }
    }
}
