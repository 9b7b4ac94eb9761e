//! Self-tests of the file system's insides that no system call shows exactly (see
//! [`crate::ktest`]): the page cache's page count through write, holes and truncation, and the
//! path walk's link rules on a tree built here, away from the root.

use alloc::{string::String, sync::Arc, sync::Weak, vec, vec::Vec};

use abi::stat::{S_IFLNK, S_IFREG};

use super::{Inode, InodeKind, inode::ROOTFS_DEV, namei, new_dir_inode, page_cache};
use crate::{ensure, mm::layout::PAGE_SIZE, syscall::errno::*};

fn regular() -> Result<Arc<Inode>, String> {
    Inode::try_new(
        ROOTFS_DEV,
        String::new(),
        InodeKind::Regular,
        S_IFREG | 0o644,
        &[],
    )
    .ok_or_else(|| String::from("no memory"))
}

/// Writes allocate exactly the pages they touch, holes read as zeros without allocating,
/// truncation frees the pages past the end and zeroes the tail of the last one, and the inode's
/// last reference frees the rest.
pub fn page_cache_accounting() -> Result<(), String> {
    let base = page_cache::cached_pages();
    let file = regular()?;
    let page = PAGE_SIZE as usize;
    let (n, end) = file
        .write(Some(0), &[b'a'; 10])
        .map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(n == 10 && end == 10, "write gave {n}, {end}");
    file.write(Some(3 * PAGE_SIZE + 5), b"far")
        .map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        page_cache::cached_pages() == base + 2,
        "two pages written, not more"
    );
    let mut buf = vec![1u8; 4 * page];
    let read = file.read(0, &mut buf);
    ensure!(read == 3 * page + 8, "read {read}");
    ensure!(
        buf[10..3 * page + 5].iter().all(|&b| b == 0),
        "the hole reads as zeros"
    );
    ensure!(
        page_cache::cached_pages() == base + 2,
        "reading a hole allocates nothing"
    );
    file.truncate(5).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        page_cache::cached_pages() == base + 1,
        "truncate freed the far page"
    );
    file.truncate(20).map_err(|e| alloc::format!("{e:?}"))?;
    let mut tail = [1u8; 20];
    file.read(0, &mut tail);
    ensure!(
        tail[..5] == [b'a'; 5] && tail[5..].iter().all(|&b| b == 0),
        "old bytes are gone"
    );
    drop(file);
    ensure!(
        page_cache::cached_pages() == base,
        "the last reference frees the pages"
    );
    Ok(())
}

/// A detached tree: dir/{f, loop1 -> loop2, loop2 -> loop1, self -> .}.
fn tree() -> Option<Arc<Inode>> {
    let dir = new_dir_inode(String::new(), 0o755, Weak::new())?;
    let link = |target: &[u8]| {
        let kind = InodeKind::Symlink(Vec::from(target));
        Inode::try_new(ROOTFS_DEV, String::new(), kind, S_IFLNK | 0o777, &[])
    };
    let mut entries = dir.dir()?.lock();
    entries.insert(b"f", regular().ok()?).ok()?;
    entries.insert(b"loop1", link(b"loop2")?).ok()?;
    entries.insert(b"loop2", link(b"loop1")?).ok()?;
    entries.insert(b"self", link(b".")?).ok()?;
    drop(entries);
    Some(dir)
}

/// Link loops are ELOOP, 40 links are fine and 41 are not, a file in the middle of a path is
/// ENOTDIR, a trailing slash after a file too, and a final link is followed only when asked.
pub fn path_walk_rules() -> Result<(), String> {
    let dir = tree().ok_or_else(|| String::from("no memory"))?;
    let lookup = |path: &[u8], follow| namei::lookup(dir.clone(), path, follow).map(|_| ());
    ensure!(lookup(b"loop1", true) == Err(ELOOP), "a loop");
    ensure!(
        lookup(b"loop1", false).is_ok(),
        "a final link, not followed"
    );
    ensure!(lookup(b"f/x", true) == Err(ENOTDIR), "a file in the middle");
    ensure!(lookup(b"f/", true) == Err(ENOTDIR), "a file with a slash");
    ensure!(lookup(b"missing", true) == Err(ENOENT), "a missing name");
    let mut forty = Vec::new();
    for _ in 0..40 {
        forty.extend_from_slice(b"self/");
    }
    forty.extend_from_slice(b"f");
    ensure!(lookup(&forty, true).is_ok(), "40 links");
    let mut forty_one = Vec::from(&b"self/"[..]);
    forty_one.extend_from_slice(&forty);
    ensure!(lookup(&forty_one, true) == Err(ELOOP), "41 links");
    let long = vec![b'n'; 256];
    ensure!(
        lookup(&long, true) == Err(ENAMETOOLONG),
        "a name over NAME_MAX"
    );
    ensure!(lookup(b"", true) == Err(ENOENT), "an empty path");
    Ok(())
}
