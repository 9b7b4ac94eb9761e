//! The console terminal (Linux's drivers/tty/tty_io.c and serial_core, for the one serial port):
//! the line discipline of the `tty` crate between the UART and the programs that read and write
//! the console, its settings (termios, window size) and its job control (the session it belongs to
//! and its foreground process group).
//!
//! Input arrives by the UART's receive interrupt ([`receive_interrupt`]): each byte goes through
//! the line discipline, which edits and echoes it; a completed line (or, in raw mode, any byte)
//! wakes the readers, and a signal character sends its signal to the foreground process group.
//! Output goes through the line discipline's output processing (ONLCR: "\n" as "\r\n", as any
//! Linux serial console writes it).
//!
//! The console is the controlling terminal of the first session (pid 1's): the foreground process
//! group starts as pid 1's, and TIOCSPGRP moves it, as a shell with job control does.

use ::tty::{Read, Signal, Tty};
use abi::termios::{
    FIONREAD, TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGWINSZ, TIOCNOTTY, TIOCSCTTY,
    TIOCSPGRP, TIOCSWINSZ, VMIN, VTIME, termios, winsize,
};
use core::sync::atomic::Ordering;

use crate::{
    arch::{serial, uaccess},
    process,
    sched::WaitQueue,
    signal,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
    thread, time,
};

/// The console's state.
struct Console {
    ldisc: Tty,
    /// The foreground process group (TIOCGPGRP/TIOCSPGRP).
    foreground: u32,
    /// The session whose controlling terminal this is.
    session: u32,
    size: winsize,
}

static CONSOLE: IrqMutex<Console> = IrqMutex::new(Console {
    ldisc: Tty::new_with(::tty::DEFAULT_TERMIOS),
    foreground: 1,
    session: 1,
    size: winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    },
});

/// Readers (and pollers) waiting for input.
pub static READ_WAIT: WaitQueue = WaitQueue::new();

/// Starts taking input: the UART raises its receive interrupt from now on.
pub fn init() {
    serial::enable_receive_interrupt();
}

/// The UART's receive interrupt: every byte waiting in its FIFO goes through the line discipline.
/// Echo goes straight back out; signals go to the foreground process group once the console lock
/// is released.
pub fn receive_interrupt() {
    let mut bytes = [0u8; 16];
    loop {
        let n = serial::receive(&mut bytes);
        if n == 0 {
            break;
        }
        let mut signals = [None; 16];
        let foreground = {
            let mut console = CONSOLE.lock();
            for (i, &b) in bytes[..n].iter().enumerate() {
                signals[i] = console
                    .ldisc
                    .receive(b, &mut |echo| serial::write_bytes(echo));
            }
            console.foreground
        };
        for sig in signals.iter().flatten() {
            send_to_group(foreground, *sig);
        }
    }
    READ_WAIT.wake_all();
    crate::fs::file::poll_wake();
}

/// A signal character's signal, to every process of `pgrp` (Linux's isig and kill_pgrp).
fn send_to_group(pgrp: u32, sig: Signal) {
    let sig = match sig {
        Signal::Interrupt => signal::SIGINT,
        Signal::Quit => signal::SIGQUIT,
        Signal::Suspend => signal::SIGTSTP,
    };
    // As Linux's isig: kill_pgrp with the kernel as the sender; an empty group is no error here.
    let _ = signal::kill_pgrp(pgrp, sig, signal::KSigInfo::kernel());
}

