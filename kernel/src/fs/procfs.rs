//! /proc: per-process files generated from the kernel's state when they are first read, in a
//! directory tree made up at lookup (Linux's proc_root_lookup and proc_pid_lookup).
//!
//! | path | contents |
//! |---|---|
//! | /proc/PID/maps, /proc/self/maps | the process's VMAs, as Linux prints them |
//! | /proc/PID/smaps, smaps_rollup | per area (and summed): Rss, Pss, shared/private clean/dirty, flags |
//! | /proc/PID/stat, statm, comm, cmdline, environ | as ps and top read them ([`super::proc_array`]) |
//! | /proc/{uptime,loadavg,stat,version,cpuinfo} | system-wide ([`super::proc_misc`]) |
//! | /proc/PID/status | identity, the Vm*/Rss* memory lines, signals, capabilities, switches |
//! | /proc/PID/task/TID/ | one directory per thread: its own stat, status and comm, the process's maps and the rest |
//! | /proc/PID/mmstat | this kernel's fault counters: zero-page maps, copy-on-write copies and reuses |
//! | /proc/PID/exe | a symbolic link to the program the process runs |
//! | /proc/self | a symbolic link to /proc/PID of the process looking |
//! | /proc/meminfo | MemTotal, MemFree, and what the kernel keeps (page cache, heap, page tables) |

use alloc::{format, string::String, sync::Arc, vec::Vec};
use core::fmt::Write;

use abi::{
    dirent::{DT_DIR, DT_LNK, DT_REG},
    stat::{S_IFDIR, S_IFLNK, S_IFREG},
};

use super::{
    FileKind, Inode, OpenFile,
    inode::{InodeKind, PROC_DEV},
};
use crate::{
    mm::frame,
    process::{self, Pid},
    sync::IrqMutex,
    syscall::errno::*,
    thread,
    thread::Tid,
};

/// A /proc file: which one, for which process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcFile {
    Maps(Pid),
    Smaps(Pid),
    SmapsRollup(Pid),
    Status(Pid),
    MmStat(Pid),
    Stat(Pid),
    Statm(Pid),
    Comm(Pid),
    Cmdline(Pid),
    Environ(Pid),
    /// /proc/PID/task/TID/{stat,status,comm}: one thread's view.
    TaskStat(Pid, Tid),
    TaskStatus(Pid, Tid),
    TaskComm(Pid, Tid),
    MemInfo,
    Uptime,
    LoadAvg,
    CpuStat,
    Version,
    CpuInfo,
}

/// A node of the /proc tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcNode {
    /// /proc itself.
    Root,
    /// /proc/self: a link to the looking process's directory.
    SelfLink,
    /// /proc/PID.
    Pid(Pid),
    /// /proc/PID/exe.
    Exe(Pid),
    /// /proc/PID/task: a directory per thread.
    TaskDir(Pid),
    /// /proc/PID/task/TID.
    Task(Pid, Tid),
    File(ProcFile),
}

/// The files of /proc/PID, with their d_type, in the order Linux lists them.
const PID_ENTRIES: [(&str, u8); 12] = [
    ("task", DT_DIR),
    ("environ", DT_REG),
    ("status", DT_REG),
    ("cmdline", DT_REG),
    ("stat", DT_REG),
    ("statm", DT_REG),
    ("maps", DT_REG),
    ("smaps", DT_REG),
    ("smaps_rollup", DT_REG),
    ("comm", DT_REG),
    ("exe", DT_LNK),
    ("mmstat", DT_REG),
];

/// The files of /proc/PID/task/TID, in the order Linux lists them (tid_base_stuff): the same as
/// the process's, less the process-wide ones.
const TASK_ENTRIES: [(&str, u8); 10] = [
    ("environ", DT_REG),
    ("status", DT_REG),
    ("comm", DT_REG),
    ("cmdline", DT_REG),
    ("stat", DT_REG),
    ("statm", DT_REG),
    ("maps", DT_REG),
    ("exe", DT_LNK),
    ("smaps", DT_REG),
    ("smaps_rollup", DT_REG),
];

