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
    thread::{Thread, ThreadState},
};

/// Nanoseconds as clock ticks (USER_HZ = 100), as /proc shows times.
fn clock_t(ns: u64) -> u64 {
    ns / (1_000_000_000 / abi::time::USER_HZ as u64)
}

/// The one-letter state of /proc/PID/stat and the word of /proc/PID/status: the thread's for a
/// /proc/PID/task/TID file, the main thread's for the process (Linux's task_state_array).
pub fn state(process: &Process, thread: Option<&Thread>) -> (char, &'static str) {
    if matches!(process.state(), ProcessState::Zombie(_)) {
        return ('Z', "zombie");
    }
    if process.job.lock().stopped {
        return ('T', "stopped");
    }
    let state = match thread {
        Some(t) => Some(t.state()),
        None => process.main_thread().map(|t| t.state()),
    };
    match state {
        Some(ThreadState::Blocked) => ('S', "sleeping"),
        _ => ('R', "running"),
    }
}

/// A thread's name (its comm) as /proc shows it; the main thread's for the process.
pub fn comm(process: &Process, thread: Option<&Thread>) -> String {
    let main = process.main_thread();
    let raw = match thread.or(main.as_deref()) {
        Some(t) => *t.comm.lock(),
        None => crate::thread::comm_of(&process.name.lock()),
    };
    let len = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..len]).into_owned()
}

/// /proc/PID/comm and /proc/PID/task/TID/comm.
pub fn render_comm(process: &Process, thread: Option<&Thread>) -> String {
    let mut out = comm(process, thread);
    out.push('\n');
    out
}

/// The signals the process ignores and those it catches (Linux's collect_sigign_sigcatch).
fn ignored_and_caught(process: &Process) -> (u64, u64) {
    let (mut ignored, mut caught) = (0u64, 0u64);
    let actions = process.actions();
    for sig in 1..=crate::signal::NSIG {
        let handler = actions.get(sig).sa_handler;
        let bit = crate::signal::sigmask(sig);
        match handler {
            abi::signal::SIG_IGN => ignored |= bit,
            abi::signal::SIG_DFL => {}
            _ => caught |= bit,
        }
    }
    (ignored, caught)
}

/// /proc/PID/stat (the whole process: `thread` None) and /proc/PID/task/TID/stat (one thread):
/// 52 fields on one line, as do_task_stat prints them. A thread's line has its own tid, name,
/// state, faults and CPU times; the children's figures and the rest are the process's in both.
/// Fields this kernel has no notion of (major faults, nice values, real-time priority, guest
/// time, the obsolete wchan and swap counts) are 0, as Linux prints them for a task without them;
/// the kernel stack pointer and instruction pointer are 0 as Linux shows them for any task that is
/// not dumping core.
pub fn render_stat(process: &Process, thread: Option<&Thread>) -> Result<String, Errno> {
    let (state, _) = state(process, thread);
    let own = match thread {
        None => rusage::self_usage(process),
        Some(t) => rusage::thread_usage(t),
    };
    let children = rusage::children_usage(process);
    let (utime, stime) = own.times.user_system_ns();
    let (cutime, cstime) = children.times.user_system_ns();
    let (tty_nr, tpgid) = crate::tty::process_tty(process);
    let threads = process.threads.lock().len().max(1);
    let rsslim = process.rlimits.lock().cur(RLIMIT_RSS);
    // The obsolete signal fields: the task's own pending signals (not the process's shared ones)
    // and mask, as Linux prints them.
    let main = process.main_thread();
    let (sig_pending, sig_blocked) = match thread.or(main.as_deref()) {
        Some(t) => (t.pending.get(), t.sigmask.get()),
        None => (0, 0),
    };
    let (sig_ignored, sig_caught) = ignored_and_caught(process);
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
        thread.map_or(process.pid, |t| t.tid()),
        comm(process, thread),
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
        "{} {} {} {} 0 0 0 {} 0 0 0 0 0 0 ",
        sig_pending & 0x7fff_ffff,
        sig_blocked & 0x7fff_ffff,
        sig_ignored & 0x7fff_ffff,
        sig_caught & 0x7fff_ffff,
        // A thread that is not the leader has no exit signal (Linux's -1 for CLONE_THREAD).
        match thread {
            Some(t) if t.tid() != process.pid => -1,
            _ => process.exit_signal.load(Ordering::Relaxed) as i32,
        },
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
    let (start, end) = {
        let layout = &mm.lock().layout;
        if environ {
            (layout.env_start, layout.env_end)
        } else {
            (layout.arg_start, layout.arg_end)
        }
    };
    let len = end.saturating_sub(start).min(1 << 20) as usize;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len).map_err(|_| ENOMEM)?;
    bytes.resize(len, 0);
    // Linux's get_mm_cmdline: access_remote_vm without FOLL_FORCE.
    let n = crate::mm::gup::access_remote_read(&mm, start, &mut bytes, false);
    bytes.truncate(n);
    Ok(bytes)
}

