//! Process system calls.

use super::SysResult;
use crate::task::{self, ExitStatus};

pub fn sys_getpid() -> SysResult {
    Ok(task::current().map(|t| t.pid as u64).unwrap_or(0))
}

/// exit(2): ends the calling thread; with one thread per process, the process.
pub fn sys_exit(code: u64) -> SysResult {
    task::exit_current(ExitStatus::Exited(code as u8))
}

/// exit_group(2): ends every thread of the process.
pub fn sys_exit_group(code: u64) -> SysResult {
    task::exit_current(ExitStatus::Exited(code as u8))
}
