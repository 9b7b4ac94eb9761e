//! Inodes and their contents.
//!
//! An [`Inode`] is a file's identity, metadata and contents: a regular file, a directory, a
//! symbolic link, a character device, a /proc node, or an anonymous shared-memory object (what
//! `MAP_SHARED | MAP_ANONYMOUS` creates, Linux's `/dev/zero (deleted)` shmem file).
//!
//! A regular file's data *is* its page cache, as in tmpfs: read and write copy through the cached
//! frames, and a file mapping maps the same frames, so a private mapping sees exactly what read()
//! sees. A file unpacked from the initramfs keeps its bytes in the ramdisk as the source of the
//! pages not yet cached (unpacked lazily, page by page); truncation cuts the source, so stale bytes
//! never come back. A read of a hole gives zeros without allocating; a write into one allocates a
//! page, and fails with ENOSPC (as tmpfs) when no frame is left.

use alloc::{string::String, sync::Arc, vec::Vec};
use core::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};

use abi::{stat::*, time::timespec};

use crate::mm::hugetlb::HugetlbFile;

use super::{
    dev::Device,
    dir::Directory,
    inotify,
    page_cache::{self, PageCache},
    procfs::ProcNode,
};
use crate::{
    mm::{
        frame::{Frame, PageFlags},
        heap,
        layout::PAGE_SIZE,
        vm_object::{ObjectIdentity, PageError, VmFile, VmObject},
    },
    sync::IrqMutex,
    syscall::errno::*,
};

/// Device numbers: the root file system is "00:01" (rootfs); anonymous shared memory "00:05"
/// (shmem, as Linux's tmpfs-backed shared anonymous mappings show); /proc "00:04".
pub const ROOTFS_DEV: (u32, u32) = (0, 1);
pub const PROC_DEV: (u32, u32) = (0, 4);
pub const SHMEM_DEV: (u32, u32) = (0, 5);
/// The device of pipes (Linux's pipefs is an anonymous super block too).
pub const PIPEFS_DEV: (u32, u32) = (0, 6);
/// The device of sockets (sockfs, another anonymous super block).
pub const SOCKFS_DEV: (u32, u32) = (0, 7);
/// /sys (sysfs), "00:16" as on a typical Linux system.
pub const SYSFS_DEV: (u32, u32) = (0, 22);

/// The largest file size (tmpfs's MAX_LFS_FILESIZE).
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// What kind of file an inode is, with what only that kind has.
pub enum InodeKind {
    Regular,
    Directory(IrqMutex<Directory>),
    /// The target, fixed at creation as Linux's symlinks are.
    Symlink(Vec<u8>),
    CharDevice(Device),
    /// A /proc file, directory or link, made by procfs at lookup.
    Proc(ProcNode),
    /// A pipe reached through /proc/PID/fd/N (pipefs's inode, made at the lookup): opening it
    /// opens another end of the pipe.
    Pipe(Arc<super::pipe::Pipe>),
    /// A FIFO (mkfifo, mknod S_IFIFO): its pipe while any end is open ([`super::pipe::fifo_open`]).
    Fifo(IrqMutex<alloc::sync::Weak<super::pipe::Pipe>>),
    /// A device node of no device this kernel has (mknod S_IFCHR or S_IFBLK with another
    /// number): stat shows it, open is ENXIO.
    Special {
        rdev: (u32, u32),
    },
    /// A Unix socket's name in the file system, made by bind (Linux's S_IFSOCK inode): connect
    /// and sendto find the socket through it while the socket is open.
    Socket(alloc::sync::Weak<crate::net::UnixSocket>),
}

/// What stat shows, under the inode's lock.
pub struct Metadata {
    /// File type (S_IFMT bits) and permissions.
    pub mode: u32,
    pub nlink: u32,
    pub size: u64,
    pub atime: timespec,
    pub mtime: timespec,
    pub ctime: timespec,
    /// Initramfs bytes behind the pages not yet in the page cache (empty for files made later).
    source: &'static [u8],
    /// Written since it was unpacked: the source alone no longer tells the contents.
    written: bool,
}

