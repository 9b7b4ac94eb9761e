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
//! | /proc/PID/fd/N | a symbolic link per open file: its path, `pipe:[ino]`, `socket:[ino]`, `/dev/console` |
//! | /proc/PID/cwd, root | symbolic links to the working directory and to `/` |
//! | /proc/{mounts,filesystems} | the root tmpfs and /proc, in Linux's formats (df, mount) |
//! | /proc/self | a symbolic link to /proc/PID of the process looking |
//! | /proc/meminfo | MemTotal, MemFree, and what the kernel keeps (page cache, heap, page tables) |
//! | /proc/sysvipc/{msg,sem,shm} | the System V message queues, semaphore sets and segments, as Linux lists them |
//! | /proc/meminfo | MemTotal, MemFree, the huge-page pool, and what the kernel keeps (page cache, heap, page tables) |
//! | /proc/sys/vm/nr_hugepages, /sys/kernel/mm/hugepages/hugepages-2048kB/ | the hugetlb pool ([`crate::mm::hugetlb`]): read, and set by root |

use alloc::{
    format,
    string::String,
    sync::{Arc, Weak},
    vec::Vec,
};
use core::fmt::Write;

use abi::{
    dirent::{DT_DIR, DT_LNK, DT_REG},
    stat::{S_IFDIR, S_IFLNK, S_IFREG},
};

use super::{
    FileKind, Inode, OpenFile,
    inode::{InodeKind, PROC_DEV, SYSFS_DEV},
};
use crate::{
    mm::{frame, gup, mm_struct::Mm},
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
    /// /proc/PID/pagemap: binary, read at any position ([`pagemap_read`]).
    Pagemap(Pid),
    /// /proc/PID/mem: the process's memory at the file position's address ([`mem_rw`]).
    Mem(Pid),
    /// /proc/PID/clear_refs: written, clears the pages' accessed bits or VmHWM
    /// ([`crate::mm::clear_refs`]).
    ClearRefs(Pid),
    /// /proc/PID/task/TID/{stat,status,comm}: one thread's view.
    TaskStat(Pid, Tid),
    TaskStatus(Pid, Tid),
    TaskComm(Pid, Tid),
    MemInfo,
    /// /proc/sys/kernel/randomize_va_space: the address-randomisation mode, read and set.
    RandomizeVaSpace,
    /// /proc/sys/fs/inotify/max_queued_events, max_user_instances, max_user_watches: inotify's
    /// limits, read and set (see [`super::inotify::Limit`]).
    Inotify(super::inotify::Limit),
    /// /sys/kernel/mm/transparent_hugepage/enabled: the huge-page mode, read and set.
    ThpEnabled,
    /// /sys/kernel/mm/transparent_hugepage/hpage_pmd_size: the size of a huge page.
    ThpPmdSize,
    /// /proc/sys/vm/nr_hugepages and /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages:
    /// the hugetlb pool's size, read and set.
    NrHugepages {
        sysfs: bool,
    },
    /// /sys/kernel/mm/hugepages/hugepages-2048kB/{free,resv,surplus}_hugepages.
    HugepagesStat(HugepagesStat),
    Uptime,
    LoadAvg,
    CpuStat,
    Version,
    CpuInfo,
    Mounts,
    Filesystems,
    /// /proc/sysvipc/msg, sem and shm (`crate::ipc`).
    SysvMsg,
    SysvSem,
    SysvShm,
}

/// The read-only numbers of the hugetlb pool's sysfs directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HugepagesStat {
    Free,
    Resv,
    Surplus,
}

impl HugepagesStat {
    const ALL: [HugepagesStat; 3] = [
        HugepagesStat::Free,
        HugepagesStat::Resv,
        HugepagesStat::Surplus,
    ];

    fn name(self) -> &'static str {
        match self {
            HugepagesStat::Free => "free_hugepages",
            HugepagesStat::Resv => "resv_hugepages",
            HugepagesStat::Surplus => "surplus_hugepages",
        }
    }

    fn value(self) -> usize {
        let stats = crate::mm::hugetlb::stats();
        match self {
            HugepagesStat::Free => stats.free,
            HugepagesStat::Resv => stats.resv,
            HugepagesStat::Surplus => stats.surplus,
        }
    }
}

/// The hugetlb pool's directory under /sys/kernel/mm/hugepages.
const HSTATE_DIR: &str = "hugepages-2048kB";

