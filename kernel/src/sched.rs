//! The scheduler: preemptive round robin over one run queue, driven by the timer, and wait queues
//! for threads that sleep.
//!
//! A thread runs until it blocks (on a [`WaitQueue`]), exits, yields, or uses up its time slice.
//! The timer never switches inside the interrupt handler: it sets the need-resched flag, which the
//! way back to user mode ([`crate::entry::exit_to_user_mode`]) and long kernel loops
//! ([`cond_resched`]) act on, as in a non-preemptible Linux kernel. With nothing to run, the idle
//! thread halts the CPU until the next interrupt.
//!
//! A switch changes the kernel stack (and with it `current()`), CR3, the TSS's rsp0 and the
//! per-CPU syscall stack, and saves and restores the user's x87/SSE registers and FS/GS bases. The
//! previous thread goes back on the run queue only in [`finish_task_switch`], on the next thread's
//! stack, once its context is saved: with several CPUs, another CPU could otherwise pick it up
//! while this one still runs on its stack (Linux's finish_task_switch and `on_cpu`).

use alloc::{collections::VecDeque, sync::Arc};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use x86_64::{
    VirtAddr,
    instructions::interrupts,
    registers::model_specific::{FsBase, GsBase},
};

use crate::{
    arch::{
        context::{initial_switch_frame, switch_to},
        gdt, percpu,
        syscall::PtRegs,
    },
    mm::mm_struct::Mm,
    process::Process,
    signal,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
    thread::{self, Thread, ThreadState},
};

/// Timer ticks a thread may run before another runnable thread gets the CPU (3 ticks = 12 ms).
const TIME_SLICE_TICKS: u32 = 3;

static RUN_QUEUE: IrqMutex<VecDeque<Arc<Thread>>> = IrqMutex::new(VecDeque::new());
static IDLE: spin::Once<Arc<Thread>> = spin::Once::new();
static SLICE_LEFT: AtomicU32 = AtomicU32::new(TIME_SLICE_TICKS);
/// Set when the running thread's slice is used up (Linux's TIF_NEED_RESCHED). One CPU today; with
/// several it becomes per-CPU.
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
/// The thread this CPU just switched away from, for [`finish_task_switch`] (per-CPU later).
static PREV: IrqMutex<Option<Arc<Thread>>> = IrqMutex::new(None);

/// Creates the idle thread (tid 0, of a process 0 that is never listed).
pub fn init() {
    IDLE.call_once(|| {
        let process = Process::new(0, None, "idle").expect("no memory for the idle process");
        let idle = Thread::new(0, process).expect("no memory for the idle thread");
        // SAFETY: the idle thread's stack is fresh; the frame makes its first switch-in enter
        // idle_entry.
        unsafe {
            (*idle.context.get()).rsp =
                initial_switch_frame(idle.kernel_stack_top(), idle_entry as *const () as u64);
        }
        idle
    });
}

extern "C" fn idle_entry() -> ! {
    finish_task_switch();
    loop {
        interrupts::disable();
        if RUN_QUEUE.lock().is_empty() {
            // Atomically re-enable interrupts and halt: a wake-up cannot slip in between.
            interrupts::enable_and_hlt();
        } else {
            schedule();
        }
    }
}

/// Prepares a thread to enter user mode with `regs` the first time it is switched in (through
/// [`crate::entry::ret_from_fork`]).
pub fn prepare_user_entry(thread: &Thread, regs: &PtRegs) {
    let frame = thread.kernel_stack_top() - size_of::<PtRegs>() as u64;
    // SAFETY: the thread has never run, so its kernel stack is unused; the PtRegs and the switch
    // frame below it fit well within it.
    unsafe {
        (frame as *mut PtRegs).write(*regs);
        (*thread.context.get()).rsp = initial_switch_frame(
            frame,
            crate::arch::syscall::ret_from_fork as *const () as u64,
        );
    }
}

/// Makes sure the run queue can hold `threads` threads without allocating, so that waking a thread
/// never needs memory (thread creation calls this and fails with ENOMEM instead).
pub fn reserve_run_queue(threads: usize) -> Result<(), Errno> {
    let mut queue = RUN_QUEUE.lock();
    let more = threads.saturating_sub(queue.len());
    queue.try_reserve(more).map_err(|_| ENOMEM)
}

/// Makes a new thread runnable.
pub fn enqueue(thread: Arc<Thread>) {
    *thread.state.lock() = ThreadState::Runnable;
    RUN_QUEUE.lock().push_back(thread);
}

/// Wakes a blocked thread (Linux's wake_up_process); nothing if it is not blocked.
pub fn wake(thread: &Arc<Thread>) {
    let mut state = thread.state.lock();
    if *state == ThreadState::Blocked {
        *state = ThreadState::Runnable;
        drop(state);
        RUN_QUEUE.lock().push_back(thread.clone());
    }
}

