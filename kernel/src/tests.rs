//! Self-tests of the pieces outside `mm` (see [`crate::ktest`]).

use alloc::string::String;

use crate::{ensure, initramfs, time};

/// The periodic timer interrupt arrives and advances jiffies and the clock.
pub fn timer_ticks() -> Result<(), String> {
    let (j0, t0) = (time::jiffies(), time::now_ns());
    for _ in 0..5 {
        x86_64::instructions::interrupts::enable_and_hlt();
    }
    let (j1, t1) = (time::jiffies(), time::now_ns());
    ensure!(j1 > j0, "jiffies did not advance: {j0} -> {j1}");
    ensure!(t1 > t0, "clock did not advance: {t0} -> {t1}");
    ensure!(
        time::tsc_hz() > 1_000_000,
        "implausible TSC rate {}",
        time::tsc_hz()
    );
    Ok(())
}

/// The boot context is no thread: its stack's thread-pointer word is zero (it once held a return
/// address, which `thread::current` took for a thread).
pub fn boot_context_has_no_thread() -> Result<(), String> {
    ensure!(
        crate::thread::current().is_none(),
        "thread::current() found a thread on the boot stack"
    );
    Ok(())
}

/// The runner always packs the command line into the initramfs.
pub fn initramfs_has_cmdline() -> Result<(), String> {
    ensure!(
        initramfs::validate().is_ok(),
        "archive invalid: {:?}",
        initramfs::validate()
    );
    let file = initramfs::lookup("/cmdline");
    ensure!(file.is_some(), "no /cmdline in the initramfs");
    ensure!(
        initramfs::files().any(|f| f.path == "cmdline"),
        "files() does not list cmdline"
    );
    Ok(())
}

/// A pipe holds 16 buffers, gives back what was written, and frees its pages when both ends
/// close with data still in it (a leak Linux comparison cannot see). Without a calling thread no
/// SIGPIPE is sent.
pub fn pipe_ring_and_pages() -> Result<(), String> {
    use crate::{fs::pipe::Pipe, syscall::errno::*};
    let used_before = crate::mm::heap::usage().0;
    {
        let (read, write) = Pipe::create().map_err(|e| alloc::format!("create: {e:?}"))?;
        let page = [7u8; 4096];
        for i in 0..16 {
            let n = write.pipe.write(&page, true, false);
            ensure!(n == Ok(4096), "write {i}: {n:?}");
        }
        ensure!(
            write.pipe.write(&page[..1], true, false) == Err(EAGAIN),
            "a 17th buffer"
        );
        ensure!(read.pipe.unread() == 65536, "unread {}", read.pipe.unread());
        let mut buf = [0u8; 5000];
        let n = read.pipe.read(&mut buf, true);
        ensure!(n == Ok(5000) && buf.iter().all(|&b| b == 7), "read: {n:?}");
        drop(read);
        ensure!(
            write.pipe.write(&page[..1], true, false) == Err(EPIPE),
            "write without a reader"
        );
    }
    let used_after = crate::mm::heap::usage().0;
    ensure!(
        used_after == used_before,
        "heap bytes in use: {used_before} before, {used_after} after"
    );
    Ok(())
}