/// The system-wide files of /proc.
const ROOT_FILES: [(&str, ProcFile); 6] = [
    ("meminfo", ProcFile::MemInfo),
    ("uptime", ProcFile::Uptime),
    ("loadavg", ProcFile::LoadAvg),
    ("stat", ProcFile::CpuStat),
    ("version", ProcFile::Version),
    ("cpuinfo", ProcFile::CpuInfo),
];

/// The file `name` of /proc/PID.
fn pid_file(pid: Pid, name: &str) -> Option<ProcFile> {
    Some(match name {
        "maps" => ProcFile::Maps(pid),
        "smaps" => ProcFile::Smaps(pid),
        "smaps_rollup" => ProcFile::SmapsRollup(pid),
        "status" => ProcFile::Status(pid),
        "mmstat" => ProcFile::MmStat(pid),
        "stat" => ProcFile::Stat(pid),
        "statm" => ProcFile::Statm(pid),
        "comm" => ProcFile::Comm(pid),
        "cmdline" => ProcFile::Cmdline(pid),
        "environ" => ProcFile::Environ(pid),
        _ => return None,
    })
}

/// The file `name` of /proc/PID/task/TID: the thread's own stat, status and comm, the process's
/// for the rest.
fn task_file(pid: Pid, tid: Tid, name: &str) -> Option<ProcFile> {
    if !TASK_ENTRIES.iter().any(|(n, _)| *n == name) {
        return None;
    }
    Some(match name {
        "stat" => ProcFile::TaskStat(pid, tid),
        "status" => ProcFile::TaskStatus(pid, tid),
        "comm" => ProcFile::TaskComm(pid, tid),
        _ => pid_file(pid, name)?,
    })
}

/// The thread `tid` of process `pid`, while it runs.
fn find_task(pid: Pid, tid: Tid) -> Option<Arc<thread::Thread>> {
    let process = process::find(pid)?;
    let threads = process.threads.lock();
    threads.iter().find(|t| t.tid() == tid).cloned()
}

impl ProcNode {
    pub fn is_dir(self) -> bool {
        matches!(
            self,
            ProcNode::Root | ProcNode::Pid(_) | ProcNode::TaskDir(_) | ProcNode::Task(..)
        )
    }

    /// File type and permissions, as Linux shows them.
    fn mode(self) -> u32 {
        match self {
            ProcNode::Root | ProcNode::Pid(_) | ProcNode::TaskDir(_) | ProcNode::Task(..) => {
                S_IFDIR | 0o555
            }
            ProcNode::SelfLink => S_IFLNK | 0o777,
            ProcNode::Exe(_) => S_IFLNK | 0o777,
            ProcNode::File(_) => S_IFREG | 0o444,
        }
    }

    /// An inode for this node; ENOMEM if memory ran out.
    pub fn inode(self) -> Result<Arc<Inode>, Errno> {
        Inode::try_new(
            PROC_DEV,
            String::new(),
            InodeKind::Proc(self),
            self.mode(),
            &[],
        )
        .ok_or(ENOMEM)
    }

    /// The node `name` in this directory (proc_root_lookup, proc_pid_lookup).
    pub fn lookup(self, name: &[u8]) -> Result<Arc<Inode>, Errno> {
        let name = core::str::from_utf8(name).map_err(|_| ENOENT)?;
        let node = match self {
            ProcNode::Root => match name {
                "self" => ProcNode::SelfLink,
                _ if ROOT_FILES.iter().any(|(n, _)| *n == name) => {
                    let (_, file) = ROOT_FILES.iter().find(|(n, _)| *n == name).ok_or(ENOENT)?;
                    ProcNode::File(*file)
                }
                _ => {
                    let pid = name.parse::<Pid>().map_err(|_| ENOENT)?;
                    process::find(pid).ok_or(ENOENT)?;
                    ProcNode::Pid(pid)
                }
            },
            ProcNode::Pid(pid) => match name {
                "exe" => ProcNode::Exe(pid),
                "task" => ProcNode::TaskDir(pid),
                _ => ProcNode::File(pid_file(pid, name).ok_or(ENOENT)?),
            },
            ProcNode::TaskDir(pid) => {
                let tid = name.parse::<Tid>().map_err(|_| ENOENT)?;
                find_task(pid, tid).ok_or(ENOENT)?;
                ProcNode::Task(pid, tid)
            }
            ProcNode::Task(pid, tid) => match name {
                "exe" => ProcNode::Exe(pid),
                _ => ProcNode::File(task_file(pid, tid, name).ok_or(ENOENT)?),
            },
            _ => return Err(ENOTDIR),
        };
        node.inode()
    }

