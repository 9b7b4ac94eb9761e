//! Resource usage (struct rusage): CPU time (Linux's kernel/sched/cputime.c), the largest resident
//! set and the page faults, for CLOCK_*_CPUTIME_ID, times, getrusage and wait4.
//!
//! Two measurements, combined as Linux does without VIRT_CPU_ACCOUNTING:
//! - the scheduler measures the run time exactly: each switch adds the time since the thread was
//!   switched in (Linux's sum_exec_runtime), in TSC nanoseconds;
//! - the timer tick samples the mode: each tick counts one user or one system tick for the thread
//!   it interrupted.
//!
//! User and system time are the run time split in the ratio of the ticks (Linux's cputime_adjust).
//!
//! A process's usage is that of its live threads and current mm plus what it keeps in
//! [`Process::usage`] ([`Retired`]): the times of its dead threads, and the high-water mark and
//! fault count of the address spaces execve replaced. Its children's usage is that of the children
//! it reaped (and of their own reaped children), summed at wait4 as Linux's wait_task_zombie does.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::{resource::rusage, time::timeval};

use super::Process;
use crate::{mm::mm_struct::MmCounters, thread::Thread, time};

/// A thread's counters.
#[derive(Default)]
pub struct ThreadCpuTime {
    /// Nanoseconds run before the current stint.
    sum_exec_ns: AtomicU64,
    /// When the current stint began (valid while `running`).
    exec_start_ns: AtomicU64,
    running: AtomicBool,
    user_ticks: AtomicU64,
    system_ticks: AtomicU64,
    /// Context switches: voluntary (the thread slept) and involuntary (preempted or yielded).
    nvcsw: AtomicU64,
    nivcsw: AtomicU64,
    /// Page faults the thread took that were resolved (Linux's task min_flt).
    min_flt: AtomicU64,
}

/// Times and counts, as reported: what getrusage and times need of a thread, a process or its
/// reaped children.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub run_ns: u64,
    pub user_ticks: u64,
    pub system_ticks: u64,
    pub nvcsw: u64,
    pub nivcsw: u64,
}

impl CpuTimes {
    /// Adds `other` in (saturating: these are counters, never wrong by overflow in practice).
    pub fn add(&mut self, other: &CpuTimes) {
        self.run_ns = self.run_ns.saturating_add(other.run_ns);
        self.user_ticks = self.user_ticks.saturating_add(other.user_ticks);
        self.system_ticks = self.system_ticks.saturating_add(other.system_ticks);
        self.nvcsw = self.nvcsw.saturating_add(other.nvcsw);
        self.nivcsw = self.nivcsw.saturating_add(other.nivcsw);
    }

    /// (user, system) nanoseconds: the run time split in the ratio of the tick samples (Linux's
    /// cputime_adjust). Time with no tick sampled counts as user time, as in Linux.
    pub fn user_system_ns(&self) -> (u64, u64) {
        let ticks = self.user_ticks.saturating_add(self.system_ticks);
        if self.system_ticks == 0 || ticks == 0 {
            return (self.run_ns, 0);
        }
        if self.user_ticks == 0 {
            return (0, self.run_ns);
        }
        let system = (self.run_ns as u128 * self.system_ticks as u128 / ticks as u128) as u64;
        (self.run_ns - system, system)
    }
}

impl ThreadCpuTime {
    /// The thread is switched in at `now_ns`.
    pub fn switch_in(&self, now_ns: u64) {
        self.exec_start_ns.store(now_ns, Ordering::Relaxed);
        self.running.store(true, Ordering::Relaxed);
    }

