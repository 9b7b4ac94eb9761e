//! /proc: per-process files generated from the kernel's state when they are opened.
//!
//! | path | contents |
//! |---|---|
//! | /proc/PID/maps, /proc/self/maps | the process's VMAs, as Linux prints them |
//! | /proc/PID/status | name, pid and the Vm*/Rss* memory lines |
//! | /proc/PID/mmstat | this kernel's fault counters: zero-page maps, copy-on-write copies and reuses |
//! | /proc/meminfo | MemTotal, MemFree |

use alloc::{format, string::String, sync::Arc};
use core::fmt::Write;

use super::{FileKind, OpenFile};
use crate::{
    mm::frame,
    syscall::errno::*,
    task::{self, Pid},
};

/// Opens `/proc/<rest>` for reading (`access` is the O_ACCMODE bits).
pub fn open(rest: &str, self_pid: Pid, access: u64) -> Result<Arc<OpenFile>, Errno> {
    if rest == "meminfo" {
        return generated(meminfo(), access);
    }
    let (who, file) = rest.split_once('/').ok_or(ENOENT)?;
    let pid = if who == "self" {
        self_pid
    } else {
        who.parse::<Pid>().map_err(|_| ENOENT)?
    };
    let task = task::find(pid).ok_or(ENOENT)?;
    let mm = task.mm();
    // The mm lock is taken and released here, before anything is copied to the user.
    let text = match (file, mm) {
        ("maps", Some(mm)) => mm.lock().render_maps(),
        ("maps", None) => String::new(),
        ("status", mm) => {
            let mut out = String::new();
            let name = task.name.lock().clone();
            let short = name.rsplit('/').next().unwrap_or(&name);
            let state = match task.state() {
                task::State::Running | task::State::Runnable => "R (running)",
                task::State::Blocked => "S (sleeping)",
                task::State::Zombie(_) => "Z (zombie)",
            };
            let ppid = task.ppid.load(core::sync::atomic::Ordering::Relaxed);
            let _ = write!(
                out,
                "Name:\t{short}\nState:\t{state}\nPid:\t{pid}\nPPid:\t{ppid}\n"
            );
            if let Some(mm) = mm {
                mm.lock().render_status_memory(&mut out);
            }
            out
        }
        ("mmstat", Some(mm)) => mm.lock().render_mmstat(),
        ("mmstat", None) => String::new(),
        _ => return Err(ENOENT),
    };
    generated(text, access)
}

fn generated(text: String, access: u64) -> Result<Arc<OpenFile>, Errno> {
    if access != 0 {
        return Err(EACCES);
    }
    Ok(OpenFile::new(
        FileKind::Generated(text.into_bytes()),
        true,
        false,
    ))
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
