//! The terminal line discipline (Linux's drivers/tty/n_tty.c): what happens between the keys a
//! person types on the serial console and what `read` returns, and between what a program writes
//! and what reaches the screen. Pure logic, no hardware and no allocation, so the receive
//! interrupt can call it and the host can test it.
//!
//! Input, as Linux with the same `termios` flags:
//! - `c_iflag`: ISTRIP, IGNCR, ICRNL, INLCR.
//! - `c_lflag` ISIG: VINTR (^C), VQUIT (^\) and VSUSP (^Z) become a [`Signal`] for the foreground
//!   process group, and flush the pending input (unless NOFLSH).
//! - `c_lflag` ICANON (canonical mode): input is edited a line at a time (VERASE, and ^H too, as
//!   most terminals send one or the other for Backspace; VKILL; VWERASE, VLNEXT and VREPRINT with
//!   IEXTEN) and becomes readable when a line ends (newline, VEOL, VEOL2, or VEOF, which is not
//!   passed on: VEOF at the start of a line reads as end of file). A read returns at most one line.
//! - Without ICANON (raw, non-canonical mode) every byte is readable at once; VMIN and VTIME are
//!   the reader's business (the kernel's tty waits on them with [`Tty::readable`]).
//! - Echo: ECHO, ECHOCTL (control characters as `^X`), ECHOE (erase rubs out), ECHOK and ECHOKE
//!   (kill), ECHONL.
//!
//! Output: OPOST with ONLCR turns "\n" into "\r\n" (what makes `printf("hi\n")` land at column 0).
//!
//! The input buffer is Linux's size, 4096 bytes. When it is full, a canonical line can still be
//! ended (the newline is kept, other characters are dropped), as Linux does, so a reader is never
//! stuck.
#![no_std]

use abi::termios::*;

/// N_TTY_BUF_SIZE.
pub const BUF_SIZE: usize = 4096;

/// What a control character asks to be sent to the terminal's foreground process group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// VINTR: SIGINT.
    Interrupt,
    /// VQUIT: SIGQUIT.
    Quit,
    /// VSUSP: SIGTSTP.
    Suspend,
}

/// What a read found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// This many bytes were copied.
    Data(usize),
    /// A VEOF at the start of a line: end of file, this once.
    EndOfFile,
    /// Nothing is readable yet: the reader must wait.
    Empty,
}

/// Linux's default terminal settings (tty_std_termios): canonical mode with echo and signals,
/// CR read as NL, NL written as CR NL.
pub const DEFAULT_TERMIOS: termios = default_termios();

/// [`DEFAULT_TERMIOS`], built.
pub const fn default_termios() -> termios {
    let mut cc = [0u8; NCCS];
    // INIT_C_CC: ^C ^\ DEL ^U ^D, VTIME 0, VMIN 1, ^Q ^S ^Z, VEOL 0, ^R ^O ^W ^V, VEOL2 0.
    cc[VINTR] = 0x03;
    cc[VQUIT] = 0x1c;
    cc[VERASE] = 0x7f;
    cc[VKILL] = 0x15;
    cc[VEOF] = 0x04;
    cc[VTIME] = 0;
    cc[VMIN] = 1;
    cc[VSTART] = 0x11;
    cc[VSTOP] = 0x13;
    cc[VSUSP] = 0x1a;
    cc[VREPRINT] = 0x12;
    cc[VDISCARD] = 0x0f;
    cc[VWERASE] = 0x17;
    cc[VLNEXT] = 0x16;
    termios {
        c_iflag: ICRNL | IXON,
        c_oflag: OPOST | ONLCR,
        c_cflag: B38400 | CS8 | CREAD | HUPCL,
        c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
        c_line: 0,
        c_cc: cc,
    }
}

/// Writes `bytes` as a terminal with settings `termios` shows them: with OPOST and ONLCR, "\n" as
/// "\r\n"; otherwise unchanged. Through `emit`, in pieces.
pub fn output(termios: &termios, bytes: &[u8], emit: &mut dyn FnMut(&[u8])) {
    let onlcr = termios.c_oflag & OPOST != 0 && termios.c_oflag & ONLCR != 0;
    if !onlcr {
        emit(bytes);
        return;
    }
    for piece in bytes.split_inclusive(|&b| b == b'\n') {
        match piece.split_last() {
            Some((b'\n', text)) => {
                emit(text);
                emit(b"\r\n");
            }
            _ => emit(piece),
        }
    }
}

