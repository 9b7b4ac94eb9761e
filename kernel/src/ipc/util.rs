//! What System V shared memory, semaphores and message queues share (Linux's ipc/util.c): the
//! table of ids, the lookup by key, the permission check and the owner's changes.
//!
//! Ids are Linux's: the slot index plus a sequence number shifted by 15 bits, so that a stale id
//! does not reach the slot's next object. Slots are taken cyclically and the sequence number
//! grows each time the slots wrap around, as Linux's ipc_idr_alloc does, so ids come out as on
//! Linux. The table gives its memory back when its last objects go.

use alloc::{string::String, vec::Vec};

use abi::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE, ipc64_perm};

use crate::{process::Process, syscall::errno::*, time};

/// Linux's IPCMNI_SHIFT: an id is `seq << 15 | index`.
const SEQ_SHIFT: u32 = 15;
/// The sequence numbers wrap to 0 here (Linux's ipcid_seq_max for the default IPCMNI).
const SEQ_MAX: u32 = (i32::MAX >> SEQ_SHIFT) as u32;
/// The fewest slots the cyclic allocation goes through before wrapping (Linux's
/// ipc_min_cycle, RADIX_TREE_MAP_SIZE).
const MIN_CYCLE: usize = 64;

/// The rights ipcperms is asked for, as permission bits (Linux's S_IRUGO and S_IWUGO).
pub const S_IRUGO: u32 = 0o444;
pub const S_IWUGO: u32 = 0o222;

/// An object in an [`IpcIds`] table (the kern_ipc_perm every Linux IPC object starts with).
pub trait IpcObject {
    /// Its id.
    fn id(&self) -> i32;
    /// Its key, owner and permissions.
    fn perm(&self) -> &ipc64_perm;
}

/// The objects of one kind, by slot (Linux's struct ipc_ids).
pub struct IpcIds<T> {
    slots: Vec<Option<T>>,
    /// The sequence number of new objects (Linux's ids->seq).
    seq: u32,
    /// The slot taken last (Linux's last_idx), and where the next search starts (the idr's
    /// idr_next).
    last: Option<usize>,
    next: usize,
}

impl<T: IpcObject> IpcIds<T> {
    pub const fn new() -> Self {
        IpcIds {
            slots: Vec::new(),
            seq: 0,
            last: None,
            next: 0,
        }
    }

    /// Every object.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slots.iter_mut().flatten()
    }

    /// How many objects there are (Linux's ids->in_use).
    pub fn in_use(&self) -> usize {
        self.iter().count()
    }

    /// The highest slot in use, or 0 if none (Linux's ipc_get_maxidx, which the *_INFO commands
    /// return; 0 for an empty table too).
    pub fn max_index(&self) -> i32 {
        self.slots.iter().rposition(Option::is_some).unwrap_or(0) as i32
    }

    /// The object of `id` (Linux's ipc_obtain_object_check): EINVAL for none, or for a stale id
    /// whose slot holds a later object.
    pub fn obtain(&mut self, id: i32) -> Result<&mut T, Errno> {
        let index = usize::try_from(id).map_err(|_| EINVAL)? & ((1 << SEQ_SHIFT) - 1);
        match self.slots.get_mut(index) {
            Some(Some(object)) if object.id() == id => Ok(object),
            _ => Err(EINVAL),
        }
    }

    /// The object in slot `index` (Linux's ipc_obtain_object_idr, for the *_STAT commands,
    /// which also takes an id's slot).
    pub fn obtain_by_index(&mut self, index: i32) -> Result<&mut T, Errno> {
        let index = usize::try_from(index).map_err(|_| EINVAL)? & ((1 << SEQ_SHIFT) - 1);
        self.slots
            .get_mut(index)
            .and_then(Option::as_mut)
            .ok_or(EINVAL)
    }

    /// The object whose key is `key` (Linux's ipc_findkey); never one of IPC_PRIVATE.
    pub fn find_key(&mut self, key: i32) -> Option<&mut T> {
        if key == IPC_PRIVATE {
            return None;
        }
        self.slots
            .iter_mut()
            .flatten()
            .find(|o| o.perm().key == key)
    }

    /// Adds the object `make` builds from its id and sequence number (Linux's ipc_addid and
    /// ipc_idr_alloc): in the first free slot from the one after the last taken, below
    /// max(1.5 × the objects, 64), wrapping to 0, where the sequence number grows. ENOSPC once
    /// `mni` objects exist, ENOMEM if the table cannot grow, or `make`'s error (the table is
    /// then as before).
    pub fn add(
        &mut self,
        mni: usize,
        make: impl FnOnce(i32, u16) -> Result<T, Errno>,
    ) -> Result<i32, Errno> {
        let in_use = self.in_use();
        if in_use >= mni {
            return Err(ENOSPC);
        }
        let end = (in_use * 3 / 2).max(MIN_CYCLE).min(mni);
        let free = |i: &usize| self.slots.get(*i).is_none_or(Option::is_none);
        let index = (self.next..end)
            .find(free)
            .or_else(|| (0..end).find(free))
            .ok_or(ENOSPC)?;
        if index >= self.slots.len() {
            self.slots
                .try_reserve(index + 1 - self.slots.len())
                .map_err(|_| ENOMEM)?;
        }
        let mut seq = self.seq;
        if self.last.is_some_and(|last| index <= last) {
            seq = if seq + 1 >= SEQ_MAX { 0 } else { seq + 1 };
        }
        let id = ((seq << SEQ_SHIFT) as usize + index) as i32;
        let object = make(id, seq as u16)?;
        if index >= self.slots.len() {
            self.slots.resize_with(index + 1, || None);
        }
        self.slots[index] = Some(object);
        self.seq = seq;
        self.last = Some(index);
        self.next = index + 1;
        Ok(id)
    }

    /// Takes the object of `id` out of the table (Linux's ipc_rmid).
    pub fn remove(&mut self, id: i32) -> Option<T> {
        self.obtain(id).ok()?;
        let object = self.slots[id as usize & ((1 << SEQ_SHIFT) - 1)].take();
        self.shrink();
        object
    }

    /// Keeps only the objects `keep` says so of (shm forgets removed segments whose last
    /// mapping has gone).
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(|o| !keep(o)) {
                *slot = None;
            }
        }
        self.shrink();
    }

    /// Forgets the free slots at the end of the table (all of it once no object is left, so
    /// that the table's memory comes back).
    fn shrink(&mut self) {
        while self.slots.last().is_some_and(Option::is_none) {
            self.slots.pop();
        }
        if self.slots.is_empty() {
            self.slots = Vec::new();
        }
    }
}

