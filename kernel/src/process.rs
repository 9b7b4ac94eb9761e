//! Process life cycle: the first process, fork, exit, wait4 and execve (Linux's kernel/fork.c,
//! kernel/exit.c and fs/exec.c, at the level of detail this kernel needs).

use alloc::{string::String, sync::Arc, vec::Vec};

use crate::{
    arch::{syscall::PtRegs, uaccess},
    exec, fs, mm, sched,
    syscall::errno::*,
    task::{self, ExitStatus, Pid, State, Task},
};

/// Starts the first process (pid 1) running `path` and hands the CPU to the scheduler. If the
/// program cannot be loaded, the machine powers off with status 127, as a shell reports a command
/// it cannot run.
pub fn run_init(path: &str, args: &[String]) -> ! {
    let mut argv: Vec<Vec<u8>> = alloc::vec![path.as_bytes().to_vec()];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    let envp: Vec<Vec<u8>> = alloc::vec![
        b"HOME=/".to_vec(),
        b"PATH=/bin".to_vec(),
        b"TERM=linux".to_vec()
    ];
    let loaded = match exec::load(path, &argv, &envp) {
        Ok(loaded) => loaded,
        Err(err) => {
            log::error!("cannot run {path}: {}", errno_name(err));
            crate::power_off(127);
        }
    };
    let init = Task::new(None, 0, path, fs::FdTable::with_console())
        .expect("no memory for the first task");
    assert_eq!(init.pid, 1, "the first process must be pid 1");
    *init.mm.lock() = Some(loaded.mm);
    sched::prepare_user_entry(&init, &PtRegs::new_user(loaded.entry, loaded.sp));
    log::info!("init: pid 1 running {path}");
    sched::enqueue(init);
    sched::start()
}

/// fork(): a child with a copy-on-write copy of the address space, the same open files, and the
/// parent's registers, except that fork returns 0 in the child.
pub fn fork(regs: &PtRegs) -> Result<u64, Errno> {
    let parent = task::current().ok_or(ENOMEM)?;
    let parent_mm = parent.mm().ok_or(ENOMEM)?;
    let child_mm = parent_mm.lock().dup_mm().map_err(|_| ENOMEM)?;
    let files = parent.files.lock().clone();
    let name = parent.name.lock().clone();
    let child = Task::new(None, parent.pid, &name, files).ok_or(ENOMEM)?;
    *child.mm.lock() = Some(child_mm);
    child.sigmask.store(
        parent.sigmask.load(core::sync::atomic::Ordering::Relaxed),
        core::sync::atomic::Ordering::Relaxed,
    );
    // SAFETY: the child has never run; its context is ours to set. The parent's live x87/SSE
    // registers and FS/GS bases are what the child must start with.
    unsafe {
        let ctx = child.context.get();
        (*ctx).fpu.save();
        (*ctx).fs_base = x86_64::registers::model_specific::FsBase::read().as_u64();
        (*ctx).gs_base = x86_64::registers::model_specific::GsBase::read().as_u64();
    }
    let mut child_regs = *regs;
    child_regs.rax = 0;
    sched::prepare_user_entry(&child, &child_regs);
    parent.children.lock().push(child.clone());
    let pid = child.pid;
    sched::enqueue(child);
    Ok(pid as u64)
}

/// Ends the current process: releases its memory and files, passes its children to init, becomes
/// a zombie that keeps `status` for its parent, wakes the parent, and switches away for good.
/// When pid 1 ends, the machine powers off with its status.
pub fn exit_current(status: ExitStatus) -> ! {
    let task = task::current().expect("exit without a current task");
    log::debug!("pid {} exits: {:?}", task.pid, status);
    if task.pid == 1 {
        crate::power_off(status.shell_status());
    }
    // Leave the address space before it goes: CR3 must never point at freed tables.
    mm::paging::activate_kernel();
    let mm = task.mm.lock().take();
    drop(mm);
    *task.files.lock() = fs::FdTable::empty();

    // Orphans pass to init.
    let orphans = core::mem::take(&mut *task.children.lock());
    let init = task::find(1);
    if let Some(init) = &init {
        for orphan in orphans {
            orphan.ppid.store(1, core::sync::atomic::Ordering::Relaxed);
            let zombie = matches!(orphan.state(), State::Zombie(_));
            init.children.lock().push(orphan);
            if zombie {
                sched::wake(init);
            }
        }
    }
    *task.state.lock() = State::Zombie(status);
    if let Some(parent) = task::find(task.ppid.load(core::sync::atomic::Ordering::Relaxed)) {
        sched::wake(&parent);
    }
    drop(init);
    drop(task);
    sched::schedule();
    unreachable!("a zombie was scheduled")
}

const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WCONTINUED: u64 = 8;
const WNOTHREAD: u64 = 0x2000_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;

