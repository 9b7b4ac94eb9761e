//! The operations that change the tree (Linux's vfs_create, vfs_mkdir, vfs_symlink, vfs_link,
//! vfs_unlink, vfs_rmdir, vfs_rename) and d_path, with Linux's checks in Linux's order. Every call
//! starts from a [`Parent`]: the directory and the last name of a path.
//!
//! A directory's entries are locked while it is checked and changed; rename locks its two
//! directories in address order (see `sync`).

use alloc::{string::String, sync::Arc, vec::Vec};

use abi::fcntl::RENAME_NOREPLACE;

use super::{
    Inode, InodeKind,
    dir::Directory,
    inode::ROOTFS_DEV,
    inotify,
    namei::{self, Parent},
};
use crate::{
    sync::{IrqMutex, IrqMutexGuard},
    syscall::errno::*,
};

/// The entries of the directory a name is made in or removed from: ENOENT for /proc, which
/// takes no new names (as Linux answers), and if the directory itself was removed.
fn entries(dir: &Inode) -> Result<&IrqMutex<Directory>, Errno> {
    let entries = dir.dir().ok_or(ENOENT)?;
    if dir.nlink() == 0 {
        return Err(ENOENT);
    }
    Ok(entries)
}

/// The path shown for a new file in /proc/PID/maps.
fn display_path(parent: &Parent) -> String {
    let mut path = d_path(&parent.dir).unwrap_or_default();
    if !path.ends_with(b"/") {
        path.push(b'/');
    }
    path.extend_from_slice(&parent.name);
    String::from_utf8_lossy(&path).into_owned()
}

/// Makes `parent.name` a new regular file, directory or symlink (`kind`) with type and
/// permissions `mode`: EEXIST if the name is taken.
pub fn create(parent: &Parent, kind: InodeKind, mode: u32) -> Result<Arc<Inode>, Errno> {
    if parent.name.is_empty() || parent.is_dot() {
        return Err(EEXIST);
    }
    let is_dir = matches!(kind, InodeKind::Directory(_));
    let entries = entries(&parent.dir)?;
    let inode = Inode::try_new(ROOTFS_DEV, display_path(parent), kind, mode, &[]).ok_or(ENOMEM)?;
    if let Some(dir) = inode.dir() {
        dir.lock().parent = Arc::downgrade(&parent.dir);
    }
    entries.lock().insert(&parent.name, inode.clone())?;
    if is_dir {
        parent.dir.add_links(1);
    }
    parent.dir.touch(true);
    inotify::fsnotify_name(&parent.dir, inotify::IN_CREATE, &inode, &parent.name, 0);
    Ok(inode)
}

/// link: a new name for an existing file. Directories cannot get one (EPERM).
pub fn link(inode: &Arc<Inode>, new: &Parent) -> Result<(), Errno> {
    if inode.is_dir() {
        return Err(EPERM);
    }
    if new.name.is_empty() || new.is_dot() || new.trailing_slash {
        return Err(if new.lookup().is_ok() { EEXIST } else { ENOENT });
    }
    if !matches!(
        inode.kind,
        InodeKind::Regular
            | InodeKind::Symlink(_)
            | InodeKind::CharDevice(_)
            | InodeKind::Fifo(_)
            | InodeKind::Special { .. }
            | InodeKind::Socket(_)
    ) {
        return Err(EXDEV); // a /proc file
    }
    if inode.nlink() == 0 {
        return Err(ENOENT); // an unlinked file cannot get a name back (without O_TMPFILE)
    }
    entries(&new.dir)?.lock().insert(&new.name, inode.clone())?;
    inode.add_links(1);
    new.dir.touch(true);
    // Linux's fsnotify_link: the link count, then the new name.
    inotify::fsnotify_inode(inode, inotify::IN_ATTRIB);
    inotify::fsnotify_name(&new.dir, inotify::IN_CREATE, inode, &new.name, 0);
    Ok(())
}

/// unlink: removes a name that is not a directory's. The file lives on while it is open or
/// mapped (an `Arc` holds it); its pages go with its last reference.
pub fn unlink(parent: &Parent) -> Result<(), Errno> {
    if parent.name.is_empty() || parent.is_dot() {
        return Err(EISDIR);
    }
    let mut entries = entries(&parent.dir)?.lock();
    let inode = entries.lookup(&parent.name).ok_or(ENOENT)?;
    if inode.is_dir() {
        return Err(EISDIR);
    }
    if parent.trailing_slash {
        return Err(ENOTDIR);
    }
    entries.remove(&parent.name);
    drop(entries);
    inode.add_links(-1);
    parent.dir.touch(true);
    // Linux's vfs_unlink: the link count, the inode's end if that was its last name (d_delete),
    // then the name's removal.
    inotify::fsnotify_inode(&inode, inotify::IN_ATTRIB);
    inotify::fsnotify_unlinked(&inode);
    inotify::fsnotify_name(&parent.dir, inotify::IN_DELETE, &inode, &parent.name, 0);
    Ok(())
}