/// What an xxxget call does with an existing key or a new one (Linux's ipcget and
/// ipcget_public): IPC_PRIVATE always makes a new object; a key nobody has is ENOENT without
/// IPC_CREAT; a key somebody has is EEXIST with IPC_CREAT|IPC_EXCL, else `more_checks` (the
/// size of a segment, the number of semaphores of a set) and then ipcperms with the flags' mode
/// (EACCES). `getnew` makes the new object and returns its id.
pub fn ipcget<T: IpcObject>(
    ids: &mut IpcIds<T>,
    process: &Process,
    key: i32,
    flags: u64,
    more_checks: impl FnOnce(&T) -> Result<(), Errno>,
    getnew: impl FnOnce(&mut IpcIds<T>) -> Result<i32, Errno>,
) -> Result<i32, Errno> {
    if key == IPC_PRIVATE {
        return getnew(ids);
    }
    let Some(object) = ids.find_key(key) else {
        return if flags & IPC_CREAT == 0 {
            Err(ENOENT)
        } else {
            getnew(ids)
        };
    };
    if flags & (IPC_CREAT | IPC_EXCL) == IPC_CREAT | IPC_EXCL {
        return Err(EEXIST);
    }
    more_checks(object)?;
    ipcperms(process, object.perm(), flags as u32)?;
    Ok(object.id())
}

/// The ipc64_perm of a new object of `process` (owner and creator its effective ids), with the
/// permission bits of `flags`.
pub fn new_perm(process: &Process, key: i32, flags: u64, seq: u16) -> ipc64_perm {
    let cred = process.cred.lock();
    let (uid, gid) = (cred.uid.effective, cred.gid.effective);
    ipc64_perm {
        key,
        uid,
        gid,
        cuid: uid,
        cgid: gid,
        mode: flags as u32 & 0o777,
        seq,
        ..Default::default()
    }
}

/// Whether `process` has the rights `flag` asks for (any of its three classes' bits, as
/// S_IRUGO or an xxxget's mode) on an object with `perm` (Linux's ipcperms): root always; else
/// the owner's or creator's bits, the group's, or the others'. EACCES if not.
pub fn ipcperms(process: &Process, perm: &ipc64_perm, flag: u32) -> Result<(), Errno> {
    let requested = (flag >> 6 | flag >> 3 | flag) & 0o7;
    let cred = process.cred.lock();
    let (uid, gid) = (cred.uid.effective, cred.gid.effective);
    let granted = if uid == perm.uid || uid == perm.cuid {
        perm.mode >> 6
    } else if gid == perm.gid || gid == perm.cgid || cred.groups.contains(&perm.gid) {
        perm.mode >> 3
    } else {
        perm.mode
    };
    if requested & !granted & 0o7 != 0 && !cred.privileged() {
        return Err(EACCES);
    }
    Ok(())
}

