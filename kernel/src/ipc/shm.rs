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
//! Ids are Linux's: the slot index plus a sequence number (bumped by every segment made) shifted
//! by 15 bits, so a stale id does not reach the slot's next segment.
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
    mm::{layout::PAGE_SIZE, mm_struct::vm_enough_memory},
    process::Process,
    sync::IrqMutex,
    syscall::errno::*,
    time,
};

/// Linux's IPCMNI_SHIFT: an id is `seq << 15 | index`.
const SEQ_SHIFT: u32 = 15;
/// The largest sequence number (Linux's IPCID_SEQ_MAX for the default IPCMNI).
const SEQ_MAX: u32 = (i32::MAX >> SEQ_SHIFT) as u32;

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

impl Segment {
    /// Its file, unless it was removed and its last mapping is gone.
    fn file(&self) -> Option<Arc<Inode>> {
        match &self.hold {
            Hold::Live(file) => Some(file.clone()),
            Hold::Removed(file) => file.upgrade(),
        }
    }
}

/// Every segment, by slot (Linux's ipc_ids for shm).
struct ShmIds {
    slots: Vec<Option<Segment>>,
    /// The sequence number of the next segment.
    seq: u32,
}

static SHM_IDS: IrqMutex<ShmIds> = IrqMutex::new(ShmIds {
    slots: Vec::new(),
    seq: 0,
});

impl ShmIds {
    /// Forgets removed segments whose last mapping has gone, and the free slots at the end of
    /// the table (all of it once no segment is left, so that the table's memory comes back).
    fn prune(&mut self) {
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(|s| s.file().is_none()) {
                *slot = None;
            }
        }
        while self.slots.last().is_some_and(Option::is_none) {
            self.slots.pop();
        }
        if self.slots.is_empty() {
            self.slots = Vec::new();
        }
    }

    fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.slots.iter().flatten()
    }

    /// The segment of `id`: EINVAL for none (or a stale id: its slot holds a later segment).
    fn get(&mut self, id: i32) -> Result<&mut Segment, Errno> {
        self.prune();
        let index = usize::try_from(id).map_err(|_| EINVAL)? & ((1 << SEQ_SHIFT) - 1);
        match self.slots.get_mut(index) {
            Some(Some(segment)) if segment.id == id => Ok(segment),
            _ => Err(EINVAL),
        }
    }
}

/// Whether `process` has the `want` rights (MAY_READ, MAY_WRITE) on an object with `perm`
/// (Linux's ipcperms): root always; else the owner's or creator's bits, the group's, or the
/// others'.
fn may(process: &Process, perm: &ipc64_perm, want: u32) -> bool {
    let cred = process.cred.lock();
    if cred.privileged() {
        return true;
    }
    let (uid, gid) = (cred.uid.effective, cred.gid.effective);
    let granted = if uid == perm.uid || uid == perm.cuid {
        perm.mode >> 6
    } else if gid == perm.gid || gid == perm.cgid || cred.groups.contains(&perm.gid) {
        perm.mode >> 3
    } else {
        perm.mode
    };
    granted & want & 0o7 == want
}

/// The rights ipcperms is asked for, as permission bits.
const MAY_READ: u32 = 4;
const MAY_WRITE: u32 = 2;

fn now_secs() -> i64 {
    time::realtime_ns().div_euclid(1_000_000_000)
}

