//! What backs a mapping: the one interface through which mm reaches the pages of a file or of a
//! shared-memory object (Linux's vm_operations_struct with the file's address_space; SerenityOS's
//! VMObject behind a Region). mm asks an object for the page at an offset and tells it when a page
//! was dirtied; it never looks inside. The implementations live in `fs`: files of the root (their
//! page cache) and shmem objects (MAP_SHARED | MAP_ANONYMOUS); shared writable file mappings plug
//! in here next. Private anonymous memory has no object, as in Linux (vm_file is NULL): the fault
//! path hands out the zero page and fresh frames itself.

use alloc::sync::Arc;

use super::frame::Frame;
use crate::syscall::errno::Errno;

/// Why an object could not supply a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageError {
    /// The page lies wholly beyond the end of the object (SIGBUS, as Linux sends).
    Beyond,
    /// No frame was left to read it into.
    NoMemory,
}

/// How /proc/PID/maps names an object's mappings.
pub struct ObjectIdentity<'a> {
    /// Device (major, minor).
    pub dev: (u32, u32),
    pub ino: u64,
    pub path: &'a str,
    /// The file was unlinked: maps adds " (deleted)" after its path, as Linux's d_path does.
    pub deleted: bool,
}

/// A source of pages for mappings.
pub trait VmObject: Send + Sync {
    /// The page at page offset `pgoff`, with a reference for the caller (which maps it, read-only
    /// in a private mapping). Bytes past the end of the object within its last page read as zero.
    fn get_page(&self, pgoff: u64) -> Result<Frame, PageError>;

    /// Size in bytes.
    fn size(&self) -> u64;

    /// A shared writable mapping is about to write to page `pgoff`: it must reach the backing store
    /// at the next write-back. Nothing to do for objects that live only in memory.
    fn mark_dirty(&self, pgoff: u64) {
        let _ = pgoff;
    }

    /// Writes the dirty pages back (msync, fsync). Memory-only objects have nothing to write.
    fn write_back(&self) -> Result<(), Errno> {
        Ok(())
    }

    /// Whether page `pgoff` is in memory now, mapped or not (mincore of a file mapping reports the
    /// page cache, not only what this process mapped).
    fn is_resident(&self, pgoff: u64) -> bool {
        let _ = pgoff;
        false
    }

    /// Device, inode and path, for /proc/PID/maps.
    fn identity(&self) -> ObjectIdentity<'_>;

    /// What a hugetlb object is (see [`super::hugetlb`]): its areas fault whole 2 MiB pages.
    fn hugetlb(&self) -> Option<super::hugetlb::Hugetlb<'_>> {
        None
    }
}

/// A VMA's reference to its object. Two references are the same object when they point at the same
/// one, which is what VMA merging compares.
#[derive(Clone)]
pub struct VmFile(pub Arc<dyn VmObject>);

impl PartialEq for VmFile {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl core::fmt::Debug for VmFile {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        write!(f, "{}", self.0.identity().path)
    }
}