/// A file's identity, metadata and contents.
pub struct Inode {
    pub ino: u64,
    pub dev: (u32, u32),
    /// The path shown in /proc/PID/maps (the one the file was made with).
    pub path: String,
    pub kind: InodeKind,
    /// Anonymous shared memory: its pages count as Shmem where mapped.
    shmem: bool,
    meta: IrqMutex<Metadata>,
    cache: PageCache,
    /// Linux's i_writecount: open files that may write (positive), or mms running the file as
    /// their program (negative, see [`DenyWrite`]); never both.
    write_count: AtomicI64,
    /// The seals of a shmem file (`F_SEAL_*`, fcntl's F_ADD_SEALS): every file here is one
    /// (tmpfs), sealed against sealing (F_SEAL_SEAL) unless memfd_create allowed it.
    seals: AtomicU32,
    /// The flock locks on the file.
    pub locks: super::flock::FileLocks,
    /// A hugetlbfs file (a MFD_HUGETLB memfd): its size and pages are there, not in `meta` and
    /// `cache` (see [`crate::mm::hugetlb`]).
    hugetlb: Option<Arc<HugetlbFile>>,
}

/// The seals, as Linux's memfd.c knows them.
pub const F_SEAL_SEAL: u32 = 0x1;
pub const F_SEAL_SHRINK: u32 = 0x2;
pub const F_SEAL_GROW: u32 = 0x4;
pub const F_SEAL_WRITE: u32 = 0x8;
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
pub const F_SEAL_EXEC: u32 = 0x20;
const F_ALL_SEALS: u32 =
    F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC;

/// The time stamps of a file changed now (Linux's current_time; see [`super::now`]).
fn now() -> timespec {
    super::now()
}

