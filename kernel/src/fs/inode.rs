//! Inodes and the page cache.
//!
//! An [`Inode`] is a file's identity and contents: an initramfs file (its bytes live in the ramdisk)
//! or an anonymous shared-memory object (what `MAP_SHARED | MAP_ANONYMOUS` creates, Linux's
//! `/dev/zero (deleted)` shmem file). Its page cache holds one frame per file page that has been
//! mapped: a read fault in a file-backed area maps the cached frame (read-only if the area is
//! private), so every process running the same program shares its text pages, and a private write
//! copies the page first (copy-on-write from the page cache).

use alloc::{string::String, sync::Arc};

use super::page_cache::PageCache;
use crate::mm::{
    frame::{Frame, PageFlags},
    layout::PAGE_SIZE,
    vm_object::{ObjectIdentity, PageError, VmFile, VmObject},
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
    cache: PageCache,
}

impl Inode {
    /// A new inode with an empty page cache; None if memory ran out.
    pub fn try_new(
        ino: u64,
        dev: (u32, u32),
        path: String,
        data: InodeData,
        is_dir: bool,
    ) -> Option<Arc<Self>> {
        Arc::try_new(Inode {
            ino,
            dev,
            path,
            data,
            is_dir,
            cache: PageCache::new(),
        })
        .ok()
    }

    /// [`try_new`](Self::try_new) for the root file system built at boot, which cannot go on
    /// without it.
    pub fn new(
        ino: u64,
        dev: (u32, u32),
        path: String,
        data: InodeData,
        is_dir: bool,
    ) -> Arc<Self> {
        Self::try_new(ino, dev, path, data, is_dir).expect("no memory for the root file system")
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        match self.data {
            InodeData::Initramfs(bytes) => bytes.len() as u64,
            InodeData::Shmem { size } => size,
        }
    }

    /// Frames held by the page cache.
    pub fn cached_pages(&self) -> usize {
        self.cache.pages()
    }
}

impl VmObject for Inode {
    /// The page-cache frame for file page `pgoff`, read in on first use. Bytes past the end of the
    /// file read as zero within its last page, as Linux's do; a page wholly beyond it is
    /// [`PageError::Beyond`] (SIGBUS). Shared memory is zero-filled.
    fn get_page(&self, pgoff: u64) -> Result<Frame, PageError> {
        // The fault path checked this against `size`; the slice below must never be indexed past
        // the file whoever calls.
        if pgoff >= self.size().div_ceil(PAGE_SIZE) {
            return Err(PageError::Beyond);
        }
        self.cache.get_or_fill(pgoff, || {
            let frame = Frame::alloc_user_zeroed().ok_or(PageError::NoMemory)?;
            frame.page().set_flags(match self.data {
                InodeData::Initramfs(_) => PageFlags::PAGE_CACHE,
                InodeData::Shmem { .. } => PageFlags::PAGE_CACHE | PageFlags::SHMEM,
            });
            if let InodeData::Initramfs(bytes) = self.data {
                // pgoff is below the page count, so these products fit.
                let start = (pgoff * PAGE_SIZE) as usize;
                let end = bytes.len().min(start + PAGE_SIZE as usize);
                frame.write(0, &bytes[start..end]);
            }
            Ok(frame)
        })
    }

    fn size(&self) -> u64 {
        Inode::size(self)
    }

    fn is_resident(&self, pgoff: u64) -> bool {
        self.cache.contains(pgoff)
    }

    fn identity(&self) -> ObjectIdentity<'_> {
        ObjectIdentity {
            dev: self.dev,
            ino: self.ino,
            path: &self.path,
        }
    }
}

/// An inode as the object behind a mapping.
pub fn vm_file(inode: Arc<Inode>) -> VmFile {
    VmFile(inode)
}

/// Inode numbers for shared anonymous memory objects.
fn shmem_ino() -> u64 {
    use core::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A new shared anonymous memory object of `size` bytes (what MAP_SHARED | MAP_ANONYMOUS maps:
/// Linux's shmem file "/dev/zero (deleted)"), so that it stays shared across fork. None if memory
/// ran out.
pub fn shmem_object(size: u64) -> Option<VmFile> {
    let inode = Inode::try_new(
        shmem_ino(),
        SHMEM_DEV,
        String::from("/dev/zero (deleted)"),
        InodeData::Shmem { size },
        false,
    )?;
    Some(VmFile(inode))
}
