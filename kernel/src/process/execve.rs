//! execve (Linux's fs/exec.c): replace the program of the calling process. The ELF loading itself
//! is [`crate::exec`]; this file copies the arguments in and, once the new program is loaded,
//! switches the process over to it.

use alloc::{string::String, vec::Vec};

use crate::{
    arch::{context::FpuState, syscall::PtRegs, uaccess},
    exec, fs, sched,
    syscall::errno::*,
    thread,
};

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
        // Linux's valid_arg_len: the string with its NUL fits in MAX_ARG_STRLEN bytes.
        match uaccess::strncpy_from_user(s, ::exec::stack::MAX_ARG_STRLEN - 1, &mut string)? {
            Some(()) => {}
            None => return Err(E2BIG),
        }
        *total += string.len() + 1 + 8;
        if *total > MAX_ARG_BYTES {
            return Err(E2BIG);
        }
        out.try_reserve(1).map_err(|_| ENOMEM)?;
        out.push(string);
        ptr = ptr.checked_add(8).ok_or(EFAULT)?;
    }
}

/// execve(path, argv, envp). Everything is read and loaded before anything of the caller changes,
/// so on failure the caller continues untouched.
pub fn execve(
    regs: &mut PtRegs,
    path_ptr: u64,
    argv_ptr: u64,
    envp_ptr: u64,
) -> Result<u64, Errno> {
    let me = thread::current().ok_or(ENOMEM)?;
    let process = &me.process;
    let mut raw = Vec::new();
    // getname: the NUL within PATH_MAX bytes.
    if uaccess::strncpy_from_user(path_ptr, fs::path::PATH_MAX - 1, &mut raw)?.is_none() {
        return Err(ENAMETOOLONG);
    }
    let cwd = process.cwd();
    let inode = fs::namei::lookup(cwd.clone(), &raw, true)?;
    // The name /proc shows: the path made absolute, as Linux's d_path of the file would be.
    let cwd_path = fs::vfs::d_path(&cwd).unwrap_or_else(|_| b"/".to_vec());
    let path = fs::path::normalize(&String::from_utf8_lossy(&cwd_path), &raw)?;
    let mut total = 0;
    let argv = copy_strings(argv_ptr, &mut total)?;
    let envp = copy_strings(envp_ptr, &mut total)?;
    let loaded = exec::load(&inode, &path, &argv, &envp)?;
    // PR_SET_THP_DISABLE outlives execve (Linux's MMF_INIT_MASK).
    if let Some(old) = process.mm() {
        let disabled = old.lock().thp_disabled;
        loaded.mm.lock().thp_disabled = disabled;
    }
    de_thread(&me)?;
    unshare_sighand(process)?;
    unshare_files(process)?;

    // Point of no return: switch to the new address space, drop the old one.
    sched::switch_mm(&loaded.mm);
    let old = process.mm.lock().replace(loaded.mm);
    if let Some(old) = &old {
        let counters = old.lock().counters;
        super::rusage::retire_mm(process, &counters);
    }
    drop(old);
    // A vfork parent may go on: the child no longer uses its memory.
    process.vfork_done.complete();
    *me.comm.lock() = thread::comm_of(&path);
    *process.name.lock() = path;
    if let Ok(files) = process.files() {
        files.lock().close_on_exec();
    }
    // Handlers point into the old program: they go back to the default; ignored signals, the
    // mask and pending signals stay. The alternate stack is gone with the old memory.
    process.actions().flush_handlers();
    super::posix_timers::exit_itimers(process);
    *me.altstack.lock() = crate::signal::altstack::AltStack::disabled();
    process
        .did_exec
        .store(true, core::sync::atomic::Ordering::Relaxed);
    // SAFETY: this thread is running; its saved FPU image is not in use until the next switch.
    unsafe { (*me.context.get()).fpu = FpuState::new() };
    FpuState::new().restore();
    x86_64::registers::model_specific::FsBase::write(x86_64::VirtAddr::zero());
    x86_64::registers::model_specific::GsBase::write(x86_64::VirtAddr::zero());
    *regs = PtRegs::new_user(loaded.entry, loaded.sp);
    Ok(0)
}

/// Actions shared with another process (CLONE_SIGHAND) are copied first: resetting the handlers
/// must not change that process's (Linux's unshare_sighand). ENOMEM if memory ran out.
fn unshare_sighand(process: &super::Process) -> Result<(), Errno> {
    let actions = process.actions();
    // This reference and the process's own: any more belong to another process.
    if alloc::sync::Arc::strong_count(&actions) > 2 {
        let copy = alloc::sync::Arc::try_new(crate::signal::action::SigActions::new())
            .map_err(|_| ENOMEM)?;
        copy.copy_from(&actions);
        *process.sighand.lock() = copy;
    }
    Ok(())
}

/// A descriptor table shared with another process (CLONE_FILES) is copied, so that closing the
/// close-on-exec descriptors does not close that process's (Linux's unshare_files in
/// begin_new_exec). ENOMEM if memory ran out.
fn unshare_files(process: &super::Process) -> Result<(), Errno> {
    let Some(table) = process.files.lock().clone() else {
        return Ok(());
    };
    // This reference and the process's own: any more belong to another process.
    if alloc::sync::Arc::strong_count(&table) > 2 {
        let copy = table.lock().try_clone().ok_or(ENOMEM)?;
        *process.files.lock() = Some(copy);
    }
    Ok(())
}

/// The other threads of the process end before the new program starts (Linux's de_thread): each
/// is sent SIGKILL, and execve waits until it is the only one. A calling thread that was not the
/// main thread then takes the process's id as its tid, as on Linux (the old main thread is gone).
/// EINTR if the process is being killed meanwhile.
fn de_thread(me: &alloc::sync::Arc<crate::thread::Thread>) -> Result<(), Errno> {
    let process = &me.process;
    if process.threads.lock().len() > 1 {
        kill_other_threads(me)?;
    }
    if me.tid() != process.pid {
        me.become_leader();
    }
    Ok(())
}

/// Sends SIGKILL to every other thread and waits until they have gone.
fn kill_other_threads(me: &alloc::sync::Arc<crate::thread::Thread>) -> Result<(), Errno> {
    let process = &me.process;
    if process.group_exit.lock().is_some() {
        return Err(EINTR);
    }
    process
        .exec_tid
        .store(me.tid(), core::sync::atomic::Ordering::Relaxed);
    super::exit::zap_other_threads(process, me.tid());
    let result = loop {
        let irq = crate::sync::IrqOff::new();
        if process.threads.lock().len() == 1 {
            break Ok(());
        }
        if let Err(e) = process.thread_exit_wait.sleep_killable(irq) {
            break Err(e);
        }
    };
    process
        .exec_tid
        .store(0, core::sync::atomic::Ordering::Relaxed);
    result
}
