//! Threads: what the scheduler runs (the per-thread half of Linux's task_struct). A thread owns its
//! id, its kernel stack, the CPU state it leaves behind when switched out (kernel stack pointer,
//! x87/SSE registers, FS/GS bases), its blocked-signal mask and the signals sent to it alone.
//! Everything its siblings share (address space, files, signal actions, children, identity) is in
//! its [`Process`].
//!
//! Each thread's kernel stack holds, in its top 8 bytes, a pointer to the thread, so the kernel
//! finds the current thread from its stack pointer alone (as Linux once did with thread_info), in a
//! system call and in an interrupt handler alike, on any CPU. The table of live threads ([`THREADS`])
//! holds the reference that keeps that pointer valid until the thread is dead and switched away
//! for good ([`crate::sched`]'s finish_task_switch drops it).
//!
//! Life cycle: Runnable (created by fork, or as init) → Running ⇄ Runnable (the scheduler) ⇄
//! Blocked (sleeping on a [`crate::sched::WaitQueue`]) → Dead (exited; freed once switched away).

use alloc::{sync::Arc, vec::Vec};
use core::{
    cell::UnsafeCell,
    sync::atomic::{AtomicU32, AtomicU64, Ordering},
};

use crate::{
    arch::context::FpuState,
    mm::kstack::KernelStack,
    process::{Pid, Process},
    signal::{SigPending, SigSet, altstack::AltStack},
    sync::IrqMutex,
};

/// What restart_syscall resumes (Linux's struct restart_block): a sleep interrupted by a signal
/// that ran no handler continues towards the same deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartBlock {
    /// Nothing to resume: restart_syscall fails with EINTR (Linux's do_no_restart_syscall).
    None,
    /// nanosleep or a relative clock_nanosleep: the deadline on the monotonic clock and where
    /// to store the time left if interrupted again (0: nowhere).
    Nanosleep { deadline_ns: u64, rem: u64 },
}

/// A thread id (Linux's pid_t for a task; the main thread's equals its process's pid).
pub type Tid = Pid;

/// Bytes reserved at the top of each kernel stack: the thread pointer. Eight, not sixteen: the
/// syscall entry pushes 21 words of PtRegs below it, and `top - 8 - 21 * 8` is 16-byte aligned, as
/// the ABI requires at the `call` into Rust (x87/SSE save areas on the stack depend on it).
pub const STACK_TOP_RESERVED: u64 = 8;

/// Where a thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    Runnable,
    Running,
    /// Sleeping on a wait queue until woken.
    Blocked,
    /// Exited; the scheduler frees it once it has switched away from it.
    Dead,
}

/// The CPU state a thread leaves behind when it is switched out.
pub struct Context {
    /// The kernel stack pointer saved by `switch_to`.
    pub rsp: u64,
    /// The user's x87/SSE registers.
    pub fpu: FpuState,
    /// The user's FS and GS segment bases (thread-local storage; set with arch_prctl).
    pub fs_base: u64,
    pub gs_base: u64,
}

/// What the CPU said about the thread's last fault.
#[derive(Clone, Copy, Debug, Default)]
pub struct FaultInfo {
    pub trap_nr: u64,
    pub error_code: u64,
    pub cr2: u64,
}

