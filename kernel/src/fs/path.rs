//! Path names as text: PATH_MAX, and the lexical normalisation that gives a program the absolute
//! name /proc shows for it (execve). Lookups walk the tree instead (see [`super::namei`]), which
//! resolves symbolic links and `..` as Linux does.

use alloc::{string::String, vec::Vec};

use crate::syscall::errno::{ENAMETOOLONG, ENOENT, Errno};

/// Linux's PATH_MAX, including the terminating NUL.
pub const PATH_MAX: usize = 4096;

/// Turns `path` (absolute, or relative to `base`) into a normalised absolute path: no `.`, no `..`,
/// no repeated or trailing slashes. `..` at the root stays at the root, as on Linux.
pub fn normalize(base: &str, path: &[u8]) -> Result<String, Errno> {
    if path.is_empty() {
        return Err(ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(ENAMETOOLONG);
    }
    let path = core::str::from_utf8(path).map_err(|_| ENOENT)?;
    let mut parts: Vec<&str> = Vec::new();
    let joined_base = if path.starts_with('/') { "" } else { base };
    for part in joined_base.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => {
                if p.len() > 255 {
                    return Err(ENAMETOOLONG);
                }
                parts.push(p)
            }
        }
    }
    let mut out = String::from("/");
    out.push_str(&parts.join("/"));
    Ok(out)
}
