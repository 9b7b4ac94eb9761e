//! Terminals: the kernel's `struct termios` and `termios2` (what `TCGETS`/`TCSETS*` and
//! `TCGETS2`/`TCSETS2` copy), `struct winsize`, the tty `ioctl` numbers and the common flag bits.
//!
//! From `include/uapi/asm-generic/termbits.h`, `termbits-common.h`, `termios.h` and `ioctls.h`
//! (x86_64 uses the generic ones).
//!
//! The kernel's `struct termios` is 36 bytes (`NCCS` = 19, no speed fields). glibc's `struct
//! termios` is a different, 60-byte struct (`NCCS` = 32, plus `c_ispeed`/`c_ospeed`) that its
//! `tcgetattr` fills from the kernel's; a program built on a C library never sees this one.

pub type tcflag_t = u32;
pub type cc_t = u8;
pub type speed_t = u32;

/// The kernel's number of control characters.
pub const NCCS: usize = 19;

/// The kernel's terminal settings (`struct termios`): 36 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct termios {
    pub c_iflag: tcflag_t,
    pub c_oflag: tcflag_t,
    pub c_cflag: tcflag_t,
    pub c_lflag: tcflag_t,
    /// Line discipline (0, N_TTY).
    pub c_line: cc_t,
    /// Control characters, indexed by `V*`.
    pub c_cc: [cc_t; NCCS],
}
layout!(termios, 36; c_iflag = 0, c_oflag = 4, c_cflag = 8, c_lflag = 12, c_line = 16, c_cc = 17);

/// `termios` with arbitrary baud rates (`struct termios2`, `TCGETS2`): 44 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct termios2 {
    pub c_iflag: tcflag_t,
    pub c_oflag: tcflag_t,
    pub c_cflag: tcflag_t,
    pub c_lflag: tcflag_t,
    pub c_line: cc_t,
    pub c_cc: [cc_t; NCCS],
    pub c_ispeed: speed_t,
    pub c_ospeed: speed_t,
}
layout!(termios2, 44;
    c_iflag = 0, c_oflag = 4, c_cflag = 8, c_lflag = 12, c_line = 16, c_cc = 17, c_ispeed = 36,
    c_ospeed = 40,
);

/// A terminal's size (`struct winsize`, `TIOCGWINSZ`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}
layout!(winsize, 8; ws_row = 0, ws_col = 2, ws_xpixel = 4, ws_ypixel = 6);

// tty ioctls (asm-generic/ioctls.h). A file that is not a terminal answers them with ENOTTY,
// which is how `isatty` tells.
pub const TCGETS: u64 = 0x5401;
pub const TCSETS: u64 = 0x5402;
pub const TCSETSW: u64 = 0x5403;
pub const TCSETSF: u64 = 0x5404;
pub const TIOCSCTTY: u64 = 0x540e;
pub const TIOCGPGRP: u64 = 0x540f;
pub const TIOCSPGRP: u64 = 0x5410;
pub const TIOCGWINSZ: u64 = 0x5413;
pub const TIOCSWINSZ: u64 = 0x5414;
pub const FIONREAD: u64 = 0x541b;
pub const TIOCNOTTY: u64 = 0x5422;
pub const FIONBIO: u64 = 0x5421;
pub const TCGETS2: u64 = 0x802c_542a;
pub const TCSETS2: u64 = 0x402c_542b;
pub const FIOCLEX: u64 = 0x5451;
pub const FIONCLEX: u64 = 0x5450;

// `c_cc` indices.
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSWTC: usize = 7;
pub const VSTART: usize = 8;
pub const VSTOP: usize = 9;
pub const VSUSP: usize = 10;
pub const VEOL: usize = 11;
pub const VREPRINT: usize = 12;
pub const VDISCARD: usize = 13;
pub const VWERASE: usize = 14;
pub const VLNEXT: usize = 15;
pub const VEOL2: usize = 16;

// `c_iflag` bits.
pub const IGNBRK: tcflag_t = 0o1;
pub const BRKINT: tcflag_t = 0o2;
pub const IGNPAR: tcflag_t = 0o4;
pub const PARMRK: tcflag_t = 0o10;
pub const INPCK: tcflag_t = 0o20;
pub const ISTRIP: tcflag_t = 0o40;
pub const INLCR: tcflag_t = 0o100;
pub const IGNCR: tcflag_t = 0o200;
/// Translate CR to NL on input.
pub const ICRNL: tcflag_t = 0o400;
pub const IXON: tcflag_t = 0o2000;
pub const IXANY: tcflag_t = 0o4000;
pub const IXOFF: tcflag_t = 0o10000;
pub const IMAXBEL: tcflag_t = 0o20000;
pub const IUTF8: tcflag_t = 0o40000;

// `c_oflag` bits.
pub const OPOST: tcflag_t = 0o1;
/// Translate NL to CR-NL on output.
pub const ONLCR: tcflag_t = 0o4;

// `c_cflag` bits.
pub const CSIZE: tcflag_t = 0o60;
pub const CS8: tcflag_t = 0o60;
pub const CSTOPB: tcflag_t = 0o100;
pub const CREAD: tcflag_t = 0o200;
pub const PARENB: tcflag_t = 0o400;
pub const HUPCL: tcflag_t = 0o2000;
pub const CLOCAL: tcflag_t = 0o4000;
pub const CBAUD: tcflag_t = 0o10017;
pub const B38400: tcflag_t = 0o17;

// `c_lflag` bits.
/// Generate signals for INTR, QUIT, SUSP.
pub const ISIG: tcflag_t = 0o1;
/// Line-by-line input with editing.
pub const ICANON: tcflag_t = 0o2;
pub const ECHO: tcflag_t = 0o10;
pub const ECHOE: tcflag_t = 0o20;
pub const ECHOK: tcflag_t = 0o40;
pub const ECHONL: tcflag_t = 0o100;
pub const NOFLSH: tcflag_t = 0o200;
pub const TOSTOP: tcflag_t = 0o400;
pub const ECHOCTL: tcflag_t = 0o1000;
pub const ECHOKE: tcflag_t = 0o4000;
pub const IEXTEN: tcflag_t = 0o100000;
