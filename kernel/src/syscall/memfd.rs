//! memfd_create and the file seals (Linux's mm/memfd.c): anonymous memory with a descriptor, a
//! file of its own that no directory holds, read, written, truncated and mapped (shared or
//! private) like any file of tmpfs, and shown as "/memfd:NAME (deleted)" in /proc/PID/fd and
//! /proc/PID/maps. With MFD_ALLOW_SEALING, fcntl's F_ADD_SEALS can then forbid shrinking,
//! growing or writing it (F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE) or any
//! further seal (F_SEAL_SEAL), which is how one process hands another memory it cannot change.

use abi::fcntl::{O_LARGEFILE, O_RDWR};

use super::{SysResult, errno::*, read_write::current_files};
use crate::{
    arch::uaccess,
    fs::{
        file::{FileKind, OpenFile},
        inode::{
            self, F_SEAL_EXEC, F_SEAL_FUTURE_WRITE, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK,
            F_SEAL_WRITE, Inode,
        },
    },
};

pub const MFD_CLOEXEC: u64 = 0x1;
pub const MFD_ALLOW_SEALING: u64 = 0x2;
pub const MFD_HUGETLB: u64 = 0x4;
pub const MFD_NOEXEC_SEAL: u64 = 0x8;
pub const MFD_EXEC: u64 = 0x10;
/// The huge page size bits that may come with MFD_HUGETLB.
const MFD_HUGE_MASK: u64 = 0x3f << 26;
/// The longest name: NAME_MAX less "memfd:".
const MFD_NAME_MAX_LEN: usize = 255 - 6;

/// memfd_create(name, flags): EINVAL for an unknown flag, MFD_EXEC with MFD_NOEXEC_SEAL, or a
/// name longer than 249 bytes; EFAULT for an unreadable name; ENODEV for a huge page size
/// other than 2 MiB. MFD_HUGETLB makes a hugetlbfs file ([`crate::mm::hugetlb`]). Without MFD_NOEXEC_SEAL the
/// file may be executed (mode 0777, vm.memfd_noexec = 0); with it, mode 0666 and F_SEAL_EXEC.
pub fn sys_memfd_create(uname: u64, flags: u64) -> SysResult {
    let flags = flags as u32 as u64;
    let known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
    if flags & !(known | MFD_HUGE_MASK) != 0
        || (flags & MFD_HUGETLB == 0 && flags & MFD_HUGE_MASK != 0)
        || flags & (MFD_EXEC | MFD_NOEXEC_SEAL) == MFD_EXEC | MFD_NOEXEC_SEAL
    {
        return Err(EINVAL);
    }
    let mut name = alloc::vec::Vec::new();
    if uaccess::strncpy_from_user(uname, MFD_NAME_MAX_LEN, &mut name)?.is_none() {
        return Err(EINVAL);
    }
    // Linux's hugetlb_file_setup: a hugetlbfs file of a page size it has (2 MiB here), ENODEV
    // for another.
    let hugetlb = flags & MFD_HUGETLB != 0;
    if hugetlb && !crate::mm::hugetlb::size_log_ok((flags & MFD_HUGE_MASK) >> 26) {
        return Err(ENODEV);
    }
    let (perm, seals) = if flags & MFD_NOEXEC_SEAL != 0 {
        (0o666, F_SEAL_EXEC)
    } else if flags & MFD_ALLOW_SEALING != 0 {
        (0o777, 0)
    } else {
        (0o777, F_SEAL_SEAL)
    };
    let name = core::str::from_utf8(&name).map_err(|_| EINVAL)?;
    let inode = if hugetlb {
        inode::hugetlb_memfd_inode(name, perm, seals)
    } else {
        inode::memfd_inode(name, perm, seals)
    }
    .ok_or(ENOMEM)?;
    let file = OpenFile::new(FileKind::Regular(inode), O_RDWR | O_LARGEFILE)?;
    current_files()?
        .lock()
        .install(file, flags & MFD_CLOEXEC != 0)
}

/// fcntl(F_GET_SEALS): the seals of a file of tmpfs (F_SEAL_SEAL unless it is a memfd made
/// with MFD_ALLOW_SEALING); EINVAL for any other file.
pub fn get_seals(file: &OpenFile) -> SysResult {
    Ok(file.inode().ok_or(EINVAL)?.seals() as u64)
}

/// fcntl(F_ADD_SEALS, seals), Linux's memfd_add_seals: EINVAL for another kind of file, EPERM if
/// the descriptor is not open for writing or the file is sealed against sealing, EINVAL for an
/// unknown seal, EBUSY for F_SEAL_WRITE while the file is mapped shared and writable anywhere.
/// F_SEAL_EXEC on an executable file implies the write, shrink and grow seals.
pub fn add_seals(file: &OpenFile, seals: u64) -> SysResult {
    let inode: &Inode = file.inode().ok_or(EINVAL)?;
    if !file.writable {
        return Err(EPERM);
    }
    let mut seals = u32::try_from(seals).map_err(|_| EINVAL)?;
    if inode.seals() & F_SEAL_SEAL != 0 {
        return Err(EPERM);
    }
    if seals & F_SEAL_WRITE != 0
        && inode.seals() & F_SEAL_WRITE == 0
        && crate::mm::truncate::mapping_writably_mapped(inode as *const Inode as *const ())
    {
        return Err(EBUSY);
    }
    if seals & F_SEAL_EXEC != 0 && inode.stat().st_mode & 0o111 != 0 {
        seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
    }
    inode.add_seals(seals).map(|()| 0)
}
