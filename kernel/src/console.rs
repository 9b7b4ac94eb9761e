//! Kernel console output: the `print!`/`println!` macros and the `log` facade, both on the serial
//! port. Log lines carry a timestamp in seconds since boot, like Linux's dmesg:
//! `[    0.012345] INFO  frames: 130000 free of 131072`.

use core::{
    fmt,
    sync::atomic::{AtomicBool, Ordering},
};
use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::{arch::serial, time};

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    serial::write_fmt(args);
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

/// Prints to the console, with a newline.
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::print!("{}\n", format_args!($($arg)*)));
}

struct Logger;

static LOGGER: Logger = Logger;

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let ns = time::now_ns();
        let level = match record.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        serial::write_fmt(format_args!(
            "[{:5}.{:06}] {} {}\n",
            ns / 1_000_000_000,
            (ns / 1000) % 1_000_000,
            level,
            record.args()
        ));
    }

    fn flush(&self) {}
}

/// Installs the logger. `level` comes from the command line (`loglevel=debug`), default info.
pub fn init_logger(level: LevelFilter) {
    let _ = log::set_logger(&LOGGER);
    set_level(level);
}

/// Whether trace lines are logged, in a flag of the kernel's own: the system-call and fault fast
/// paths test it with one instruction (log's level sits behind an indirection).
static TRACING: AtomicBool = AtomicBool::new(false);

/// Sets how much the kernel logs.
pub fn set_level(level: LevelFilter) {
    log::set_max_level(level);
    TRACING.store(level >= LevelFilter::Trace, Ordering::Relaxed);
}

/// Whether trace lines are logged (see `TRACING`).
#[inline(always)]
pub fn tracing() -> bool {
    TRACING.load(Ordering::Relaxed)
}
