//! Processes (Linux's signal_struct with the mm, files and family links of task_struct): what the
//! threads of one program share. A process owns its address space ([`Mm`]), its file-descriptor
//! table, its working directory, its signal actions and the signals sent to it as a whole, its
//! children, its process group and session, its limits, and how it ended. Its threads
//! ([`Thread`]) own the rest: ids, registers, kernel stacks, signal masks.
//!
//! The mm and the fd table are reference-counted so that threads (CLONE_VM, CLONE_FILES) can share
//! them. A process starts with one thread, its main thread, whose tid is the pid; clone with
//! CLONE_THREAD adds more ([`fork`]), each listed in `threads` and in /proc/PID/task.
//!
//! The life-cycle operations live one per file: [`fork`], [`exit`], [`wait`] (wait4), [`execve`].
//!
//! Lock order (see also [`crate::sync`]): a process's own locks are leaves, taken one at a time,
//! except `children` of a parent, which may be held while a child's `state` is read. Never take an
//! mm lock while holding one of these, nor these while holding an mm lock.

pub mod cred;
pub mod execve;
pub mod exit;
pub mod fork;
pub mod itimer;
pub mod pgrp;
pub mod posix_timers;
pub mod rlimit;
pub mod rusage;
pub mod wait;

use alloc::{string::String, sync::Arc, vec::Vec};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::{
    arch::syscall::PtRegs,
    exec,
    fs::{self, SharedFdTable},
    mm::mm_struct::Mm,
    sched::{self, WaitQueue},
    signal::{SigPending, action::SigActions, job::JobState},
    sync::IrqMutex,
    syscall::errno::*,
    thread::{self, Thread},
};

pub type Pid = u32;

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
            ExitStatus::Exited(code) => abi::wait::w_exitcode(code as i32),
            ExitStatus::Signaled(sig) => abi::wait::w_termsig(sig as i32, false),
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

/// Alive, or ended and waiting for its parent to reap it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessState {
    Alive,
    Zombie(ExitStatus),
}

/// A process.
pub struct Process {
    pub pid: Pid,
    /// The parent's pid (1 once the parent has exited: orphans pass to init).
    pub ppid: AtomicU32,
    /// Process group and session ids (inherited by fork; see [`pgrp`]).
    pub pgid: AtomicU32,
    pub sid: AtomicU32,
    /// The program's path (what /proc/PID/status calls Name, in full).
    pub name: IrqMutex<String>,
    /// The address space, shared by every thread (None once the process has exited).
    pub mm: IrqMutex<Option<Arc<Mm>>>,
    /// The file descriptors (None once the process has exited).
    pub files: IrqMutex<Option<SharedFdTable>>,
    /// The working directory and umask (Linux's fs_struct): shared with the processes made with
    /// CLONE_FS, copied by fork otherwise.
    pub fs: IrqMutex<Arc<FsStruct>>,
    /// Signals sent to the process as a whole (kill).
    pub shared_pending: SigPending,
    /// What each signal does (rt_sigaction; Linux's sighand_struct): shared with the processes
    /// made with CLONE_SIGHAND, copied by fork otherwise, unshared and reset by execve.
    pub sighand: IrqMutex<Arc<SigActions>>,
    /// Stopped or not, and the stop or continue its parent's wait4 has yet to see.
    pub job: IrqMutex<JobState>,
    /// Whether it has called execve since fork (Linux's !PF_FORKNOEXEC): its parent can no longer
    /// move it to another process group.
    pub did_exec: AtomicBool,
    pub state: IrqMutex<ProcessState>,
    pub children: IrqMutex<Vec<Arc<Process>>>,
    /// The threads still running.
    pub threads: IrqMutex<Vec<Arc<Thread>>>,
    /// Where wait4 sleeps until a child changes state.
    pub child_wait: WaitQueue,
    /// Where signalfd readers of this process sleep until a signal comes (Linux's
    /// sighand->signalfd_wqh).
    pub signalfd_wait: WaitQueue,
    /// Resource usage of its dead threads, replaced address spaces and reaped children.
    pub usage: IrqMutex<rusage::Retired>,
    /// User and group ids.
    pub cred: IrqMutex<cred::Cred>,
    /// Resource limits.
    pub rlimits: IrqMutex<rlimit::Rlimits>,
    /// When it was created, in ns since boot (the start time of /proc/PID/stat).
    pub start_ns: u64,
    /// The signal the parent gets when the process ends (clone's exit signal; SIGCHLD by fork).
    pub exit_signal: core::sync::atomic::AtomicU8,
    /// Set by the exec or exit of a vfork child: its parent waits for it.
    pub vfork_done: Arc<crate::sched::Completion>,
    /// The status every thread ends with once exit_group or a fatal signal has begun ending the
    /// process (Linux's SIGNAL_GROUP_EXIT and group_exit_code).
    pub group_exit: IrqMutex<Option<ExitStatus>>,
    /// The thread running execve while it waits for the others to end (Linux's group_exec_task).
    pub exec_tid: AtomicU32,
    /// Where execve waits for the other threads to end.
    pub thread_exit_wait: WaitQueue,
    /// Interval timers (setitimer, alarm).
    pub itimers: IrqMutex<itimer::Itimers>,
    /// POSIX timers (timer_create), by id.
    pub posix_timers: IrqMutex<posix_timers::PosixTimers>,
    /// The execution domain and its flags (personality(2)): ADDR_NO_RANDOMIZE turns address
    /// randomisation off for the next execve. Inherited by fork, kept by execve.
    pub personality: AtomicU32,
    /// Its System V semaphore undo list, made by its first semop with SEM_UNDO; shared with the
    /// processes made with CLONE_SYSVSEM (Linux's sysvsem), applied by the last of them to exit.
    pub sysvsem: IrqMutex<Option<Arc<crate::ipc::sem::SemUndoList>>>,
}

