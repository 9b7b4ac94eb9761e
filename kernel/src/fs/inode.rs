//! Inodes and the page cache.
//!
//! An [`Inode`] is a file's identity and contents: an initramfs file (its bytes live in the ramdisk)
//! or an anonymous shared-memory object (what `MAP_SHARED | MAP_ANONYMOUS` creates, Linux's
//! `/dev/zero (deleted)` shmem file). Its page cache holds one frame per file page that has been
//! mapped: a read fault in a file-backed area maps the cached frame (read-only if the area is
//! private), so every process running the same program shares its text pages, and a private write
//! copies the page first (copy-on-write from the page cache).

use alloc::{collections::BTreeMap, string::String, sync::Arc};
use x86_64::structures::paging::PhysFrame;

use crate::{
    mm::{
        frame::{self, PageFlags},
        layout::PAGE_SIZE,
    },
    sync::IrqMutex,
};

/// Device numbers shown in /proc/PID/maps: the initramfs is "00:01" (rootfs); anonymous shared
/// memory "00:05" (shmem, as Linux's tmpfs-backed shared anonymous mappings show).
pub const ROOTFS_DEV: (u32, u32) = (0, 1);
pub const SHMEM_DEV: (u32, u32) = (0, 5);

/// Where an inode's bytes come from.
pub enum InodeData {
    /// A file of the initramfs: bytes in place in the ramdisk.
    Initramfs(&'static [u8]),
    /// Anonymous shared memory of a fixed size: zero-filled pages, created on first touch.
    Shmem { size: u64 },
}

/// A file's identity, contents and page cache.
pub struct Inode {
    pub ino: u64,
    pub dev: (u32, u32),
    /// The path shown in /proc/PID/maps.
    pub path: String,
    pub data: InodeData,
    pub is_dir: bool,
    cache: IrqMutex<BTreeMap<u64, PhysFrame>>,
}

impl Inode {
    pub fn new(
        ino: u64,
        dev: (u32, u32),
        path: String,
        data: InodeData,
        is_dir: bool,
    ) -> Arc<Self> {
        Arc::new(Inode {
            ino,
            dev,
            path,
            data,
            is_dir,
            cache: IrqMutex::new(BTreeMap::new()),
        })
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        match self.data {
            InodeData::Initramfs(bytes) => bytes.len() as u64,
            InodeData::Shmem { size } => size,
        }
    }

    /// The page-cache frame for file page `pgoff`, read in on first use, with a reference taken for
    /// the caller (who maps it and later drops it with `put_page`). Bytes past the end of the file
    /// read as zero, as Linux's do within the last page. None if memory ran out.
    pub fn get_page(&self, pgoff: u64) -> Option<PhysFrame> {
        let mut cache = self.cache.lock();
        if let Some(&frame) = cache.get(&pgoff) {
            frame::get_page(frame);
            return Some(frame);
        }
        let frame = frame::alloc_user_zeroed_frame()?;
        frame::page(frame).set_flags(match self.data {
            InodeData::Initramfs(_) => PageFlags::PAGE_CACHE,
            InodeData::Shmem { .. } => PageFlags::PAGE_CACHE | PageFlags::SHMEM,
        });
        if let InodeData::Initramfs(bytes) = self.data {
            let len = bytes.len() as u64;
            let start = pgoff.saturating_mul(PAGE_SIZE).min(len) as usize;
            let end = pgoff.saturating_add(1).saturating_mul(PAGE_SIZE).min(len) as usize;
            frame::write_frame(frame, 0, &bytes[start..end]);
        }
        // The cache keeps one reference; the caller gets another.
        frame::get_page(frame);
        cache.insert(pgoff, frame);
        Some(frame)
    }

    /// Frames held by the page cache.
    pub fn cached_pages(&self) -> usize {
        self.cache.lock().len()
    }
}

impl Drop for Inode {
    /// The last reference to the inode is gone: its cached pages go too.
    fn drop(&mut self) {
        for (_, frame) in core::mem::take(&mut *self.cache.lock()) {
            frame::put_page(frame);
        }
    }
}

/// A reference to an inode as a VMA's backing file. Two references are the same file when they
/// name the same inode, which is what VMA merging compares.
#[derive(Clone)]
pub struct FileRef(pub Arc<Inode>);

impl PartialEq for FileRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl core::fmt::Debug for FileRef {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        write!(f, "{}", self.0.path)
    }
}
