//! System V shared memory (Linux's ipc/shm.c): shmget, shmat, shmdt and shmctl.
//!
//! A segment is a shmem file no directory holds, named "/SYSV<key> (deleted)" with the segment's
//! id as its inode number, as Linux names it, so /proc/PID/maps shows an attached segment as
//! Linux does. shmat maps it shared at an address of the caller's choice or the kernel's; the
//! mapping is an ordinary shared file mapping, so fork, mprotect, munmap and execve need nothing
//! special, and the segment's attach count (shm_nattch) is the number of areas that map it
//! anywhere, as Linux counts (a split area counts twice).
//!
//! The table holds a live segment's file. IPC_RMID hides the key (it becomes IPC_PRIVATE, mode
//! SHM_DEST) and lets go of the file: the areas still mapping it keep it, and it is freed with the
//! last of them, as Linux frees a removed segment at its last detach. The table keeps a weak
//! reference to it meanwhile, for shmctl and shmat by id.
//!
//! The table, ids, keys and permissions are [`super::util`]'s.
//!
//! Lock order: the table is a leaf. Counting attaches takes each mm lock, never under the table's.

use alloc::{
    string::String,
    sync::{Arc, Weak},
    vec::Vec,
};
use core::fmt::Write;

use abi::ipc::{
    IPC_PRIVATE, SHM_DEST, SHM_LOCKED, SHMMNI, ipc64_perm, shm_info, shmid64_ds, shminfo64,
};

use crate::{
    fs::inode::{self, Inode},
    ipc::util::{self, IpcIds, IpcObject, S_IRUGO, S_IWUGO, now_secs},
    mm::{layout::PAGE_SIZE, mm_struct::vm_enough_memory},
    process::Process,
    sync::IrqMutex,
    syscall::errno::*,
};

/// The memory of a segment: held by the table until IPC_RMID, then only by its mappings.
enum Hold {
    Live(Arc<Inode>),
    Removed(Weak<Inode>),
}

/// One segment (Linux's struct shmid_kernel).
struct Segment {
    id: i32,
    perm: ipc64_perm,
    size: u64,
    atime: i64,
    dtime: i64,
    ctime: i64,
    cpid: i32,
    lpid: i32,
    hold: Hold,
}

impl IpcObject for Segment {
    fn id(&self) -> i32 {
        self.id
    }
    fn perm(&self) -> &ipc64_perm {
        &self.perm
    }
}

impl Segment {
    /// Its file, unless it was removed and its last mapping is gone.
    fn file(&self) -> Option<Arc<Inode>> {
        match &self.hold {
            Hold::Live(file) => Some(file.clone()),
            Hold::Removed(file) => file.upgrade(),
        }
    }
}

/// Every segment (Linux's ipc_ids for shm).
static SHM_IDS: IrqMutex<IpcIds<Segment>> = IrqMutex::new(IpcIds::new());

/// Forgets removed segments whose last mapping has gone.
fn prune(ids: &mut IpcIds<Segment>) {
    ids.retain(|s| s.file().is_some());
}

/// The segment of `id`, once removed segments nothing maps are forgotten: EINVAL for none.
fn get(ids: &mut IpcIds<Segment>, id: i32) -> Result<&mut Segment, Errno> {
    prune(ids);
    ids.obtain(id)
}

/// shmget(key, size, flags) (Linux's ksys_shmget, newseg and shm_more_checks): the id of the
/// segment of `key`, made if IPC_PRIVATE or IPC_CREAT asks and none exists. With SHM_HUGETLB
/// its file is one of huge pages (see `mm::hugetlb`): EINVAL for another page size, ENOMEM
/// when the pool cannot reserve them (unless SHM_NORESERVE).
pub fn shmget(process: &Process, key: i32, size: u64, flags: u64) -> Result<i32, Errno> {
    let mut ids = SHM_IDS.lock();
    prune(&mut ids);
    util::ipcget(
        &mut ids,
        process,
        key,
        flags,
        |segment| {
            if segment.size < size {
                return Err(EINVAL);
            }
            Ok(())
        },
        |ids| newseg(ids, process, key, size, flags),
    )
}

/// A new segment (Linux's newseg), with its checks in Linux's order.
fn newseg(
    ids: &mut IpcIds<Segment>,
    process: &Process,
    key: i32,
    size: u64,
    flags: u64,
) -> Result<i32, Errno> {
    use abi::ipc::{SHM_HUGETLB, SHM_NORESERVE, SHMMAX, SHMMIN};
    if !(SHMMIN..=SHMMAX).contains(&size) {
        return Err(EINVAL);
    }
    let pages = size.div_ceil(PAGE_SIZE);
    let total = ids.iter().fold(0u64, |sum, s| {
        sum.saturating_add(s.size.div_ceil(PAGE_SIZE))
    });
    if total.saturating_add(pages) > abi::ipc::SHMALL {
        return Err(ENOSPC);
    }
    // The file's size is a signed offset (Linux's MAX_LFS_FILESIZE).
    if size > i64::MAX as u64 {
        return Err(EINVAL);
    }
    let hugetlb = flags & SHM_HUGETLB != 0;
    if !hugetlb && flags & SHM_NORESERVE == 0 && !vm_enough_memory(pages) {
        return Err(ENOMEM);
    }
    // newseg with SHM_HUGETLB: a page size this kernel has.
    if hugetlb && !crate::mm::hugetlb::size_log_ok((flags >> 26) & 0x3f) {
        return Err(EINVAL);
    }
    ids.add(SHMMNI as usize, |id, seq| {
        let file = segment_file(key, id, size, flags)?;
        Ok(Segment {
            id,
            perm: util::new_perm(process, key, flags, seq),
            size,
            atime: 0,
            dtime: 0,
            ctime: now_secs(),
            cpid: process.pid as i32,
            lpid: 0,
            hold: Hold::Live(file),
        })
    })
}