/// The load averages over 1, 5 and 15 minutes (Linux's avenrun), in fixed point with FSHIFT bits.
static AVENRUN: IrqMutex<[u64; 3]> = IrqMutex::new([0; 3]);
const FSHIFT: u32 = 11;
const FIXED_1: u64 = 1 << FSHIFT;
/// exp(-5 s / 1 min), exp(-5 s / 5 min), exp(-5 s / 15 min) in fixed point (Linux's EXP_1/5/15).
const EXP: [u64; 3] = [1884, 2014, 2037];
/// Ticks between load samples (Linux's LOAD_FREQ, 5 s and one tick).
const LOAD_FREQ: u64 = 5 * crate::time::HZ as u64 + 1;

/// Linux's calc_load: one step of the exponential moving average towards `active`.
fn calc_load(load: u64, exp: u64, active: u64) -> u64 {
    let mut new = load * exp + active * (FIXED_1 - exp);
    if active >= load {
        new += FIXED_1 - 1;
    }
    new / FIXED_1
}

/// Every LOAD_FREQ ticks: samples the threads running or waiting to run into the load averages.
fn sample_load() {
    if !crate::time::jiffies().is_multiple_of(LOAD_FREQ) {
        return;
    }
    let running = thread::current().is_some_and(|t| t.tid() != 0) as u64;
    let active = (RUN_QUEUE.lock().len() as u64 + running) * FIXED_1;
    let mut avenrun = AVENRUN.lock();
    for (load, exp) in avenrun.iter_mut().zip(EXP) {
        *load = calc_load(*load, exp, active);
    }
}

/// The load averages as sysinfo reports them (fixed point with SI_LOAD_SHIFT = 16 bits).
pub fn load_averages() -> [u64; 3] {
    AVENRUN
        .lock()
        .map(|l| l << (abi::sysinfo::SI_LOAD_SHIFT - FSHIFT))
}

/// Called on every timer tick: when the slice is used up and another thread is waiting, ask for a
/// reschedule at the next safe point.
pub fn tick() {
    sample_load();
    if SLICE_LEFT.fetch_sub(1, Ordering::Relaxed) <= 1 {
        SLICE_LEFT.store(TIME_SLICE_TICKS, Ordering::Relaxed);
        if !RUN_QUEUE.lock().is_empty() {
            NEED_RESCHED.store(true, Ordering::Relaxed);
        }
    }
}

/// Context switches since boot (/proc/stat's ctxt).
static CONTEXT_SWITCHES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Context switches since boot.
pub fn context_switches() -> u64 {
    CONTEXT_SWITCHES.load(Ordering::Relaxed)
}

/// Threads running or ready to run (the running one counts unless it is idle).
pub fn nr_running() -> usize {
    let running = thread::current().is_some_and(|t| t.tid() != 0) as usize;
    RUN_QUEUE.lock().len() + running
}

/// How long the CPU has idled, in ns (the idle thread's run time: /proc/uptime, /proc/stat).
pub fn idle_ns() -> u64 {
    IDLE.get().map_or(0, |idle| idle.cpu.read().run_ns)
}

/// Whether the running thread should give up the CPU.
pub fn need_resched() -> bool {
    NEED_RESCHED.load(Ordering::Relaxed)
}

/// A point in a long kernel loop where the thread may give up the CPU (Linux's cond_resched): if its
/// slice ran out, another runnable thread runs first. Call it with no lock held.
pub fn cond_resched() {
    if need_resched() {
        schedule();
    }
}

/// Gives the CPU to the next runnable thread. The current thread stays off the run queue if it is
/// Blocked or Dead; otherwise [`finish_task_switch`] puts it back. Returns when this thread runs
/// again (never, for a dead one).
pub fn schedule() {
    let irq = IrqOff::new();
    NEED_RESCHED.store(false, Ordering::Relaxed);
    let prev = thread::current().expect("schedule() outside a thread");
    let next = RUN_QUEUE.lock().pop_front();
    let next = match next {
        Some(next) => next,
        // Nothing else to run: a running thread keeps the CPU; a blocked or dead one leaves it to
        // idle (which never blocks).
        None if *prev.state.lock() == ThreadState::Running => return,
        None => IDLE.get().expect("scheduler not initialised").clone(),
    };
    if Arc::ptr_eq(&prev, &next) {
        *next.state.lock() = ThreadState::Running;
        return;
    }
    switch(prev, next);
    finish_task_switch();
    drop(irq);
}