    /// The names in this directory with their d_type, "." and ".." not included.
    pub fn entries(self) -> Result<Vec<(String, u8)>, Errno> {
        let mut out = Vec::new();
        let mut push = |name: String, dtype| -> Result<(), Errno> {
            out.try_reserve(1).map_err(|_| ENOMEM)?;
            out.push((name, dtype));
            Ok(())
        };
        match self {
            ProcNode::Root => {
                for (name, _) in ROOT_FILES {
                    push(String::from(name), DT_REG)?;
                }
                push(String::from("self"), DT_LNK)?;
                for process in process::all() {
                    push(format!("{}", process.pid), DT_DIR)?;
                }
            }
            ProcNode::Pid(_) => {
                for (name, dtype) in PID_ENTRIES {
                    push(String::from(name), dtype)?;
                }
            }
            ProcNode::TaskDir(pid) => {
                let tids: Vec<Tid> = match process::find(pid) {
                    Some(p) => p.threads.lock().iter().map(|t| t.tid()).collect(),
                    None => Vec::new(),
                };
                for tid in tids {
                    push(format!("{tid}"), DT_DIR)?;
                }
            }
            ProcNode::Task(..) => {
                for (name, dtype) in TASK_ENTRIES {
                    push(String::from(name), dtype)?;
                }
            }
            _ => return Err(ENOTDIR),
        }
        Ok(out)
    }

    /// A link's target: the looking process's pid for /proc/self, the program's path for exe.
    pub fn link_target(self) -> Option<Result<Vec<u8>, Errno>> {
        match self {
            ProcNode::SelfLink => {
                let pid = thread::current_process().map_or(0, |p| p.pid);
                Some(Ok(format!("{pid}").into_bytes()))
            }
            ProcNode::Exe(pid) => Some(match process::find(pid) {
                Some(process) => Ok(process.name.lock().clone().into_bytes()),
                None => Err(ENOENT),
            }),
            _ => None,
        }
    }
}

/// Opens a /proc file for reading (`access` is the O_ACCMODE bits). The text is produced at the
/// first read, as Linux's seq_file does, so it shows the state after everything the program did
/// between open and read.
pub fn open(file: ProcFile, flags: u64) -> Result<Arc<OpenFile>, Errno> {
    if flags & abi::fcntl::O_ACCMODE != abi::fcntl::O_RDONLY {
        return Err(EACCES);
    }
    OpenFile::new(FileKind::Proc(file, IrqMutex::new(None)), flags)
}