/// shmget(key, size, flags) (Linux's ksys_shmget, newseg and shm_more_checks): the id of the
/// segment of `key`, made if IPC_PRIVATE or IPC_CREAT asks and none exists. With SHM_HUGETLB
/// its file is one of huge pages (see `mm::hugetlb`): EINVAL for another page size, ENOMEM
/// when the pool cannot reserve them (unless SHM_NORESERVE).
pub fn shmget(process: &Process, key: i32, size: u64, flags: u64) -> Result<i32, Errno> {
    use abi::ipc::{IPC_CREAT, IPC_EXCL, SHM_HUGETLB, SHM_NORESERVE, SHMMAX, SHMMIN};
    let mut ids = SHM_IDS.lock();
    ids.prune();
    if key != IPC_PRIVATE
        && let Some(segment) = ids.segments().find(|s| s.perm.key == key)
    {
        if flags & (IPC_CREAT | IPC_EXCL) == IPC_CREAT | IPC_EXCL {
            return Err(EEXIST);
        }
        if segment.size < size {
            return Err(EINVAL);
        }
        let want = (flags as u32 & 0o777) >> 6 & (MAY_READ | MAY_WRITE);
        if !may(process, &segment.perm, want) {
            return Err(EACCES);
        }
        return Ok(segment.id);
    }
    if key != IPC_PRIVATE && flags & IPC_CREAT == 0 {
        return Err(ENOENT);
    }
    if !(SHMMIN..=SHMMAX).contains(&size) {
        return Err(EINVAL);
    }
    let pages = size.div_ceil(PAGE_SIZE);
    let total = ids.segments().fold(0u64, |sum, s| {
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
    let index = match ids.slots.iter().position(Option::is_none) {
        Some(index) => index,
        None if (ids.slots.len() as u64) < SHMMNI => {
            ids.slots.try_reserve(1).map_err(|_| ENOMEM)?;
            ids.slots.push(None);
            ids.slots.len() - 1
        }
        None => return Err(ENOSPC),
    };
    let seq = ids.seq;
    ids.seq = if seq >= SEQ_MAX { 0 } else { seq + 1 };
    let id = ((seq << SEQ_SHIFT) as usize + index) as i32;
    // Linux makes the file before it takes the id (ipc_addid): a failure uses no number.
    let file = match segment_file(key, id, size, flags) {
        Ok(file) => file,
        Err(e) => {
            ids.seq = seq;
            ids.prune();
            return Err(e);
        }
    };
    let (uid, gid) = {
        let cred = process.cred.lock();
        (cred.uid.effective, cred.gid.effective)
    };
    ids.slots[index] = Some(Segment {
        id,
        perm: ipc64_perm {
            key,
            uid,
            gid,
            cuid: uid,
            cgid: gid,
            mode: flags as u32 & 0o777,
            seq: seq as u16,
            ..Default::default()
        },
        size,
        atime: 0,
        dtime: 0,
        ctime: now_secs(),
        cpid: process.pid as i32,
        lpid: 0,
        hold: Hold::Live(file),
    });
    Ok(id)
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
    let segment = ids.get(id)?;
    let want = if read_only {
        MAY_READ
    } else {
        MAY_READ | MAY_WRITE
    };
    if !may(process, &segment.perm, want) {
        return Err(EACCES);
    }
    Ok((segment.file().ok_or(EINVAL)?, segment.size))
}

/// Records an attach (shmat) or a detach (shmdt) of the segment whose file is `file`.
pub fn record_use(process: &Process, file: *const (), attach: bool) {
    let mut ids = SHM_IDS.lock();
    let now = now_secs();
    if let Some(segment) = ids.slots.iter_mut().flatten().find(|s| {
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
    ids.prune();
    let mut files = Vec::new();
    files.try_reserve(ids.slots.len()).map_err(|_| ENOMEM)?;
    files.extend(ids.segments().filter_map(|s| {
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
        let segment = if by_index {
            ids.prune();
            let index = usize::try_from(id).map_err(|_| EINVAL)?;
            ids.slots
                .get_mut(index)
                .and_then(Option::as_mut)
                .ok_or(EINVAL)?
        } else {
            ids.get(id)?
        };
        if check && !may(process, &segment.perm, MAY_READ) {
            return Err(EACCES);
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
    let segment = ids.get(id)?;
    owner_or_root(process, &segment.perm)?;
    segment.perm.uid = new.uid;
    segment.perm.gid = new.gid;
    segment.perm.mode = (segment.perm.mode & !0o777) | (new.mode & 0o777);
    segment.ctime = now_secs();
    Ok(())
}

fn owner_or_root(process: &Process, perm: &ipc64_perm) -> Result<(), Errno> {
    let cred = process.cred.lock();
    let euid = cred.uid.effective;
    if cred.privileged() || euid == perm.uid || euid == perm.cuid {
        Ok(())
    } else {
        Err(EPERM)
    }
}

/// shmctl(IPC_RMID): hides the segment's key and lets its mappings have the last word.
pub fn remove(process: &Process, id: i32) -> Result<(), Errno> {
    let mut ids = SHM_IDS.lock();
    let segment = ids.get(id)?;
    owner_or_root(process, &segment.perm)?;
    segment.perm.key = IPC_PRIVATE;
    segment.perm.mode |= SHM_DEST;
    if let Hold::Live(file) = &segment.hold {
        segment.hold = Hold::Removed(Arc::downgrade(file));
    }
    // Freed now if nothing maps it.
    ids.prune();
    Ok(())
}

/// shmctl(SHM_LOCK, SHM_UNLOCK): marks the segment locked (its pages are never swapped here
/// anyway). Root only here, as Linux without RLIMIT_MEMLOCK room for it.
pub fn lock(process: &Process, id: i32, locked: bool) -> Result<(), Errno> {
    let mut ids = SHM_IDS.lock();
    let segment = ids.get(id)?;
    owner_or_root(process, &segment.perm)?;
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
    ids.prune();
    ids.slots.iter().rposition(Option::is_some).unwrap_or(0) as i32
}

/// shmctl(SHM_INFO): the segments in use, their pages, and those resident.
pub fn usage() -> (shm_info, i32) {
    let files: Vec<(u64, Option<Arc<Inode>>)> = {
        let mut ids = SHM_IDS.lock();
        ids.prune();
        let mut files = Vec::new();
        if files.try_reserve(ids.slots.len()).is_ok() {
            files.extend(ids.segments().map(|s| (s.size, s.file())));
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
