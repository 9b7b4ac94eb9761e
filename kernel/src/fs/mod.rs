//! Files: the initramfs as a read-only root file system, the console, pipes ([`pipe`]), and /proc.
//!
//! Just enough of a VFS for programs to open, read, write and mmap files the way Linux lets them:
//! paths are resolved against `/`, each process has a table of file descriptors, and every file that
//! can be mapped has an [`Inode`] with a page cache.

pub mod file;
pub mod inode;
pub mod page_cache;
pub mod path;
pub mod pipe;
pub mod proc_array;
pub mod proc_misc;
pub mod procfs;

use alloc::{collections::BTreeMap, format, string::String, sync::Arc};

pub use file::{FdTable, FileKind, OpenFile, SharedFdTable};
pub use inode::{Inode, InodeData, shmem_object, vm_file};

use crate::{initramfs, sync::IrqMutex};

/// Every inode of the root file system, by normalised absolute path (`/bin/init`).
static ROOT: IrqMutex<BTreeMap<String, Arc<Inode>>> = IrqMutex::new(BTreeMap::new());

/// Builds the inode table from the initramfs. Directories that the archive only implies (a file
/// `bin/x` without an entry for `bin`) exist too, as they would after unpacking.
pub fn init() {
    let mut root = ROOT.lock();
    root.insert(
        "/".into(),
        Inode::new(
            1,
            inode::ROOTFS_DEV,
            "/".into(),
            InodeData::Initramfs(&[]),
            true,
        ),
    );
    for entry in cpio::entries(initramfs::archive()).map_while(Result::ok) {
        let name = entry.name.trim_start_matches("./").trim_start_matches('/');
        if name.is_empty() || name == "." {
            continue;
        }
        let path = format!("/{name}");
        let mut parent = path.as_str();
        while let Some((dir, _)) = parent.rsplit_once('/') {
            if dir.is_empty() {
                break;
            }
            let next_ino = root.len() as u64 + 1_000_000;
            root.entry(dir.into()).or_insert_with(|| {
                Inode::new(
                    next_ino,
                    inode::ROOTFS_DEV,
                    dir.into(),
                    InodeData::Initramfs(&[]),
                    true,
                )
            });
            parent = dir;
        }
        let ino = entry.ino as u64 + 2;
        let inode = Inode::new(
            ino,
            inode::ROOTFS_DEV,
            path.clone(),
            InodeData::Initramfs(entry.data),
            entry.is_dir(),
        );
        root.insert(path, inode);
    }
}

/// Looks up a normalised absolute path in the root file system.
pub fn lookup(path: &str) -> Option<Arc<Inode>> {
    ROOT.lock().get(path).cloned()
}

/// Frames held by the page caches of all files of the root file system (they stay after the
/// processes that read them exit, as on Linux; leak checks allow for them).
pub fn page_cache_pages() -> usize {
    ROOT.lock().values().map(|i| i.cached_pages()).sum()
}