/// The working directory and the file-mode creation mask (Linux's fs_struct).
pub struct FsStruct {
    pub cwd: IrqMutex<Arc<fs::Inode>>,
    /// The umask, inherited across fork and exec.
    pub umask: AtomicU32,
}

impl FsStruct {
    /// A new one; None if memory ran out.
    pub fn new(cwd: Arc<fs::Inode>, umask: u32) -> Option<Arc<FsStruct>> {
        Arc::try_new(FsStruct {
            cwd: IrqMutex::new(cwd),
            umask: AtomicU32::new(umask),
        })
        .ok()
    }

    /// A copy (fork without CLONE_FS); None if memory ran out.
    pub fn copy(&self) -> Option<Arc<FsStruct>> {
        Self::new(self.cwd.lock().clone(), self.umask.load(Ordering::Relaxed))
    }
}

/// Every process that has not been reaped.
static PROCESSES: IrqMutex<Vec<Arc<Process>>> = IrqMutex::new(Vec::new());

impl Process {
    /// A new process record (no threads yet), listed in the process table unless it is pid 0.
    /// None if memory ran out.
    pub fn new(pid: Pid, parent: Option<&Process>, name: &str) -> Option<Arc<Process>> {
        let mut owned_name = String::new();
        owned_name.try_reserve(name.len()).ok()?;
        owned_name.push_str(name);
        let (ppid, pgid, sid, fs, cred, rlimits) = match parent {
            Some(p) => (
                p.pid,
                p.pgid.load(Ordering::Relaxed),
                p.sid.load(Ordering::Relaxed),
                p.fs().copy()?,
                p.cred.lock().try_clone()?,
                *p.rlimits.lock(),
            ),
            None => (
                0,
                pid,
                pid,
                FsStruct::new(fs::root(), 0o022)?,
                cred::Cred::default(),
                rlimit::Rlimits::init(crate::mm::frame::stats().total as u64),
            ),
        };
        let sighand = Arc::try_new(SigActions::new()).ok()?;
        let vfork_done = Arc::try_new(crate::sched::Completion::new()).ok()?;
        let process = Arc::try_new(Process {
            pid,
            ppid: AtomicU32::new(ppid),
            pgid: AtomicU32::new(pgid),
            sid: AtomicU32::new(sid),
            name: IrqMutex::new(owned_name),
            mm: IrqMutex::new(None),
            files: IrqMutex::new(None),
            fs: IrqMutex::new(fs),
            shared_pending: SigPending::new(),
            sighand: IrqMutex::new(sighand),
            job: IrqMutex::new(JobState {
                stopped: false,
                report: None,
            }),
            did_exec: AtomicBool::new(false),
            state: IrqMutex::new(ProcessState::Alive),
            children: IrqMutex::new(Vec::new()),
            threads: IrqMutex::new(Vec::new()),
            child_wait: WaitQueue::new(),
            signalfd_wait: WaitQueue::new(),
            usage: IrqMutex::new(rusage::Retired::default()),
            cred: IrqMutex::new(cred),
            rlimits: IrqMutex::new(rlimits),
            start_ns: crate::time::now_ns(),
            exit_signal: core::sync::atomic::AtomicU8::new(crate::signal::SIGCHLD),
            vfork_done,
            group_exit: IrqMutex::new(None),
            exec_tid: AtomicU32::new(0),
            thread_exit_wait: WaitQueue::new(),
            itimers: IrqMutex::new(itimer::Itimers::default()),
            posix_timers: IrqMutex::new(posix_timers::PosixTimers::default()),
            personality: AtomicU32::new(parent.map_or(0, |p| p.personality())),
            sysvsem: IrqMutex::new(None),
        })
        .ok()?;
        if pid != 0 {
            let mut table = PROCESSES.lock();
            table.try_reserve(1).ok()?;
            table.push(process.clone());
        }
        Some(process)
    }