/// A fresh inode number.
pub fn next_ino() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1 << 20);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Inode {
    /// A new inode of `kind` with permissions and type `mode`, empty unless `source` gives it the
    /// bytes of an initramfs file. None if memory ran out.
    pub fn try_new(
        dev: (u32, u32),
        path: String,
        kind: InodeKind,
        mode: u32,
        source: &'static [u8],
    ) -> Option<Arc<Self>> {
        let now = now();
        let nlink = if matches!(kind, InodeKind::Directory(_)) {
            2
        } else {
            1
        };
        let size = match &kind {
            InodeKind::Symlink(target) => target.len() as u64,
            _ => source.len() as u64,
        };
        Arc::try_new(Inode {
            ino: next_ino(),
            dev,
            path,
            kind,
            shmem: false,
            meta: IrqMutex::new(Metadata {
                mode,
                nlink,
                size,
                atime: now,
                mtime: now,
                ctime: now,
                source,
                written: false,
            }),
            cache: PageCache::new(),
            write_count: AtomicI64::new(0),
            seals: AtomicU32::new(F_SEAL_SEAL),
            locks: super::flock::FileLocks::new(),
            hugetlb: None,
        })
        .ok()
    }

    /// The hugetlbfs file this inode is, if it is one.
    pub fn hugetlb(&self) -> Option<&Arc<HugetlbFile>> {
        self.hugetlb.as_ref()
    }

    /// Registers a writer (Linux's get_write_access): ETXTBSY while a process runs the file.
    pub fn get_write_access(&self) -> Result<(), Errno> {
        self.write_count
            .try_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n >= 0).then_some(n + 1)
            })
            .map(|_| ())
            .map_err(|_| ETXTBSY)
    }

    /// Unregisters a writer.
    pub fn put_write_access(&self) {
        self.write_count.fetch_sub(1, Ordering::AcqRel);
    }

    /// File type bits.
    pub fn file_type(&self) -> u32 {
        self.meta.lock().mode & S_IFMT
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.kind, InodeKind::Directory(_))
            || matches!(&self.kind, InodeKind::Proc(node) if node.is_dir())
    }

    pub fn is_regular(&self) -> bool {
        matches!(self.kind, InodeKind::Regular)
    }

    /// The directory's entries, for a directory of the root file system.
    pub fn dir(&self) -> Option<&IrqMutex<Directory>> {
        match &self.kind {
            InodeKind::Directory(dir) => Some(dir),
            _ => None,
        }
    }

    /// Runs `f` on the metadata, under the inode's lock.
    pub fn with_meta<R>(&self, f: impl FnOnce(&mut Metadata) -> R) -> R {
        f(&mut self.meta.lock())
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        match &self.hugetlb {
            Some(file) => crate::mm::vm_object::VmObject::size(&**file),
            None => self.meta.lock().size,
        }
    }

    pub fn nlink(&self) -> u32 {
        self.meta.lock().nlink
    }

    /// Adds `delta` links (link, mkdir of a subdirectory) and updates ctime.
    pub fn add_links(&self, delta: i32) {
        let mut meta = self.meta.lock();
        meta.nlink = meta.nlink.saturating_add_signed(delta);
        meta.ctime = now();
    }

    /// The inode changed (ctime) and, with `modified`, its contents too (mtime): a directory whose
    /// entries changed, a chmod.
    pub fn touch(&self, modified: bool) {
        let mut meta = self.meta.lock();
        let now = now();
        meta.ctime = now;
        if modified {
            meta.mtime = now;
        }
    }

    /// stat's view of the inode.
    pub fn stat(&self) -> stat {
        // tmpfs counts BOGO_DIRENT_SIZE (20) per entry, "." and ".." included. The directory's
        // lock comes before the metadata's (see `sync`).
        let dir_size = self.dir().map(|dir| (dir.lock().len() as u64 + 2) * 20);
        let meta = self.meta.lock();
        let (major, minor) = self.dev;
        let size = dir_size.unwrap_or(meta.size);
        let rdev = match &self.kind {
            InodeKind::CharDevice(device) => encode_dev(device.number()),
            InodeKind::Special { rdev } => encode_dev(*rdev),
            _ => 0,
        };
        let mut st = stat {
            st_dev: encode_dev((major, minor)),
            st_ino: self.ino,
            st_nlink: meta.nlink as u64,
            st_mode: meta.mode,
            st_rdev: rdev,
            st_size: size as i64,
            st_blksize: PAGE_SIZE as i64,
            st_blocks: self.blocks(&meta) as i64,
            st_atime: meta.atime.tv_sec as u64,
            st_atime_nsec: meta.atime.tv_nsec as u64,
            st_mtime: meta.mtime.tv_sec as u64,
            st_mtime_nsec: meta.mtime.tv_nsec as u64,
            st_ctime: meta.ctime.tv_sec as u64,
            st_ctime_nsec: meta.ctime.tv_nsec as u64,
            ..stat::default()
        };
        // hugetlbfs: its own size, 2 MiB blocks, a huge page of blocks per page held.
        if let Some(file) = &self.hugetlb {
            st.st_size = crate::mm::vm_object::VmObject::size(&**file) as i64;
            st.st_blksize = crate::mm::hugetlb::HPAGE_SIZE as i64;
            st.st_blocks = (file.pages() as u64 * crate::mm::hugetlb::HPAGE_SIZE / 512) as i64;
        }
        st
    }

    /// Pages of data in memory (a System V segment's resident pages, shm_rss: a huge page
    /// counts its 512, as Linux's shm_get_stat).
    pub fn cached_pages(&self) -> usize {
        match &self.hugetlb {
            Some(file) => file.pages() * crate::mm::frame::HPAGE_PMD_NR,
            None => self.cache.pages(),
        }
    }

    /// 512-byte blocks in use: the pages that hold data (cached, or still in the initramfs).
    fn blocks(&self, meta: &Metadata) -> u64 {
        if !self.is_regular() {
            return 0;
        }
        let source_pages = (meta.source.len() as u64).div_ceil(PAGE_SIZE);
        let uncached_source = (0..source_pages)
            .filter(|&p| self.cache.get(p).is_none())
            .count();
        (self.cache.pages() + uncached_source) as u64 * (PAGE_SIZE / 512)
    }

    /// Reads file bytes at `pos` (vfs_read of a regular file): what the page cache holds, else
    /// what the initramfs holds, else zeros (a hole).
    pub fn read(&self, pos: u64, buf: &mut [u8]) -> usize {
        if let Some(file) = &self.hugetlb {
            return file.read(pos, buf);
        }
        let meta = self.meta.lock();
        if pos >= meta.size {
            return 0;
        }
        let n = (buf.len() as u64).min(meta.size - pos) as usize;
        let mut done = 0;
        while done < n {
            let at = pos + done as u64;
            let offset = (at % PAGE_SIZE) as usize;
            let len = (PAGE_SIZE as usize - offset).min(n - done);
            let out = &mut buf[done..done + len];
            match self.cache.get(at / PAGE_SIZE) {
                Some(frame) => frame.read(offset, out),
                None => copy_from_source(meta.source, at, out),
            }
            done += len;
        }
        n
    }

    /// Writes `buf` at `pos`, or at the end of the file when `pos` is None (O_APPEND), and returns
    /// the bytes written and the position after them. A write that runs out of memory stops
    /// short, or fails with ENOSPC if nothing was written; EFBIG past the largest file size.
    pub fn write(&self, pos: Option<u64>, buf: &[u8]) -> Result<(usize, u64), Errno> {
        // hugetlbfs has no write (vfs_write: EINVAL without f_op->write).
        if self.hugetlb.is_some() {
            return Err(EINVAL);
        }
        let mut meta = self.meta.lock();
        let pos = pos.unwrap_or(meta.size);
        if pos >= MAX_FILE_SIZE && !buf.is_empty() {
            return Err(EFBIG);
        }
        // Linux's shmem_write_begin: a write-sealed file takes no write, a grow-sealed one none
        // past its end.
        let seals = self.seals();
        if seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0
            || (seals & F_SEAL_GROW != 0 && pos.saturating_add(buf.len() as u64) > meta.size)
        {
            return Err(EPERM);
        }
        let n = (buf.len() as u64).min(MAX_FILE_SIZE - pos) as usize;
        let mut done = 0;
        while done < n {
            let at = pos + done as u64;
            let offset = (at % PAGE_SIZE) as usize;
            let len = (PAGE_SIZE as usize - offset).min(n - done);
            let Ok(frame) = self.page(&meta, at / PAGE_SIZE, true) else {
                break;
            };
            frame.write(offset, &buf[done..done + len]);
            done += len;
        }
        if done == 0 && n > 0 {
            return Err(ENOSPC);
        }
        let end = pos + done as u64;
        meta.size = meta.size.max(end);
        meta.written = true;
        if done > 0 {
            let now = now();
            meta.mtime = now;
            meta.ctime = now;
        }
        Ok((done, end))
    }

    /// The page-cache page at `pgoff`, read in from the initramfs (or zero-filled) on first use.
    /// The cache's chunk tables are charged to the user program (see `heap::charged`). A page
    /// new data is `written` into counts against the file system's size (see
    /// [`page_cache::may_grow`]).
    fn page(&self, meta: &Metadata, pgoff: u64, written: bool) -> Result<Frame, PageError> {
        let source = meta.source;
        let flags = if self.shmem {
            PageFlags::PAGE_CACHE | PageFlags::SHMEM
        } else {
            PageFlags::PAGE_CACHE
        };
        heap::charged(|| {
            self.cache.get_or_fill(pgoff, || {
                if written && !self.shmem && !page_cache::may_grow() {
                    return Err(PageError::NoMemory);
                }
                let frame = Frame::alloc_user_zeroed().ok_or(PageError::NoMemory)?;
                frame.page().set_flags(flags);
                let start = pgoff.saturating_mul(PAGE_SIZE);
                if start < source.len() as u64 {
                    let start = start as usize;
                    let end = source.len().min(start + PAGE_SIZE as usize);
                    frame.write(0, &source[start..end]);
                }
                Ok(frame)
            })
        })
    }

    /// The whole contents in place, for a file unpacked from the initramfs and never written
    /// (what exec reads the ELF headers from without a copy).
    pub fn pristine_contents(&self) -> Option<&'static [u8]> {
        let meta = self.meta.lock();
        (!meta.written && meta.source.len() as u64 == meta.size).then_some(meta.source)
    }

    /// Sets the file size (Linux's do_truncate, tmpfs's shmem_setattr): a longer file reads as
    /// zeros past the old end; a shorter one loses the page-cache pages past the new end, the
    /// tail of its last page is zeroed and the initramfs source is cut, so that nothing of the
    /// old contents reappears if the file grows again. mtime and ctime change if the size did.
    pub fn truncate(&self, size: u64) -> Result<(), Errno> {
        if size > MAX_FILE_SIZE {
            return Err(EFBIG);
        }
        if let Some(file) = &self.hugetlb {
            file.truncate(size, self.seals())?;
            self.touch(true);
            return Ok(());
        }
        let mut meta = self.meta.lock();
        if size == meta.size {
            drop(meta);
            inotify::fsnotify_file(self, inotify::IN_MODIFY);
            return Ok(());
        }
        let shrunk = size < meta.size;
        // Linux's shmem_setattr: the shrink and grow seals.
        let seal = if shrunk { F_SEAL_SHRINK } else { F_SEAL_GROW };
        if self.seals() & seal != 0 {
            return Err(EPERM);
        }
        if shrunk {
            let keep = meta.source.len().min(size as usize);
            meta.source = &meta.source[..keep];
            let offset = (size % PAGE_SIZE) as usize;
            if offset != 0
                && let Some(frame) = self.cache.get(size / PAGE_SIZE)
            {
                frame.zero(offset, PAGE_SIZE as usize - offset);
            }
            self.cache.truncate_from(size.div_ceil(PAGE_SIZE));
        }
        meta.size = size;
        let now = now();
        meta.mtime = now;
        meta.ctime = now;
        drop(meta);
        // No mapping may reach the pages beyond the new end (the mm locks come before the
        // inode's, so after it is released).
        if shrunk {
            crate::mm::truncate::unmap_mapping_range(
                self as *const Inode as *const (),
                size.div_ceil(PAGE_SIZE),
            );
        }
        // Linux's fsnotify_change for ATTR_SIZE (with or without a change of size).
        inotify::fsnotify_file(self, inotify::IN_MODIFY);
        Ok(())
    }

    /// fallocate's default mode on tmpfs (Linux's shmem_fallocate): gives every page of
    /// [offset, offset + len) memory (reading as zeros, or as the data already there), and, unless
    /// `keep_size`, makes the file at least that long. EPERM for a grow-sealed file if the range
    /// goes past its end; ENOSPC if memory runs out (or the range needs more pages than are free), with the
    /// pages this call added given back. The caller checked the range against MAX_FILE_SIZE.
    pub fn fallocate(&self, keep_size: bool, offset: u64, len: u64) -> Result<(), Errno> {
        if let Some(file) = &self.hugetlb {
            return file.fallocate(keep_size, offset, len, self.seals());
        }
        let end = offset + len;
        let mut meta = self.meta.lock();
        // Even with `keep_size`, as Linux: memory past the end is growth to the seal.
        if end > meta.size && self.seals() & F_SEAL_GROW != 0 {
            return Err(EPERM);
        }
        let grows = !keep_size && end > meta.size;
        let (first, last) = (offset / PAGE_SIZE, end.div_ceil(PAGE_SIZE));
        if last - first > crate::mm::frame::stats().free as u64 {
            return Err(ENOSPC);
        }
        // The runs of pages this call adds, to give back if it fails (Linux's shmem_undo_range
        // of the pages it marked falloc); best effort if the list cannot grow.
        let mut added: Vec<(u64, u64)> = Vec::new();
        for pgoff in first..last {
            if self.cache.contains(pgoff) {
                continue;
            }
            if self.page(&meta, pgoff, true).is_err() {
                for &(from, to) in &added {
                    self.cache.remove_range(from, to);
                }
                return Err(ENOSPC);
            }
            if let Some((_, to)) = added.last_mut()
                && *to == pgoff
            {
                *to += 1;
            } else if added.try_reserve(1).is_ok() {
                added.push((pgoff, pgoff + 1));
            }
        }
        if grows {
            meta.size = end;
        }
        meta.ctime = now();
        Ok(())
    }

    /// fallocate's FALLOC_FL_PUNCH_HOLE on tmpfs (Linux's shmem_fallocate and
    /// shmem_truncate_range): [offset, offset + len) reads as zeros afterwards; whole pages in it
    /// give their memory back and leave every shared mapping (a private copy made of one stays,
    /// as Linux's even_cows = 0), the bytes of the pages at its edges are zeroed in place. The size
    /// does not change. EPERM for a write-sealed file.
    pub fn punch_hole(&self, offset: u64, len: u64) -> Result<(), Errno> {
        if let Some(file) = &self.hugetlb {
            return file.punch_hole(offset, len, self.seals());
        }
        if self.seals() & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
            return Err(EPERM);
        }
        let end = offset + len;
        let (first, last) = (offset.div_ceil(PAGE_SIZE), end / PAGE_SIZE);
        // The mm locks come before the inode's: unmap first, as Linux does.
        if first < last {
            crate::mm::truncate::unmap_mapping_pages(
                self as *const Inode as *const (),
                first,
                last,
                false,
            );
        }
        let mut meta = self.meta.lock();
        // A page the initramfs still holds cannot just leave the cache (its old data would show
        // again): it is brought in and zeroed like the edges.
        let source_pages = (meta.source.len() as u64).div_ceil(PAGE_SIZE);
        let zero = |from: u64, to: u64| {
            let pgoff = from / PAGE_SIZE;
            let cached = self.cache.get(pgoff);
            let frame = match cached {
                Some(frame) => Some(frame),
                None if pgoff < source_pages => self.page(&meta, pgoff, true).ok(),
                None => None,
            };
            if let Some(frame) = frame {
                let at = (from % PAGE_SIZE) as usize;
                frame.zero(at, (to - from) as usize);
            }
        };
        if first > last {
            zero(offset, end); // within one page
        } else {
            if offset < first * PAGE_SIZE {
                zero(offset, first * PAGE_SIZE);
            }
            if last * PAGE_SIZE < end {
                zero(last * PAGE_SIZE, end);
            }
            for pgoff in first..last.min(source_pages) {
                zero(pgoff * PAGE_SIZE, (pgoff + 1) * PAGE_SIZE);
            }
            self.cache.remove_range(first.max(source_pages), last);
        }
        meta.written = true;
        let now = now();
        meta.mtime = now;
        meta.ctime = now;
        Ok(())
    }

    /// Whether the file was unlinked from its directory (shared anonymous memory and memfds
    /// never were in one: their names already say "(deleted)").
    pub fn is_deleted(&self) -> bool {
        !self.shmem && self.nlink() == 0
    }

    /// The file's seals (fcntl's F_GET_SEALS).
    pub fn seals(&self) -> u32 {
        self.seals.load(Ordering::Acquire)
    }

    /// Adds seals (fcntl's F_ADD_SEALS, Linux's memfd_add_seals): EINVAL for an unknown one,
    /// EPERM once F_SEAL_SEAL is set. The caller has checked what F_SEAL_WRITE needs (no shared
    /// writable mapping: EBUSY).
    pub fn add_seals(&self, seals: u32) -> Result<(), Errno> {
        if seals & !F_ALL_SEALS != 0 {
            return Err(EINVAL);
        }
        let _meta = self.meta.lock();
        if self.seals() & F_SEAL_SEAL != 0 {
            return Err(EPERM);
        }
        self.seals.fetch_or(seals, Ordering::AcqRel);
        Ok(())
    }

    /// Sets the permission bits (chmod), keeping the file type.
    pub fn chmod(&self, mode: u32) {
        let mut meta = self.meta.lock();
        meta.mode = (meta.mode & S_IFMT) | (mode & 0o7777);
        meta.ctime = now();
        drop(meta);
        inotify::fsnotify_file(self, inotify::IN_ATTRIB);
    }

    /// Sets access and modification times (utimensat); None leaves one alone. ctime becomes now.
    pub fn set_times(&self, atime: Option<timespec>, mtime: Option<timespec>) {
        let mut meta = self.meta.lock();
        if let Some(t) = atime {
            meta.atime = t;
        }
        if let Some(t) = mtime {
            meta.mtime = t;
        }
        meta.ctime = now();
        drop(meta);
        // Linux's fsnotify_change: both times are an attribute change, one alone an access or
        // a modification.
        let mask = match (atime, mtime) {
            (Some(_), Some(_)) => inotify::IN_ATTRIB,
            (Some(_), None) => inotify::IN_ACCESS,
            _ => inotify::IN_MODIFY,
        };
        inotify::fsnotify_file(self, mask);
    }
}