    /// The thread is switched out at `now_ns`; `voluntary` when it goes to sleep.
    pub fn switch_out(&self, now_ns: u64, voluntary: bool) {
        if self.running.swap(false, Ordering::Relaxed) {
            let ran = now_ns.saturating_sub(self.exec_start_ns.load(Ordering::Relaxed));
            self.sum_exec_ns.fetch_add(ran, Ordering::Relaxed);
        }
        let counter = if voluntary { &self.nvcsw } else { &self.nivcsw };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A timer tick interrupted the thread, in user mode or not.
    pub fn tick(&self, user: bool) {
        let counter = if user {
            &self.user_ticks
        } else {
            &self.system_ticks
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A page fault of this thread was resolved.
    pub fn count_fault(&self) {
        self.min_flt.fetch_add(1, Ordering::Relaxed);
    }

    /// The times so far, including the current stint if the thread is running.
    pub fn read(&self) -> CpuTimes {
        let mut run_ns = self.sum_exec_ns.load(Ordering::Relaxed);
        if self.running.load(Ordering::Relaxed) {
            let start = self.exec_start_ns.load(Ordering::Relaxed);
            run_ns = run_ns.saturating_add(time::now_ns().saturating_sub(start));
        }
        CpuTimes {
            run_ns,
            user_ticks: self.user_ticks.load(Ordering::Relaxed),
            system_ticks: self.system_ticks.load(Ordering::Relaxed),
            nvcsw: self.nvcsw.load(Ordering::Relaxed),
            nivcsw: self.nivcsw.load(Ordering::Relaxed),
        }
    }
}

/// The current thread was interrupted by the tick (from user mode or not): charge it.
pub fn account_tick(user: bool) {
    if let Some(me) = crate::thread::current()
        && me.tid() != 0
    {
        me.cpu.tick(user);
        super::itimer::account_tick(&me.process, user);
        super::posix_timers::account_tick(&me.process, &me);
    }
}

/// Usage of a process or of its reaped children.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub times: CpuTimes,
    /// The most pages ever resident at once (ru_maxrss, in pages here).
    pub maxrss_pages: u64,
    /// Page faults (ru_minflt: nothing here waits for a disk, so none is major).
    pub minflt: u64,
}

impl Usage {
    /// Adds `other` in (times summed, the larger high-water mark kept).
    pub fn add(&mut self, other: &Usage) {
        self.times.add(&other.times);
        self.maxrss_pages = self.maxrss_pages.max(other.maxrss_pages);
        self.minflt = self.minflt.saturating_add(other.minflt);
    }

    /// As `struct rusage` (times in microseconds, maxrss in KiB).
    pub fn to_rusage(self) -> rusage {
        let (user, system) = self.times.user_system_ns();
        rusage {
            ru_utime: ns_to_timeval(user),
            ru_stime: ns_to_timeval(system),
            ru_maxrss: (self.maxrss_pages * 4) as i64,
            ru_minflt: self.minflt as i64,
            ru_nvcsw: self.times.nvcsw as i64,
            ru_nivcsw: self.times.nivcsw as i64,
            ..rusage::default()
        }
    }
}

/// Nanoseconds as a timeval (microseconds, rounded down).
pub fn ns_to_timeval(ns: u64) -> timeval {
    timeval {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_usec: ((ns % 1_000_000_000) / 1000) as i64,
    }
}

/// What a process keeps beyond its live threads and its current mm.
#[derive(Clone, Copy, Debug, Default)]
pub struct Retired {
    /// Its dead threads, and the address spaces execve replaced.
    pub own: Usage,
    /// Its reaped children (RUSAGE_CHILDREN, times()'s cutime and cstime).
    pub children: Usage,
}

/// A process's CPU times now: its live threads' and what it retired (the process CPU-time
/// clocks; the tick reads it for their timers, so it takes no mm lock).
pub fn process_times(process: &Process) -> CpuTimes {
    let mut times = process.usage.lock().own.times;
    for thread in process.threads.lock().iter() {
        times.add(&thread.cpu.read());
    }
    times
}

/// A process's own usage now: live threads, current mm, and what it retired.
pub fn self_usage(process: &Process) -> Usage {
    let mut usage = process.usage.lock().own;
    usage.times = process_times(process);
    if let Some(mm) = process.mm() {
        let counters = mm.lock().counters;
        usage.maxrss_pages = usage.maxrss_pages.max(counters.hiwater_rss);
        usage.minflt = usage.minflt.saturating_add(counters.faults);
    }
    usage
}

/// One thread's own usage: its CPU times and its faults (/proc/PID/task/TID/stat; the address
/// space's high-water mark belongs to the process).
pub fn thread_usage(thread: &Thread) -> Usage {
    Usage {
        times: thread.cpu.read(),
        minflt: thread.cpu.min_flt.load(Ordering::Relaxed),
        ..Usage::default()
    }
}

/// The usage of the children `process` has reaped.
pub fn children_usage(process: &Process) -> Usage {
    process.usage.lock().children
}

/// A thread ends: its times stay with its process.
pub fn thread_exited(thread: &Thread) {
    let times = thread.cpu.read();
    thread.process.usage.lock().own.times.add(&times);
}

/// An address space is about to go (execve replaced it, or the process exits): keep its
/// high-water mark and fault count (Linux's setmax_mm_hiwater_rss and the task's fault counters,
/// which outlive the mm).
pub fn retire_mm(process: &Process, counters: &MmCounters) {
    let mut usage = process.usage.lock();
    usage.own.maxrss_pages = usage.own.maxrss_pages.max(counters.hiwater_rss);
    usage.own.minflt = usage.own.minflt.saturating_add(counters.faults);
}

/// `child` (a zombie, all its threads gone) is reaped by `parent`: its usage and its children's
/// become part of the parent's children's usage. Returns what wait4 reports for the child: its
/// own usage plus its children's (Linux's wait_task_zombie and getrusage(RUSAGE_BOTH)).
pub fn reap(parent: &Process, child: &Process) -> Usage {
    let total = {
        let retired = child.usage.lock();
        let mut total = retired.own;
        total.add(&retired.children);
        total
    };
    parent.usage.lock().children.add(&total);
    total
}
