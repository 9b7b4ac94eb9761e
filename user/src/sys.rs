//! Linux x86_64 system calls: the raw entry and thin typed wrappers, with the numbers and flags of
//! the `abi` crate. Wrappers return the raw result: a value, or a negative errno (as the kernel ABI
//! defines it; no libc `errno`).

use core::arch::asm;

/// System-call numbers (`nr::WRITE`...), errno values (`errno::EINVAL`) and every other ABI
/// constant come from the `abi` crate the kernel uses too, so the two sides cannot disagree.
pub use abi::{errno, nr};

pub use abi::fcntl::{AT_FDCWD, O_RDONLY, O_RDWR, O_WRONLY};
pub use abi::mman::{
    MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_NORESERVE, MAP_POPULATE,
    MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE,
};
pub use abi::signal::SIGCHLD;
pub use abi::wait::{WNOHANG, wexitstatus, wtermsig};

/// Makes a system call with up to six arguments.
///
/// # Safety
/// The arguments must be valid for the call (pointers to memory of the right size, and so on).
#[inline(always)]
pub unsafe fn syscall6(n: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> i64 {
    let ret: i64;
    // SAFETY: the `syscall` instruction clobbers rcx and r11; everything else is preserved by the ABI.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") n as i64 => ret,
            in("rdi") a0, in("rsi") a1, in("rdx") a2, in("r10") a3, in("r8") a4, in("r9") a5,
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// A system call whose arguments are plain numbers or deliberately arbitrary addresses (the kernel
/// must cope with any value; that is what several tests check).
pub fn raw(n: u64, args: [u64; 6]) -> i64 {
    // SAFETY: the kernel validates every argument; a bad pointer yields an error, not memory damage
    // in this process beyond what the call is documented to write.
    unsafe { syscall6(n, args[0], args[1], args[2], args[3], args[4], args[5]) }
}

pub fn write(fd: u64, buf: &[u8]) -> i64 {
    raw(
        nr::WRITE,
        [fd, buf.as_ptr() as u64, buf.len() as u64, 0, 0, 0],
    )
}

pub fn read(fd: u64, buf: &mut [u8]) -> i64 {
    raw(
        nr::READ,
        [fd, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0],
    )
}

/// Opens a path given as a NUL-terminated byte string.
pub fn open(path: &[u8], flags: u64) -> i64 {
    assert!(path.last() == Some(&0), "path must be NUL-terminated");
    raw(nr::OPEN, [path.as_ptr() as u64, flags, 0, 0, 0, 0])
}

pub fn close(fd: u64) -> i64 {
    raw(nr::CLOSE, [fd, 0, 0, 0, 0, 0])
}

pub fn mmap(addr: u64, len: u64, prot: u64, flags: u64, fd: i64, off: u64) -> i64 {
    raw(nr::MMAP, [addr, len, prot, flags, fd as u64, off])
}

pub fn munmap(addr: u64, len: u64) -> i64 {
    raw(nr::MUNMAP, [addr, len, 0, 0, 0, 0])
}

pub fn mremap(addr: u64, old_len: u64, new_len: u64, flags: u64, new_addr: u64) -> i64 {
    raw(nr::MREMAP, [addr, old_len, new_len, flags, new_addr, 0])
}

pub fn mprotect(addr: u64, len: u64, prot: u64) -> i64 {
    raw(nr::MPROTECT, [addr, len, prot, 0, 0, 0])
}

pub fn madvise(addr: u64, len: u64, advice: u64) -> i64 {
    raw(nr::MADVISE, [addr, len, advice, 0, 0, 0])
}

/// The raw brk call: returns the new break, or the old one if it could not move.
pub fn brk(addr: u64) -> u64 {
    raw(nr::BRK, [addr, 0, 0, 0, 0, 0]) as u64
}

pub fn getpid() -> i64 {
    raw(nr::GETPID, [0; 6])
}

pub fn getppid() -> i64 {
    raw(nr::GETPPID, [0; 6])
}

pub fn fork() -> i64 {
    raw(nr::FORK, [0; 6])
}

/// execve(path, argv, envp) with NUL-terminated strings; returns only on failure.
pub fn execve(path: &[u8], argv: &[*const u8], envp: &[*const u8]) -> i64 {
    raw(
        nr::EXECVE,
        [
            path.as_ptr() as u64,
            argv.as_ptr() as u64,
            envp.as_ptr() as u64,
            0,
            0,
            0,
        ],
    )
}

pub fn sched_yield() -> i64 {
    raw(nr::SCHED_YIELD, [0; 6])
}

/// wait4(pid, &status, options, NULL): returns the pid and stores the raw wait status.
pub fn wait4(pid: i64, status: &mut i32, options: u64) -> i64 {
    raw(
        nr::WAIT4,
        [pid as u64, status as *mut i32 as u64, options, 0, 0, 0],
    )
}

pub fn exit(status: i32) -> ! {
    raw(nr::EXIT, [status as u64, 0, 0, 0, 0, 0]);
    unreachable_exit()
}

pub fn exit_group(status: i32) -> ! {
    raw(nr::EXIT_GROUP, [status as u64, 0, 0, 0, 0, 0]);
    unreachable_exit()
}

fn unreachable_exit() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// sbrk as the seed notes describe it, on top of brk: moves the break by `increment` and returns the
/// old break (the start of the new space); `sbrk(0)` returns the current top of the heap.
pub fn sbrk(increment: i64) -> Option<u64> {
    let old = brk(0);
    if increment == 0 {
        return Some(old);
    }
    let want = old.checked_add_signed(increment)?;
    (brk(want) == want).then_some(old)
}