/// Copies initramfs bytes at `pos` into `out`; zeros past the source's end.
fn copy_from_source(source: &[u8], pos: u64, out: &mut [u8]) {
    let start = pos.min(source.len() as u64) as usize;
    let n = out.len().min(source.len() - start);
    out[..n].copy_from_slice(&source[start..start + n]);
    out[n..].fill(0);
}

/// A device number as stat's st_dev and st_rdev hold it (glibc's makedev, Linux's
/// huge_encode_dev).
pub fn encode_dev((major, minor): (u32, u32)) -> u64 {
    let (major, minor) = (major as u64, minor as u64);
    ((major & 0xffff_f000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & !0xff) << 12)
        | (minor & 0xff)
}

impl VmObject for Inode {
    /// The page-cache frame for file page `pgoff`, read in on first use. Bytes past the end of the
    /// file read as zero within its last page, as Linux's do; a page wholly beyond it is
    /// [`PageError::Beyond`] (SIGBUS).
    fn get_page(&self, pgoff: u64) -> Result<Frame, PageError> {
        if let Some(file) = &self.hugetlb {
            return file.get_page(pgoff);
        }
        let meta = self.meta.lock();
        if pgoff >= meta.size.div_ceil(PAGE_SIZE) {
            return Err(PageError::Beyond);
        }
        self.page(&meta, pgoff, false)
    }