/// Flags kept with each buffered byte.
const LINE_END: u8 = 1;
/// A VEOF: ends the line, but is not itself data.
const EOF_MARK: u8 = 2;

/// One terminal's line discipline state.
pub struct Tty {
    pub termios: termios,
    buf: [u8; BUF_SIZE],
    flags: [u8; BUF_SIZE],
    /// Ring positions (counting up forever; index with `% BUF_SIZE`): the next byte to read, the
    /// end of the completed lines (canonical mode), and the end of everything received.
    tail: usize,
    canon_head: usize,
    head: usize,
    /// The next byte is literal (after VLNEXT).
    literal_next: bool,
}

impl Default for Tty {
    fn default() -> Self {
        Self::new()
    }
}

impl Tty {
    pub const fn new_with(termios: termios) -> Tty {
        Tty {
            termios,
            buf: [0; BUF_SIZE],
            flags: [0; BUF_SIZE],
            tail: 0,
            canon_head: 0,
            head: 0,
            literal_next: false,
        }
    }

    pub fn new() -> Tty {
        Self::new_with(default_termios())
    }

    fn lflag(&self, flag: tcflag_t) -> bool {
        self.termios.c_lflag & flag != 0
    }

    fn iflag(&self, flag: tcflag_t) -> bool {
        self.termios.c_iflag & flag != 0
    }

    fn cc(&self, index: usize) -> Option<u8> {
        // A control character set to 0 (_POSIX_VDISABLE) is disabled.
        match self.termios.c_cc[index] {
            0 => None,
            c => Some(c),
        }
    }

    fn canonical(&self) -> bool {
        self.lflag(ICANON)
    }

    /// Bytes buffered (in lines or not).
    fn len(&self) -> usize {
        self.head - self.tail
    }

    /// Changes the settings (TCSETS). Leaving canonical mode makes the line being edited readable,
    /// as Linux's n_tty_set_termios does; entering it leaves what is buffered readable as it is.
    pub fn set_termios(&mut self, termios: termios) {
        let was_canonical = self.canonical();
        self.termios = termios;
        if was_canonical && !self.canonical() {
            self.canon_head = self.head;
        }
    }

    /// Drops all pending input (TCSETSF, TCFLSH, and a signal character without NOFLSH).
    pub fn flush_input(&mut self) {
        self.tail = self.head;
        self.canon_head = self.head;
        self.literal_next = false;
    }

    /// How many bytes a read could return now without waiting (FIONREAD; in canonical mode only
    /// completed lines count, with end-of-file marks as Linux counts nothing for them).
    pub fn readable(&self) -> usize {
        let end = if self.canonical() {
            self.canon_head
        } else {
            self.head
        };
        (self.tail..end)
            .filter(|&i| self.flags[i % BUF_SIZE] & EOF_MARK == 0)
            .count()
    }

    /// Whether a read would return now (data or end of file).
    pub fn read_ready(&self) -> bool {
        if self.canonical() {
            self.canon_head > self.tail
        } else {
            self.head > self.tail
        }
    }

    /// Reads into `out`: in canonical mode at most one line (a line longer than `out` is read in
    /// pieces), otherwise whatever is buffered.
    pub fn read(&mut self, out: &mut [u8]) -> Read {
        if !self.read_ready() {
            return Read::Empty;
        }
        if !self.canonical() {
            let mut n = 0;
            while n < out.len() && self.tail < self.head {
                let i = self.tail % BUF_SIZE;
                self.tail += 1;
                if self.flags[i] & EOF_MARK != 0 {
                    continue; // an EOF typed in canonical mode before the switch
                }
                out[n] = self.buf[i];
                n += 1;
            }
            return Read::Data(n);
        }
        let mut n = 0;
        while n < out.len() && self.tail < self.canon_head {
            let i = self.tail % BUF_SIZE;
            let flags = self.flags[i];
            if flags & EOF_MARK != 0 {
                if n == 0 {
                    self.tail += 1;
                    return Read::EndOfFile;
                }
                // The EOF ends this line; it is consumed by this read, as Linux does.
                self.tail += 1;
                break;
            }
            out[n] = self.buf[i];
            n += 1;
            self.tail += 1;
            if flags & LINE_END != 0 {
                break;
            }
        }
        Read::Data(n)
    }

    /// Appends a byte with its flags; false if the buffer is full.
    fn push(&mut self, c: u8, flags: u8) -> bool {
        if self.len() >= BUF_SIZE {
            return false;
        }
        let i = self.head % BUF_SIZE;
        self.buf[i] = c;
        self.flags[i] = flags;
        self.head += 1;
        true
    }