/// A thread.
pub struct Thread {
    /// The thread's id: fixed, except that a thread that execs while it is not the process's main
    /// thread takes the process's id (Linux's exchange_tids in de_thread).
    tid: AtomicU32,
    /// The process it belongs to.
    pub process: Arc<Process>,
    pub state: IrqMutex<ThreadState>,
    /// Blocked signals (rt_sigprocmask). Inherited by fork, kept by execve.
    pub sigmask: SigSet,
    /// Signals sent to this thread alone (tkill, and the faults it causes).
    pub pending: SigPending,
    /// The mask in force before rt_sigtimedwait unblocked the signals it waits for (Linux's
    /// real_blocked): a signal it blocks is not dropped as ignored.
    pub real_blocked: SigSet,
    /// The mask rt_sigsuspend replaced, restored once a handler ran or no signal needed one.
    pub saved_sigmask: SavedSigmask,
    /// The alternate signal stack (sigaltstack). Inherited by fork, cleared by execve.
    pub altstack: IrqMutex<AltStack>,
    /// How the running system call is to finish if a signal interrupted it (`signal::ERESTART*`).
    pub restart: AtomicU64,
    /// How restart_syscall continues a call interrupted with ERESTART_RESTARTBLOCK (Linux's
    /// restart_block in thread_info).
    pub restart_block: IrqMutex<RestartBlock>,
    /// The last fault, for the signal frame's sigcontext (Linux's thread.trap_nr, error_code, cr2).
    pub fault: IrqMutex<FaultInfo>,
    /// Saved registers; touched only by the scheduler with interrupts off, on the CPU that switches
    /// this thread in or out (and by fork before the new thread first runs).
    pub context: UnsafeCell<Context>,
    /// The thread's name (Linux's comm: the program's file name at execve, or what PR_SET_NAME
    /// set), NUL-padded, at most 15 bytes.
    pub comm: IrqMutex<[u8; abi::prctl::TASK_COMM_LEN]>,
    /// Which futex bucket holds this thread's entry while it waits on a futex (see
    /// [`crate::futex`]), or `futex::NOT_WAITING`.
    pub futex_slot: core::sync::atomic::AtomicUsize,
    /// Where to clear the tid and wake a futex waiter when the thread exits (set_tid_address,
    /// CLONE_CHILD_CLEARTID); 0 for nowhere.
    pub clear_child_tid: core::sync::atomic::AtomicU64,
    /// Where the thread stores its tid when it first runs (CLONE_CHILD_SETTID); 0 for nowhere.
    pub set_child_tid: core::sync::atomic::AtomicU64,
    /// The head of its robust futex list (set_robust_list), walked when it exits.
    pub robust_list: core::sync::atomic::AtomicU64,
    /// CPU time used, and context switches.
    pub cpu: crate::process::rusage::ThreadCpuTime,
    kstack: KernelStack,
}

// SAFETY: every field is either immutable, atomic, behind a lock, or (context) accessed only by the
// scheduler with interrupts disabled on the CPU that owns the thread at that moment.
unsafe impl Sync for Thread {}
// SAFETY: as above; a thread moves between CPUs only through the scheduler.
unsafe impl Send for Thread {}

static NEXT_TID: AtomicU32 = AtomicU32::new(1);
/// Every thread that is not dead and switched away, by tid.
static THREADS: IrqMutex<Vec<Arc<Thread>>> = IrqMutex::new(Vec::new());

/// How many threads exist (sysinfo's procs, Linux's nr_threads).
pub fn count() -> usize {
    THREADS.lock().len()
}

/// The last thread id handed out (/proc/loadavg's last pid; /proc/stat's processes created).
pub fn last_tid() -> Tid {
    NEXT_TID.load(Ordering::Relaxed) - 1
}

/// Takes the next thread id (pids and tids share one number space, as on Linux).
pub fn alloc_tid() -> Tid {
    NEXT_TID.fetch_add(1, Ordering::Relaxed)
}

impl Thread {
    /// A new thread of `process` with a fresh kernel stack, state Runnable, registered in the
    /// thread table (unless it is the idle thread, tid 0). None if memory ran out.
    pub fn new(tid: Tid, process: Arc<Process>) -> Option<Arc<Thread>> {
        let kstack = KernelStack::new()?;
        let comm = comm_of(&process.name.lock());
        let thread = Arc::try_new(Thread {
            tid: AtomicU32::new(tid),
            comm: IrqMutex::new(comm),
            process,
            state: IrqMutex::new(ThreadState::Runnable),
            sigmask: SigSet::empty(),
            pending: SigPending::new(),
            real_blocked: SigSet::empty(),
            saved_sigmask: SavedSigmask::none(),
            altstack: IrqMutex::new(AltStack::disabled()),
            restart_block: IrqMutex::new(RestartBlock::None),
            restart: AtomicU64::new(0),
            fault: IrqMutex::new(FaultInfo {
                trap_nr: 0,
                error_code: 0,
                cr2: 0,
            }),
            context: UnsafeCell::new(Context {
                rsp: 0,
                fpu: FpuState::new(),
                fs_base: 0,
                gs_base: 0,
            }),
            futex_slot: core::sync::atomic::AtomicUsize::new(crate::futex::NOT_WAITING),
            clear_child_tid: core::sync::atomic::AtomicU64::new(0),
            set_child_tid: core::sync::atomic::AtomicU64::new(0),
            robust_list: core::sync::atomic::AtomicU64::new(0),
            cpu: Default::default(),
            kstack,
        })
        .ok()?;
        if tid != 0 {
            let mut threads = THREADS.lock();
            threads.try_reserve(1).ok()?;
            crate::sched::reserve_run_queue(threads.len() + 1).ok()?;
            threads.push(thread.clone());
        }
        let slot = thread.kstack.top().as_u64() - 8;
        // SAFETY: the top word of the thread's own kernel stack is reserved for this pointer; the
        // thread table (or, for idle, the scheduler) holds a reference for as long as the stack
        // is in use.
        unsafe { (slot as *mut *const Thread).write(Arc::as_ptr(&thread)) };
        Some(thread)
    }