    fn size(&self) -> u64 {
        Inode::size(self)
    }

    fn is_resident(&self, pgoff: u64) -> bool {
        match &self.hugetlb {
            Some(file) => file.is_resident(pgoff),
            None => self.cache.contains(pgoff),
        }
    }

    /// A hugetlbfs inode's shared mappings map its huge pages.
    fn hugetlb(&self) -> Option<crate::mm::hugetlb::Hugetlb<'_>> {
        self.hugetlb.as_deref().and_then(VmObject::hugetlb)
    }

    fn identity(&self) -> ObjectIdentity<'_> {
        ObjectIdentity {
            dev: self.dev,
            ino: self.ino,
            path: &self.path,
            deleted: self.is_deleted(),
        }
    }
}

/// An inode as the object behind a mapping.
pub fn vm_file(inode: Arc<Inode>) -> VmFile {
    VmFile(inode)
}

/// A new shared anonymous memory object of `size` bytes (what MAP_SHARED | MAP_ANONYMOUS maps:
/// Linux's shmem file "/dev/zero (deleted)"), so that it stays shared across fork. None if memory
/// ran out.
pub fn shmem_object(size: u64) -> Option<VmFile> {
    shmem_inode(String::from("/dev/zero (deleted)"), size, 0o666).map(vm_file)
}

