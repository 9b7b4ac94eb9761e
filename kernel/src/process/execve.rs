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
        match uaccess::strncpy_from_user(s, ::exec::stack::MAX_ARG_STRLEN, &mut string)? {
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
    if uaccess::strncpy_from_user(path_ptr, fs::path::PATH_MAX, &mut raw)?.is_none() {
        return Err(ENAMETOOLONG);
    }
    let cwd = process.cwd.lock().clone();
    let inode = fs::namei::lookup(cwd.clone(), &raw, true)?;
    // The name /proc shows: the path made absolute, as Linux's d_path of the file would be.
    let cwd_path = fs::vfs::d_path(&cwd).unwrap_or_else(|_| b"/".to_vec());
    let path = fs::path::normalize(&String::from_utf8_lossy(&cwd_path), &raw)?;
    let mut total = 0;
    let argv = copy_strings(argv_ptr, &mut total)?;
    let envp = copy_strings(envp_ptr, &mut total)?;
    let loaded = exec::load(&inode, &path, &argv, &envp)?;

    // Point of no return: switch to the new address space, drop the old one.
    sched::switch_mm(&loaded.mm);
    let old = process.mm.lock().replace(loaded.mm);
    drop(old);
    *process.name.lock() = path;
    if let Ok(files) = process.files() {
        files.lock().close_on_exec();
    }
    // SAFETY: this thread is running; its saved FPU image is not in use until the next switch.
    unsafe { (*me.context.get()).fpu = FpuState::new() };
    FpuState::new().restore();
    x86_64::registers::model_specific::FsBase::write(x86_64::VirtAddr::zero());
    x86_64::registers::model_specific::GsBase::write(x86_64::VirtAddr::zero());
    *regs = PtRegs::new_user(loaded.entry, loaded.sp);
    Ok(0)
}
