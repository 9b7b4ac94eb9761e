//! eventfd and eventfd2 (Linux's fs/eventfd.c): a counter on a new descriptor (see
//! [`crate::fs::eventfd`]).

use abi::fcntl::{O_CLOEXEC, O_NONBLOCK};

use super::{SysResult, errno::*, read_write::install_anon};
use crate::fs::{eventfd::EventFd, file::FileKind};

/// eventfd2's flags: EFD_SEMAPHORE, and EFD_CLOEXEC and EFD_NONBLOCK, which are O_CLOEXEC and
/// O_NONBLOCK.
pub const EFD_SEMAPHORE: u64 = 1;

/// eventfd2(initval, flags): a counter starting at `initval` (an unsigned int) on the lowest free
/// descriptor, open for reading and writing; EINVAL for any other flag.
pub fn sys_eventfd2(initval: u64, flags: u64) -> SysResult {
    let flags = flags as u32 as u64;
    if flags & !(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    let efd = EventFd::new(initval as u32 as u64, flags & EFD_SEMAPHORE != 0);
    install_anon(FileKind::EventFd(efd), flags)
}

/// eventfd(initval): eventfd2 without flags.
pub fn sys_eventfd(initval: u64) -> SysResult {
    sys_eventfd2(initval, 0)
}
