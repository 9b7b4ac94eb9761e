//! Linux x86_64 system calls: numbers, raw entry, and thin typed wrappers. Wrappers return the raw
//! result: a value, or a negative errno (as the kernel ABI defines it; no libc `errno`).

use core::arch::asm;

pub mod nr {
    pub const READ: u64 = 0;
    pub const WRITE: u64 = 1;
    pub const OPEN: u64 = 2;
    pub const CLOSE: u64 = 3;
    pub const MMAP: u64 = 9;
    pub const MPROTECT: u64 = 10;
    pub const MUNMAP: u64 = 11;
    pub const BRK: u64 = 12;
    pub const RT_SIGPROCMASK: u64 = 14;
    pub const IOCTL: u64 = 16;
    pub const WRITEV: u64 = 20;
    pub const SCHED_YIELD: u64 = 24;
    pub const GETPID: u64 = 39;
    pub const CLONE: u64 = 56;
    pub const FORK: u64 = 57;
    pub const EXECVE: u64 = 59;
    pub const EXIT: u64 = 60;
    pub const WAIT4: u64 = 61;
    pub const KILL: u64 = 62;
    pub const GETPPID: u64 = 110;
    pub const ARCH_PRCTL: u64 = 158;
    pub const GETTID: u64 = 186;
    pub const SET_TID_ADDRESS: u64 = 218;
    pub const EXIT_GROUP: u64 = 231;
    pub const OPENAT: u64 = 257;
}

pub mod errno {
    pub const EPERM: i64 = 1;
    pub const ENOENT: i64 = 2;
    pub const ESRCH: i64 = 3;
    pub const EBADF: i64 = 9;
    pub const ECHILD: i64 = 10;
    pub const ENOMEM: i64 = 12;
    pub const EACCES: i64 = 13;
    pub const EFAULT: i64 = 14;
    pub const EEXIST: i64 = 17;
    pub const EINVAL: i64 = 22;
    pub const E2BIG: i64 = 7;
    pub const ENOEXEC: i64 = 8;
    pub const ENOSYS: i64 = 38;
}

pub const PROT_NONE: u64 = 0;
pub const PROT_READ: u64 = 1;
pub const PROT_WRITE: u64 = 2;
pub const PROT_EXEC: u64 = 4;
pub const MAP_SHARED: u64 = 0x01;
pub const MAP_PRIVATE: u64 = 0x02;
pub const MAP_FIXED: u64 = 0x10;
pub const MAP_ANONYMOUS: u64 = 0x20;
pub const MAP_GROWSDOWN: u64 = 0x100;
pub const MAP_NORESERVE: u64 = 0x4000;
pub const MAP_POPULATE: u64 = 0x8000;
pub const MAP_FIXED_NOREPLACE: u64 = 0x100000;
pub const O_RDONLY: u64 = 0;
pub const O_WRONLY: u64 = 1;
pub const O_RDWR: u64 = 2;
pub const AT_FDCWD: i64 = -100;
pub const WNOHANG: u64 = 1;
pub const SIGCHLD: u64 = 17;

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

pub fn mprotect(addr: u64, len: u64, prot: u64) -> i64 {
    raw(nr::MPROTECT, [addr, len, prot, 0, 0, 0])
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

/// The exit code of a normally ended child, from a wait status.
pub fn wexitstatus(status: i32) -> i32 {
    (status >> 8) & 0xff
}

/// The signal that ended a child, or 0 if it exited normally.
pub fn wtermsig(status: i32) -> i32 {
    status & 0x7f
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
