//! Vectored I/O: `readv`/`writev`'s `struct iovec` (`include/uapi/linux/uio.h`).

/// One buffer of a vectored read or write (`struct iovec`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct iovec {
    /// The buffer's user address.
    pub iov_base: u64,
    pub iov_len: u64,
}
layout!(iovec, 16; iov_base = 0, iov_len = 8);

/// The most buffers one call takes (`UIO_MAXIOV`); more is EINVAL.
pub const UIO_MAXIOV: u64 = 1024;
pub const IOV_MAX: u64 = UIO_MAXIOV;
