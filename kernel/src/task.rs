//! Processes (Linux's task_struct, reduced to what this kernel needs): identity, family, address
//! space, files, kernel stack, saved CPU context, and how it ended.
//!
//! Each task has a kernel stack; its top 8 bytes hold a pointer to the task, so the kernel
//! finds the current task from its stack pointer alone (as Linux once did with thread_info), in a
//! system call and in an interrupt handler alike, on any CPU.
//!
//! Life cycle: created Runnable (by fork, or as init) → Running ⇄ Runnable (the scheduler) ⇄
//! Blocked (waiting for a child) → Zombie (exited; memory and files released, status kept) →
//! reaped by wait4, when the parent drops the last reference and the kernel stack is freed.

use alloc::{string::String, sync::Arc, vec::Vec};
use core::{
    cell::UnsafeCell,
    sync::atomic::{AtomicU32, Ordering},
};

use crate::{
    arch::context::FpuState,
    fs::FdTable,
    mm::{kstack::KernelStack, mm_struct::Mm},
    sync::IrqMutex,
};

pub type Pid = u32;

/// Bytes reserved at the top of each kernel stack: the task pointer. Eight, not sixteen: the
/// syscall entry pushes 21 words of PtRegs below it, and `top - 8 - 21 * 8` is 16-byte aligned, as
/// the ABI requires at the `call` into Rust (x87/SSE save areas on the stack depend on it).
pub const STACK_TOP_RESERVED: u64 = 8;

/// How a process ended: Linux's wait status encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// exit(code): status = code << 8.
    Exited(u8),
    /// Killed by a signal: status = signal number.
    Signaled(u8),
}

impl ExitStatus {
    /// The wait(2) status word.
    pub fn wait_status(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => (code as i32) << 8,
            ExitStatus::Signaled(sig) => sig as i32,
        }
    }

    /// What a shell would report: the code, or 128 + the signal.
    pub fn shell_status(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => code as i32,
            ExitStatus::Signaled(sig) => 128 + sig as i32,
        }
    }
}

/// Signal numbers (x86_64 Linux).
pub mod signal {
    pub const SIGILL: u8 = 4;
    pub const SIGTRAP: u8 = 5;
    pub const SIGBUS: u8 = 7;
    pub const SIGFPE: u8 = 8;
    pub const SIGKILL: u8 = 9;
    pub const SIGSEGV: u8 = 11;
}

/// Where a task is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Runnable,
    Running,
    /// Waiting in wait4 for a child to change state.
    Blocked,
    Zombie(ExitStatus),
}

/// The CPU state a task leaves behind when it is switched out.
pub struct Context {
    /// The kernel stack pointer saved by `switch_to`.
    pub rsp: u64,
    /// The user's x87/SSE registers.
    pub fpu: FpuState,
    /// The user's FS and GS segment bases (thread-local storage; set with arch_prctl).
    pub fs_base: u64,
    pub gs_base: u64,
}

/// A process.
pub struct Task {
    pub pid: Pid,
    /// The parent's pid (1 once the parent has exited: orphans pass to init).
    pub ppid: AtomicU32,
    /// The program's path (what /proc/PID/status calls Name, in full).
    pub name: IrqMutex<String>,
    pub mm: IrqMutex<Option<Arc<Mm>>>,
    pub files: IrqMutex<FdTable>,
    pub state: IrqMutex<State>,
    pub children: IrqMutex<Vec<Arc<Task>>>,
    /// Blocked signals (rt_sigprocmask), bit n-1 for signal n. Inherited by fork, kept by execve.
    pub sigmask: core::sync::atomic::AtomicU64,
    /// Signals sent and not yet delivered, bit n-1 for signal n.
    pub pending: core::sync::atomic::AtomicU64,
    /// Saved registers; touched only by the scheduler with interrupts off, on the CPU that switches
    /// this task in or out.
    pub context: UnsafeCell<Context>,
    kstack: KernelStack,
}

