//! /proc: per-process files generated from the kernel's state when they are first read, in a
//! directory tree made up at lookup (Linux's proc_root_lookup and proc_pid_lookup).
//!
//! | path | contents |
//! |---|---|
//! | /proc/PID/maps, /proc/self/maps | the process's VMAs, as Linux prints them |
//! | /proc/PID/status | name, pid and the Vm*/Rss* memory lines |
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
    process::{self, Pid, ProcessState},
    sync::IrqMutex,
    syscall::errno::*,
    thread::{self, ThreadState},
};

/// A /proc file: which one, for which process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcFile {
    Maps(Pid),
    Status(Pid),
    MmStat(Pid),
    MemInfo,
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
    File(ProcFile),
}

/// The files of /proc/PID, with their d_type.
const PID_ENTRIES: [(&str, u8); 4] = [
    ("exe", DT_LNK),
    ("maps", DT_REG),
    ("mmstat", DT_REG),
    ("status", DT_REG),
];

impl ProcNode {
    pub fn is_dir(self) -> bool {
        matches!(self, ProcNode::Root | ProcNode::Pid(_))
    }

    /// File type and permissions, as Linux shows them.
    fn mode(self) -> u32 {
        match self {
            ProcNode::Root | ProcNode::Pid(_) => S_IFDIR | 0o555,
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
                "meminfo" => ProcNode::File(ProcFile::MemInfo),
                "self" => ProcNode::SelfLink,
                _ => {
                    let pid = name.parse::<Pid>().map_err(|_| ENOENT)?;
                    process::find(pid).ok_or(ENOENT)?;
                    ProcNode::Pid(pid)
                }
            },
            ProcNode::Pid(pid) => match name {
                "maps" => ProcNode::File(ProcFile::Maps(pid)),
                "status" => ProcNode::File(ProcFile::Status(pid)),
                "mmstat" => ProcNode::File(ProcFile::MmStat(pid)),
                "exe" => ProcNode::Exe(pid),
                _ => return Err(ENOENT),
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
                push(String::from("meminfo"), DT_REG)?;
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
    pub fn render(&self) -> Result<String, Errno> {
        let pid = match *self {
            ProcFile::MemInfo => return Ok(meminfo()),
            ProcFile::Maps(pid) | ProcFile::Status(pid) | ProcFile::MmStat(pid) => pid,
        };
        let Some(process) = process::find(pid) else {
            return Ok(String::new());
        };
        let mm = process.mm();
        match (self, mm) {
            (ProcFile::Maps(_), Some(mm)) => mm.lock().render_maps().ok_or(ENOMEM),
            (ProcFile::MmStat(_), Some(mm)) => Ok(mm.lock().render_mmstat()),
            (ProcFile::Status(_), mm) => {
                let mut out = String::new();
                let name = process.name.lock().clone();
                let short = name.rsplit('/').next().unwrap_or(&name);
                let main = process.main_thread();
                let state = match (process.state(), main.map(|t| t.state())) {
                    (ProcessState::Zombie(_), _) => "Z (zombie)",
                    (_, Some(ThreadState::Blocked)) => "S (sleeping)",
                    _ => "R (running)",
                };
                let ppid = process.ppid.load(core::sync::atomic::Ordering::Relaxed);
                let _ = write!(
                    out,
                    "Name:\t{short}\nState:\t{state}\nPid:\t{pid}\nPPid:\t{ppid}\n"
                );
                if let Some(mm) = mm {
                    mm.lock().render_status_memory(&mut out);
                }
                Ok(out)
            }
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
        (
            "KernelPageTables",
            kb(crate::mm::paging::kernel_table_frames()),
        ),
    ] {
        let _ = writeln!(out, "{:<16}{:>8} kB", format!("{name}:"), value);
    }
    out
}
