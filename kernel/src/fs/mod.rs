//! Files: a memory-backed, writable root file system (Linux's rootfs as a tmpfs), /dev, /proc,
//! the console and pipes ([`pipe`]).
//!
//! At boot the initramfs is unpacked into the root, as Linux unpacks it into its rootfs, so
//! everything is writable; the bytes of its files stay in the ramdisk until a page is first used
//! (see [`inode`]). Directories hold their entries ([`dir`]); paths are resolved by a walk that
//! follows symbolic links ([`namei`]); the operations that change the tree are in [`vfs`]. Each
//! process has a table of file descriptors ([`file`]) and a working directory.

pub mod dev;
pub mod dir;
pub mod eventfd;
pub mod eventpoll;
pub mod file;
pub mod flock;
pub mod inode;
pub mod inotify;
pub mod ktests;
pub mod namei;
pub mod page_cache;
pub mod path;
pub mod pipe;
pub mod proc_array;
pub mod proc_misc;
pub mod procfs;
pub mod signalfd;
pub mod timerfd;
pub mod vfs;

use alloc::{
    string::String,
    sync::{Arc, Weak},
};

use abi::{
    stat::{S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG},
    time::timespec,
};

pub use file::{FdTable, FileKind, OpenFile, SharedFdTable};
pub use inode::{Inode, InodeKind, shmem_object, vm_file};

use crate::{initramfs, sync::IrqMutex};
use dir::Directory;
use inode::ROOTFS_DEV;
use procfs::ProcNode;

/// The root directory, made at boot.
static ROOT: spin::Once<Arc<Inode>> = spin::Once::new();
/// /proc's directory.
static PROC_ROOT: spin::Once<Arc<Inode>> = spin::Once::new();

/// The root directory.
pub fn root() -> Arc<Inode> {
    ROOT.get().expect("root file system not built yet").clone()
}

/// /proc's directory (where `..` of /proc/PID leads).
pub fn proc_root() -> Arc<Inode> {
    PROC_ROOT.get().expect("/proc not mounted yet").clone()
}

/// The time file stamps get: the wall clock (CLOCK_REALTIME).
pub fn now() -> timespec {
    let ns = crate::time::realtime_ns();
    timespec {
        tv_sec: ns.div_euclid(1_000_000_000),
        tv_nsec: ns.rem_euclid(1_000_000_000),
    }
}

/// A new, empty directory inode whose `..` is `parent`; None if memory ran out.
pub fn new_dir_inode(path: String, mode: u32, parent: Weak<Inode>) -> Option<Arc<Inode>> {
    let dir = InodeKind::Directory(IrqMutex::new(Directory::new(parent)));
    Inode::try_new(ROOTFS_DEV, path, dir, S_IFDIR | (mode & 0o7777), &[])
}

/// Builds the root file system: the initramfs unpacked, then /dev, /tmp and /proc as a user
/// expects them.
pub fn init() {
    let root = new_dir_inode(String::from("/"), 0o755, Weak::new())
        .expect("no memory for the root file system");
    ROOT.call_once(|| root.clone());
    for entry in cpio::entries(initramfs::archive()).map_while(Result::ok) {
        if let Err(err) = unpack(&entry) {
            log::warn!("initramfs: {}: {err:?}", entry.name);
        }
    }
    let dev = mkdir_p("dev", 0o755).expect("no memory for /dev");
    for (name, device, mode) in dev::NODES {
        let path = alloc::format!("/dev/{name}");
        let inode = Inode::try_new(
            ROOTFS_DEV,
            path,
            InodeKind::CharDevice(device),
            S_IFCHR | mode,
            &[],
        )
        .expect("no memory for /dev");
        let _ = dev
            .dir()
            .expect("a directory")
            .lock()
            .insert(name.as_bytes(), inode);
    }
    let tmp = mkdir_p("tmp", 0o1777).expect("no memory for /tmp");
    tmp.chmod(0o1777);
    let proc = ProcNode::Root.inode().expect("no memory for /proc");
    PROC_ROOT.call_once(|| proc.clone());
    let sys = ProcNode::SysfsRoot.inode().expect("no memory for /sys");
    let mut entries = root.dir().expect("a directory").lock();
    if entries.replace(b"proc", proc.clone()).is_none() {
        entries.insert(b"proc", proc).expect("no memory for /proc");
    }
    if entries.replace(b"sys", sys.clone()).is_none() {
        entries.insert(b"sys", sys).expect("no memory for /sys");
    }
}

