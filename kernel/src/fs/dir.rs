//! Directories of the memory-backed root (tmpfs's simple_dir_operations): the entries in the order
//! they were made, each with a cookie that getdents64 uses as its position. A position stays valid
//! while entries before it are removed, so a program that reads a directory and unlinks what it
//! reads (rm -r) sees every entry exactly once, as on Linux.

use alloc::{
    sync::{Arc, Weak},
    vec::Vec,
};

use super::Inode;
use crate::syscall::errno::{EEXIST, ENOMEM, Errno};

/// One name in a directory (Linux's dentry, reduced to what a memory file system needs).
pub struct Dentry {
    pub name: Vec<u8>,
    pub inode: Arc<Inode>,
    /// The entry's getdents64 cookie: increasing in creation order, never reused.
    pub cookie: u64,
}

/// The contents of a directory inode.
pub struct Directory {
    entries: Vec<Dentry>,
    next_cookie: u64,
    /// The directory containing this one (the root's is itself, unset).
    pub parent: Weak<Inode>,
}

/// Positions 0 and 1 are "." and ".."; entries' cookies start here.
pub const FIRST_COOKIE: u64 = 2;

impl Directory {
    pub const fn new(parent: Weak<Inode>) -> Self {
        Directory {
            entries: Vec::new(),
            next_cookie: FIRST_COOKIE,
            parent,
        }
    }

    pub fn lookup(&self, name: &[u8]) -> Option<Arc<Inode>> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.inode.clone())
    }

    /// Adds `name`; EEXIST if it is taken, ENOMEM if memory ran out.
    pub fn insert(&mut self, name: &[u8], inode: Arc<Inode>) -> Result<(), Errno> {
        if self.lookup(name).is_some() {
            return Err(EEXIST);
        }
        let mut owned = Vec::new();
        owned.try_reserve_exact(name.len()).map_err(|_| ENOMEM)?;
        owned.extend_from_slice(name);
        self.entries.try_reserve(1).map_err(|_| ENOMEM)?;
        self.entries.push(Dentry {
            name: owned,
            inode,
            cookie: self.next_cookie,
        });
        self.next_cookie += 1;
        Ok(())
    }

    /// Removes `name` and returns its inode.
    pub fn remove(&mut self, name: &[u8]) -> Option<Arc<Inode>> {
        let index = self.entries.iter().position(|e| e.name == name)?;
        Some(self.entries.remove(index).inode)
    }

    /// Points an existing `name` at another inode (rename over an existing entry); returns the
    /// inode it named.
    pub fn replace(&mut self, name: &[u8], inode: Arc<Inode>) -> Option<Arc<Inode>> {
        let entry = self.entries.iter_mut().find(|e| e.name == name)?;
        Some(core::mem::replace(&mut entry.inode, inode))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entries from getdents64 position `pos` on.
    pub fn entries_from(&self, pos: u64) -> impl Iterator<Item = &Dentry> {
        let start = self.entries.partition_point(|e| e.cookie < pos);
        self.entries[start..].iter()
    }

    /// The name under which `child` is listed (getcwd walks up with it).
    pub fn name_of(&self, child: &Arc<Inode>) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|e| Arc::ptr_eq(&e.inode, child))
            .map(|e| e.name.as_slice())
    }
}
