//! The text of the per-process /proc files that ps, top and pmap read (Linux's fs/proc/array.c and
//! fs/proc/base.c): `stat`, `statm`, `comm`, `cmdline` and `environ`, in Linux's exact formats.
//! Each is produced when the file is first read, from the process's state at that moment.

use alloc::{string::String, vec::Vec};
use core::{fmt::Write, sync::atomic::Ordering};

use abi::resource::RLIMIT_RSS;

use crate::{
    mm::{layout::PAGE_SIZE, rlimit::is_data_mapping},
    process::{Process, ProcessState, rusage},
    syscall::errno::{ENOMEM, Errno},
    thread::ThreadState,
};

/// Nanoseconds as clock ticks (USER_HZ = 100), as /proc shows times.
fn clock_t(ns: u64) -> u64 {
    ns / (1_000_000_000 / abi::time::USER_HZ as u64)
}

/// The one-letter state of /proc/PID/stat and the word of /proc/PID/status.
pub fn state(process: &Process) -> (char, &'static str) {
    if matches!(process.state(), ProcessState::Zombie(_)) {
        return ('Z', "zombie");
    }
    match process.main_thread().map(|t| t.state()) {
        Some(ThreadState::Blocked) => ('S', "sleeping"),
        _ => ('R', "running"),
    }
}

/// The process's name as /proc shows it (the main thread's comm).
pub fn comm(process: &Process) -> String {
    let raw = match process.main_thread() {
        Some(t) => *t.comm.lock(),
        None => crate::thread::comm_of(&process.name.lock()),
    };
    let len = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..len]).into_owned()
}

/// /proc/PID/comm.
pub fn render_comm(process: &Process) -> String {
    let mut out = comm(process);
    out.push('\n');
    out
}

/// /proc/PID/stat: 52 fields on one line, as do_task_stat prints them. Fields this kernel has no
/// notion of (major faults, nice values, real-time priority, guest time, the obsolete wchan and
/// swap counts) are 0, as Linux prints them for a task without them; the kernel stack pointer and
/// instruction pointer are 0 as Linux shows them for any task that is not dumping core.
pub fn render_stat(process: &Process) -> Result<String, Errno> {
    let (state, _) = state(process);
    let own = rusage::self_usage(process);
    let children = rusage::children_usage(process);
    let (utime, stime) = own.times.user_system_ns();
    let (cutime, cstime) = children.times.user_system_ns();
    let (tty_nr, tpgid) = crate::tty::process_tty(process);
    let threads = process.threads.lock().len().max(1);
    let rsslim = process.rlimits.lock().cur(RLIMIT_RSS);
    let (sig_pending, sig_blocked) = match process.main_thread() {
        Some(t) => (
            t.pending.get() | process.shared_pending.get(),
            t.sigmask.get(),
        ),
        None => (process.shared_pending.get(), 0),
    };
    let exit_code = match process.state() {
        ProcessState::Zombie(status) => status.wait_status(),
        ProcessState::Alive => 0,
    };
    let mm = process.mm().map(|mm| {
        let inner = mm.lock();
        let vsize: u64 = inner.vmas.iter().map(|v| v.pages()).sum::<u64>() * PAGE_SIZE;
        (inner.layout, vsize, inner.counters.rss())
    });
    let mut out = String::new();
    out.try_reserve(512).map_err(|_| ENOMEM)?;
    let _ = write!(
        out,
        "{} ({}) {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} 0 {} ",
        process.pid,
        comm(process),
        state,
        process.ppid.load(Ordering::Relaxed),
        process.pgid.load(Ordering::Relaxed),
        process.sid.load(Ordering::Relaxed),
        tty_nr,
        tpgid,
        0, // flags (PF_*)
        own.minflt,
        children.minflt,
        0, // major faults: nothing is read from a disk
        0,
        clock_t(utime),
        clock_t(stime),
        clock_t(cutime),
        clock_t(cstime),
        20, // priority: nice 0
        0,  // nice
        threads,
        clock_t(process.start_ns),
    );
    match &mm {
        Some((layout, vsize, rss)) => {
            let _ = write!(
                out,
                "{vsize} {rss} {rsslim} {} {} {} 0 0 ",
                layout.start_code, layout.end_code, layout.start_stack
            );
        }
        None => {
            let _ = write!(out, "0 0 {rsslim} 0 0 0 0 0 ");
        }
    }
    // The obsolete signal fields hold only the first 31 signals.
    let _ = write!(
        out,
        "{} {} 0 0 0 0 0 17 0 0 0 0 0 0 ",
        sig_pending & 0x7fff_ffff,
        sig_blocked & 0x7fff_ffff,
    );
    match &mm {
        Some((l, _, _)) => {
            let _ = write!(
                out,
                "{} {} {} {} {} {} {} ",
                l.start_data,
                l.end_data,
                l.start_brk,
                l.arg_start,
                l.arg_end,
                l.env_start,
                l.env_end
            );
        }
        None => out.push_str("0 0 0 0 0 0 0 "),
    }
    let _ = writeln!(out, "{exit_code}");
    Ok(out)
}

/// /proc/PID/statm: size, resident, shared, text, lib, data and dt, in pages (Linux's
/// task_statm: shared is the resident file and shmem pages, data the private writable and stack
/// areas, lib and dt always 0).
pub fn render_statm(process: &Process) -> String {
    let Some(mm) = process.mm() else {
        return String::from("0 0 0 0 0 0 0\n");
    };
    let inner = mm.lock();
    let size: u64 = inner.vmas.iter().map(|v| v.pages()).sum();
    let data: u64 = inner
        .vmas
        .iter()
        .filter(|v| {
            is_data_mapping(v.flags())
                || v.flags().contains(crate::mm::mm_struct::VmFlags::GROWSDOWN)
        })
        .map(|v| v.pages())
        .sum();
    let c = inner.counters;
    let text = (inner.layout.end_code.div_ceil(PAGE_SIZE) * PAGE_SIZE)
        .saturating_sub(inner.layout.start_code & !(PAGE_SIZE - 1))
        / PAGE_SIZE;
    alloc::format!(
        "{size} {} {} {text} 0 {data} 0\n",
        c.rss(),
        c.file + c.shmem
    )
}

/// /proc/PID/cmdline and /proc/PID/environ: the bytes between the start and the end the process's
/// exec recorded, read from its memory (the NUL-separated strings exec put on its stack). A
/// process without memory (a zombie) reads as empty.
pub fn render_args(process: &Process, environ: bool) -> Result<Vec<u8>, Errno> {
    let Some(mm) = process.mm() else {
        return Ok(Vec::new());
    };
    let inner = mm.lock();
    let (start, end) = if environ {
        (inner.layout.env_start, inner.layout.env_end)
    } else {
        (inner.layout.arg_start, inner.layout.arg_end)
    };
    let len = end.saturating_sub(start).min(1 << 20) as usize;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len).map_err(|_| ENOMEM)?;
    bytes.resize(len, 0);
    let n = inner.read_remote(start, &mut bytes);
    bytes.truncate(n);
    Ok(bytes)
}
