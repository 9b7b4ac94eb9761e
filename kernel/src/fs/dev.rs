//! Character devices of /dev (drivers/char/mem.c, random.c, tty): the memory devices, the random
//! sources and the console. The console reads end-of-file, as it does for the first process's
//! descriptors.

use crate::{arch::serial, syscall::errno::*};

/// A character device, by what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Null,
    Zero,
    Full,
    Random,
    Urandom,
    Tty,
    Console,
}

/// The nodes made in /dev at boot: name, device, permissions (as udev makes them).
pub const NODES: [(&str, Device, u32); 7] = [
    ("null", Device::Null, 0o666),
    ("zero", Device::Zero, 0o666),
    ("full", Device::Full, 0o666),
    ("random", Device::Random, 0o666),
    ("urandom", Device::Urandom, 0o666),
    ("tty", Device::Tty, 0o666),
    ("console", Device::Console, 0o600),
];

impl Device {
    /// Linux's (major, minor) (Documentation/admin-guide/devices.txt).
    pub fn number(self) -> (u32, u32) {
        match self {
            Device::Null => (1, 3),
            Device::Zero => (1, 5),
            Device::Full => (1, 7),
            Device::Random => (1, 8),
            Device::Urandom => (1, 9),
            Device::Tty => (5, 0),
            Device::Console => (5, 1),
        }
    }

    /// read(): nothing from null and the console, zeros from zero and full, random bytes from the
    /// random devices.
    pub fn read(self, buf: &mut [u8]) -> usize {
        match self {
            Device::Null | Device::Tty | Device::Console => 0,
            Device::Zero | Device::Full => {
                buf.fill(0);
                buf.len()
            }
            // One generator behind both, as Linux since 5.18 (crate::random).
            Device::Random | Device::Urandom => {
                crate::random::fill(buf);
                buf.len()
            }
        }
    }

    /// write(): swallowed, except by full (ENOSPC) and the console (printed).
    pub fn write(self, buf: &[u8]) -> Result<usize, Errno> {
        match self {
            Device::Full => Err(ENOSPC),
            Device::Tty | Device::Console => {
                serial::write_bytes(buf);
                Ok(buf.len())
            }
            _ => Ok(buf.len()),
        }
    }
}