impl ProcFile {
    /// The file's text now. The mm lock is taken and released here, before anything is copied to
    /// the user. A process that has been reaped in the meantime reads as empty.
    pub fn render(&self) -> Result<alloc::vec::Vec<u8>, Errno> {
        use super::{proc_array, proc_misc};
        let pid = match *self {
            ProcFile::MemInfo => return Ok(meminfo().into_bytes()),
            ProcFile::Uptime => return Ok(proc_misc::render_uptime().into_bytes()),
            ProcFile::LoadAvg => return Ok(proc_misc::render_loadavg().into_bytes()),
            ProcFile::CpuStat => return Ok(proc_misc::render_stat().into_bytes()),
            ProcFile::Version => return Ok(proc_misc::render_version().into_bytes()),
            ProcFile::CpuInfo => return Ok(proc_misc::render_cpuinfo().into_bytes()),
            ProcFile::Maps(pid)
            | ProcFile::Smaps(pid)
            | ProcFile::SmapsRollup(pid)
            | ProcFile::Status(pid)
            | ProcFile::MmStat(pid)
            | ProcFile::Stat(pid)
            | ProcFile::Statm(pid)
            | ProcFile::Comm(pid)
            | ProcFile::Cmdline(pid)
            | ProcFile::Environ(pid)
            | ProcFile::TaskStat(pid, _)
            | ProcFile::TaskStatus(pid, _)
            | ProcFile::TaskComm(pid, _) => pid,
        };
        let Some(process) = process::find(pid) else {
            return Ok(alloc::vec::Vec::new());
        };
        // A thread that has exited since the file was opened reads as empty.
        let thread = match *self {
            ProcFile::TaskStat(_, tid)
            | ProcFile::TaskStatus(_, tid)
            | ProcFile::TaskComm(_, tid) => match find_task(pid, tid) {
                Some(t) => Some(t),
                None => return Ok(alloc::vec::Vec::new()),
            },
            _ => None,
        };
        let thread = thread.as_deref();
        match self {
            ProcFile::Stat(_) | ProcFile::TaskStat(..) => {
                return proc_array::render_stat(&process, thread).map(String::into_bytes);
            }
            ProcFile::Status(_) | ProcFile::TaskStatus(..) => {
                return proc_array::render_status(&process, thread).map(String::into_bytes);
            }
            ProcFile::Comm(_) | ProcFile::TaskComm(..) => {
                return Ok(proc_array::render_comm(&process, thread).into_bytes());
            }
            ProcFile::Statm(_) => return Ok(proc_array::render_statm(&process).into_bytes()),
            ProcFile::Cmdline(_) => return proc_array::render_args(&process, false),
            ProcFile::Environ(_) => return proc_array::render_args(&process, true),
            _ => {}
        }
        self.render_text(&process).map(String::into_bytes)
    }

    /// The files produced as text from the process's memory and identity.
    fn render_text(&self, process: &process::Process) -> Result<String, Errno> {
        let mm = process.mm();
        match (self, mm) {
            (ProcFile::Maps(_), Some(mm)) => mm.lock().render_maps().ok_or(ENOMEM),
            (ProcFile::Smaps(_), Some(mm)) => mm.lock().render_smaps().ok_or(ENOMEM),
            (ProcFile::SmapsRollup(_), Some(mm)) => mm.lock().render_smaps_rollup().ok_or(ENOMEM),
            (ProcFile::MmStat(_), Some(mm)) => Ok(mm.lock().render_mmstat()),
            _ => Ok(String::new()),
        }
    }
}

/// Linux's first lines of /proc/meminfo, then what this kernel keeps for itself, so that tests can
/// check that memory comes back exactly: MemFree + Cached + KernelHeap + KernelPageTables (plus
/// what live processes hold) is constant.
fn meminfo() -> String {
    let stats = frame::stats();
    let kb = |frames: usize| frames * 4;
    let mut out = String::new();
    for (name, value) in [
        ("MemTotal", kb(stats.total)),
        ("MemFree", kb(stats.free)),
        ("MemAvailable", kb(stats.free)),
        ("Cached", kb(crate::fs::page_cache_pages())),
        // Every page-cache page is shmem here: the root is a tmpfs, as Linux's rootfs can be.
        ("Shmem", kb(crate::fs::page_cache_pages())),
        ("KernelHeap", crate::mm::heap::usage().1 / 1024),
        // The part of the heap in use: a leak of kernel objects shows here first.
        ("KernelHeapUsed", crate::mm::heap::usage().0 / 1024),
        (
            "KernelPageTables",
            kb(crate::mm::paging::kernel_table_frames()),
        ),
    ] {
        let _ = writeln!(out, "{:<16}{:>8} kB", format!("{name}:"), value);
    }
    out
}
