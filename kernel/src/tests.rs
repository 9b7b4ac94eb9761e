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

/// The signal bookkeeping that no user program can observe directly: a pending set keeps the
/// first sender's information, takes the lowest signal first and forgets masked ones; siginfo is
/// laid out by kind; the alternate stack's bounds; actions drop unknown flags and unblockable
/// signals from their mask, and execve keeps only ignored dispositions.
pub fn signal_bookkeeping() -> Result<(), String> {
    use crate::signal::{
        KSigInfo, SIGCHLD, SIGKILL, SIGSEGV, SigPending, action::SigActions, altstack::AltStack,
        sigmask,
    };
    use abi::signal::{SA_RESTART, SIG_IGN, SS_ONSTACK, sigaction};

    let pending = SigPending::new();
    pending.add(12, KSigInfo::user(0, 7), 64);
    pending.add(12, KSigInfo::user(0, 8), 64);
    pending.add(3, KSigInfo::user(-6, 9), 64);
    ensure!(
        pending.get() == sigmask(3) | sigmask(12),
        "pending {:#x}",
        pending.get()
    );
    let first = pending.take_first(!0);
    ensure!(
        first == Some((3, KSigInfo::user(-6, 9))),
        "lowest first: {first:?}"
    );
    let again = pending.take(12);
    ensure!(
        again.map(|i| i.pid) == Some(7),
        "first sender kept: {again:?}"
    );
    pending.add(5, KSigInfo::kernel(), 64);
    pending.remove_mask(sigmask(5));
    ensure!(pending.get() == 0 && pending.take(5).is_none(), "flushed");
    // A real-time signal is queued each time, up to the limit, and taken oldest first.
    for pid in 1..=4 {
        let queued = pending.add(40, KSigInfo::user(0, pid), 3);
        ensure!(queued == (pid <= 3), "queueing instance {pid}: {queued}");
    }
    ensure!(pending.queued() == 3, "queued {}", pending.queued());
    for pid in 1..=3 {
        let got = pending.take(40).map(|i| i.pid);
        ensure!(got == Some(pid), "instance {pid} came as {got:?}");
    }
    ensure!(
        pending.get() == 0 && pending.take(40).is_none(),
        "all taken"
    );
    pending.add(40, KSigInfo::user(0, 1), 3);
    pending.add(40, KSigInfo::user(0, 2), 3);
    pending.remove_mask(sigmask(40));
    ensure!(pending.queued() == 0, "flushed queue: {}", pending.queued());

    let fault = KSigInfo {
        code: 2,
        addr: 0x1234,
        ..Default::default()
    }
    .to_user(SIGSEGV);
    // SAFETY: reading plain integers of a union whose every member is plain data.
    let addr = unsafe { fault.fields.sigfault.si_addr };
    ensure!(
        fault.si_code == 2 && addr == 0x1234,
        "fault siginfo {fault:?}"
    );
    let child = KSigInfo {
        code: 1,
        pid: 5,
        status: 7,
        ..Default::default()
    }
    .to_user(SIGCHLD);
    // SAFETY: as above.
    let (pid, status) = unsafe { (child.fields.sigchld.si_pid, child.fields.sigchld.si_status) };
    ensure!(pid == 5 && status == 7, "SIGCHLD siginfo {child:?}");

    let stack = AltStack {
        sp: 0x1000,
        size: 0x2000,
        flags: 0,
    };
    ensure!(
        stack.contains(0x3000) && !stack.contains(0x1000),
        "stack bounds"
    );
    ensure!(
        stack.state(0x2000) == SS_ONSTACK && stack.state(0x5000) == 0,
        "stack state"
    );

    let actions = SigActions::new();
    let old = actions.set(
        10,
        sigaction {
            sa_handler: 0x401000,
            sa_flags: SA_RESTART | 0x400,
            sa_restorer: 0,
            sa_mask: !0,
        },
    );
    ensure!(old.sa_handler == 0, "default action first");
    let now = actions.get(10);
    ensure!(
        now.sa_flags == SA_RESTART,
        "unknown flag kept: {:#x}",
        now.sa_flags
    );
    ensure!(
        now.sa_mask & sigmask(SIGKILL) == 0,
        "SIGKILL in a handler mask"
    );
    actions.set(
        13,
        sigaction {
            sa_handler: SIG_IGN,
            ..Default::default()
        },
    );
    actions.flush_handlers();
    ensure!(actions.get(10).sa_handler == 0, "execve keeps a handler");
    ensure!(
        actions.get(13).sa_handler == SIG_IGN,
        "execve drops SIG_IGN"
    );
    ensure!(
        actions.ignores(SIGCHLD) && !actions.ignores(SIGSEGV),
        "default-ignored set"
    );
    Ok(())
}