/// The file of a new segment: "/SYSV<key in hex> (deleted)", inode number the id; with
/// SHM_HUGETLB a hugetlbfs file of the size rounded up to whole huge pages, reserved unless
/// SHM_NORESERVE (ENOMEM when the pool cannot cover it).
fn segment_file(key: i32, id: i32, size: u64, flags: u64) -> Result<Arc<Inode>, Errno> {
    use abi::ipc::{SHM_HUGETLB, SHM_NORESERVE};
    let mut name = String::new();
    name.try_reserve(32).map_err(|_| ENOMEM)?;
    let _ = write!(name, "/SYSV{:08x} (deleted)", key as u32);
    let perm = flags as u32 & 0o777;
    if flags & SHM_HUGETLB != 0 {
        let size = crate::mm::hugetlb::align_up(size).ok_or(ENOMEM)?;
        let noreserve = flags & SHM_NORESERVE != 0;
        return inode::sysv_shm_hugetlb_inode(name, id as u32 as u64, size, perm, noreserve)?
            .ok_or(ENOMEM);
    }
    inode::sysv_shm_inode(name, id as u32 as u64, size, perm).ok_or(ENOMEM)
}

/// What shmat needs of segment `id`: its file and size, if the caller may read it (and write it
/// unless `read_only`). EINVAL for no such segment, EACCES without the permission.
pub fn attach_file(
    process: &Process,
    id: i32,
    read_only: bool,
) -> Result<(Arc<Inode>, u64), Errno> {
    let mut ids = SHM_IDS.lock();
    let segment = get(&mut ids, id)?;
    let want = if read_only {
        S_IRUGO
    } else {
        S_IRUGO | S_IWUGO
    };
    util::ipcperms(process, &segment.perm, want)?;
    Ok((segment.file().ok_or(EINVAL)?, segment.size))
}

/// Records an attach (shmat) or a detach (shmdt) of the segment whose file is `file`.
pub fn record_use(process: &Process, file: *const (), attach: bool) {
    let mut ids = SHM_IDS.lock();
    let now = now_secs();
    if let Some(segment) = ids.iter_mut().find(|s| {
        s.file()
            .is_some_and(|f| Arc::as_ptr(&f) as *const () == file)
    }) {
        if attach {
            segment.atime = now;
        } else {
            segment.dtime = now;
        }
        segment.lpid = process.pid as i32;
    }
}

/// Every segment's file (by address, as a mapping's object is named) and the file's size (the
/// segment's, or for huge pages that rounded up to whole ones): shmdt looks for the areas that
/// map one of them within that size (Linux's i_size_read in ksys_shmdt). ENOMEM if the list
/// cannot be made.
pub fn segment_files() -> Result<Vec<(*const (), u64)>, Errno> {
    let mut ids = SHM_IDS.lock();
    prune(&mut ids);
    let mut files = Vec::new();
    files.try_reserve(ids.in_use()).map_err(|_| ENOMEM)?;
    files.extend(ids.iter().filter_map(|s| {
        let file = s.file()?;
        Some((Arc::as_ptr(&file) as *const (), file.size()))
    }));
    Ok(files)
}

/// shmctl(IPC_STAT, SHM_STAT, SHM_STAT_ANY): segment `id` (for the SHM_STAT forms a slot index)
/// as shmid64_ds, with the id as the SHM_STAT forms return it. `check` asks for read permission.
pub fn stat(
    process: &Process,
    id: i32,
    by_index: bool,
    check: bool,
) -> Result<(shmid64_ds, i32), Errno> {
    let (ds, file, id) = {
        let mut ids = SHM_IDS.lock();
        prune(&mut ids);
        let segment = if by_index {
            ids.obtain_by_index(id)?
        } else {
            ids.obtain(id)?
        };
        if check {
            util::ipcperms(process, &segment.perm, S_IRUGO)?;
        }
        let ds = shmid64_ds {
            shm_perm: segment.perm,
            shm_segsz: segment.size,
            shm_atime: segment.atime,
            shm_dtime: segment.dtime,
            shm_ctime: segment.ctime,
            shm_cpid: segment.cpid,
            shm_lpid: segment.lpid,
            ..Default::default()
        };
        (ds, segment.file(), segment.id)
    };
    let nattch = file.map_or(0, |f| {
        crate::mm::truncate::mapping_count(Arc::as_ptr(&f) as _)
    });
    Ok((
        shmid64_ds {
            shm_nattch: nattch,
            ..ds
        },
        if by_index { id } else { 0 },
    ))
}

