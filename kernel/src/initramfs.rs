//! The initramfs: a cpio "newc" archive that the runner hands to the bootloader as its ramdisk, the
//! way Linux receives its initrd. It holds the programs to run and the kernel command line
//! (`/cmdline`). Files are read in place from the ramdisk; nothing is copied at boot.

static ARCHIVE: spin::Once<&'static [u8]> = spin::Once::new();

/// A file of the initramfs.
#[derive(Clone, Copy, Debug)]
pub struct File {
    /// Path inside the archive without the leading `/` (`bin/init`), as cpio stores it.
    pub path: &'static str,
    pub data: &'static [u8],
    pub mode: u32,
}

/// Takes the ramdisk the bootloader mapped (virtual address and length).
pub fn init(ramdisk: Option<(u64, u64)>) {
    let data: &'static [u8] = match ramdisk {
        // SAFETY: the bootloader mapped the ramdisk at this address, read-only for our purposes, for
        // the kernel's whole life, and nothing writes to it.
        Some((addr, len)) => unsafe {
            core::slice::from_raw_parts(addr as *const u8, len as usize)
        },
        None => &[],
    };
    ARCHIVE.call_once(|| data);
}

pub fn archive() -> &'static [u8] {
    ARCHIVE.get().copied().unwrap_or(&[])
}

fn to_file(entry: cpio::Entry<'static>) -> File {
    let name = entry.name.trim_start_matches("./").trim_start_matches('/');
    File {
        path: name,
        data: entry.data,
        mode: entry.mode,
    }
}

/// All regular files, in archive order. A damaged archive yields the files before the damage.
pub fn files() -> impl Iterator<Item = File> {
    cpio::entries(archive())
        .map_while(Result::ok)
        .filter(|e| e.is_file())
        .map(to_file)
}

/// Checks the archive as a whole: `Ok(count)` or the first error.
pub fn validate() -> Result<usize, cpio::Error> {
    let mut count = 0;
    for entry in cpio::entries(archive()) {
        entry?;
        count += 1;
    }
    Ok(count)
}

/// Looks a file up by absolute or relative path.
pub fn lookup(path: &str) -> Option<File> {
    let entry = cpio::find(archive(), path).ok()??;
    entry.is_file().then(|| to_file(entry))
}
