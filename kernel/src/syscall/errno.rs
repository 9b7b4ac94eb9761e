//! Linux error numbers: the `abi` crate's [`Errno`] (an enum with names and `strerror` texts,
//! shared with the user programs), re-exported so that `use crate::syscall::errno::*` brings
//! `EINVAL` and the rest into scope. System calls return `-errno`.

pub use abi::errno::*;

impl From<crate::arch::uaccess::Fault> for Errno {
    /// A bad user pointer is EFAULT.
    fn from(_: crate::arch::uaccess::Fault) -> Self {
        EFAULT
    }
}