/// Linux's __tty_check_change (drivers/tty/tty_jobctrl.c): a process of a background group of the
/// console's session that reads (SIGTTIN), or writes with TOSTOP, changes the settings or the
/// foreground group (SIGTTOU) gets its group stopped by `sig` and the call restarts once it is
/// continued (ERESTARTSYS). If it ignores or blocks the signal, the call goes ahead (EIO for a
/// read); in an orphaned group, whom nobody could continue, it fails with EIO.
fn job_control(sig: u8) -> Result<(), Errno> {
    let Some(me) = thread::current() else {
        return Ok(());
    };
    let process = &me.process;
    let pgrp = process.pgid.load(Ordering::Relaxed);
    {
        let console = CONSOLE.lock();
        if process.sid.load(Ordering::Relaxed) != console.session || console.foreground == pgrp {
            return Ok(());
        }
    }
    let ignored = me.sigmask.get() & signal::sigmask(sig) != 0
        || process.actions().get(sig).sa_handler == abi::signal::SIG_IGN;
    if ignored {
        return if sig == signal::SIGTTIN {
            Err(EIO)
        } else {
            Ok(())
        };
    }
    if process::pgrp::is_orphaned_pgrp(pgrp) {
        return Err(EIO);
    }
    let _ = signal::kill_pgrp(pgrp, sig, signal::KSigInfo::kernel());
    signal::set_restart(signal::ERESTARTSYS);
    Err(EINTR)
}

/// Whether a read would return now (for poll).
pub fn read_ready() -> bool {
    let console = CONSOLE.lock();
    let t = &console.ldisc.termios;
    // In raw mode with VMIN = 0, a read never waits.
    console.ldisc.read_ready() || (t.c_lflag & abi::termios::ICANON == 0 && t.c_cc[VMIN] == 0)
}

/// read(2) on the console (Linux's n_tty_read): in canonical mode, one line (0 at end of file);
/// in raw mode as VMIN and VTIME say (VMIN bytes, or what came before VTIME tenths of a second
/// passed, or at once with both 0). EAGAIN with `nonblock` when a read would wait.
pub fn read(buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
    job_control(signal::SIGTTIN)?;
    if buf.is_empty() {
        return Ok(0);
    }
    let mut deadline: Option<u64> = None;
    loop {
        let irq = IrqOff::new();
        {
            let mut console = CONSOLE.lock();
            let t = console.ldisc.termios;
            let canonical = t.c_lflag & abi::termios::ICANON != 0;
            let (vmin, vtime) = (t.c_cc[VMIN] as usize, t.c_cc[VTIME] as u64);
            let available = console.ldisc.readable();
            let enough = if canonical {
                console.ldisc.read_ready()
            } else {
                // VMIN is how many the read waits for (no more than it asked); VMIN 0 waits for
                // nothing (with VTIME, for one byte or the time).
                available >= vmin.clamp(1, buf.len())
                    || (vmin == 0 && (vtime == 0 || available > 0))
            };
            let timed_out = deadline.is_some_and(|d| time::now_ns() >= d);
            if enough || timed_out {
                return Ok(match console.ldisc.read(buf) {
                    Read::Data(n) => n,
                    Read::EndOfFile | Read::Empty => 0,
                });
            }
            if nonblock {
                return Err(EAGAIN);
            }
            // VTIME: with VMIN 0 a total timeout, otherwise an inter-byte one started by the first.
            if !canonical && vtime > 0 && (vmin == 0 || available > 0) && deadline.is_none() {
                deadline = Some(time::now_ns() + vtime * 100_000_000);
            }
        }
        match READ_WAIT.sleep_until(irq, deadline) {
            Ok(()) | Err(ETIMEDOUT) => {}
            Err(e) => return Err(e),
        }
    }
}

/// write(2) on the console: through the output processing, to the UART. With TOSTOP set, a
/// background process's write stops its group first (SIGTTOU, see [`job_control`]).
pub fn write(buf: &[u8]) -> Result<usize, Errno> {
    let termios = CONSOLE.lock().ldisc.termios;
    if termios.c_lflag & abi::termios::TOSTOP != 0 {
        job_control(signal::SIGTTOU)?;
    }
    ::tty::output(&termios, buf, &mut |bytes| serial::write_bytes(bytes));
    Ok(buf.len())
}

