//! Signals and process groups, compared with Linux: tests/c/signals.c covers rt_sigaction and its
//! flags, the signal frame (siginfo, a handler that changes the saved RIP and RAX), faults as
//! signals (SEGV_MAPERR, SEGV_ACCERR with a handler that fixes the mapping, FPE_INTDIV, SIGILL,
//! SIGTRAP, SI_KERNEL), masks, sigpending, sigaltstack, sigsuspend, pause, sigtimedwait,
//! kill/tkill/tgkill and their errors, wait4 interrupted (EINTR) or restarted (SA_RESTART),
//! SIGCHLD's siginfo, stop and continue with WUNTRACED/WCONTINUED, SA_NOCLDSTOP, autoreap with
//! SIGCHLD ignored, process groups and sessions, and what execve keeps and resets.

#[test]
fn signals_behave_as_on_linux() {
    let Some((out, _)) = tests::c_differential("signals", &[]) else {
        return;
    };
    // The child that faults with SIGSEGV blocked dies with the usual report line.
    out.expect_console("(signal 11) at 0x0");
    kill_minus_one_reaches_every_other_process();
}

/// User-level paging: a SIGSEGV handler maps each page of a PROT_NONE area on its first touch
/// (si_addr, mprotect, return to the faulting instruction); one fault per page, as on Linux.
#[test]
fn a_sigsegv_handler_pages_memory_in_from_user_space() {
    let (_, output) = tests::differential("sigpaging", &["32"]);
    assert!(
        output.contains("sigpaging: 32 faults handled, 32 of them SEGV_ACCERR"),
        "{output}"
    );
}

/// The signal frame byte for byte, seen from a handler without a C library (`sigframe`): RSP's
/// alignment, sa_restorer at RSP, the ucontext and siginfo offsets, uc_flags, uc_stack, the saved
/// mask, the fpstate pointer and MXCSR, trapno/err/cr2 of a page fault, and edits of RIP, RAX and
/// R12 that rt_sigreturn resumes with. Selectors are not compared (Linux's user CS is 0x33).
#[test]
fn the_signal_frame_is_linuxs() {
    let (_, output) = tests::differential("sigframe", &[]);
    tests::expect_lines(
        &output,
        &[
            "  rsp % 16 = 8",
            "after the handler: tkill returned 77, r12 = 0x1212",
            "  fault: si_addr 0x10 trapno 14 err 0x6 cr2 0x10",
            "resumed after the faulting store",
        ],
    );
}

/// kill(-1) signals every process but init and the caller: in the kernel only (on the host it
/// would reach every process of the machine). Called from the test above: both build
/// tests/c/signals.c into the same directory, so they must not run at the same time.
fn kill_minus_one_reaches_every_other_process() {
    let Some(program) = tests::build_c("signals", &[]) else {
        return;
    };
    let out = tests::Boot::new("init=/bin/signals -- kill-minus-one")
        .file(&program, "/bin/signals")
        .run();
    out.expect_status(0);
    out.expect_console("kill(-1, SIGTERM): 0 ok");
    out.expect_console("children killed by SIGTERM: 2; the caller survives");
    out.expect_console("kill(-1, 0) with nobody left: -1 ESRCH");
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
}

/// Regression: a ^Z reaching `make shell`'s shell before it had set up job control stopped pid 1
/// and hung the machine. init ignores stop signals at their default action, as on Linux (QEMU
/// only: the program must be pid 1).
#[test]
fn init_is_never_stopped() {
    let Some(program) = tests::build_c("initstop", &[]) else {
        return;
    };
    let out = tests::Boot::new("init=/bin/initstop")
        .file(&program, "/bin/initstop")
        .run();
    let _ = std::fs::remove_dir_all(program.parent().unwrap());
    out.expect_status(0);
    tests::expect_lines(
        &out.console,
        &["pid 1 went on after SIGTSTP, SIGSTOP, SIGTTIN and SIGTTOU"],
    );
}

/// Real-time signals queued once per send, with sigqueue's values, in Linux's order; a standard
/// signal coalesced; rt_sigqueueinfo's and rt_tgsigqueueinfo's errors; RLIMIT_SIGPENDING
/// (tests/c/rtqueue.c against Linux).
#[test]
fn real_time_signals_are_queued_as_on_linux() {
    let Some((_, output)) = tests::c_differential("rtqueue", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "  SIGRTMIN+0 SI_QUEUE value 21 from self 1",
            "  SIGRTMIN+1 SI_QUEUE value 11 from self 1",
            "sigqueue: 4 queued, 2 EAGAIN",
        ],
    );
}

/// signalfd: blocked signals read as records (kill, sigqueue, a child's exit), a blocking read
/// woken by another process's signal, poll and epoll, a new mask, the errors (tests/c/signalfd.c
/// against Linux).
#[test]
fn signalfd_as_on_linux() {
    let Some((_, output)) = tests::c_differential("signalfd", &[]) else {
        return;
    };
    tests::expect_lines(
        &output,
        &[
            "  signo 35 code -1 from self 1 int 78 ptr 78",
            "  signo 17 code 1 from self 0 status 3",
            "  signo 12 from the child 1",
        ],
    );
}
