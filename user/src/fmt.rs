//! `print!`/`println!`/`eprintln!` over write(2), through a small stack buffer so that one call
//! produces one write (output from several processes then interleaves by lines, not by pieces).

use core::fmt::{self, Write};

use crate::sys;

/// Collects formatted output and writes it to a file descriptor in as few calls as possible.
pub struct FdWriter {
    fd: u64,
    buf: [u8; 512],
    len: usize,
}

impl FdWriter {
    pub fn new(fd: u64) -> Self {
        FdWriter {
            fd,
            buf: [0; 512],
            len: 0,
        }
    }

    pub fn flush(&mut self) {
        let mut done = 0;
        while done < self.len {
            let n = sys::write(self.fd, &self.buf[done..self.len]);
            if n <= 0 {
                break;
            }
            done += n as usize;
        }
        self.len = 0;
    }
}

impl Write for FdWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for chunk in s.as_bytes().chunks(self.buf.len()) {
            if self.len + chunk.len() > self.buf.len() {
                self.flush();
            }
            self.buf[self.len..self.len + chunk.len()].copy_from_slice(chunk);
            self.len += chunk.len();
        }
        Ok(())
    }
}

impl Drop for FdWriter {
    fn drop(&mut self) {
        self.flush();
    }
}

#[doc(hidden)]
pub fn _print(fd: u64, args: fmt::Arguments) {
    let mut w = FdWriter::new(fd);
    let _ = w.write_fmt(args);
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::fmt::_print(1, format_args!($($arg)*)));
}

#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::fmt::_print(1, format_args!("{}\n", format_args!($($arg)*))));
}

#[macro_export]
macro_rules! eprintln {
    ($($arg:tt)*) => ($crate::fmt::_print(2, format_args!("{}\n", format_args!($($arg)*))));
}