    /// Where the kernel stack pointer starts on entry from user mode; the saved user registers
    /// (PtRegs) of a system call sit right below.
    pub fn tid(&self) -> Tid {
        self.tid.load(Ordering::Relaxed)
    }

    /// execve from a thread that is not the main one: once the others have gone, it becomes the
    /// main thread and takes the process's id (Linux's de_thread).
    pub fn become_leader(&self) {
        self.tid.store(self.process.pid, Ordering::Relaxed);
    }

    pub fn kernel_stack_top(&self) -> u64 {
        self.kstack.top().as_u64() - STACK_TOP_RESERVED
    }

    pub fn state(&self) -> ThreadState {
        *self.state.lock()
    }
}

/// The mask rt_sigsuspend, ppoll, pselect6 and epoll_pwait replaced for the length of the call
/// (Linux's saved_sigmask with TIF_RESTORE_SIGMASK): none, or the mask to put back. An atomic, so
/// that the return to user mode sees "none" without taking a lock; a mask can never hold SIGKILL
/// and SIGSTOP, so all ones means none.
pub struct SavedSigmask(AtomicU64);

impl SavedSigmask {
    const NONE: u64 = u64::MAX;

    pub const fn none() -> Self {
        SavedSigmask(AtomicU64::new(Self::NONE))
    }

    pub fn save(&self, mask: u64) {
        self.0
            .store(mask & !crate::signal::UNBLOCKABLE, Ordering::Relaxed);
    }

    /// The saved mask, leaving none.
    pub fn take(&self) -> Option<u64> {
        match self.0.swap(Self::NONE, Ordering::Relaxed) {
            Self::NONE => None,
            mask => Some(mask),
        }
    }

    pub fn is_none(&self) -> bool {
        self.0.load(Ordering::Relaxed) == Self::NONE
    }
}

/// The thread running on this CPU, as the pointer in the top word of its kernel stack (null
/// during early boot, off every kernel stack, or on a stack without a thread). A running stack
/// pointer cannot be in a guard page, so only the stack area is checked.
#[inline(always)]
fn current_ptr() -> *const Thread {
    let rsp: u64;
    // SAFETY: reading the stack pointer.
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack, preserves_flags))
    };
    match crate::mm::kstack::running_stack_top(rsp) {
        // SAFETY: every kernel stack's top word is either zero (a stack without a thread) or a
        // pointer to the thread that owns it.
        Some(top) => unsafe { *((top - 8) as *const *const Thread) },
        None => core::ptr::null(),
    }
}

/// Runs `f` on the thread running on this CPU, without taking a reference (the system-call fast
/// paths: no atomic reference counting). None during early boot.
#[inline]
pub fn with_current<R>(f: impl FnOnce(&Thread) -> R) -> Option<R> {
    // SAFETY: the running thread stays alive while it runs on its stack, which outlasts `f`.
    unsafe { current_ptr().as_ref() }.map(f)
}

/// The thread running on this CPU, found from the kernel stack (None during early boot).
pub fn current() -> Option<Arc<Thread>> {
    let ptr = current_ptr();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the thread table or the scheduler keeps a reference to the running thread, so
    // taking another one is sound.
    unsafe {
        Arc::increment_strong_count(ptr);
        Some(Arc::from_raw(ptr))
    }
}

/// The live thread with id `tid` (tkill, tgkill).
pub fn find(tid: Tid) -> Option<Arc<Thread>> {
    THREADS.lock().iter().find(|t| t.tid() == tid).cloned()
}

/// The process of the running thread.
pub fn current_process() -> Option<Arc<Process>> {
    current().map(|t| t.process.clone())
}

/// Removes a dead thread from the table; its kernel stack is freed with the last reference.
/// Called by the scheduler once it runs on another stack.
pub fn unlist(thread: &Thread) {
    THREADS.lock().retain(|t| !core::ptr::eq(&**t, thread));
}

/// The comm of a program at `path`: its file name, cut to 15 bytes (Linux's __set_task_comm of
/// kbasename(filename)).
pub fn comm_of(path: &str) -> [u8; abi::prctl::TASK_COMM_LEN] {
    let name = path.rsplit('/').next().unwrap_or(path).as_bytes();
    let mut comm = [0u8; abi::prctl::TASK_COMM_LEN];
    let n = name.len().min(comm.len() - 1);
    comm[..n].copy_from_slice(&name[..n]);
    comm
}