    /// Writes `bytes` as the terminal shows them (see [`output`]).
    pub fn output(&self, bytes: &[u8], emit: &mut dyn FnMut(&[u8])) {
        output(&self.termios, bytes, emit);
    }

    /// Echoes one input byte: control characters as ^X with ECHOCTL (not tab or newline).
    fn echo_char(&self, c: u8, emit: &mut dyn FnMut(&[u8])) {
        if self.lflag(ECHOCTL) && (c < 0x20 || c == 0x7f) && c != b'\t' && c != b'\n' {
            emit(&[b'^', c ^ 0x40]);
        } else {
            self.output(&[c], emit);
        }
    }

    /// How many columns the echo of `c` took.
    fn echo_width(&self, c: u8) -> usize {
        if self.lflag(ECHOCTL) && (c < 0x20 || c == 0x7f) && c != b'\t' {
            2
        } else {
            1
        }
    }

    /// Removes the last character of the line being edited, rubbing it out on screen with ECHOE.
    /// False if the line is empty.
    fn erase_one(&mut self, emit: &mut dyn FnMut(&[u8])) -> bool {
        if self.head == self.canon_head {
            return false;
        }
        self.head -= 1;
        let c = self.buf[self.head % BUF_SIZE];
        if self.lflag(ECHO) && self.lflag(ECHOE) {
            if c == b'\t' {
                // Back to the column the tab started at: recount the line (it began at column 0
                // of what was echoed; a prompt before it is not known here).
                let column: usize = (self.canon_head..self.head)
                    .map(|i| self.buf[i % BUF_SIZE])
                    .fold(0, |col, ch| {
                        if ch == b'\t' {
                            (col / 8 + 1) * 8
                        } else {
                            col + self.echo_width(ch)
                        }
                    });
                let width = 8 - column % 8;
                for _ in 0..width {
                    emit(b"\x08");
                }
            } else {
                for _ in 0..self.echo_width(c) {
                    emit(b"\x08 \x08");
                }
            }
        }
        true
    }