/// A memfd's path, as Linux names it: "/memfd:NAME (deleted)". None if memory ran out.
fn memfd_path(name: &str) -> Option<String> {
    let mut path = String::new();
    path.try_reserve(name.len() + 20).ok()?;
    path.push_str("/memfd:");
    path.push_str(name);
    path.push_str(" (deleted)");
    Some(path)
}

/// A memfd (Linux's memfd_create): an unlinked shmem file named "/memfd:NAME (deleted)", empty,
/// with mode `perm` and the given seals. None if memory ran out.
pub fn memfd_inode(name: &str, perm: u32, seals: u32) -> Option<Arc<Inode>> {
    let path = memfd_path(name)?;
    let inode = shmem_inode(path, 0, perm)?;
    inode.seals.store(seals, Ordering::Relaxed);
    Some(inode)
}

/// A MFD_HUGETLB memfd: an empty hugetlbfs file named "/memfd:NAME (deleted)" (Linux's
/// hugetlb_file_setup from memfd_create), with mode `perm` and the given seals. None if memory
/// ran out.
pub fn hugetlb_memfd_inode(name: &str, perm: u32, seals: u32) -> Option<Arc<Inode>> {
    let path = memfd_path(name)?;
    let ino = next_ino();
    let file = HugetlbFile::with_ino(&path, ino, 0, false)?;
    let dev = crate::mm::hugetlb::HUGETLBFS_DEV;
    let inode = unlisted_with(
        ino,
        dev,
        path,
        InodeKind::Regular,
        S_IFREG | perm,
        1,
        Some(file),
    )?;
    inode.seals.store(seals, Ordering::Relaxed);
    Some(inode)
}

