//! `arch_prctl` codes (`arch/x86/include/uapi/asm/prctl.h`): the FS and GS bases a C library's
//! thread-local storage lives at.

pub const ARCH_SET_GS: u64 = 0x1001;
pub const ARCH_SET_FS: u64 = 0x1002;
pub const ARCH_GET_FS: u64 = 0x1003;
pub const ARCH_GET_GS: u64 = 0x1004;
pub const ARCH_GET_CPUID: u64 = 0x1011;
pub const ARCH_SET_CPUID: u64 = 0x1012;

// prctl(2) options (include/uapi/linux/prctl.h).
/// Set the calling thread's name (16 bytes with the NUL, like `comm`).
pub const PR_SET_NAME: u64 = 15;
/// Read the calling thread's name into a 16-byte buffer.
pub const PR_GET_NAME: u64 = 16;
/// Turn transparent huge pages off (arg2 != 0) or back on for the process (its mm's
/// MMF_DISABLE_THP, kept across fork and execve).
pub const PR_SET_THP_DISABLE: u64 = 41;
/// Whether they are off.
pub const PR_GET_THP_DISABLE: u64 = 42;
/// The length of a task's name, with the NUL (TASK_COMM_LEN).
pub const TASK_COMM_LEN: usize = 16;