/// ioctl(2) on the console: the terminal requests. Others are ENOTTY, as Linux's tty_ioctl answers
/// requests no layer knows.
pub fn ioctl(request: u64, arg: u64) -> Result<u64, Errno> {
    match request {
        TCGETS => {
            let t = CONSOLE.lock().ldisc.termios;
            uaccess::write_user(arg, &t)?;
        }
        // TCSETSW waits for output to drain (it is written synchronously here); TCSETSF also
        // drops pending input.
        TCSETS | TCSETSW | TCSETSF => {
            let t: termios = uaccess::read_user(arg)?;
            job_control(signal::SIGTTOU)?;
            let mut console = CONSOLE.lock();
            if request == TCSETSF {
                console.ldisc.flush_input();
            }
            console.ldisc.set_termios(t);
            drop(console);
            READ_WAIT.wake_all();
            crate::fs::file::poll_wake();
        }
        TIOCGWINSZ => {
            let size = CONSOLE.lock().size;
            uaccess::write_user(arg, &size)?;
        }
        TIOCSWINSZ => {
            let size: winsize = uaccess::read_user(arg)?;
            let foreground = {
                let mut console = CONSOLE.lock();
                let changed = console.size != size;
                console.size = size;
                changed.then_some(console.foreground)
            };
            if let Some(pgrp) = foreground {
                let _ = signal::kill_pgrp(pgrp, signal::SIGWINCH, signal::KSigInfo::kernel());
            }
        }
        TIOCGPGRP => {
            let pgrp = CONSOLE.lock().foreground;
            uaccess::write_user(arg, &(pgrp as i32))?;
        }
        TIOCSPGRP => set_foreground(arg)?,
        TIOCSCTTY => {
            // The caller must lead a session; the console becomes that session's terminal.
            let me = thread::current_process().ok_or(ESRCH)?;
            if me.sid.load(Ordering::Relaxed) != me.pid {
                return Err(EPERM);
            }
            let mut console = CONSOLE.lock();
            console.session = me.pid;
            console.foreground = me.pgid.load(Ordering::Relaxed);
        }
        TIOCNOTTY => {
            let me = thread::current_process().ok_or(ESRCH)?;
            if CONSOLE.lock().session != me.sid.load(Ordering::Relaxed) {
                return Err(ENOTTY);
            }
        }
        FIONREAD => {
            let n = CONSOLE.lock().ldisc.readable() as i32;
            uaccess::write_user(arg, &n)?;
        }
        _ => return Err(ENOTTY),
    }
    Ok(0)
}

/// The controlling terminal of `process` as /proc/PID/stat shows it: the device number (the
/// console counts as ttyS0, 4:64, encoded as new_encode_dev) and its foreground group, or (0, -1)
/// for a process of another session.
pub fn process_tty(process: &crate::process::Process) -> (u32, i64) {
    let console = CONSOLE.lock();
    if process.sid.load(Ordering::Relaxed) == console.session {
        ((4 << 8) | 64, console.foreground as i64)
    } else {
        (0, -1)
    }
}

/// TIOCSPGRP: the new foreground group must exist in the caller's session, which must be the
/// console's (Linux's tiocspgrp: ENOTTY, EINVAL for a negative id, EPERM across sessions).
fn set_foreground(arg: u64) -> Result<(), Errno> {
    let pgrp: i32 = uaccess::read_user(arg)?;
    if pgrp < 0 {
        return Err(EINVAL);
    }
    let me = thread::current_process().ok_or(ESRCH)?;
    let sid = me.sid.load(Ordering::Relaxed);
    if CONSOLE.lock().session != sid {
        return Err(ENOTTY);
    }
    job_control(signal::SIGTTOU)?;
    let exists = process::all().iter().any(|p| {
        p.pgid.load(Ordering::Relaxed) == pgrp as u32 && p.sid.load(Ordering::Relaxed) == sid
    });
    if !exists {
        return Err(EPERM);
    }
    CONSOLE.lock().foreground = pgrp as u32;
    Ok(())
}
