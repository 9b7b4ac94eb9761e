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
