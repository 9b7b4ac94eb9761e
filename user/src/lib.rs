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