/// The check of IPC_SET and IPC_RMID (Linux's ipcctl_obtain_check): the owner, the creator or
/// root; EPERM otherwise.
pub fn may_change(process: &Process, perm: &ipc64_perm) -> Result<(), Errno> {
    let cred = process.cred.lock();
    let euid = cred.uid.effective;
    if cred.privileged() || euid == perm.uid || euid == perm.cuid {
        Ok(())
    } else {
        Err(EPERM)
    }
}

/// IPC_SET (Linux's ipc_update_perm): the owner's uid and gid and the permission bits from
/// `new`; EINVAL for an invalid uid or gid (-1).
pub fn update_perm(perm: &mut ipc64_perm, new: &ipc64_perm) -> Result<(), Errno> {
    if new.uid == u32::MAX || new.gid == u32::MAX {
        return Err(EINVAL);
    }
    perm.uid = new.uid;
    perm.gid = new.gid;
    perm.mode = (perm.mode & !0o777) | (new.mode & 0o777);
    Ok(())
}

/// The realtime clock in seconds: the *_time fields of the objects.
pub fn now_secs() -> i64 {
    time::realtime_ns().div_euclid(1_000_000_000)
}

/// Room for one more line of a /proc/sysvipc file (at most `len` bytes), so that writing it
/// does not allocate; ENOMEM if there is none.
pub fn reserve_line(out: &mut String, len: usize) -> Result<(), Errno> {
    out.try_reserve(len).map_err(|_| ENOMEM)
}

/// Self-tests of the id table (see [`crate::ktest`]): what no system call shows exactly.
pub mod ktests {
    use alloc::string::String;

    use super::*;
    use crate::ensure;

    struct Dummy {
        id: i32,
        perm: ipc64_perm,
    }

    impl IpcObject for Dummy {
        fn id(&self) -> i32 {
            self.id
        }
        fn perm(&self) -> &ipc64_perm {
            &self.perm
        }
    }

    fn dummy(id: i32, key: i32) -> Result<Dummy, Errno> {
        Ok(Dummy {
            id,
            perm: ipc64_perm {
                key,
                ..Default::default()
            },
        })
    }

    /// Ids are `seq << 15 | index`, slots taken cyclically from the one after the last; the
    /// sequence number grows when the slots wrap, so the old id of a slot is EINVAL; a failed
    /// make leaves the table as it was; `mni` objects at most (ENOSPC); an empty table holds no
    /// memory; keys are found, IPC_PRIVATE never; the sequence number wraps to 0.
    pub fn id_table() -> Result<(), String> {
        let mut ids: IpcIds<Dummy> = IpcIds::new();
        let add = |ids: &mut IpcIds<Dummy>, key| {
            ids.add(1000, |id, _| dummy(id, key))
                .map_err(|e| alloc::format!("add: {e:?}"))
        };
        let a = add(&mut ids, 7)?;
        let b = add(&mut ids, 0)?;
        ensure!(a == 0 && b == 1, "ids {a:#x} {b:#x}");
        ensure!(
            ids.find_key(7).is_some_and(|o| o.id == a),
            "key 7 not found"
        );
        ensure!(ids.find_key(0).is_none(), "IPC_PRIVATE found");
        ensure!(
            ids.add(3, |_, _| Err::<Dummy, _>(ENOMEM)) == Err(ENOMEM),
            "make failed"
        );
        ensure!(
            ids.slots.len() == 2,
            "a failed make left {} slots",
            ids.slots.len()
        );
        ids.remove(a);
        let mut last = add(&mut ids, 8)?;
        ensure!(last == 2, "the slot after the last: {last:#x}");
        for _ in 3..MIN_CYCLE {
            ids.remove(last);
            last = add(&mut ids, 8)?;
        }
        ensure!(last == MIN_CYCLE as i32 - 1, "cycled to {last:#x}");
        ids.remove(last);
        let wrapped = add(&mut ids, 9)?;
        ensure!(wrapped == 1 << 15, "after the wrap: {wrapped:#x}");
        ensure!(
            ids.obtain(a).err() == Some(EINVAL),
            "a stale id reached the new object"
        );
        ensure!(
            ids.obtain_by_index(0).is_ok_and(|o| o.id == wrapped),
            "by index"
        );
        let c = add(&mut ids, 10)?;
        ensure!(c == (1 << 15) + 2, "the next: {c:#x}");
        ensure!(
            ids.add(3, |id, _| dummy(id, 11)) == Err(ENOSPC),
            "more than mni"
        );
        ensure!(
            ids.max_index() == 2 && ids.in_use() == 3,
            "max index, in use"
        );
        for id in [b, wrapped, c] {
            ids.remove(id);
        }
        ensure!(
            ids.in_use() == 0 && ids.slots.capacity() == 0,
            "memory kept when empty"
        );
        ids.seq = SEQ_MAX - 1;
        ids.next = 0;
        let zero = add(&mut ids, 1)?;
        ensure!(zero == 0 && ids.seq == 0, "sequence wrap: {zero:#x}");
        Ok(())
    }
}
