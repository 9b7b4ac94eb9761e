//! Processes (Linux's task_struct, reduced to what this kernel needs so far).
//!
//! Each task has a kernel stack; the top 16 bytes of it hold a pointer to the task, so the kernel
//! finds the current task from its stack pointer alone (as Linux once did with thread_info), in a
//! system call and in an interrupt handler alike, on any CPU.

use alloc::{string::String, sync::Arc, vec::Vec};
use core::sync::atomic::{AtomicU32, Ordering};

use crate::{
    arch::{gdt, percpu, syscall::PtRegs},
    fs::FdTable,
    mm::{kstack::KernelStack, mm_struct::Mm},
    sync::IrqMutex,
};

pub type Pid = u32;

/// Bytes reserved at the top of each kernel stack: the task pointer and padding.
const STACK_TOP_RESERVED: u64 = 16;

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

/// A process.
pub struct Task {
    pub pid: Pid,
    /// The program's path (what /proc/PID/status calls Name, in full).
    pub name: IrqMutex<String>,
    pub mm: IrqMutex<Option<Arc<Mm>>>,
    pub files: IrqMutex<FdTable>,
    kstack: KernelStack,
}

static NEXT_PID: AtomicU32 = AtomicU32::new(1);
static TASKS: IrqMutex<Vec<Arc<Task>>> = IrqMutex::new(Vec::new());

impl Task {
    /// A new task with a kernel stack and the console as stdin/stdout/stderr.
    pub fn new(name: &str) -> Option<Arc<Task>> {
        let task = Arc::new(Task {
            pid: NEXT_PID.fetch_add(1, Ordering::Relaxed),
            name: IrqMutex::new(name.into()),
            mm: IrqMutex::new(None),
            files: IrqMutex::new(FdTable::with_console()),
            kstack: KernelStack::new()?,
        });
        let slot = task.kstack.top().as_u64() - 8;
        // SAFETY: the top word of the task's own kernel stack is reserved for this pointer; the
        // task table holds a reference for as long as the stack exists.
        unsafe { (slot as *mut *const Task).write(Arc::as_ptr(&task)) };
        TASKS.lock().push(task.clone());
        Some(task)
    }

    /// Where the kernel stack pointer starts on entry from user mode.
    pub fn kernel_stack_top(&self) -> u64 {
        self.kstack.top().as_u64() - STACK_TOP_RESERVED
    }

    /// The task's mm (None for a task that has exited).
    pub fn mm(&self) -> Option<Arc<Mm>> {
        self.mm.lock().clone()
    }
}

/// The task running on this CPU, found from the kernel stack (None during boot).
pub fn current() -> Option<Arc<Task>> {
    let rsp: u64;
    // SAFETY: reading the stack pointer.
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack, preserves_flags))
    };
    let top = crate::mm::kstack::stack_top_of(rsp)?;
    // SAFETY: every kernel stack's top word is either zero (a stack without a task) or a pointer
    // to the task that owns it, kept alive by the task table while the stack is in use.
    unsafe {
        let ptr = *((top - 8) as *const *const Task);
        if ptr.is_null() {
            return None;
        }
        Arc::increment_strong_count(ptr);
        Some(Arc::from_raw(ptr))
    }
}

/// Looks a task up by pid.
pub fn find(pid: Pid) -> Option<Arc<Task>> {
    TASKS.lock().iter().find(|t| t.pid == pid).cloned()
}

/// Starts the first process: loads `path` and enters it. Never returns.
pub fn run_init(path: &str, args: &[String]) -> ! {
    let task = Task::new(path).expect("no memory for the first task");
    let mut argv: Vec<Vec<u8>> = alloc::vec![path.as_bytes().to_vec()];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    let envp: Vec<Vec<u8>> = alloc::vec![
        b"HOME=/".to_vec(),
        b"PATH=/bin".to_vec(),
        b"TERM=linux".to_vec()
    ];
    let loaded = match crate::exec::load(path, &argv, &envp) {
        Ok(loaded) => loaded,
        Err(err) => {
            log::error!("cannot run {path}: error {}", err.0);
            crate::power_off(127);
        }
    };
    log::info!("init: pid {} running {}", task.pid, path);
    let regs = PtRegs::new_user(loaded.entry, loaded.sp);
    switch_mm(&loaded.mm);
    *task.mm.lock() = Some(loaded.mm);
    let top = task.kernel_stack_top();
    gdt::set_kernel_stack(x86_64::VirtAddr::new(top));
    percpu::set_kernel_stack(top);
    drop(task);
    // SAFETY: `top` is the new task's kernel stack, unused so far, and its address space is active.
    unsafe { crate::arch::syscall::enter_user(&regs, top) }
}

/// Makes `mm` the active address space.
pub fn switch_mm(mm: &Mm) {
    let pml4 = mm.pml4();
    if x86_64::registers::control::Cr3::read().0 != pml4 {
        // SAFETY: every address space maps the kernel half identically.
        unsafe {
            x86_64::registers::control::Cr3::write(
                pml4,
                x86_64::registers::control::Cr3Flags::empty(),
            )
        };
    }
}

/// Ends the current process. Its memory and files are released at once; with no scheduler yet,
/// the end of the first process powers the machine off with its status.
pub fn exit_current(status: ExitStatus) -> ! {
    let task = current().expect("exit without a current task");
    let mm = task.mm.lock().take();
    if let Some(mm) = mm {
        crate::mm::paging::activate_kernel();
        drop(mm);
    }
    *task.files.lock() = FdTable::empty();
    log::debug!("pid {} exited: {:?}", task.pid, status);
    let pid = task.pid;
    drop(task);
    if pid == 1 {
        crate::power_off(status.shell_status());
    }
    panic!("pid {pid} exited but there is no scheduler to run anything else");
}