    /// The process's mm (None for the idle process or one that has exited).
    pub fn mm(&self) -> Option<Arc<Mm>> {
        self.mm.lock().clone()
    }

    /// The personality (see the field).
    pub fn personality(&self) -> u32 {
        self.personality.load(Ordering::Relaxed)
    }

    /// The signal actions (shared with CLONE_SIGHAND processes).
    pub fn actions(&self) -> Arc<SigActions> {
        self.sighand.lock().clone()
    }

    /// The working directory and umask (shared with CLONE_FS processes).
    pub fn fs(&self) -> Arc<FsStruct> {
        self.fs.lock().clone()
    }

    /// The working directory.
    pub fn cwd(&self) -> Arc<fs::Inode> {
        self.fs().cwd.lock().clone()
    }

    /// The fd table, or EBADF once the process has exited.
    pub fn files(&self) -> Result<SharedFdTable, Errno> {
        self.files.lock().clone().ok_or(EBADF)
    }

    pub fn state(&self) -> ProcessState {
        *self.state.lock()
    }

    /// The main thread, while it runs.
    pub fn main_thread(&self) -> Option<Arc<Thread>> {
        self.threads.lock().first().cloned()
    }
}

/// Looks a process up by pid.
pub fn find(pid: Pid) -> Option<Arc<Process>> {
    PROCESSES.lock().iter().find(|p| p.pid == pid).cloned()
}

/// Every process not yet reaped (for kill to a group or to all).
pub fn all() -> Vec<Arc<Process>> {
    PROCESSES.lock().clone()
}

/// Forgets a reaped process.
fn unlist(pid: Pid) {
    PROCESSES.lock().retain(|p| p.pid != pid);
}

/// Starts the first process (pid 1) running `path` and hands the CPU to the scheduler. If the
/// program cannot be loaded, the machine powers off with status 127, as a shell reports a command
/// it cannot run.
pub fn run_init(path: &str, args: &[String]) -> ! {
    let mut argv: Vec<Vec<u8>> = alloc::vec![path.as_bytes().to_vec()];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    let envp: Vec<Vec<u8>> = alloc::vec![
        b"HOME=/".to_vec(),
        b"PATH=/bin".to_vec(),
        b"TERM=linux".to_vec()
    ];
    let loaded = match fs::namei::lookup(fs::root(), path.as_bytes(), true)
        .and_then(|inode| exec::load(&inode, path, &argv, &envp))
    {
        Ok(loaded) => loaded,
        Err(err) => {
            log::error!("cannot run {path}: {}", errno_name(err));
            crate::power_off(127);
        }
    };
    let pid = thread::alloc_tid();
    assert_eq!(pid, 1, "the first process must be pid 1");
    let init = Process::new(pid, None, path).expect("no memory for the first process");
    *init.mm.lock() = Some(loaded.mm);
    *init.files.lock() = Some(fs::FdTable::with_console().expect("no memory for init's files"));
    let main = Thread::new(pid, init.clone()).expect("no memory for the first thread");
    init.threads.lock().push(main.clone());
    sched::prepare_user_entry(&main, &PtRegs::new_user(loaded.entry, loaded.sp));
    log::info!("init: pid 1 running {path}");
    sched::enqueue(main);
    sched::start()
}

/// The errno's name, for log messages: a word on what it means for a program that cannot be
/// started, or else the name alone (`EFAULT`).
pub fn errno_name(err: Errno) -> &'static str {
    match err {
        ENOENT => "ENOENT (no such file)",
        ENOEXEC => "ENOEXEC (not an executable this kernel can run)",
        _ => err.name(),
    }
}