/// Switches from `prev` (the running thread) to `next`, leaving `prev` in [`PREV`] for the
/// [`finish_task_switch`] that runs on `next`'s stack. Returns when `prev` is switched back in.
fn switch(prev: Arc<Thread>, next: Arc<Thread>) {
    SLICE_LEFT.store(TIME_SLICE_TICKS, Ordering::Relaxed);
    let voluntary = *prev.state.lock() == ThreadState::Blocked;
    CONTEXT_SWITCHES.fetch_add(1, Ordering::Relaxed);
    prev.cpu.switch_out(crate::time::now_ns(), voluntary);
    // SAFETY: interrupts are off and this CPU owns both contexts now: prev is the running thread
    // and next was just taken off the run queue. Both stay alive across the switch: prev is held
    // in PREV until finish_task_switch has dealt with it, next by the thread table (or is idle).
    unsafe {
        let prev_ctx = prev.context.get();
        (*prev_ctx).fpu.save();
        (*prev_ctx).fs_base = FsBase::read().as_u64();
        (*prev_ctx).gs_base = GsBase::read().as_u64();
        let next_rsp = load_next(&next);
        *PREV.lock() = Some(prev);
        drop(next);
        switch_to(&raw mut (*prev_ctx).rsp, next_rsp);
    }
}

/// Makes `next` the running thread on this CPU, short of the stack switch itself: its address
/// space, its kernel stack for the next entry from user mode, its x87/SSE registers and FS/GS
/// bases. Returns the stack pointer to switch to.
///
/// # Safety
/// Interrupts must be off, and `next` must not be running anywhere: this CPU owns its context.
unsafe fn load_next(next: &Thread) -> u64 {
    *next.state.lock() = ThreadState::Running;
    next.cpu.switch_in(crate::time::now_ns());
    if let Some(mm) = next.process.mm() {
        switch_mm(&mm);
    }
    let top = next.kernel_stack_top();
    gdt::set_kernel_stack(VirtAddr::new(top));
    percpu::set_kernel_stack(top);
    // SAFETY: per the contract, the context is ours to read.
    unsafe {
        let ctx = next.context.get();
        (*ctx).fpu.restore();
        FsBase::write(VirtAddr::new_truncate((*ctx).fs_base));
        GsBase::write(VirtAddr::new_truncate((*ctx).gs_base));
        (*ctx).rsp
    }
}

/// The first thing a thread does after it is switched in, on its own stack: deal with the thread
/// switched away from, whose context is now saved. A preempted or yielding one goes back on the run
/// queue; a dead one is dropped from the thread table, which frees it and its kernel stack.
pub fn finish_task_switch() {
    let Some(prev) = PREV.lock().take() else {
        return;
    };
    let mut state = prev.state.lock();
    match *state {
        ThreadState::Running | ThreadState::Runnable => {
            *state = ThreadState::Runnable;
            drop(state);
            if prev.tid() != 0 {
                RUN_QUEUE.lock().push_back(prev);
            }
        }
        ThreadState::Blocked => {}
        ThreadState::Dead => {
            drop(state);
            thread::unlist(&prev);
        }
    }
}

/// Leaves the boot context for good and starts running threads. The boot stack is abandoned.
pub fn start() -> ! {
    interrupts::disable();
    let next = RUN_QUEUE
        .lock()
        .pop_front()
        .unwrap_or_else(|| IDLE.get().expect("scheduler").clone());
    let mut boot_rsp = 0u64;
    // SAFETY: interrupts are off and next was just taken off the run queue; it has a prepared
    // switch frame. The boot context is never resumed, so saving its stack pointer into a local
    // is harmless.
    unsafe {
        let rsp = load_next(&next);
        drop(next);
        switch_to(&raw mut boot_rsp, rsp);
    }
    unreachable!("the boot context was resumed")
}

/// Makes `mm` the active address space (Linux's switch_mm).
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