/// rmdir: removes an empty directory.
pub fn rmdir(parent: &Parent) -> Result<(), Errno> {
    match parent.name.as_slice() {
        b"" => return Err(EBUSY),
        b"." => return Err(EINVAL),
        b".." => return Err(ENOTEMPTY),
        _ => {}
    }
    let mut entries = entries(&parent.dir)?.lock();
    let inode = entries.lookup(&parent.name).ok_or(ENOENT)?;
    let Some(dir) = inode.dir() else {
        return Err(if inode.is_dir() { EBUSY } else { ENOTDIR });
    };
    if !dir.lock().is_empty() {
        return Err(ENOTEMPTY);
    }
    entries.remove(&parent.name);
    drop(entries);
    inode.with_meta(|meta| meta.nlink = 0);
    parent.dir.add_links(-1);
    parent.dir.touch(true);
    // Linux's d_delete_notify: the directory's end, then its name's removal.
    inotify::fsnotify_unlinked(&inode);
    inotify::fsnotify_name(&parent.dir, inotify::IN_DELETE, &inode, &parent.name, 0);
    Ok(())
}

/// Whether `dir` is `ancestor` or lies below it.
fn is_within(dir: &Arc<Inode>, ancestor: &Arc<Inode>) -> bool {
    let mut at = dir.clone();
    loop {
        if Arc::ptr_eq(&at, ancestor) {
            return true;
        }
        let up = namei::parent(&at);
        if Arc::ptr_eq(&up, &at) {
            return false;
        }
        at = up;
    }
}

/// The two directories of a rename, locked (once if they are the same one).
struct Locked<'a> {
    old: IrqMutexGuard<'a, Directory>,
    new: Option<IrqMutexGuard<'a, Directory>>,
}

impl Locked<'_> {
    fn new_dir(&mut self) -> &mut Directory {
        match &mut self.new {
            Some(new) => new,
            None => &mut self.old,
        }
    }
}

/// Locks the directories of a rename: an ancestor before its descendant (the order rmdir and
/// lookups take), else in address order.
fn lock_two<'a>(old: &'a Arc<Inode>, new: &'a Arc<Inode>) -> Result<Locked<'a>, Errno> {
    let (old_entries, new_entries) = (entries(old)?, entries(new)?);
    if Arc::ptr_eq(old, new) {
        return Ok(Locked {
            old: old_entries.lock(),
            new: None,
        });
    }
    let old_first = if is_within(new, old) {
        true
    } else if is_within(old, new) {
        false
    } else {
        Arc::as_ptr(old) < Arc::as_ptr(new)
    };
    Ok(if old_first {
        let old = old_entries.lock();
        Locked {
            old,
            new: Some(new_entries.lock()),
        }
    } else {
        let new = new_entries.lock();
        Locked {
            old: old_entries.lock(),
            new: Some(new),
        }
    })
}

/// rename and renameat2 with flags 0 or RENAME_NOREPLACE (Linux's do_renameat2 and vfs_rename).
pub fn rename(old: &Parent, new: &Parent, flags: u64) -> Result<(), Errno> {
    if flags & !RENAME_NOREPLACE != 0 {
        return Err(EINVAL);
    }
    if old.name.is_empty() || old.is_dot() {
        return Err(EBUSY);
    }
    if new.name.is_empty() || new.is_dot() {
        return Err(if flags & RENAME_NOREPLACE != 0 {
            EEXIST
        } else {
            EBUSY
        });
    }
    let source = entries(&old.dir)?.lock().lookup(&old.name).ok_or(ENOENT)?;
    if (old.trailing_slash || new.trailing_slash) && !source.is_dir() {
        return Err(ENOTDIR);
    }
    // A directory cannot move below itself.
    if source.is_dir() && is_within(&new.dir, &source) {
        return Err(EINVAL);
    }
    let mut locked = lock_two(&old.dir, &new.dir)?;
    // Looked up again under the locks: another thread may have changed either directory.
    if !locked
        .old
        .lookup(&old.name)
        .is_some_and(|s| Arc::ptr_eq(&s, &source))
    {
        return Err(ENOENT);
    }
    let target = locked.new_dir().lookup(&new.name);
    if let Some(target) = &target {
        if flags & RENAME_NOREPLACE != 0 {
            return Err(EEXIST);
        }
        if Arc::ptr_eq(target, &source) {
            return Ok(());
        }
        check_replace(&source, target)?;
    }
    if target.is_none() {
        // Make room first, so that nothing can fail once the old name is gone.
        locked.new_dir().insert(&new.name, source.clone())?;
    } else {
        locked.new_dir().replace(&new.name, source.clone());
    }
    locked.old.remove(&old.name);
    drop(locked);
    finish_rename(old, new, &source, target);
    Ok(())
}

