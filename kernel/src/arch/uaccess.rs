//! Copying between the kernel and user memory: the only code that dereferences user pointers.
//!
//! Every copy first checks that the whole range lies in user space, then runs one `rep movsb` with
//! SMAP's window open (`stac` … `clac`). A fault inside it is first offered to the mm (the page may
//! simply not be faulted in yet: demand paging works for the kernel's accesses too); if the mm cannot
//! resolve it, the page-fault handler finds the faulting RIP in the exception table below and resumes
//! at the fixup, which reports how many bytes were not copied. The caller turns that into EFAULT.
//! So nothing a user program passes can crash the kernel.
//!
//! Rule: never hold an mm lock across a user copy; the fault it may take needs that lock.

use core::arch::global_asm;

use crate::mm::layout::TASK_SIZE;

/// The user pointer or range was bad: EFAULT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault;

global_asm!(
    // uaccess_copy(dst: rdi, src: rsi, len: rdx) -> rax = bytes not copied
    ".global uaccess_copy",
    "uaccess_copy:",
    "mov rcx, rdx",
    "stac",
    ".global uaccess_copy_insn",
    "uaccess_copy_insn:",
    "rep movsb",
    "clac",
    "xor eax, eax",
    "ret",
    ".global uaccess_copy_fixup",
    "uaccess_copy_fixup:",
    "clac",
    "mov rax, rcx",
    "ret",
);

unsafe extern "C" {
    fn uaccess_copy(dst: *mut u8, src: *const u8, len: usize) -> usize;
    static uaccess_copy_insn: u8;
    static uaccess_copy_fixup: u8;
}

/// If `rip` is the user-copy instruction, where to resume after a fault it cannot survive.
pub fn fixup_for(rip: u64) -> Option<u64> {
    // Only the addresses of the two labels are taken, which is safe.
    let (insn, fixup) = (
        &raw const uaccess_copy_insn as u64,
        &raw const uaccess_copy_fixup as u64,
    );
    (rip == insn).then_some(fixup)
}

/// Checks that [addr, addr + len) is a user range.
pub fn check_range(addr: u64, len: usize) -> Result<(), Fault> {
    match addr.checked_add(len as u64) {
        Some(end) if end <= TASK_SIZE => Ok(()),
        _ => Err(Fault),
    }
}

/// Copies `dst.len()` bytes from user address `src`.
pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), Fault> {
    check_range(src, dst.len())?;
    // SAFETY: the source range is in user space (checked) and faults there are caught by the
    // exception table; the destination is a kernel buffer we borrow mutably.
    let left = unsafe { uaccess_copy(dst.as_mut_ptr(), src as *const u8, dst.len()) };
    if left == 0 { Ok(()) } else { Err(Fault) }
}

/// Copies `src` to user address `dst`.
pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), Fault> {
    check_range(dst, src.len())?;
    // SAFETY: as for copy_from_user, with the directions swapped.
    let left = unsafe { uaccess_copy(dst as *mut u8, src.as_ptr(), src.len()) };
    if left == 0 { Ok(()) } else { Err(Fault) }
}

/// Reads a plain value (integer, `#[repr(C)]` struct of integers) from user memory.
pub fn read_user<T: Copy + Default>(src: u64) -> Result<T, Fault> {
    let mut value = T::default();
    // SAFETY: T is Copy plain data, so any byte pattern the user supplies is a valid T for the types
    // this is used with (integers and structs of integers).
    let bytes =
        unsafe { core::slice::from_raw_parts_mut(&mut value as *mut T as *mut u8, size_of::<T>()) };
    copy_from_user(bytes, src)?;
    Ok(value)
}

/// Writes a plain value to user memory.
pub fn write_user<T: Copy>(dst: u64, value: &T) -> Result<(), Fault> {
    // SAFETY: viewing a Copy value's bytes.
    let bytes =
        unsafe { core::slice::from_raw_parts(value as *const T as *const u8, size_of::<T>()) };
    copy_to_user(dst, bytes)
}

/// Copies a NUL-terminated string of at most `max` bytes (without the NUL) from user memory into
/// `out`. Err(Fault) for a bad pointer, Ok(None) if no NUL was found within `max + 1` bytes
/// (the string is longer than `max`), wherever the string lies against page boundaries.
pub fn strncpy_from_user(
    src: u64,
    max: usize,
    out: &mut alloc::vec::Vec<u8>,
) -> Result<Option<()>, Fault> {
    out.clear();
    let mut addr = src;
    let mut chunk = [0u8; 64];
    // Up to and including byte `max`, where the NUL of a string of exactly `max` bytes is (a
    // loop that stopped at `max` bytes read decided that string by where the chunks fell).
    while out.len() <= max {
        // Never read across a page boundary in one copy: the next page may legitimately be unmapped.
        let to_page_end = (4096 - (addr & 4095)) as usize;
        let n = chunk.len().min(to_page_end).min(max + 1 - out.len());
        copy_from_user(&mut chunk[..n], addr)?;
        if let Some(nul) = chunk[..n].iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..nul]);
            return Ok(Some(()));
        }
        out.extend_from_slice(&chunk[..n]);
        addr += n as u64;
    }
    Ok(None)
}
