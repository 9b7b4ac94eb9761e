//! What a program needs when it runs as the first process of a Linux kernel booted in QEMU (the
//! initramfs's /init, as `make fuzz-linux` and `make bench` run it): mount /proc, and power the
//! machine off at the end (returning from Linux's init panics the kernel). On this kernel /proc is
//! always there and the machine powers off by itself when pid 1 exits, so both do nothing here.

use crate::{procfs::field, sys};
use abi::fcntl::O_RDONLY;

/// Whether this is pid 1 of a Linux kernel (this kernel's /proc/meminfo has a KernelHeap line).
pub fn is_linux_init() -> bool {
    sys::getpid() == 1 && field(b"/proc/meminfo\0", "KernelHeap").is_none()
}

/// Mounts /proc if it is not there (Linux's initramfs has none).
pub fn mount_proc_if_missing() {
    const MKDIR: u64 = 83;
    const MOUNT: u64 = 165;
    let fd = sys::open(b"/proc/self/maps\0", O_RDONLY);
    if fd >= 0 {
        sys::close(fd as u64);
        return;
    }
    let proc = c"/proc".as_ptr() as u64;
    sys::raw(MKDIR, [proc, 0o555, 0, 0, 0, 0]);
    let fstype = c"proc".as_ptr() as u64;
    sys::raw(MOUNT, [fstype, proc, fstype, 0, 0, 0]);
}

/// On Linux as the first process, powers the machine off (reboot(LINUX_REBOOT_CMD_POWER_OFF)).
pub fn power_off_if_linux_init() {
    const REBOOT: u64 = 169;
    const MAGIC1: u64 = 0xfee1_dead;
    const MAGIC2: u64 = 672_274_793;
    const CMD_POWER_OFF: u64 = 0x4321_fedc;
    if is_linux_init() {
        sys::raw(REBOOT, [MAGIC1, MAGIC2, CMD_POWER_OFF, 0, 0, 0]);
    }
}