/// Every capability (CAP_LAST_CAP is 40 in Linux 6.1): what root holds, as /proc shows it.
const ALL_CAPS: u64 = (1 << 41) - 1;

/// /proc/PID/status (`thread` None: the main thread's view with the process's totals) and
/// /proc/PID/task/TID/status, in the order of Linux's proc_pid_status: identity, memory (task_mem),
/// signals (task_sig), capabilities, seccomp, CPUs and context switches. Pid is the thread's id,
/// Tgid the process's. The lines this kernel has no notion of show what Linux shows for a task
/// without them (no tracer, no seccomp, no NUMA).
pub fn render_status(process: &Process, thread: Option<&Thread>) -> Result<String, Errno> {
    let mut out = String::new();
    out.try_reserve(1536).map_err(|_| ENOMEM)?;
    let main = process.main_thread();
    let task = thread.or(main.as_deref());
    let (letter, word) = state(process, thread);
    let tid = task.map_or(process.pid, |t| t.tid());
    let _ = write!(
        out,
        "Name:\t{}\nUmask:\t{:04o}\nState:\t{letter} ({word})\nTgid:\t{}\nNgid:\t0\nPid:\t{tid}\n\
         PPid:\t{}\nTracerPid:\t0\n",
        comm(process, thread),
        process.fs().umask.load(Ordering::Relaxed),
        process.pid,
        process.ppid.load(Ordering::Relaxed),
    );
    {
        let cred = process.cred.lock();
        let (u, g) = (cred.uid, cred.gid);
        let _ = write!(
            out,
            "Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n",
            u.real, u.effective, u.saved, u.fs, g.real, g.effective, g.saved, g.fs
        );
        let fd_size = process.files().map_or(0, |f| f.lock().max_fds());
        let _ = write!(out, "FDSize:\t{fd_size}\nGroups:\t");
        for group in &cred.groups {
            let _ = write!(out, "{group} ");
        }
    }
    let _ = write!(
        out,
        "\nNStgid:\t{}\nNSpid:\t{tid}\nNSpgid:\t{}\nNSsid:\t{}\n",
        process.pid,
        process.pgid.load(Ordering::Relaxed),
        process.sid.load(Ordering::Relaxed),
    );
    let mut thp_enabled = true;
    if let Some(mm) = process.mm() {
        let m = mm.lock();
        m.render_status_memory(&mut out);
        thp_enabled = !m.thp_disabled;
    }
    let (pending, blocked) = task.map_or((0, 0), |t| (t.pending.get(), t.sigmask.get()));
    let shared = process.shared_pending.get();
    let (ignored, caught) = ignored_and_caught(process);
    let queued =
        task.map_or(0, |t| t.pending.queued()) as u64 + process.shared_pending.queued() as u64;
    let _ = write!(
        out,
        "CoreDumping:\t0\nTHP_enabled:\t{}\nThreads:\t{}\nSigQ:\t{queued}/{}\nSigPnd:\t{pending:016x}\n\
         ShdPnd:\t{shared:016x}\nSigBlk:\t{blocked:016x}\nSigIgn:\t{ignored:016x}\n\
         SigCgt:\t{caught:016x}\n",
        thp_enabled as u8,
        process.threads.lock().len(),
        process.rlimits.lock().cur(abi::resource::RLIMIT_SIGPENDING),
    );
    let caps = if process.cred.lock().uid.effective == 0 {
        ALL_CAPS
    } else {
        0
    };
    let _ = write!(
        out,
        "CapInh:\t{:016x}\nCapPrm:\t{caps:016x}\nCapEff:\t{caps:016x}\nCapBnd:\t{ALL_CAPS:016x}\n\
         CapAmb:\t{:016x}\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n\
         Cpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed_list:\t0\n",
        0, 0
    );
    // The task's own switches, the leader's for the process (as Linux's
    // task_context_switch_counts).
    let times = task.map(|t| t.cpu.read()).unwrap_or_default();
    let _ = write!(
        out,
        "voluntary_ctxt_switches:\t{}\nnonvoluntary_ctxt_switches:\t{}\n",
        times.nvcsw, times.nivcsw
    );
    Ok(out)
}