/// Threads sleeping until something happens (Linux's wait_queue_head): a child's exit, later data
/// in a pipe or a futex word changing.
pub struct WaitQueue {
    waiters: IrqMutex<VecDeque<Arc<Thread>>>,
}

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue {
            waiters: IrqMutex::new(VecDeque::new()),
        }
    }

    /// Puts the current thread to sleep here until [`wake_all`](Self::wake_all). The caller
    /// checked its condition with interrupts off (`irq`) and found it false; they stay off until
    /// the thread is on the queue, so a wake-up cannot be lost between the check and the sleep.
    /// The caller checks its condition again after. Fails with EINTR when a signal is to be
    /// handled (Linux's signal_pending), recording that the call restarts after it unless a
    /// handler without SA_RESTART runs (ERESTARTSYS); ENOMEM if the queue cannot grow.
    pub fn sleep(&self, irq: IrqOff) -> Result<(), Errno> {
        self.sleep_until(irq, None)
    }

    /// [`sleep`](Self::sleep), and also wake at `deadline_ns` on the monotonic clock
    /// ([`crate::time::now_ns`]): then fails with ETIMEDOUT. A deadline already past fails at once.
    pub fn sleep_until(&self, irq: IrqOff, deadline_ns: Option<u64>) -> Result<(), Errno> {
        self.prepare_to_wait(deadline_ns)?;
        schedule();
        self.finish_wait(irq, deadline_ns)
    }

    /// [`sleep`](Self::sleep) that only a fatal signal interrupts (Linux's TASK_KILLABLE): other
    /// signals stay pending until the wait is over.
    pub fn sleep_killable(&self, irq: IrqOff) -> Result<(), Errno> {
        let me = thread::current().ok_or(EINTR)?;
        if signal::fatal_signal_pending() {
            return Err(EINTR);
        }
        {
            let mut waiters = self.waiters.lock();
            waiters.try_reserve(1).map_err(|_| ENOMEM)?;
            *me.state.lock() = ThreadState::Blocked;
            waiters.push_back(me.clone());
        }
        schedule();
        *me.state.lock() = ThreadState::Running;
        self.waiters.lock().retain(|t| !Arc::ptr_eq(t, &me));
        drop(irq);
        if signal::fatal_signal_pending() {
            return Err(EINTR);
        }
        Ok(())
    }

    /// The first half of a sleep (Linux's prepare_to_wait): lists the current thread here (and its
    /// deadline with the timers) and marks it Blocked, so that a wake-up from now on is not lost
    /// even if the caller still has a lock to release before it calls [`schedule`]. Interrupts
    /// must be off. Fails, leaving nothing listed, with EINTR if a signal is to be handled (with
    /// the restart code ERESTARTSYS recorded), ETIMEDOUT if the deadline has passed, ENOMEM if a
    /// list cannot grow.
    pub fn prepare_to_wait(&self, deadline_ns: Option<u64>) -> Result<(), Errno> {
        let me = thread::current().ok_or(EINTR)?;
        if signal::has_deliverable(&me) {
            signal::set_restart(signal::ERESTARTSYS);
            return Err(EINTR);
        }
        if deadline_ns.is_some_and(|d| crate::time::now_ns() >= d) {
            return Err(ETIMEDOUT);
        }
        let mut waiters = self.waiters.lock();
        waiters.try_reserve(1).map_err(|_| ENOMEM)?;
        if let Some(deadline) = deadline_ns {
            crate::timer::arm(crate::timer::Target::Wake(me.clone()), deadline)?;
        }
        // Blocked before it is on the queue: a waker on another CPU that finds it there also
        // finds it Blocked, and makes it runnable.
        *me.state.lock() = ThreadState::Blocked;
        waiters.push_back(me);
        Ok(())
    }

    /// The second half (Linux's finish_wait), after [`schedule`] returned: takes the thread off
    /// the queue and the timers, and says why it may have woken: EINTR for a signal to handle,
    /// ETIMEDOUT for the deadline, Ok otherwise (the caller checks its condition).
    pub fn finish_wait(&self, irq: IrqOff, deadline_ns: Option<u64>) -> Result<(), Errno> {
        let me = thread::current().ok_or(EINTR)?;
        *me.state.lock() = ThreadState::Running;
        self.waiters.lock().retain(|t| !Arc::ptr_eq(t, &me));
        if deadline_ns.is_some() {
            crate::timer::cancel(&crate::timer::Target::Wake(me.clone()));
        }
        drop(irq);
        if signal::has_deliverable(&me) {
            signal::set_restart(signal::ERESTARTSYS);
            return Err(EINTR);
        }
        if deadline_ns.is_some_and(|d| crate::time::now_ns() >= d) {
            return Err(ETIMEDOUT);
        }
        Ok(())
    }

    /// Wakes every thread sleeping here.
    pub fn wake_all(&self) {
        let waiters = core::mem::take(&mut *self.waiters.lock());
        for thread in &waiters {
            wake(thread);
        }
    }
}

/// A one-time event threads can wait for (Linux's struct completion): vfork's parent waits on its
/// child's exec or exit.
pub struct Completion {
    done: core::sync::atomic::AtomicBool,
    queue: WaitQueue,
}

impl Completion {
    pub const fn new() -> Self {
        Completion {
            done: core::sync::atomic::AtomicBool::new(false),
            queue: WaitQueue::new(),
        }
    }

    /// Marks the event done and wakes the waiters.
    pub fn complete(&self) {
        self.done.store(true, Ordering::Release);
        self.queue.wake_all();
    }

    /// Sleeps until the event is done, or a fatal signal ends the wait (Linux's
    /// wait_for_vfork_done is killable; other signals wait until the child is done).
    pub fn wait(&self) {
        loop {
            let irq = IrqOff::new();
            if self.done.load(Ordering::Acquire) || signal::fatal_signal_pending() {
                return;
            }
            if self.queue.sleep_killable(irq).is_err() {
                return;
            }
        }
    }
}
