//! `abi::signal` and `abi::wait` against glibc: signal names and descriptions (`strsignal`), the
//! `sigset_t` helpers, `siginfo` read back through the `libc` crate's accessors, and the wait-status
//! helpers against libc's `W*` macros.

use abi::{signal::*, wait::*};
use std::ffi::CStr;

#[test]
fn names_and_descriptions() {
    for sig in 1..=31 {
        let name = name(sig).unwrap();
        assert!(name.starts_with("SIG"), "{sig}");
        // SAFETY: glibc's strsignal returns a NUL-terminated string; it is copied at once.
        let theirs = unsafe { CStr::from_ptr(libc::strsignal(sig)) };
        assert_eq!(Some(theirs.to_str().unwrap()), description(sig), "{name}");
    }
    assert_eq!(name(SIGSEGV), Some("SIGSEGV"));
    assert_eq!(name(SIGRTMIN + 3), Some("SIGRT"));
    assert_eq!((name(0), name(65), description(32)), (None, None, None));
}

#[test]
fn sigset_helpers() {
    assert_eq!(sigmask(1), 1);
    assert_eq!(sigmask(SIGRTMAX), 1 << 63);
    let set = sigaddset(sigaddset(0, SIGINT), SIGCHLD);
    assert!(sigismember(set, SIGINT) && sigismember(set, SIGCHLD));
    assert!(!sigismember(set, SIGTERM));
    assert_eq!(sigdelset(set, SIGINT), sigmask(SIGCHLD));
    assert!(sigismember(UNBLOCKABLE, SIGKILL) && sigismember(UNBLOCKABLE, SIGSTOP));

    // Bit `sig - 1`, as glibc's sigaddset sets in the first word of its (bigger) sigset_t.
    // SAFETY: sigemptyset/sigaddset only write the set they are given.
    unsafe {
        let mut theirs: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut theirs);
        libc::sigaddset(&mut theirs, SIGINT);
        libc::sigaddset(&mut theirs, SIGCHLD);
        libc::sigaddset(&mut theirs, SIGRTMAX);
        let first_word = *(&theirs as *const libc::sigset_t as *const u64);
        assert_eq!(first_word, sigaddset(set, SIGRTMAX));
    }
}

/// Our siginfo, as the C library sees the same 128 bytes.
fn as_libc(info: &siginfo) -> libc::siginfo_t {
    // SAFETY: both are 128-byte plain-data structs (checked by the layout tests).
    unsafe { std::mem::transmute_copy(info) }
}

#[test]
fn siginfo_views_read_back_through_libc() {
    let fault = siginfo::fault(SIGSEGV, SEGV_ACCERR, 0xdead_b000);
    let theirs = as_libc(&fault);
    assert_eq!(
        (theirs.si_signo, theirs.si_errno, theirs.si_code),
        (SIGSEGV, 0, SEGV_ACCERR)
    );
    // SAFETY: a fault siginfo; si_addr is its field.
    assert_eq!(unsafe { theirs.si_addr() } as u64, 0xdead_b000);

    let kill = siginfo::kill(SIGTERM, SI_USER, 42, 1000);
    let theirs = as_libc(&kill);
    // SAFETY: a kill siginfo.
    assert_eq!(unsafe { (theirs.si_pid(), theirs.si_uid()) }, (42, 1000));

    let child = siginfo::child(CLD_EXITED, 7, 0, 3, 11, 12);
    let theirs = as_libc(&child);
    assert_eq!((theirs.si_signo, theirs.si_code), (SIGCHLD, CLD_EXITED));
    // SAFETY: a SIGCHLD siginfo.
    unsafe {
        assert_eq!((theirs.si_pid(), theirs.si_status()), (7, 3));
        assert_eq!((theirs.si_utime(), theirs.si_stime()), (11, 12));
    }

    // The rest of the union is zero.
    // SAFETY: `raw` covers the whole union.
    assert_eq!(unsafe { &kill.fields.raw[1..] }, &[0; 13]);
}

#[test]
fn wait_status_helpers_match_libc() {
    let statuses = [
        w_exitcode(0),
        w_exitcode(3),
        w_exitcode(255),
        w_termsig(SIGSEGV, false),
        w_termsig(SIGABRT, true),
        w_termsig(SIGKILL, false),
        w_stopcode(SIGSTOP),
        w_stopcode(SIGTTIN),
        W_CONTINUED,
    ];
    for s in statuses {
        assert_eq!(wifexited(s), libc::WIFEXITED(s), "{s:#x}");
        assert_eq!(wifsignaled(s), libc::WIFSIGNALED(s), "{s:#x}");
        assert_eq!(wifstopped(s), libc::WIFSTOPPED(s), "{s:#x}");
        assert_eq!(wifcontinued(s), libc::WIFCONTINUED(s), "{s:#x}");
        if wifexited(s) {
            assert_eq!(wexitstatus(s), libc::WEXITSTATUS(s));
        }
        if wifsignaled(s) {
            assert_eq!(wtermsig(s), libc::WTERMSIG(s));
            assert_eq!(wcoredump(s), libc::WCOREDUMP(s));
        }
        if wifstopped(s) {
            assert_eq!(wstopsig(s), libc::WSTOPSIG(s));
        }
    }
    assert_eq!(wexitstatus(w_exitcode(3)), 3);
    assert_eq!(wtermsig(w_termsig(SIGSEGV, true)), SIGSEGV);
    // The shell's "killed by a signal" status is 128 + signal; SIGSEGV gives 139.
    assert_eq!(128 + wtermsig(w_termsig(SIGSEGV, false)), 139);
}