/// Unpacks one archive entry (Linux's init/initramfs.c): its directories are made as needed.
fn unpack(entry: &cpio::Entry<'static>) -> Result<(), crate::syscall::errno::Errno> {
    use crate::syscall::errno::*;
    let name = entry.name.trim_start_matches("./").trim_matches('/');
    if name.is_empty() || name == "." {
        return Ok(());
    }
    let (dir_path, base) = name.rsplit_once('/').unwrap_or(("", name));
    let dir = mkdir_p(dir_path, 0o755)?;
    let path = alloc::format!("/{name}");
    let perm = entry.mode & 0o7777;
    let inode = match entry.mode & S_IFMT {
        S_IFDIR => {
            mkdir_p(name, perm)?.chmod(perm);
            return Ok(());
        }
        S_IFREG => Inode::try_new(
            ROOTFS_DEV,
            path,
            InodeKind::Regular,
            S_IFREG | perm,
            entry.data,
        ),
        S_IFLNK => {
            let target = namei_owned(entry.data)?;
            Inode::try_new(
                ROOTFS_DEV,
                path,
                InodeKind::Symlink(target),
                S_IFLNK | 0o777,
                &[],
            )
        }
        _ => return Err(EINVAL),
    }
    .ok_or(ENOMEM)?;
    let mtime = timespec {
        tv_sec: entry.mtime as i64,
        tv_nsec: 0,
    };
    inode.set_times(Some(mtime), Some(mtime));
    let mut entries = dir.dir().ok_or(ENOTDIR)?.lock();
    entries.remove(base.as_bytes());
    entries.insert(base.as_bytes(), inode)
}

/// A fallible copy of `bytes`.
fn namei_owned(bytes: &[u8]) -> Result<alloc::vec::Vec<u8>, crate::syscall::errno::Errno> {
    let mut out = alloc::vec::Vec::new();
    out.try_reserve_exact(bytes.len())
        .map_err(|_| crate::syscall::errno::ENOMEM)?;
    out.extend_from_slice(bytes);
    Ok(out)
}

/// The directory at `path` (relative to the root, no `.` or `..`), made with `mode` where missing
/// along the way (mkdir -p, for unpacking).
fn mkdir_p(path: &str, mode: u32) -> Result<Arc<Inode>, crate::syscall::errno::Errno> {
    use crate::syscall::errno::*;
    let mut dir = root();
    let mut at = String::new();
    for name in path.split('/').filter(|c| !c.is_empty()) {
        at.push('/');
        at.push_str(name);
        let entries = dir.dir().ok_or(ENOTDIR)?;
        let existing = entries.lock().lookup(name.as_bytes());
        let next = match existing {
            Some(next) if next.is_dir() => next,
            Some(_) => return Err(ENOTDIR),
            None => {
                let new = new_dir_inode(at.clone(), mode, Arc::downgrade(&dir)).ok_or(ENOMEM)?;
                entries.lock().insert(name.as_bytes(), new.clone())?;
                dir.add_links(1);
                new
            }
        };
        dir = next;
    }
    Ok(dir)
}

/// Frames held by the page caches of all files (they stay after the processes that read them
/// exit, as on Linux; leak checks allow for them). Unlinked files still open or mapped count
/// until their last reference goes.
pub fn page_cache_pages() -> usize {
    page_cache::cached_pages()
}