/// A node of the /proc tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcNode {
    /// /proc itself.
    Root,
    /// /proc/self: a link to the looking process's directory.
    SelfLink,
    /// /proc/sys and /proc/sys/kernel (the sysctls).
    Sys,
    SysKernel,
    /// /proc/sys/fs and /proc/sys/fs/inotify.
    SysFs,
    SysFsInotify,
    /// /proc/sysvipc.
    SysvIpc,
    /// /proc/sys/vm.
    SysVm,
    /// /proc/PID.
    Pid(Pid),
    /// /proc/PID/exe.
    Exe(Pid),
    /// /proc/PID/task: a directory per thread.
    TaskDir(Pid),
    /// /proc/PID/task/TID.
    Task(Pid, Tid),
    /// /proc/PID/cwd: a link to the working directory.
    Cwd(Pid),
    /// /proc/PID/root: a link to the root directory.
    RootLink(Pid),
    /// /proc/PID/fd: a directory with a link per open descriptor.
    FdDir(Pid),
    /// /proc/PID/fd/N.
    Fd(Pid, u32),
    File(ProcFile),
    /// /sys, /sys/kernel, /sys/kernel/mm and /sys/kernel/mm/transparent_hugepage: the one
    /// corner of sysfs this kernel has (its files are [`ProcFile::ThpEnabled`] and
    /// [`ProcFile::ThpPmdSize`]), served by the same code as /proc on a device of its own.
    SysfsRoot,
    SysfsKernel,
    SysfsMm,
    SysfsThp,
    /// /sys/kernel/mm/hugepages and its hugepages-2048kB.
    SysfsHugepages,
    SysfsHstate,
}

/// The files of /proc/PID, with their d_type, in the order Linux lists them.
const PID_ENTRIES: [(&str, u8); 18] = [
    ("task", DT_DIR),
    ("fd", DT_DIR),
    ("environ", DT_REG),
    ("status", DT_REG),
    ("cmdline", DT_REG),
    ("stat", DT_REG),
    ("statm", DT_REG),
    ("maps", DT_REG),
    ("mem", DT_REG),
    ("clear_refs", DT_REG),
    ("smaps", DT_REG),
    ("smaps_rollup", DT_REG),
    ("pagemap", DT_REG),
    ("comm", DT_REG),
    ("cwd", DT_LNK),
    ("root", DT_LNK),
    ("exe", DT_LNK),
    ("mmstat", DT_REG),
];

/// The files of /proc/PID/task/TID, in the order Linux lists them (tid_base_stuff): the same as
/// the process's, less the process-wide ones.
const TASK_ENTRIES: [(&str, u8); 12] = [
    ("environ", DT_REG),
    ("status", DT_REG),
    ("comm", DT_REG),
    ("cmdline", DT_REG),
    ("stat", DT_REG),
    ("statm", DT_REG),
    ("maps", DT_REG),
    ("mem", DT_REG),
    ("exe", DT_LNK),
    ("clear_refs", DT_REG),
    ("smaps", DT_REG),
    ("smaps_rollup", DT_REG),
];

/// The system-wide files of /proc.
const ROOT_FILES: [(&str, ProcFile); 8] = [
    ("meminfo", ProcFile::MemInfo),
    ("uptime", ProcFile::Uptime),
    ("loadavg", ProcFile::LoadAvg),
    ("stat", ProcFile::CpuStat),
    ("version", ProcFile::Version),
    ("cpuinfo", ProcFile::CpuInfo),
    ("mounts", ProcFile::Mounts),
    ("filesystems", ProcFile::Filesystems),
];

