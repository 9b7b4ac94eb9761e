//! The scheduler: preemptive round robin over one run queue, driven by the timer.
//!
//! A task runs until it blocks (wait4), exits, yields, or uses up its time slice while in user mode
//! (the timer preempts user code only, as a non-preemptible Linux kernel does; kernel paths are
//! short). With nothing to run, the idle task halts the CPU until the next interrupt.
//!
//! A switch changes the kernel stack (and with it `current()`), CR3, the TSS's rsp0 and the
//! per-CPU syscall stack, and saves and restores the user's x87/SSE registers and FS/GS bases.

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
        syscall::{PtRegs, return_to_user_from_frame},
    },
    fs::FdTable,
    sync::IrqMutex,
    task::{self, State, Task},
};

/// Timer ticks a task may run before another runnable task gets the CPU (3 ticks = 12 ms at 250 Hz).
const TIME_SLICE_TICKS: u32 = 3;

static RUN_QUEUE: IrqMutex<VecDeque<Arc<Task>>> = IrqMutex::new(VecDeque::new());
static IDLE: spin::Once<Arc<Task>> = spin::Once::new();
static SLICE_LEFT: AtomicU32 = AtomicU32::new(TIME_SLICE_TICKS);
/// Set when the running task's slice is used up while it is in the kernel (Linux's
/// TIF_NEED_RESCHED): long kernel loops check it in [`cond_resched`]. One CPU today; with several
/// it becomes per-CPU.
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);

/// Creates the idle task (pid 0).
pub fn init() {
    IDLE.call_once(|| {
        let idle =
            Task::new(Some(0), 0, "idle", FdTable::empty()).expect("no memory for the idle task");
        // SAFETY: the idle task's stack is fresh; the frame makes its first switch-in enter idle_loop.
        unsafe {
            (*idle.context.get()).rsp =
                initial_switch_frame(idle.kernel_stack_top(), idle_loop as *const () as u64);
        }
        idle
    });
}

extern "C" fn idle_loop() -> ! {
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

/// Prepares a task to enter user mode with `regs` the first time it is switched in.
pub fn prepare_user_entry(task: &Task, regs: &PtRegs) {
    let frame = task.kernel_stack_top() - size_of::<PtRegs>() as u64;
    // SAFETY: the task has never run, so its kernel stack is unused; the PtRegs and the switch frame
    // below it fit well within it.
    unsafe {
        (frame as *mut PtRegs).write(*regs);
        (*task.context.get()).rsp =
            initial_switch_frame(frame, return_to_user_from_frame as *const () as u64);
    }
}

/// Makes a task runnable.
pub fn enqueue(task: Arc<Task>) {
    *task.state.lock() = State::Runnable;
    RUN_QUEUE.lock().push_back(task);
}

/// Wakes a task blocked in wait4.
pub fn wake(task: &Arc<Task>) {
    let mut state = task.state.lock();
    if *state == State::Blocked {
        *state = State::Runnable;
        drop(state);
        RUN_QUEUE.lock().push_back(task.clone());
    }
}

/// Called on every timer tick; preempts user code whose slice is used up.
pub fn tick(interrupted_user: bool) {
    if SLICE_LEFT.fetch_sub(1, Ordering::Relaxed) <= 1 {
        SLICE_LEFT.store(TIME_SLICE_TICKS, Ordering::Relaxed);
        if RUN_QUEUE.lock().is_empty() {
            return;
        }
        if interrupted_user {
            schedule();
        } else {
            NEED_RESCHED.store(true, Ordering::Relaxed);
        }
    }
}

/// A point in a long kernel loop where the task may give up the CPU (Linux's cond_resched): if its
/// slice ran out while it was in the kernel, another runnable task runs first. Call it with no
/// lock held.
pub fn cond_resched() {
    if NEED_RESCHED.load(Ordering::Relaxed) {
        schedule();
    }
}

/// Gives the CPU to the next runnable task. The current task goes to the back of the run queue if
/// it is still running; a Blocked or Zombie task stays off it. Returns when this task runs again
/// (never, for a zombie).
pub fn schedule() {
    let were_enabled = interrupts::are_enabled();
    interrupts::disable();
    NEED_RESCHED.store(false, Ordering::Relaxed);
    let prev = task::current().expect("schedule() outside a task");
    let next = {
        let mut queue = RUN_QUEUE.lock();
        let mut state = prev.state.lock();
        if *state == State::Running && prev.pid != 0 {
            *state = State::Runnable;
            queue.push_back(prev.clone());
        }
        drop(state);
        queue
            .pop_front()
            .unwrap_or_else(|| IDLE.get().expect("scheduler not initialised").clone())
    };
    *next.state.lock() = State::Running;
    if !Arc::ptr_eq(&prev, &next) {
        SLICE_LEFT.store(TIME_SLICE_TICKS, Ordering::Relaxed);
        if let Some(mm) = next.mm() {
            task_switch_mm(&mm);
        }
        let top = next.kernel_stack_top();
        gdt::set_kernel_stack(x86_64::VirtAddr::new(top));
        percpu::set_kernel_stack(top);
        // SAFETY: interrupts are off and this CPU owns both contexts now: prev is the running task
        // and next was just taken off the run queue. Both tasks stay alive across the switch: a
        // zombie prev is held by the task table until its parent reaps it, which can only happen
        // after this switch; next is held by the table (or is idle).
        unsafe {
            let prev_ctx = prev.context.get();
            let next_ctx = next.context.get();
            (*prev_ctx).fpu.save();
            (*next_ctx).fpu.restore();
            (*prev_ctx).fs_base = FsBase::read().as_u64();
            (*prev_ctx).gs_base = GsBase::read().as_u64();
            FsBase::write(VirtAddr::new_truncate((*next_ctx).fs_base));
            GsBase::write(VirtAddr::new_truncate((*next_ctx).gs_base));
            let next_rsp = (*next_ctx).rsp;
            drop(prev);
            drop(next);
            switch_to(&raw mut (*prev_ctx).rsp, next_rsp);
        }
    }
    if were_enabled {
        interrupts::enable();
    }
}

/// Leaves the boot context for good and starts running tasks. The boot stack is abandoned.
pub fn start() -> ! {
    interrupts::disable();
    let next = RUN_QUEUE
        .lock()
        .pop_front()
        .unwrap_or_else(|| IDLE.get().expect("scheduler").clone());
    *next.state.lock() = State::Running;
    if let Some(mm) = next.mm() {
        task_switch_mm(&mm);
    }
    let top = next.kernel_stack_top();
    gdt::set_kernel_stack(x86_64::VirtAddr::new(top));
    percpu::set_kernel_stack(top);
    let mut boot_rsp = 0u64;
    // SAFETY: next has a prepared switch frame; the boot context is never resumed, so saving its
    // stack pointer into a local is harmless.
    unsafe {
        let next_ctx = next.context.get();
        (*next_ctx).fpu.restore();
        FsBase::write(VirtAddr::new_truncate((*next_ctx).fs_base));
        GsBase::write(VirtAddr::new_truncate((*next_ctx).gs_base));
        let rsp = (*next_ctx).rsp;
        drop(next);
        switch_to(&raw mut boot_rsp, rsp);
    }
    unreachable!("the boot context was resumed")
}

/// Makes `mm` the active address space.
pub fn task_switch_mm(mm: &crate::mm::mm_struct::Mm) {
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