/// What may be renamed over what: a directory over an empty directory, anything else over
/// anything but a directory.
fn check_replace(source: &Arc<Inode>, target: &Arc<Inode>) -> Result<(), Errno> {
    match (source.is_dir(), target.is_dir()) {
        (true, false) => Err(ENOTDIR),
        (false, true) => Err(EISDIR),
        (true, true) => match target.dir() {
            Some(dir) if dir.lock().is_empty() => Ok(()),
            Some(_) => Err(ENOTEMPTY),
            None => Err(EBUSY), // a mount point (/proc)
        },
        (false, false) => Ok(()),
    }
}

/// Link counts, `..` and times after a rename.
fn finish_rename(old: &Parent, new: &Parent, source: &Arc<Inode>, target: Option<Arc<Inode>>) {
    if let Some(target) = &target {
        if target.is_dir() {
            target.with_meta(|meta| meta.nlink = 0);
            new.dir.add_links(-1);
        } else {
            target.add_links(-1);
        }
    }
    if let Some(dir) = source.dir() {
        dir.lock().parent = Arc::downgrade(&new.dir);
        if !Arc::ptr_eq(&old.dir, &new.dir) {
            old.dir.add_links(-1);
            new.dir.add_links(1);
        }
    }
    source.touch(false);
    old.dir.touch(true);
    new.dir.touch(true);
    fsnotify_move(old, new, source, target.as_ref());
}

/// Linux's fsnotify_move: IN_MOVED_FROM and IN_MOVED_TO with one cookie, the replaced file's
/// link count, IN_MOVE_SELF; then the replaced file's end if it lost its last name and user.
fn fsnotify_move(old: &Parent, new: &Parent, source: &Arc<Inode>, target: Option<&Arc<Inode>>) {
    let cookie = inotify::next_cookie();
    inotify::fsnotify_name(&old.dir, inotify::IN_MOVED_FROM, source, &old.name, cookie);
    inotify::fsnotify_name(&new.dir, inotify::IN_MOVED_TO, source, &new.name, cookie);
    if let Some(target) = target {
        inotify::fsnotify_inode(target, inotify::IN_ATTRIB);
    }
    inotify::fsnotify_inode(source, inotify::IN_MOVE_SELF);
    if let Some(target) = target {
        inotify::fsnotify_unlinked(target);
    }
}

/// The absolute path of directory `dir` (Linux's d_path, what getcwd returns); ENOENT if it has
/// been removed.
pub fn d_path(dir: &Arc<Inode>) -> Result<Vec<u8>, Errno> {
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut at = dir.clone();
    // /proc's directories are made up at lookup and have no links to count.
    if at.nlink() == 0 && !matches!(at.kind, InodeKind::Proc(_)) {
        return Err(ENOENT);
    }
    loop {
        let up = namei::parent(&at);
        if Arc::ptr_eq(&up, &at) {
            break;
        }
        let name = match up.dir() {
            Some(entries) => entries.lock().name_of(&at).map(<[u8]>::to_vec),
            // /proc/PID: its name is its pid.
            None => None,
        };
        let name = match name {
            Some(name) => name,
            None => proc_name(&at).ok_or(ENOENT)?,
        };
        names.try_reserve(1).map_err(|_| ENOMEM)?;
        names.push(name);
        at = up;
    }
    let mut path = Vec::new();
    for name in names.iter().rev() {
        path.try_reserve(name.len() + 1).map_err(|_| ENOMEM)?;
        path.push(b'/');
        path.extend_from_slice(name);
    }
    if path.is_empty() {
        path.push(b'/');
    }
    Ok(path)
}

/// The name of a /proc directory below /proc.
fn proc_name(inode: &Inode) -> Option<Vec<u8>> {
    match &inode.kind {
        InodeKind::Proc(super::procfs::ProcNode::Pid(pid)) => {
            Some(alloc::format!("{pid}").into_bytes())
        }
        InodeKind::Proc(super::procfs::ProcNode::FdDir(_)) => Some(b"fd".to_vec()),
        _ => None,
    }
}
