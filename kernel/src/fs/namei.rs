//! Path lookup (Linux's fs/namei.c): a walk from the root or a starting directory, one component
//! at a time, following symbolic links as Linux does: every link but a final one is followed,
//! a final one only if asked (`follow`) or if a slash follows it; `..` goes to the parent of the
//! directory actually reached (so `link/..` is the parent of the link's target); more than 40
//! links in one lookup is ELOOP; a component longer than NAME_MAX is ENAMETOOLONG; a non-directory
//! in the middle of a path is ENOTDIR.
//!
//! The walk is iterative: a link's target is spliced in front of what remains of the path, so
//! nested links cost heap, not kernel stack.

use alloc::{sync::Arc, vec::Vec};

use abi::stat::NAME_MAX;

use super::{Inode, inode::InodeKind, procfs::ProcNode};
use crate::syscall::errno::*;

/// Linux's MAXSYMLINKS: links followed in one lookup.
pub const MAXSYMLINKS: u32 = 40;

/// The last component of a path, and the directory it is looked up in (what the calls that
/// create or remove names need).
pub struct Parent {
    pub dir: Arc<Inode>,
    /// Empty if the path has no last component ("/").
    pub name: Vec<u8>,
    /// The path ended with a slash: the name must be (or become) a directory.
    pub trailing_slash: bool,
}

impl Parent {
    /// The name is "." or "..", which cannot be created or removed.
    pub fn is_dot(&self) -> bool {
        self.name == b"." || self.name == b".."
    }

    /// The inode the name refers to now, without following a final symlink.
    pub fn lookup(&self) -> Result<Arc<Inode>, Errno> {
        if self.name.is_empty() {
            return Ok(self.dir.clone());
        }
        step(&self.dir, &self.name)
    }
}

/// Resolves `path` from `start` (absolute paths start at the root); a final symlink is followed
/// if `follow`.
pub fn lookup(start: Arc<Inode>, path: &[u8], follow: bool) -> Result<Arc<Inode>, Errno> {
    let mut walk = Walk::new(start, path)?;
    walk.run(if follow { Last::Follow } else { Last::NoFollow })?;
    Ok(walk.dir)
}

/// Resolves all of `path` but its last component, which is returned unresolved.
pub fn lookup_parent(start: Arc<Inode>, path: &[u8]) -> Result<Parent, Errno> {
    let mut walk = Walk::new(start, path)?;
    let (name, trailing_slash) = walk.run(Last::Stop)?;
    if !walk.dir.is_dir() {
        return Err(ENOTDIR);
    }
    Ok(Parent {
        dir: walk.dir,
        name,
        trailing_slash,
    })
}

/// What to do with the last component.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    Follow,
    NoFollow,
    Stop,
}

/// A lookup in progress: the directory reached, the path left, links followed.
struct Walk {
    dir: Arc<Inode>,
    path: Vec<u8>,
    pos: usize,
    links: u32,
}

/// Copies `bytes` into a fresh vector, fallibly.
fn owned(bytes: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    out.try_reserve_exact(bytes.len()).map_err(|_| ENOMEM)?;
    out.extend_from_slice(bytes);
    Ok(out)
}

impl Walk {
    fn new(start: Arc<Inode>, path: &[u8]) -> Result<Self, Errno> {
        if path.is_empty() {
            return Err(ENOENT);
        }
        let dir = if path[0] == b'/' {
            super::root()
        } else {
            start
        };
        Ok(Walk {
            dir,
            path: owned(path)?,
            pos: 0,
            links: 0,
        })
    }