/// A System V shared memory segment's file (Linux's shmem_kernel_file_setup in newseg): `name`
/// is "/SYSV<key> (deleted)", the inode number the segment's id, as Linux sets them. None if
/// memory ran out.
pub fn sysv_shm_inode(name: String, id: u64, size: u64, perm: u32) -> Option<Arc<Inode>> {
    let inode = unlisted(id, SHMEM_DEV, name, InodeKind::Regular, S_IFREG | perm, 0)?;
    inode.meta.lock().size = size;
    Some(inode)
}

/// A System V segment of huge pages (newseg with SHM_HUGETLB: Linux's hugetlb_file_setup with
/// HUGETLB_SHMFS_INODE): `size` is whole huge pages, reserved unless `noreserve` (ENOMEM when
/// the pool cannot cover them, None when memory for the inode ran out).
pub fn sysv_shm_hugetlb_inode(
    name: String,
    id: u64,
    size: u64,
    perm: u32,
    noreserve: bool,
) -> Result<Option<Arc<Inode>>, Errno> {
    let Some(file) = HugetlbFile::with_ino(&name, id, size, true) else {
        return Ok(None);
    };
    if !noreserve {
        file.reserve_shared(0, size / crate::mm::hugetlb::HPAGE_SIZE)?;
    }
    let dev = crate::mm::hugetlb::HUGETLBFS_DEV;
    Ok(unlisted_with(
        id,
        dev,
        name,
        InodeKind::Regular,
        S_IFREG | perm,
        0,
        Some(file),
    ))
}