    /// Receives one byte from the device: edits, echoes through `emit`, and returns the signal a
    /// control character asks for.
    pub fn receive(&mut self, mut c: u8, emit: &mut dyn FnMut(&[u8])) -> Option<Signal> {
        if self.iflag(ISTRIP) {
            c &= 0x7f;
        }
        if self.literal_next {
            self.literal_next = false;
            self.store(c, emit);
            return None;
        }
        if c == b'\r' {
            if self.iflag(IGNCR) {
                return None;
            }
            if self.iflag(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && self.iflag(INLCR) {
            c = b'\r';
        }
        if self.lflag(ISIG) {
            let signal = match Some(c) {
                x if x == self.cc(VINTR) => Some(Signal::Interrupt),
                x if x == self.cc(VQUIT) => Some(Signal::Quit),
                x if x == self.cc(VSUSP) => Some(Signal::Suspend),
                _ => None,
            };
            if let Some(signal) = signal {
                if !self.lflag(NOFLSH) {
                    self.flush_input();
                }
                if self.lflag(ECHO) {
                    self.echo_char(c, emit);
                }
                return Some(signal);
            }
        }
        if self.canonical() && self.edit(c, emit) {
            return None;
        }
        self.store(c, emit);
        None
    }

    /// The canonical-mode editing characters; true if `c` was one of them.
    fn edit(&mut self, c: u8, emit: &mut dyn FnMut(&[u8])) -> bool {
        let iexten = self.lflag(IEXTEN);
        let is = |index: usize| Some(c) == self.cc(index);
        if is(VERASE) || c == 0x08 {
            self.erase_one(emit);
        } else if is(VKILL) {
            if self.lflag(ECHO) && self.lflag(ECHOK) && !self.lflag(ECHOKE) {
                // Without ECHOKE the line stays on screen: echo the kill character, then a newline.
                self.echo_char(c, emit);
                self.output(b"\n", emit);
                self.head = self.canon_head;
            } else {
                while self.erase_one(emit) {}
            }
        } else if iexten && is(VWERASE) {
            // Spaces before the word, then the word.
            while self.head > self.canon_head
                && matches!(self.buf[(self.head - 1) % BUF_SIZE], b' ' | b'\t')
            {
                self.erase_one(emit);
            }
            while self.head > self.canon_head
                && !matches!(self.buf[(self.head - 1) % BUF_SIZE], b' ' | b'\t')
            {
                self.erase_one(emit);
            }
        } else if iexten && is(VLNEXT) {
            self.literal_next = true;
            if self.lflag(ECHO) && self.lflag(ECHOCTL) {
                emit(b"^\x08");
            }
        } else if iexten && is(VREPRINT) {
            if self.lflag(ECHO) {
                self.echo_char(c, emit);
                self.output(b"\n", emit);
                for i in self.canon_head..self.head {
                    self.echo_char(self.buf[i % BUF_SIZE], emit);
                }
            }
        } else if is(VEOF) {
            // Ends the line without adding to it; at the start of a line, the reader sees EOF.
            if self.push(0, LINE_END | EOF_MARK) {
                self.canon_head = self.head;
            }
        } else {
            return false;
        }
        true
    }

    /// Stores an ordinary byte (or a line end) and echoes it.
    fn store(&mut self, c: u8, emit: &mut dyn FnMut(&[u8])) {
        let canonical = self.canonical();
        let line_end =
            canonical && (c == b'\n' || Some(c) == self.cc(VEOL) || Some(c) == self.cc(VEOL2));
        // A full buffer keeps room for nothing but a line end in canonical mode (Linux keeps the
        // last byte for it, so a reader waiting for a line is never stuck).
        let room = BUF_SIZE - self.len();
        if room == 0 || (canonical && !line_end && room == 1) {
            if self.lflag(ECHO) {
                emit(b"\x07"); // the bell, as Linux with IMAXBEL
            }
            return;
        }
        if self.lflag(ECHO) || (c == b'\n' && self.lflag(ECHONL) && canonical) {
            self.echo_char(c, emit);
        }
        self.push(c, if line_end { LINE_END } else { 0 });
        if line_end || !canonical {
            self.canon_head = self.head;
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::{string::String, vec::Vec};

    /// Feeds `input`, returning the echo and the signals.
    fn type_in(tty: &mut Tty, input: &[u8]) -> (String, Vec<Signal>) {
        let mut echo = Vec::new();
        let mut signals = Vec::new();
        for &c in input {
            if let Some(s) = tty.receive(c, &mut |b: &[u8]| echo.extend_from_slice(b)) {
                signals.push(s);
            }
        }
        (String::from_utf8_lossy(&echo).into_owned(), signals)
    }

    fn read_all(tty: &mut Tty) -> Vec<Result<String, &'static str>> {
        let mut out = Vec::new();
        loop {
            let mut buf = [0u8; 64];
            match tty.read(&mut buf) {
                Read::Data(n) => out.push(Ok(String::from_utf8_lossy(&buf[..n]).into_owned())),
                Read::EndOfFile => out.push(Err("EOF")),
                Read::Empty => return out,
            }
        }
    }

    #[test]
    fn canonical_lines_with_echo_and_crnl() {
        let mut tty = Tty::new();
        let (echo, _) = type_in(&mut tty, b"ls -l\r");
        assert_eq!(echo, "ls -l\r\n");
        assert_eq!(read_all(&mut tty), [Ok("ls -l\n".into())]);
        type_in(&mut tty, b"partial");
        assert!(!tty.read_ready(), "an unfinished line is not readable");
        assert_eq!(tty.readable(), 0);
    }

    #[test]
    fn erase_kill_and_word_erase() {
        let mut tty = Tty::new();
        let (echo, _) = type_in(&mut tty, b"helo\x7f\x7flo\x08p\n");
        assert_eq!(read_all(&mut tty), [Ok("help\n".into())]);
        assert!(echo.contains("\x08 \x08"));
        type_in(&mut tty, b"rm -rf /\x15echo hi\n");
        assert_eq!(read_all(&mut tty), [Ok("echo hi\n".into())]);
        type_in(&mut tty, b"cat foo bar  \x17baz\n");
        assert_eq!(read_all(&mut tty), [Ok("cat foo baz\n".into())]);
        // Erasing past the start of the line does nothing.
        type_in(&mut tty, b"\x7f\x7fx\n");
        assert_eq!(read_all(&mut tty), [Ok("x\n".into())]);
    }

    #[test]
    fn eof_at_line_start_and_after_text() {
        let mut tty = Tty::new();
        type_in(&mut tty, b"abc\x04");
        assert_eq!(read_all(&mut tty), [Ok("abc".into())]);
        type_in(&mut tty, b"\x04");
        assert_eq!(read_all(&mut tty), [Err("EOF")]);
        assert_eq!(read_all(&mut tty), []);
    }

    #[test]
    fn signals_flush_and_echo() {
        let mut tty = Tty::new();
        let (echo, signals) = type_in(&mut tty, b"sleep 100\x03");
        assert_eq!(signals, [Signal::Interrupt]);
        assert!(echo.ends_with("^C"));
        type_in(&mut tty, b"\n");
        assert_eq!(
            read_all(&mut tty),
            [Ok("\n".into())],
            "the line before ^C was flushed"
        );
        let (_, signals) = type_in(&mut tty, b"\x1c\x1a");
        assert_eq!(signals, [Signal::Quit, Signal::Suspend]);
        // Without ISIG they are ordinary bytes.
        tty.termios.c_lflag &= !ISIG;
        let (_, signals) = type_in(&mut tty, b"\x03\n");
        assert!(signals.is_empty());
        assert_eq!(read_all(&mut tty), [Ok("\x03\n".into())]);
    }

    #[test]
    fn raw_mode_reads_bytes_at_once() {
        let mut tty = Tty::new();
        type_in(&mut tty, b"ab");
        let mut t = tty.termios;
        t.c_lflag &= !(ICANON | ECHO);
        tty.set_termios(t);
        assert_eq!(tty.readable(), 2, "the line being edited became readable");
        let (echo, _) = type_in(&mut tty, b"\x7fq");
        assert_eq!(echo, "");
        assert_eq!(read_all(&mut tty), [Ok("ab\x7fq".into())]);
    }

    #[test]
    fn literal_next_and_reprint() {
        let mut tty = Tty::new();
        type_in(&mut tty, b"a\x16\x03b\n");
        assert_eq!(read_all(&mut tty), [Ok("a\x03b\n".into())]);
        let (echo, _) = type_in(&mut tty, b"xy\x12");
        assert!(echo.ends_with("^R\r\nxy"), "{echo:?}");
    }

    #[test]
    fn long_lines_read_in_pieces_and_one_line_per_read() {
        let mut tty = Tty::new();
        type_in(&mut tty, b"one\ntwo\n");
        let mut buf = [0u8; 2];
        assert_eq!(tty.read(&mut buf), Read::Data(2));
        assert_eq!(&buf, b"on");
        let mut big = [0u8; 64];
        assert_eq!(tty.read(&mut big), Read::Data(2));
        assert_eq!(&big[..2], b"e\n");
        assert_eq!(tty.read(&mut big), Read::Data(4));
    }

    #[test]
    fn a_full_buffer_still_takes_a_newline() {
        let mut tty = Tty::new();
        let long = [b'x'; BUF_SIZE + 100];
        let (echo, _) = type_in(&mut tty, &long);
        assert!(echo.contains('\x07'), "the bell rings when full");
        type_in(&mut tty, b"\n");
        let mut buf = [0u8; BUF_SIZE];
        assert_eq!(tty.read(&mut buf), Read::Data(BUF_SIZE));
        assert_eq!(buf[BUF_SIZE - 1], b'\n');
    }

    #[test]
    fn output_maps_newlines() {
        let tty = Tty::new();
        let mut out = Vec::new();
        tty.output(b"a\nb\n\nc", &mut |b: &[u8]| out.extend_from_slice(b));
        assert_eq!(out, b"a\r\nb\r\n\r\nc");
    }

    /// A model of canonical mode: feed random keystrokes (letters, erase, kill, newline, EOF) and
    /// compare the lines read with a simple editor's.
    #[test]
    fn random_editing_matches_a_model() {
        let mut seed = 12345u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let mut tty = Tty::new();
            let mut model_line = Vec::new();
            let mut model_out: Vec<Result<String, &str>> = Vec::new();
            for _ in 0..200 {
                let c = match next() % 10 {
                    0 => 0x7f,
                    1 => 0x15,
                    2 => b'\n',
                    3 => 0x04,
                    4 => b' ',
                    _ => b'a' + (next() % 26) as u8,
                };
                type_in(&mut tty, &[c]);
                match c {
                    0x7f => {
                        model_line.pop();
                    }
                    0x15 => model_line.clear(),
                    b'\n' => {
                        model_line.push(b'\n');
                        model_out.push(Ok(String::from_utf8(model_line.clone()).unwrap()));
                        model_line.clear();
                    }
                    0x04 => {
                        model_out.push(if model_line.is_empty() {
                            Err("EOF")
                        } else {
                            Ok(String::from_utf8(model_line.clone()).unwrap())
                        });
                        model_line.clear();
                    }
                    c => model_line.push(c),
                }
            }
            assert_eq!(read_all(&mut tty), model_out);
        }
    }
}