    /// Walks to the end (or to the last component, with [`Last::Stop`], whose name and trailing
    /// slash it returns).
    fn run(&mut self, last: Last) -> Result<(Vec<u8>, bool), Errno> {
        loop {
            while self.path.get(self.pos) == Some(&b'/') {
                self.pos += 1;
            }
            if self.pos == self.path.len() {
                return Ok((Vec::new(), false));
            }
            let end = self.path[self.pos..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(self.path.len(), |i| self.pos + i);
            let name = &self.path[self.pos..end];
            if name.len() > NAME_MAX {
                return Err(ENAMETOOLONG);
            }
            let slash = end < self.path.len();
            let is_last = self.path[end..].iter().all(|&b| b == b'/');
            if is_last && last == Last::Stop {
                if !self.dir.is_dir() {
                    return Err(ENOTDIR);
                }
                return Ok((owned(name)?, slash));
            }
            let next = step(&self.dir, name)?;
            let follow = !is_last || slash || last == Last::Follow;
            if follow
                && let InodeKind::Proc(node) = &next.kind
                && let Some(file) = node.jump()
            {
                // A magic link of /proc: straight to the file it stands for.
                self.links += 1;
                if self.links > MAXSYMLINKS {
                    return Err(ELOOP);
                }
                let file = file?;
                if slash && !file.is_dir() {
                    return Err(ENOTDIR);
                }
                self.dir = file;
                self.pos = end;
                continue;
            }
            if follow && let Some(target) = link_target(&next) {
                self.splice(target?, end)?;
                continue;
            }
            if slash && !next.is_dir() {
                return Err(ENOTDIR);
            }
            self.dir = next;
            self.pos = end;
        }
    }

    /// Replaces the path up to `end` (a link) with the link's target.
    fn splice(&mut self, target: Vec<u8>, end: usize) -> Result<(), Errno> {
        self.links += 1;
        if self.links > MAXSYMLINKS {
            return Err(ELOOP);
        }
        if target.is_empty() {
            return Err(ENOENT);
        }
        if target[0] == b'/' {
            self.dir = super::root();
        }
        let rest = &self.path[end..];
        let mut path = Vec::new();
        path.try_reserve_exact(target.len() + rest.len())
            .map_err(|_| ENOMEM)?;
        path.extend_from_slice(&target);
        path.extend_from_slice(rest);
        self.path = path;
        self.pos = 0;
        Ok(())
    }
}

/// The target of a symbolic link (None if `inode` is not one).
pub fn link_target(inode: &Inode) -> Option<Result<Vec<u8>, Errno>> {
    match &inode.kind {
        InodeKind::Symlink(target) => Some(owned(target)),
        InodeKind::Proc(node) => node.link_target(),
        _ => None,
    }
}

/// One step: `name` in directory `dir` ("." and ".." included).
fn step(dir: &Arc<Inode>, name: &[u8]) -> Result<Arc<Inode>, Errno> {
    if !dir.is_dir() {
        return Err(ENOTDIR);
    }
    match name {
        b"." => Ok(dir.clone()),
        b".." => Ok(parent(dir)),
        _ => child(dir, name),
    }
}

/// The directory containing `dir` (the root's parent is the root).
pub fn parent(dir: &Arc<Inode>) -> Arc<Inode> {
    match &dir.kind {
        InodeKind::Directory(d) => d.lock().parent.upgrade().unwrap_or_else(|| dir.clone()),
        InodeKind::Proc(ProcNode::Root) => super::root(),
        // /proc/PID/fd is in /proc/PID (which a lack of memory turns into /proc).
        InodeKind::Proc(ProcNode::FdDir(pid)) => ProcNode::Pid(*pid)
            .inode()
            .unwrap_or_else(|_| super::proc_root()),
        InodeKind::Proc(_) => super::proc_root(),
        _ => dir.clone(),
    }
}

/// `name` in directory `dir`; ENOENT if there is none, or if `dir` was removed.
fn child(dir: &Arc<Inode>, name: &[u8]) -> Result<Arc<Inode>, Errno> {
    match &dir.kind {
        InodeKind::Directory(d) => d.lock().lookup(name).ok_or(ENOENT),
        InodeKind::Proc(node) => node.lookup(name),
        _ => Err(ENOTDIR),
    }
}