/// The inode of a pipe, as a walk through /proc/PID/fd/N finds it (pipefs's): a FIFO with the
/// pipe's inode number, whose opening is another end of the pipe. None if memory ran out.
pub fn pipe_inode(pipe: &Arc<super::pipe::Pipe>) -> Option<Arc<Inode>> {
    let kind = InodeKind::Pipe(pipe.clone());
    unlisted(
        pipe.ino,
        PIPEFS_DEV,
        String::new(),
        kind,
        super::pipe::PIPE_MODE,
        1,
    )
}

/// A shmem file of `size` bytes that no directory holds.
fn shmem_inode(path: String, size: u64, perm: u32) -> Option<Arc<Inode>> {
    let inode = unlisted(
        next_ino(),
        SHMEM_DEV,
        path,
        InodeKind::Regular,
        S_IFREG | perm,
        0,
    )?;
    inode.meta.lock().size = size;
    Some(inode)
}

/// An inode of no directory (shared memory, a memfd, a pipe reached through /proc): empty, its
/// time stamps now. Shared memory's pages count as Shmem where mapped.
fn unlisted(
    ino: u64,
    dev: (u32, u32),
    path: String,
    kind: InodeKind,
    mode: u32,
    nlink: u32,
) -> Option<Arc<Inode>> {
    unlisted_with(ino, dev, path, kind, mode, nlink, None)
}

/// [`unlisted`], a hugetlbfs file if `hugetlb` says so.
fn unlisted_with(
    ino: u64,
    dev: (u32, u32),
    path: String,
    kind: InodeKind,
    mode: u32,
    nlink: u32,
    hugetlb: Option<Arc<HugetlbFile>>,
) -> Option<Arc<Inode>> {
    let now = now();
    Arc::try_new(Inode {
        ino,
        dev,
        path,
        shmem: matches!(kind, InodeKind::Regular),
        kind,
        meta: IrqMutex::new(Metadata {
            mode,
            nlink,
            size: 0,
            atime: now,
            mtime: now,
            ctime: now,
            source: &[],
            written: false,
        }),
        cache: PageCache::new(),
        write_count: AtomicI64::new(0),
        seals: AtomicU32::new(F_SEAL_SEAL),
        locks: super::flock::FileLocks::new(),
        hugetlb,
    })
    .ok()
}

/// A running program's hold on its file (Linux's deny_write_access, kept by the mm as its
/// exe_file): while it lasts, opening the file for writing or truncating it is ETXTBSY, so that a
/// write can never change the text under a running process (its private mappings share the
/// page-cache pages until they are written). A fork's mm takes another hold.
pub struct DenyWrite(Arc<Inode>);

impl DenyWrite {
    /// ETXTBSY if the file is open for writing.
    pub fn new(inode: Arc<Inode>) -> Result<Self, Errno> {
        inode
            .write_count
            .try_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n <= 0).then_some(n - 1)
            })
            .map_err(|_| ETXTBSY)?;
        Ok(DenyWrite(inode))
    }

    /// The file held.
    pub fn inode(&self) -> &Arc<Inode> {
        &self.0
    }
}

impl Clone for DenyWrite {
    fn clone(&self) -> Self {
        self.0.write_count.fetch_sub(1, Ordering::AcqRel);
        DenyWrite(self.0.clone())
    }
}

impl Drop for DenyWrite {
    fn drop(&mut self) {
        self.0.write_count.fetch_add(1, Ordering::AcqRel);
    }
}