/// The files of /proc/sysvipc, in Linux's (alphabetical) order.
const SYSVIPC_FILES: [(&str, ProcFile); 3] = [
    ("msg", ProcFile::SysvMsg),
    ("sem", ProcFile::SysvSem),
    ("shm", ProcFile::SysvShm),
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
        "pagemap" => ProcFile::Pagemap(pid),
        "mem" => ProcFile::Mem(pid),
        "clear_refs" => ProcFile::ClearRefs(pid),
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
            ProcNode::Root
                | ProcNode::Pid(_)
                | ProcNode::TaskDir(_)
                | ProcNode::Task(..)
                | ProcNode::FdDir(_)
                | ProcNode::Sys
                | ProcNode::SysKernel
                | ProcNode::SysFs
                | ProcNode::SysFsInotify
                | ProcNode::SysvIpc
                | ProcNode::SysVm
                | ProcNode::SysfsRoot
                | ProcNode::SysfsKernel
                | ProcNode::SysfsMm
                | ProcNode::SysfsThp
                | ProcNode::SysfsHugepages
                | ProcNode::SysfsHstate
        )
    }

    /// Whether the node is under /sys.
    fn is_sysfs(self) -> bool {
        matches!(
            self,
            ProcNode::SysfsRoot
                | ProcNode::SysfsKernel
                | ProcNode::SysfsMm
                | ProcNode::SysfsThp
                | ProcNode::SysfsHugepages
                | ProcNode::SysfsHstate
                | ProcNode::File(
                    ProcFile::ThpEnabled
                        | ProcFile::ThpPmdSize
                        | ProcFile::NrHugepages { sysfs: true }
                        | ProcFile::HugepagesStat(_)
                )
        )
    }

    /// File type and permissions, as Linux shows them.
    fn mode(self) -> u32 {
        match self {
            ProcNode::Root
            | ProcNode::Pid(_)
            | ProcNode::TaskDir(_)
            | ProcNode::Task(..)
            | ProcNode::Sys
            | ProcNode::SysKernel
            | ProcNode::SysFs
            | ProcNode::SysFsInotify
            | ProcNode::SysvIpc
            | ProcNode::SysVm => S_IFDIR | 0o555,
            ProcNode::SysfsRoot
            | ProcNode::SysfsKernel
            | ProcNode::SysfsMm
            | ProcNode::SysfsThp
            | ProcNode::SysfsHugepages
            | ProcNode::SysfsHstate => S_IFDIR | 0o755,
            ProcNode::File(file) => S_IFREG | file.permissions(),
            ProcNode::FdDir(_) => S_IFDIR | 0o500,
            ProcNode::SelfLink | ProcNode::Exe(_) | ProcNode::Cwd(_) | ProcNode::RootLink(_) => {
                S_IFLNK | 0o777
            }
            // lr-x, l-wx or lrwx as the descriptor was opened (tid_fd_update_inode's i_mode).
            ProcNode::Fd(pid, fd) => {
                let file = fd_file(pid, fd).ok();
                let read = file.as_ref().is_some_and(|f| f.readable) as u32 * 0o500;
                let write = file.as_ref().is_some_and(|f| f.writable) as u32 * 0o300;
                S_IFLNK | read | write
            }
        }
    }

    /// An inode for this node; ENOMEM if memory ran out.
    pub fn inode(self) -> Result<Arc<Inode>, Errno> {
        Inode::try_new(
            if self.is_sysfs() { SYSFS_DEV } else { PROC_DEV },
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
                "sys" => ProcNode::Sys,
                "sysvipc" => ProcNode::SysvIpc,
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
            ProcNode::Sys => match name {
                "kernel" => ProcNode::SysKernel,
                "fs" => ProcNode::SysFs,
                "vm" => ProcNode::SysVm,
                _ => return Err(ENOENT),
            },
            ProcNode::SysVm => match name {
                "nr_hugepages" => ProcNode::File(ProcFile::NrHugepages { sysfs: false }),
                _ => return Err(ENOENT),
            },
            ProcNode::SysfsMm if name == "hugepages" => ProcNode::SysfsHugepages,
            ProcNode::SysfsHugepages if name == HSTATE_DIR => ProcNode::SysfsHstate,
            ProcNode::SysfsHstate => match name {
                "nr_hugepages" => ProcNode::File(ProcFile::NrHugepages { sysfs: true }),
                _ => ProcNode::File(ProcFile::HugepagesStat(
                    *HugepagesStat::ALL
                        .iter()
                        .find(|s| s.name() == name)
                        .ok_or(ENOENT)?,
                )),
            },
            ProcNode::SysFs => match name {
                "inotify" => ProcNode::SysFsInotify,
                _ => return Err(ENOENT),
            },
            ProcNode::SysvIpc => {
                let (_, file) = SYSVIPC_FILES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .ok_or(ENOENT)?;
                ProcNode::File(*file)
            }
            ProcNode::SysFsInotify => ProcNode::File(ProcFile::Inotify(
                super::inotify::Limit::named(name).ok_or(ENOENT)?,
            )),
            ProcNode::SysKernel => match name {
                "randomize_va_space" => ProcNode::File(ProcFile::RandomizeVaSpace),
                _ => return Err(ENOENT),
            },
            ProcNode::SysfsRoot if name == "kernel" => ProcNode::SysfsKernel,
            ProcNode::SysfsKernel if name == "mm" => ProcNode::SysfsMm,
            ProcNode::SysfsMm if name == "transparent_hugepage" => ProcNode::SysfsThp,
            ProcNode::SysfsThp => match name {
                "enabled" => ProcNode::File(ProcFile::ThpEnabled),
                "hpage_pmd_size" => ProcNode::File(ProcFile::ThpPmdSize),
                _ => return Err(ENOENT),
            },
            ProcNode::SysfsRoot
            | ProcNode::SysfsKernel
            | ProcNode::SysfsMm
            | ProcNode::SysfsHugepages => {
                return Err(ENOENT);
            }
            ProcNode::Pid(pid) => match name {
                "exe" => ProcNode::Exe(pid),
                "task" => ProcNode::TaskDir(pid),
                "cwd" => ProcNode::Cwd(pid),
                "root" => ProcNode::RootLink(pid),
                "fd" => ProcNode::FdDir(pid),
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
            ProcNode::FdDir(pid) => {
                let fd = name.parse::<u32>().map_err(|_| ENOENT)?;
                // Only the canonical spelling names a descriptor ("07" does not).
                if format!("{fd}") != name {
                    return Err(ENOENT);
                }
                fd_file(pid, fd)?;
                ProcNode::Fd(pid, fd)
            }
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
                push(String::from("sys"), DT_DIR)?;
                push(String::from("sysvipc"), DT_DIR)?;
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
            ProcNode::Sys => {
                push(String::from("fs"), DT_DIR)?;
                push(String::from("kernel"), DT_DIR)?;
                push(String::from("vm"), DT_DIR)?;
            }
            ProcNode::SysVm => push(String::from("nr_hugepages"), DT_REG)?,
            ProcNode::SysfsHugepages => push(String::from(HSTATE_DIR), DT_DIR)?,
            ProcNode::SysfsHstate => {
                push(String::from("nr_hugepages"), DT_REG)?;
                for stat in HugepagesStat::ALL {
                    push(String::from(stat.name()), DT_REG)?;
                }
            }
            ProcNode::SysFs => push(String::from("inotify"), DT_DIR)?,
            ProcNode::SysvIpc => {
                for (name, _) in SYSVIPC_FILES {
                    push(String::from(name), DT_REG)?;
                }
            }
            ProcNode::SysFsInotify => {
                for limit in super::inotify::Limit::ALL {
                    push(String::from(limit.name()), DT_REG)?;
                }
            }
            ProcNode::SysKernel => push(String::from("randomize_va_space"), DT_REG)?,
            ProcNode::SysfsRoot => push(String::from("kernel"), DT_DIR)?,
            ProcNode::SysfsKernel => push(String::from("mm"), DT_DIR)?,
            ProcNode::SysfsMm => {
                push(String::from("hugepages"), DT_DIR)?;
                push(String::from("transparent_hugepage"), DT_DIR)?;
            }
            ProcNode::SysfsThp => {
                push(String::from("enabled"), DT_REG)?;
                push(String::from("hpage_pmd_size"), DT_REG)?;
            }
            ProcNode::FdDir(pid) => {
                let files = process::find(pid).ok_or(ENOENT)?.files()?;
                let table = files.lock();
                let mut fd = 0;
                while let Some(open) = table.next_open(fd, u32::MAX as u64) {
                    push(format!("{open}"), DT_LNK)?;
                    fd = open + 1;
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
            ProcNode::Exe(pid) => Some(exe_path(pid)),
            ProcNode::Cwd(pid) => Some(match process::find(pid) {
                Some(process) => super::vfs::d_path(&process.cwd()),
                None => Err(ENOENT),
            }),
            ProcNode::RootLink(pid) => Some(match process::find(pid) {
                Some(_) => Ok(b"/".to_vec()),
                None => Err(ENOENT),
            }),
            ProcNode::Fd(pid, fd) => Some(fd_file(pid, fd).and_then(|f| file_path(&f))),
            _ => None,
        }
    }
}

impl ProcNode {
    /// Where a "magic" link leads when a path walks through it (Linux's proc_fd_link and
    /// nd_jump_link): /proc/PID/fd/N to the very file open there, not to a path that names it, so
    /// that a deleted file, a memfd or a pipe can be opened again. A pipe gets an inode for the
    /// occasion (pipefs's), whose opening is another end of the same pipe. None for the other
    /// nodes, and for files without an inode (epoll, eventfd): their link is followed as text.
    pub fn jump(self) -> Option<Result<Arc<Inode>, Errno>> {
        let ProcNode::Fd(pid, fd) = self else {
            return None;
        };
        let file = match fd_file(pid, fd) {
            Ok(file) => file,
            Err(e) => return Some(Err(e)),
        };
        match &file.kind {
            FileKind::Regular(inode) | FileKind::Dir(inode) | FileKind::Device(_, inode) => {
                Some(Ok(inode.clone()))
            }
            FileKind::Pipe(end) => Some(super::inode::pipe_inode(&end.pipe).ok_or(ENOMEM)),
            _ => None,
        }
    }
}

/// The open file behind descriptor `fd` of process `pid`; ENOENT if there is none.
fn fd_file(pid: Pid, fd: u32) -> Result<Arc<OpenFile>, Errno> {
    let files = process::find(pid).ok_or(ENOENT)?.files()?;
    files.lock().get(fd as u64).map_err(|_| ENOENT)
}

/// The path of the program's file (Linux's d_path of mm->exe_file): `/bin/sh`, a link to
/// busybox, reads `/bin/busybox`. ENOENT once the process has no memory (a zombie).
fn exe_path(pid: Pid) -> Result<Vec<u8>, Errno> {
    let mm = process::find(pid).ok_or(ENOENT)?.mm().ok_or(ENOENT)?;
    let mm = mm.lock();
    let exe = mm.exe_file.as_ref().ok_or(ENOENT)?;
    let mut path = Vec::new();
    path.try_reserve_exact(exe.inode().path.len())
        .map_err(|_| ENOMEM)?;
    path.extend_from_slice(exe.inode().path.as_bytes());
    Ok(path)
}

/// What /proc/PID/fd/N reads (Linux's d_path of the file, or the name of an anonymous one):
/// the file's path, `/dev/console` for the console the first process starts with, `pipe:[ino]`,
/// `anon_inode:[eventpoll]`.
fn file_path(file: &OpenFile) -> Result<Vec<u8>, Errno> {
    Ok(match &file.kind {
        FileKind::Console => b"/dev/console".to_vec(),
        FileKind::Pipe(end) => format!("pipe:[{}]", end.pipe.ino).into_bytes(),
        FileKind::Dir(inode) => super::vfs::d_path(inode)?,
        FileKind::Regular(inode) | FileKind::Device(_, inode) => {
            let mut path = inode.path.clone().into_bytes();
            // An unlinked file, as Linux's d_path says (a memfd's name already does).
            if inode.is_deleted() {
                path.extend_from_slice(b" (deleted)");
            }
            path
        }
        FileKind::Proc(proc_file, _) => proc_file.path().into_bytes(),
        FileKind::Epoll(_) => b"anon_inode:[eventpoll]".to_vec(),
        FileKind::EventFd(_) => b"anon_inode:[eventfd]".to_vec(),
        FileKind::TimerFd(_) => b"anon_inode:[timerfd]".to_vec(),
        FileKind::SignalFd(_) => b"anon_inode:[signalfd]".to_vec(),
        FileKind::Inotify(_) => b"anon_inode:inotify".to_vec(),
        FileKind::Socket(sock) => format!("socket:[{}]", sock.0.ino).into_bytes(),
    })
}

/// What an open /proc file keeps (Linux's file->private_data).
pub struct ProcPrivate {
    /// The text, produced at the first read, as Linux's seq_file does, so it shows the state
    /// after everything the program did between open and read.
    pub text: IrqMutex<Option<Vec<u8>>>,
    /// /proc/PID/mem's address space, taken at open (Linux's proc_mem_open): reads and writes
    /// reach it even after the process's execve, and find nothing once it is gone.
    pub mm: Weak<Mm>,
}

/// Opens a /proc file (`flags` as open's). Only the sysctls may be opened for writing, by root,
/// and /proc/PID/mem, which needs the right to trace the process, for reading too (EACCES).
pub fn open(file: ProcFile, flags: u64) -> Result<Arc<OpenFile>, Errno> {
    let mut mm = Weak::new();
    if let ProcFile::Mem(pid) = file {
        mm = mem_open(pid)?;
    } else if flags & abi::fcntl::O_ACCMODE != abi::fcntl::O_RDONLY {
        let root = thread::current_process().is_some_and(|p| p.cred.lock().uid.fs == 0);
        let writable = file.is_setting() || matches!(file, ProcFile::ClearRefs(_));
        if !writable || !root {
            return Err(EACCES);
        }
    }
    let private = ProcPrivate {
        text: IrqMutex::new(None),
        mm,
    };
    OpenFile::new(FileKind::Proc(file, private), flags)
}

/// The address space an open of /proc/PID/mem binds (Linux's mm_access with
/// PTRACE_MODE_ATTACH_FSCREDS): ESRCH for a process without memory (a zombie), EACCES without
/// the right to trace the process.
fn mem_open(pid: Pid) -> Result<Weak<Mm>, Errno> {
    use crate::process::cred::{PtraceCreds, ptrace_may_access};
    let target = process::find(pid).ok_or(ESRCH)?;
    let mm = target.mm().ok_or(ESRCH)?;
    let me = thread::current_process().ok_or(ESRCH)?;
    if !ptrace_may_access(&me, &target, PtraceCreds::Fs) {
        return Err(EACCES);
    }
    Ok(Arc::downgrade(&mm))
}

/// Reads (`write` false) or writes /proc/PID/mem at `pos`, the address (Linux's mem_rw): with
/// FOLL_FORCE, so read-only text can be written and PROT_NONE memory read, as a debugger does.
/// The bytes reached until the first page that cannot be; EIO if none could be; 0 once the
/// address space is gone.
pub fn mem_rw(mm: &Weak<Mm>, pos: u64, buf: MemBuf) -> Result<usize, Errno> {
    let Some(mm) = mm.upgrade() else {
        return Ok(0);
    };
    let done = match buf {
        MemBuf::Read(buf) => gup::access_remote_read(&mm, pos, buf, true),
        MemBuf::Write(buf) => gup::access_remote_write(&mm, pos, buf),
    };
    if done == 0 {
        return Err(EIO);
    }
    Ok(done)
}

/// The buffer of a /proc/PID/mem read or write.
pub enum MemBuf<'a> {
    Read(&'a mut [u8]),
    Write(&'a [u8]),
}

impl ProcFile {
    /// The process, and the thread for a /proc/PID/task/TID file, that a file describes; None
    /// for the system-wide files.
    fn owner(&self) -> Option<(Pid, Option<Tid>)> {
        match *self {
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
            | ProcFile::Pagemap(pid)
            | ProcFile::Mem(pid)
            | ProcFile::ClearRefs(pid) => Some((pid, None)),
            ProcFile::TaskStat(pid, tid)
            | ProcFile::TaskStatus(pid, tid)
            | ProcFile::TaskComm(pid, tid) => Some((pid, Some(tid))),
            _ => None,
        }
    }

    /// The device of the file system the file is on.
    pub fn dev(&self) -> (u32, u32) {
        if ProcNode::File(*self).is_sysfs() {
            SYSFS_DEV
        } else {
            PROC_DEV
        }
    }

    /// The permission bits (a setting is writable by its owner, root).
    pub fn permissions(&self) -> u32 {
        match self {
            _ if self.is_setting() => 0o644,
            // Linux's REG("pagemap", S_IRUSR, ...): physical addresses are the owner's business.
            ProcFile::Pagemap(_) => 0o400,
            // Linux's REG("mem", S_IRUSR|S_IWUSR, ...).
            ProcFile::Mem(_) => 0o600,
            ProcFile::ClearRefs(_) => 0o200,
            _ => 0o444,
        }
    }

    /// Whether the file is a setting root may write.
    fn is_setting(&self) -> bool {
        matches!(
            self,
            ProcFile::RandomizeVaSpace
                | ProcFile::ThpEnabled
                | ProcFile::Inotify(_)
                | ProcFile::NrHugepages { .. }
        )
    }

    /// A write to a setting: randomize_va_space's new value, as Linux's proc_dointvec_minmax reads
    /// it (an integer, blanks around it allowed; EINVAL outside 0..=2), or the huge-page mode's
    /// word, as Linux's enabled_store (`always`, `madvise` or `never`, a newline after it
    /// allowed). Returns the bytes taken.
    pub fn write(&self, bytes: &[u8]) -> Result<usize, Errno> {
        if let ProcFile::ClearRefs(pid) = *self {
            let what = crate::mm::clear_refs::ClearRefs::parse(bytes)?;
            // A process without memory (a zombie) has nothing to clear: the write succeeds,
            // as on Linux; once reaped, ESRCH.
            if let Some(mm) = process::find(pid).ok_or(ESRCH)?.mm() {
                mm.lock().clear_refs(what);
            }
            return Ok(bytes.len());
        }
        let text = core::str::from_utf8(bytes).map_err(|_| EINVAL)?;
        if *self == ProcFile::ThpEnabled {
            let word = text.strip_suffix('\n').unwrap_or(text);
            let mode = crate::mm::huge_memory::ThpMode::parse(word).ok_or(EINVAL)?;
            crate::mm::huge_memory::set_mode(mode);
            return Ok(bytes.len());
        }
        if let ProcFile::Inotify(limit) = self {
            limit.set(text)?;
            return Ok(bytes.len());
        }
        if let ProcFile::NrHugepages { .. } = self {
            crate::mm::hugetlb::set_nr_hugepages(crate::mm::hugetlb::parse_count(text)?);
            return Ok(bytes.len());
        }
        if *self != ProcFile::RandomizeVaSpace {
            return Err(EINVAL);
        }
        let value: u8 = text.trim().parse().map_err(|_| EINVAL)?;
        if value > 2 {
            return Err(EINVAL);
        }
        crate::mm::aslr::set_mode(value);
        Ok(bytes.len())
    }

    /// The file's path under /proc.
    fn path(&self) -> String {
        match self {
            ProcFile::RandomizeVaSpace => {
                return String::from("/proc/sys/kernel/randomize_va_space");
            }
            ProcFile::Inotify(limit) => return format!("/proc/sys/fs/inotify/{}", limit.name()),
            ProcFile::SysvMsg | ProcFile::SysvSem | ProcFile::SysvShm => {
                let name = SYSVIPC_FILES.iter().find(|(_, f)| f == self);
                return format!("/proc/sysvipc/{}", name.map_or("", |(n, _)| n));
            }
            ProcFile::ThpEnabled => {
                return String::from("/sys/kernel/mm/transparent_hugepage/enabled");
            }
            ProcFile::ThpPmdSize => {
                return String::from("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
            }
            ProcFile::NrHugepages { sysfs: false } => {
                return String::from("/proc/sys/vm/nr_hugepages");
            }
            ProcFile::NrHugepages { sysfs: true } => {
                return format!("/sys/kernel/mm/hugepages/{HSTATE_DIR}/nr_hugepages");
            }
            ProcFile::HugepagesStat(stat) => {
                return format!("/sys/kernel/mm/hugepages/{HSTATE_DIR}/{}", stat.name());
            }
            _ => {}
        }
        match self.owner() {
            None => match ROOT_FILES.iter().find(|(_, f)| f == self) {
                Some((name, _)) => format!("/proc/{name}"),
                None => String::from("/proc"),
            },
            Some((pid, None)) => {
                let name = PID_ENTRIES
                    .iter()
                    .find(|(name, _)| pid_file(pid, name) == Some(*self))
                    .map_or("", |(name, _)| name);
                format!("/proc/{pid}/{name}")
            }
            Some((pid, Some(tid))) => {
                let name = TASK_ENTRIES
                    .iter()
                    .find(|(name, _)| task_file(pid, tid, name) == Some(*self))
                    .map_or("", |(name, _)| name);
                format!("/proc/{pid}/task/{tid}/{name}")
            }
        }
    }

    /// The file's text now. The mm lock is taken and released here, before anything is copied to
    /// the user. A process that has been reaped in the meantime reads as empty.
    pub fn render(&self) -> Result<alloc::vec::Vec<u8>, Errno> {
        use super::{proc_array, proc_misc};
        match *self {
            ProcFile::MemInfo => return Ok(meminfo().into_bytes()),
            ProcFile::Uptime => return Ok(proc_misc::render_uptime().into_bytes()),
            ProcFile::LoadAvg => return Ok(proc_misc::render_loadavg().into_bytes()),
            ProcFile::CpuStat => return Ok(proc_misc::render_stat().into_bytes()),
            ProcFile::Version => return Ok(proc_misc::render_version().into_bytes()),
            ProcFile::CpuInfo => return Ok(proc_misc::render_cpuinfo().into_bytes()),
            ProcFile::Mounts => return Ok(proc_misc::render_mounts().into_bytes()),
            ProcFile::Filesystems => return Ok(proc_misc::render_filesystems().into_bytes()),
            ProcFile::SysvMsg => return Ok(crate::ipc::msg::proc_show()?.into_bytes()),
            ProcFile::SysvSem => return Ok(crate::ipc::sem::proc_show()?.into_bytes()),
            ProcFile::SysvShm => return Ok(crate::ipc::shm::proc_show()?.into_bytes()),
            ProcFile::RandomizeVaSpace => {
                return Ok(format!("{}\n", crate::mm::aslr::mode()).into_bytes());
            }
            ProcFile::Inotify(limit) => return Ok(format!("{}\n", limit.get()).into_bytes()),
            ProcFile::ThpEnabled => {
                return Ok(format!("{}\n", crate::mm::huge_memory::mode().describe()).into_bytes());
            }
            ProcFile::ThpPmdSize => {
                return Ok(format!("{}\n", crate::mm::paging::HPAGE_PMD_SIZE).into_bytes());
            }
            ProcFile::NrHugepages { .. } => {
                let count = crate::mm::hugetlb::stats().persistent();
                return Ok(format!("{count}\n").into_bytes());
            }
            ProcFile::HugepagesStat(stat) => {
                return Ok(format!("{}\n", stat.value()).into_bytes());
            }
            // The per-process files (see `owner`), below.
            ProcFile::Maps(_)
            | ProcFile::Smaps(_)
            | ProcFile::SmapsRollup(_)
            | ProcFile::Status(_)
            | ProcFile::MmStat(_)
            | ProcFile::Stat(_)
            | ProcFile::Statm(_)
            | ProcFile::Comm(_)
            | ProcFile::Cmdline(_)
            | ProcFile::Environ(_)
            | ProcFile::TaskStat(..)
            | ProcFile::TaskStatus(..)
            | ProcFile::TaskComm(..) => {}
            // Read at a position, not rendered (see `OpenFile::read_at`).
            ProcFile::Pagemap(_) | ProcFile::Mem(_) => return Ok(alloc::vec::Vec::new()),
            // Write-only: nothing to read (Linux's file has no read: EINVAL).
            ProcFile::ClearRefs(_) => return Err(EINVAL),
        }
        let Some((pid, tid)) = self.owner() else {
            return Ok(alloc::vec::Vec::new());
        };
        let Some(process) = process::find(pid) else {
            return Ok(alloc::vec::Vec::new());
        };
        // A thread that has exited since the file was opened reads as empty.
        let thread = match tid {
            Some(tid) => match find_task(pid, tid) {
                Some(t) => Some(t),
                None => return Ok(alloc::vec::Vec::new()),
            },
            None => None,
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
        ("Buffers", 0),
        ("Cached", kb(crate::fs::page_cache_pages())),
        // Every page-cache page is shmem here: the root is a tmpfs, as Linux's rootfs can be.
        ("Shmem", kb(crate::fs::page_cache_pages())),
        // Nothing the kernel keeps can be reclaimed; free (procps and busybox) reads this line.
        ("SReclaimable", 0),
        ("AnonHugePages", frame::anon_thps() * 2048),
    ] {
        let _ = writeln!(out, "{:<16}{:>8} kB", format!("{name}:"), value);
    }
    // hugetlb_report_meminfo's lines, in its format.
    let pool = crate::mm::hugetlb::stats();
    let _ = writeln!(out, "HugePages_Total:   {:>5}", pool.total);
    let _ = writeln!(out, "HugePages_Free:    {:>5}", pool.free);
    let _ = writeln!(out, "HugePages_Rsvd:    {:>5}", pool.resv);
    let _ = writeln!(out, "HugePages_Surp:    {:>5}", pool.surplus);
    let _ = writeln!(out, "Hugepagesize:   {:>8} kB", 2048);
    let _ = writeln!(out, "Hugetlb:        {:>8} kB", pool.total * 2048);
    for (name, value) in [
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

/// Reads /proc/PID/pagemap at `pos` (Linux's pagemap_read): EINVAL unless the position and the
/// length are whole entries (8 bytes); 0 past the end of user space or for a process without
/// memory. The frame numbers are shown to root only.
pub fn pagemap_read(pid: Pid, pos: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    const ENTRY: usize = 8;
    if !pos.is_multiple_of(ENTRY as u64) || !buf.len().is_multiple_of(ENTRY) {
        return Err(EINVAL);
    }
    let Some(mm) = process::find(pid).and_then(|p| p.mm()) else {
        return Ok(0);
    };
    let show_pfn = thread::current_process().is_some_and(|p| p.cred.lock().privileged());
    let page = crate::mm::layout::PAGE_SIZE;
    let task_size = crate::mm::layout::TASK_SIZE;
    let Some(addr) = (pos / ENTRY as u64)
        .checked_mul(page)
        .filter(|&a| a < task_size)
    else {
        return Ok(0);
    };
    let count = (buf.len() / ENTRY).min(((task_size - addr) / page) as usize);
    let mut entries = [0u64; 64];
    let mut done = 0;
    while done < count {
        let n = (count - done).min(entries.len());
        mm.lock()
            .pagemap(addr + done as u64 * page, &mut entries[..n], show_pfn);
        for (i, entry) in entries[..n].iter().enumerate() {
            let at = (done + i) * ENTRY;
            buf[at..at + ENTRY].copy_from_slice(&entry.to_ne_bytes());
        }
        done += n;
    }
    Ok(count * ENTRY)
}