/// shmctl(IPC_SET): the owner's uid and gid and the permission bits, by the owner, the creator
/// or root (EPERM otherwise).
pub fn set(process: &Process, id: i32, new: &ipc64_perm) -> Result<(), Errno> {
    let mut ids = SHM_IDS.lock();
    let segment = get(&mut ids, id)?;
    util::may_change(process, &segment.perm)?;
    util::update_perm(&mut segment.perm, new)?;
    segment.ctime = now_secs();
    Ok(())
}

/// shmctl(IPC_RMID): hides the segment's key and lets its mappings have the last word.
pub fn remove(process: &Process, id: i32) -> Result<(), Errno> {
    let mut ids = SHM_IDS.lock();
    let segment = get(&mut ids, id)?;
    util::may_change(process, &segment.perm)?;
    segment.perm.key = IPC_PRIVATE;
    segment.perm.mode |= SHM_DEST;
    if let Hold::Live(file) = &segment.hold {
        segment.hold = Hold::Removed(Arc::downgrade(file));
    }
    // Freed now if nothing maps it.
    prune(&mut ids);
    Ok(())
}

/// shmctl(SHM_LOCK, SHM_UNLOCK): marks the segment locked (its pages are never swapped here
/// anyway). Root only here, as Linux without RLIMIT_MEMLOCK room for it.
pub fn lock(process: &Process, id: i32, locked: bool) -> Result<(), Errno> {
    let mut ids = SHM_IDS.lock();
    let segment = get(&mut ids, id)?;
    util::may_change(process, &segment.perm)?;
    if locked {
        segment.perm.mode |= SHM_LOCKED;
    } else {
        segment.perm.mode &= !SHM_LOCKED;
    }
    Ok(())
}

/// shmctl(IPC_INFO): the limits, and the highest slot in use (Linux's ipc_get_maxidx).
pub fn info() -> (shminfo64, i32) {
    use abi::ipc::{SHMALL, SHMMAX, SHMMIN};
    let info = shminfo64 {
        shmmax: SHMMAX,
        shmmin: SHMMIN,
        shmmni: SHMMNI,
        shmseg: SHMMNI,
        shmall: SHMALL,
        ..Default::default()
    };
    (info, max_index())
}

/// The highest slot in use, or 0 if none (Linux returns 0 for an empty table too).
fn max_index() -> i32 {
    let mut ids = SHM_IDS.lock();
    prune(&mut ids);
    ids.max_index()
}

/// shmctl(SHM_INFO): the segments in use, their pages, and those resident.
pub fn usage() -> (shm_info, i32) {
    let files: Vec<(u64, Option<Arc<Inode>>)> = {
        let mut ids = SHM_IDS.lock();
        prune(&mut ids);
        let mut files = Vec::new();
        if files.try_reserve(ids.in_use()).is_ok() {
            files.extend(ids.iter().map(|s| (s.size, s.file())));
        }
        files
    };
    let info = shm_info {
        used_ids: files.len() as i32,
        shm_tot: files.iter().fold(0u64, |sum, (size, _)| {
            sum.saturating_add(size.div_ceil(PAGE_SIZE))
        }),
        shm_rss: files
            .iter()
            .filter_map(|(_, f)| f.as_ref())
            .map(|f| f.cached_pages() as u64)
            .sum(),
        ..Default::default()
    };
    (info, max_index())
}

/// /proc/sysvipc/shm: a line per segment, in Linux's format (sysvipc_shm_proc_show), with the
/// attach count and resident bytes counted once the table is released.
pub fn proc_show() -> Result<String, Errno> {
    let segments: Vec<(Segment, Option<Arc<Inode>>)> = {
        let mut ids = SHM_IDS.lock();
        prune(&mut ids);
        let mut segments = Vec::new();
        segments.try_reserve(ids.in_use()).map_err(|_| ENOMEM)?;
        segments.extend(ids.iter().map(|s| {
            let copy = Segment {
                hold: Hold::Removed(Weak::new()),
                ..*s
            };
            (copy, s.file())
        }));
        segments
    };
    let mut out = String::new();
    util::reserve_line(&mut out, 200)?;
    out.push_str(
        "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n",
    );
    for (s, file) in &segments {
        let (nattch, rss) = file.as_ref().map_or((0, 0), |f| {
            let nattch = crate::mm::truncate::mapping_count(Arc::as_ptr(f) as _);
            (nattch, f.cached_pages() as u64 * PAGE_SIZE)
        });
        let p = &s.perm;
        util::reserve_line(&mut out, 256)?;
        let _ = writeln!(
            out,
            "{:10} {:10}  {:4o} {:21} {:5} {:5}  {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10} {:21} {:21}",
            p.key,
            s.id,
            p.mode,
            s.size,
            s.cpid,
            s.lpid,
            nattch,
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            s.atime,
            s.dtime,
            s.ctime,
            rss,
            0
        );
    }
    Ok(out)
}