/// wait4(pid, wstatus, options, rusage): waits for a child to end and reaps it. `pid` > 0 waits
/// for that child, -1 (or 0 and < -1: there are no process groups yet, so every child is in the
/// caller's) for any.
pub fn wait4(pid: i64, wstatus: u64, options: u64, rusage: u64) -> Result<u64, Errno> {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(EINVAL);
    }
    let me = task::current().ok_or(ECHILD)?;
    loop {
        // Interrupts stay off from the check to the block, so a child's wake-up cannot be lost.
        x86_64::instructions::interrupts::disable();
        let (found, zombie) = {
            let children = me.children.lock();
            let matching: Vec<&Arc<Task>> = children
                .iter()
                .filter(|c| pid <= 0 || c.pid as i64 == pid)
                .collect();
            let zombie = matching
                .iter()
                .find(|c| matches!(c.state(), State::Zombie(_)))
                .map(|c| (*c).clone());
            (!matching.is_empty(), zombie)
        };
        if !found {
            x86_64::instructions::interrupts::enable();
            return Err(ECHILD);
        }
        if let Some(child) = zombie {
            x86_64::instructions::interrupts::enable();
            let State::Zombie(status) = child.state() else {
                unreachable!()
            };
            // As Linux's wait_task_zombie: the child is reaped even if the status cannot be stored.
            reap(&me, child.pid);
            if wstatus != 0 {
                uaccess::write_user(wstatus, &status.wait_status())?;
            }
            if rusage != 0 {
                uaccess::copy_to_user(rusage, &[0u8; 144])?;
            }
            return Ok(child.pid as u64);
        }
        if options & WNOHANG != 0 {
            x86_64::instructions::interrupts::enable();
            return Ok(0);
        }
        *me.state.lock() = State::Blocked;
        sched::schedule();
    }
}

/// Forgets a zombie child: its task (and kernel stack) is freed with the last reference.
fn reap(parent: &Task, pid: Pid) {
    parent.children.lock().retain(|c| c.pid != pid);
    task::unlist(pid);
}

/// Most strings and bytes execve accepts (Linux: MAX_ARG_STRINGS and a quarter of the stack limit).
const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
const MAX_ARG_BYTES: usize = 2 << 20;

/// Copies a NULL-terminated array of string pointers (argv or envp) from user memory.
fn copy_strings(mut ptr: u64, total: &mut usize) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if ptr == 0 {
        return Ok(out);
    }
    loop {
        let s: u64 = uaccess::read_user(ptr)?;
        if s == 0 {
            return Ok(out);
        }
        if out.len() >= MAX_ARG_STRINGS {
            return Err(E2BIG);
        }
        let mut string = Vec::new();
        match uaccess::strncpy_from_user(s, ::exec::stack::MAX_ARG_STRLEN, &mut string)? {
            Some(()) => {}
            None => return Err(E2BIG),
        }
        *total += string.len() + 1 + 8;
        if *total > MAX_ARG_BYTES {
            return Err(E2BIG);
        }
        out.push(string);
        ptr += 8;
    }
}

/// execve(path, argv, envp): replaces the program of the calling process. Everything is read and
/// loaded before anything of the caller changes, so on failure the caller continues untouched.
pub fn execve(
    regs: &mut PtRegs,
    path_ptr: u64,
    argv_ptr: u64,
    envp_ptr: u64,
) -> Result<u64, Errno> {
    let task = task::current().ok_or(ENOMEM)?;
    let mut raw = Vec::new();
    if uaccess::strncpy_from_user(path_ptr, fs::path::PATH_MAX, &mut raw)?.is_none() {
        return Err(ENAMETOOLONG);
    }
    let path = fs::path::normalize("/", &raw)?;
    let mut total = 0;
    let argv = copy_strings(argv_ptr, &mut total)?;
    let envp = copy_strings(envp_ptr, &mut total)?;
    let loaded = exec::load(&path, &argv, &envp)?;

    // Point of no return: switch to the new address space, drop the old one.
    sched::task_switch_mm(&loaded.mm);
    let old = task.mm.lock().replace(loaded.mm);
    drop(old);
    *task.name.lock() = path;
    // SAFETY: this task is running; its saved FPU image is not in use until the next switch.
    unsafe { (*task.context.get()).fpu = crate::arch::context::FpuState::new() };
    crate::arch::context::FpuState::new().restore();
    x86_64::registers::model_specific::FsBase::write(x86_64::VirtAddr::zero());
    x86_64::registers::model_specific::GsBase::write(x86_64::VirtAddr::zero());
    *regs = PtRegs::new_user(loaded.entry, loaded.sp);
    Ok(0)
}

/// The errno's name, for log messages: a word on what it means for a program that cannot be
/// started, or else the name alone (`EFAULT`).
pub fn errno_name(err: Errno) -> &'static str {
    match err {
        ENOENT => "ENOENT (no such file)",
        ENOEXEC => "ENOEXEC (not an executable this kernel can run)",
        _ => err.name(),
    }
}
