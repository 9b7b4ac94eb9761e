//! /proc: per-process files generated from the kernel's state when they are first read.
//!
//! | path | contents |
//! |---|---|
//! | /proc/PID/maps, /proc/self/maps | the process's VMAs, as Linux prints them |
//! | /proc/PID/smaps, smaps_rollup | per area (and summed): Rss, Pss, shared/private clean/dirty, flags |
//! | /proc/PID/stat, statm, comm, cmdline, environ | as ps and top read them ([`super::proc_array`]) |
//! | /proc/{uptime,loadavg,stat,version,cpuinfo} | system-wide ([`super::proc_misc`]) |
//! | /proc/PID/status | name, pid and the Vm*/Rss* memory lines |
//! | /proc/PID/mmstat | this kernel's fault counters: zero-page maps, copy-on-write copies and reuses |
//! | /proc/meminfo | MemTotal, MemFree, and what the kernel keeps (page cache, heap, page tables) |

use alloc::{format, string::String, sync::Arc};
use core::fmt::Write;

use super::{FileKind, OpenFile};
use crate::{
    mm::frame,
    process::{self, Pid},
    sync::IrqMutex,
    syscall::errno::*,
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
    MemInfo,
    Uptime,
    LoadAvg,
    CpuStat,
    Version,
    CpuInfo,
}

/// Opens `/proc/<rest>` for reading (`access` is the O_ACCMODE bits). The text is produced at the
/// first read, as Linux's seq_file does, so it shows the state after everything the program did
/// between open and read.
pub fn open(rest: &str, self_pid: Pid, access: u64) -> Result<Arc<OpenFile>, Errno> {
    let global = match rest {
        "meminfo" => Some(ProcFile::MemInfo),
        "uptime" => Some(ProcFile::Uptime),
        "loadavg" => Some(ProcFile::LoadAvg),
        "stat" => Some(ProcFile::CpuStat),
        "version" => Some(ProcFile::Version),
        "cpuinfo" => Some(ProcFile::CpuInfo),
        _ => None,
    };
    let file = if let Some(file) = global {
        file
    } else {
        let (who, name) = rest.split_once('/').ok_or(ENOENT)?;
        let pid = if who == "self" {
            self_pid
        } else {
            who.parse::<Pid>().map_err(|_| ENOENT)?
        };
        process::find(pid).ok_or(ENOENT)?;
        match name {
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
            _ => return Err(ENOENT),
        }
    };
    if access != abi::fcntl::O_RDONLY {
        return Err(EACCES);
    }
    OpenFile::new(FileKind::Proc(file, IrqMutex::new(None)), access)
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
            | ProcFile::Environ(pid) => pid,
        };
        let Some(process) = process::find(pid) else {
            return Ok(alloc::vec::Vec::new());
        };
        match self {
            ProcFile::Stat(_) => return proc_array::render_stat(&process).map(String::into_bytes),
            ProcFile::Statm(_) => return Ok(proc_array::render_statm(&process).into_bytes()),
            ProcFile::Comm(_) => return Ok(proc_array::render_comm(&process).into_bytes()),
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
            (ProcFile::Status(_), mm) => {
                let mut out = String::new();
                let name = super::proc_array::comm(process);
                let (letter, word) = super::proc_array::state(process);
                let ppid = process.ppid.load(core::sync::atomic::Ordering::Relaxed);
                let pid = process.pid;
                let _ = write!(
                    out,
                    "Name:\t{name}\nState:\t{letter} ({word})\nPid:\t{pid}\nPPid:\t{ppid}\n"
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