// SAFETY: every field is either immutable, atomic, behind a lock, or (context) accessed only by the
// scheduler under its own lock with interrupts disabled.
unsafe impl Sync for Task {}
// SAFETY: as above; a Task moves between CPUs only through the scheduler.
unsafe impl Send for Task {}

static NEXT_PID: AtomicU32 = AtomicU32::new(1);
/// Every task that has not been reaped, by pid.
static TASKS: IrqMutex<Vec<Arc<Task>>> = IrqMutex::new(Vec::new());

impl Task {
    /// A new task with a kernel stack, `files`, no mm, state Runnable. `pid` None takes the next one.
    pub fn new(pid: Option<Pid>, ppid: Pid, name: &str, files: FdTable) -> Option<Arc<Task>> {
        let task = Arc::new(Task {
            pid: pid.unwrap_or_else(|| NEXT_PID.fetch_add(1, Ordering::Relaxed)),
            ppid: AtomicU32::new(ppid),
            name: IrqMutex::new(name.into()),
            mm: IrqMutex::new(None),
            files: IrqMutex::new(files),
            state: IrqMutex::new(State::Runnable),
            children: IrqMutex::new(Vec::new()),
            sigmask: core::sync::atomic::AtomicU64::new(0),
            pending: core::sync::atomic::AtomicU64::new(0),
            context: UnsafeCell::new(Context {
                rsp: 0,
                fpu: FpuState::new(),
                fs_base: 0,
                gs_base: 0,
            }),
            kstack: KernelStack::new()?,
        });
        let slot = task.kstack.top().as_u64() - 8;
        // SAFETY: the top word of the task's own kernel stack is reserved for this pointer; the
        // task table holds a reference for as long as the stack exists.
        unsafe { (slot as *mut *const Task).write(Arc::as_ptr(&task)) };
        if task.pid != 0 {
            TASKS.lock().push(task.clone());
        }
        Some(task)
    }

    /// Where the kernel stack pointer starts on entry from user mode; the saved user registers
    /// (PtRegs) of a system call sit right below.
    pub fn kernel_stack_top(&self) -> u64 {
        self.kstack.top().as_u64() - STACK_TOP_RESERVED
    }

    /// The task's mm (None for a kernel task or one that has exited).
    pub fn mm(&self) -> Option<Arc<Mm>> {
        self.mm.lock().clone()
    }

    pub fn state(&self) -> State {
        *self.state.lock()
    }
}

/// The task running on this CPU, found from the kernel stack (None during early boot).
pub fn current() -> Option<Arc<Task>> {
    let rsp: u64;
    // SAFETY: reading the stack pointer.
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack, preserves_flags))
    };
    let top = crate::mm::kstack::stack_top_of(rsp)?;
    // SAFETY: every kernel stack's top word is either zero (a stack without a task) or a pointer
    // to the task that owns it, kept alive by the task table or the scheduler while it runs.
    unsafe {
        let ptr = *((top - 8) as *const *const Task);
        if ptr.is_null() {
            return None;
        }
        Arc::increment_strong_count(ptr);
        Some(Arc::from_raw(ptr))
    }
}

/// Whether the current task has been sent SIGKILL (Linux's fatal_signal_pending): long kernel
/// loops stop early for it.
pub fn fatal_signal_pending() -> bool {
    current().is_some_and(|t| t.pending.load(Ordering::Relaxed) & (1 << (signal::SIGKILL - 1)) != 0)
}

/// Looks a task up by pid.
pub fn find(pid: Pid) -> Option<Arc<Task>> {
    TASKS.lock().iter().find(|t| t.pid == pid).cloned()
}

/// Removes a reaped task from the table. Its kernel stack is freed when the last reference goes.
pub fn unlist(pid: Pid) {
    TASKS.lock().retain(|t| t.pid != pid);
}
