//! A tiny runtime for user programs: raw Linux x86_64 system calls, `_start`, argument parsing and
//! printing. No libc: a program built on this is a static ELF executable that runs unchanged on Linux
//! and on this kernel, which is how the two are compared.
//!
//! A program looks like this:
//! ```ignore
//! #![no_std]
//! #![no_main]
//! use user::{println, Args};
//! user::entry!(main);
//! fn main(args: Args) -> i32 { println!("hello from {}", args.argv0()); 0 }
//! ```

#![no_std]

pub mod args;
pub mod fmt;
pub mod linux_init;
pub mod procfs;
pub mod sys;

pub use args::Args;

/// Declares the program's `main(args: Args) -> i32` and provides `_start`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        extern "C" fn __user_main(sp: *const u64) -> ! {
            // SAFETY: `sp` is the initial stack pointer the kernel (or Linux) handed to `_start`.
            let args = unsafe { $crate::Args::from_initial_stack(sp) };
            let status: i32 = $main(args);
            $crate::sys::exit_group(status)
        }
    };
}

/// The ELF entry point: the kernel jumps here with the stack holding argc, argv, envp and auxv.
/// It passes that stack pointer to the program's `__user_main` with the stack 16-byte aligned.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, rsp",
        "and rsp, -16",
        "call __user_main",
        "ud2",
    )
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    eprintln!("panic: {}", info);
    sys::exit_group(101)
}

/// Reads a whole file into `buf`, returning the number of bytes (or a negative errno).
pub fn read_file(path: &[u8], buf: &mut [u8]) -> i64 {
    let fd = sys::open(path, sys::O_RDONLY);
    if fd < 0 {
        return fd;
    }
    let mut len = 0usize;
    loop {
        let n = sys::read(fd as u64, &mut buf[len..]);
        if n < 0 {
            sys::close(fd as u64);
            return n;
        }
        if n == 0 || len + n as usize == buf.len() {
            len += n as usize;
            break;
        }
        len += n as usize;
    }
    sys::close(fd as u64);
    len as i64
}

/// Names a system call's result the way tests print it: `"ok"` for a success, the errno's name
/// (`"EINVAL"`) for a failure, so that outputs compare across kernels.
pub fn errno_name(ret: i64) -> &'static str {
    if ret >= 0 {
        return "ok";
    }
    match sys::errno::Errno::from_syscall_return(ret) {
        Some(errno) => errno.name(),
        None => "E?",
    }
}
