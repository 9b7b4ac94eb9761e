//! `abi::errno` against glibc: every number (`libc::E*`), every name, and every description
//! (`strerror`); and the encoding of errors in system-call return values.

use abi::errno::{self, Errno};
use std::ffi::CStr;

fn strerror(n: i32) -> String {
    // SAFETY: glibc's strerror returns a NUL-terminated string that stays valid at least until
    // the next call in this thread; it is copied at once.
    unsafe { CStr::from_ptr(libc::strerror(n)) }
        .to_string_lossy()
        .into_owned()
}

#[test]
fn numbers_match_libc() {
    let pairs: &[(Errno, i32)] = &[
        (Errno::EPERM, libc::EPERM),
        (Errno::ENOENT, libc::ENOENT),
        (Errno::ESRCH, libc::ESRCH),
        (Errno::EINTR, libc::EINTR),
        (Errno::EIO, libc::EIO),
        (Errno::ENXIO, libc::ENXIO),
        (Errno::E2BIG, libc::E2BIG),
        (Errno::ENOEXEC, libc::ENOEXEC),
        (Errno::EBADF, libc::EBADF),
        (Errno::ECHILD, libc::ECHILD),
        (Errno::EAGAIN, libc::EAGAIN),
        (Errno::ENOMEM, libc::ENOMEM),
        (Errno::EACCES, libc::EACCES),
        (Errno::EFAULT, libc::EFAULT),
        (Errno::ENOTBLK, libc::ENOTBLK),
        (Errno::EBUSY, libc::EBUSY),
        (Errno::EEXIST, libc::EEXIST),
        (Errno::EXDEV, libc::EXDEV),
        (Errno::ENODEV, libc::ENODEV),
        (Errno::ENOTDIR, libc::ENOTDIR),
        (Errno::EISDIR, libc::EISDIR),
        (Errno::EINVAL, libc::EINVAL),
        (Errno::ENFILE, libc::ENFILE),
        (Errno::EMFILE, libc::EMFILE),
        (Errno::ENOTTY, libc::ENOTTY),
        (Errno::ETXTBSY, libc::ETXTBSY),
        (Errno::EFBIG, libc::EFBIG),
        (Errno::ENOSPC, libc::ENOSPC),
        (Errno::ESPIPE, libc::ESPIPE),
        (Errno::EROFS, libc::EROFS),
        (Errno::EMLINK, libc::EMLINK),
        (Errno::EPIPE, libc::EPIPE),
        (Errno::EDOM, libc::EDOM),
        (Errno::ERANGE, libc::ERANGE),
        (Errno::EDEADLK, libc::EDEADLK),
        (Errno::ENAMETOOLONG, libc::ENAMETOOLONG),
        (Errno::ENOLCK, libc::ENOLCK),
        (Errno::ENOSYS, libc::ENOSYS),
        (Errno::ENOTEMPTY, libc::ENOTEMPTY),
        (Errno::ELOOP, libc::ELOOP),
        (Errno::ENOMSG, libc::ENOMSG),
        (Errno::EIDRM, libc::EIDRM),
        (Errno::ECHRNG, libc::ECHRNG),
        (Errno::EL2NSYNC, libc::EL2NSYNC),
        (Errno::EL3HLT, libc::EL3HLT),
        (Errno::EL3RST, libc::EL3RST),
        (Errno::ELNRNG, libc::ELNRNG),
        (Errno::EUNATCH, libc::EUNATCH),
        (Errno::ENOCSI, libc::ENOCSI),
        (Errno::EL2HLT, libc::EL2HLT),
        (Errno::EBADE, libc::EBADE),
        (Errno::EBADR, libc::EBADR),
        (Errno::EXFULL, libc::EXFULL),
        (Errno::ENOANO, libc::ENOANO),
        (Errno::EBADRQC, libc::EBADRQC),
        (Errno::EBADSLT, libc::EBADSLT),
        (Errno::EBFONT, libc::EBFONT),
        (Errno::ENOSTR, libc::ENOSTR),
        (Errno::ENODATA, libc::ENODATA),
        (Errno::ETIME, libc::ETIME),
        (Errno::ENOSR, libc::ENOSR),
        (Errno::ENONET, libc::ENONET),
        (Errno::ENOPKG, libc::ENOPKG),
        (Errno::EREMOTE, libc::EREMOTE),
        (Errno::ENOLINK, libc::ENOLINK),
        (Errno::EADV, libc::EADV),
        (Errno::ESRMNT, libc::ESRMNT),
        (Errno::ECOMM, libc::ECOMM),
        (Errno::EPROTO, libc::EPROTO),
        (Errno::EMULTIHOP, libc::EMULTIHOP),
        (Errno::EDOTDOT, libc::EDOTDOT),
        (Errno::EBADMSG, libc::EBADMSG),
        (Errno::EOVERFLOW, libc::EOVERFLOW),
        (Errno::ENOTUNIQ, libc::ENOTUNIQ),
        (Errno::EBADFD, libc::EBADFD),
        (Errno::EREMCHG, libc::EREMCHG),
        (Errno::ELIBACC, libc::ELIBACC),
        (Errno::ELIBBAD, libc::ELIBBAD),
        (Errno::ELIBSCN, libc::ELIBSCN),
        (Errno::ELIBMAX, libc::ELIBMAX),
        (Errno::ELIBEXEC, libc::ELIBEXEC),
        (Errno::EILSEQ, libc::EILSEQ),
        (Errno::ERESTART, libc::ERESTART),
        (Errno::ESTRPIPE, libc::ESTRPIPE),
        (Errno::EUSERS, libc::EUSERS),
        (Errno::ENOTSOCK, libc::ENOTSOCK),
        (Errno::EDESTADDRREQ, libc::EDESTADDRREQ),
        (Errno::EMSGSIZE, libc::EMSGSIZE),
        (Errno::EPROTOTYPE, libc::EPROTOTYPE),
        (Errno::ENOPROTOOPT, libc::ENOPROTOOPT),
        (Errno::EPROTONOSUPPORT, libc::EPROTONOSUPPORT),
        (Errno::ESOCKTNOSUPPORT, libc::ESOCKTNOSUPPORT),
        (Errno::EOPNOTSUPP, libc::EOPNOTSUPP),
        (Errno::EPFNOSUPPORT, libc::EPFNOSUPPORT),
        (Errno::EAFNOSUPPORT, libc::EAFNOSUPPORT),
        (Errno::EADDRINUSE, libc::EADDRINUSE),
        (Errno::EADDRNOTAVAIL, libc::EADDRNOTAVAIL),
        (Errno::ENETDOWN, libc::ENETDOWN),
        (Errno::ENETUNREACH, libc::ENETUNREACH),
        (Errno::ENETRESET, libc::ENETRESET),
        (Errno::ECONNABORTED, libc::ECONNABORTED),
        (Errno::ECONNRESET, libc::ECONNRESET),
        (Errno::ENOBUFS, libc::ENOBUFS),
        (Errno::EISCONN, libc::EISCONN),
        (Errno::ENOTCONN, libc::ENOTCONN),
        (Errno::ESHUTDOWN, libc::ESHUTDOWN),
        (Errno::ETOOMANYREFS, libc::ETOOMANYREFS),
        (Errno::ETIMEDOUT, libc::ETIMEDOUT),
        (Errno::ECONNREFUSED, libc::ECONNREFUSED),
        (Errno::EHOSTDOWN, libc::EHOSTDOWN),
        (Errno::EHOSTUNREACH, libc::EHOSTUNREACH),
        (Errno::EALREADY, libc::EALREADY),
        (Errno::EINPROGRESS, libc::EINPROGRESS),
        (Errno::ESTALE, libc::ESTALE),
        (Errno::EUCLEAN, libc::EUCLEAN),
        (Errno::ENOTNAM, libc::ENOTNAM),
        (Errno::ENAVAIL, libc::ENAVAIL),
        (Errno::EISNAM, libc::EISNAM),
        (Errno::EREMOTEIO, libc::EREMOTEIO),
        (Errno::EDQUOT, libc::EDQUOT),
        (Errno::ENOMEDIUM, libc::ENOMEDIUM),
        (Errno::EMEDIUMTYPE, libc::EMEDIUMTYPE),
        (Errno::ECANCELED, libc::ECANCELED),
        (Errno::ENOKEY, libc::ENOKEY),
        (Errno::EKEYEXPIRED, libc::EKEYEXPIRED),
        (Errno::EKEYREVOKED, libc::EKEYREVOKED),
        (Errno::EKEYREJECTED, libc::EKEYREJECTED),
        (Errno::EOWNERDEAD, libc::EOWNERDEAD),
        (Errno::ENOTRECOVERABLE, libc::ENOTRECOVERABLE),
        (Errno::ERFKILL, libc::ERFKILL),
        (Errno::EHWPOISON, libc::EHWPOISON),
    ];
    assert_eq!(pairs.len(), Errno::ALL.len());
    for &(ours, theirs) in pairs {
        assert_eq!(ours as i32, theirs, "{}", ours.name());
    }
    assert_eq!(errno::EWOULDBLOCK as i32, libc::EWOULDBLOCK);
    assert_eq!(errno::EDEADLOCK as i32, libc::EDEADLOCK);
    assert_eq!(errno::ENOTSUP as i32, libc::ENOTSUP);
}

#[test]
fn table_is_whole_and_ordered() {
    // Linux uses every number from 1 to 133 but 41 and 58.
    let all: Vec<i32> = Errno::ALL.iter().map(|e| e.raw()).collect();
    let expect: Vec<i32> = (1..=133).filter(|n| *n != 41 && *n != 58).collect();
    assert_eq!(all, expect);
    for n in -5..200 {
        let e = Errno::from_raw(n);
        assert_eq!(e.map(Errno::raw), expect.contains(&n).then_some(n), "{n}");
    }
}

#[test]
fn names_and_descriptions_match_strerror() {
    for &e in Errno::ALL {
        assert_eq!(e.description(), strerror(e.raw()), "{}", e.name());
        assert_eq!(format!("{e:?}"), e.name());
        assert!(e.name().starts_with('E'));
    }
    assert_eq!(errno::EINVAL.name(), "EINVAL");
    assert_eq!(errno::ENOENT.description(), "No such file or directory");
    assert_eq!(errno::ENOEXEC.to_string(), "ENOEXEC (Exec format error)");
}

#[test]
fn syscall_return_encoding() {
    assert_eq!(errno::EINVAL.to_syscall_return(), (-22i64) as u64);
    assert_eq!(Errno::from_syscall_return(-22), Some(errno::EINVAL));
    assert_eq!(Errno::from_syscall_return(-1), Some(errno::EPERM));
    assert_eq!(Errno::from_syscall_return(0), None);
    assert_eq!(Errno::from_syscall_return(5), None);
    // Unused and kernel-internal numbers are still errors, just not ones this enum names.
    assert_eq!(Errno::from_syscall_return(-41), None);
    assert_eq!(Errno::from_syscall_return(-512), None);
    // An address in the top page is a valid mmap result, not an error.
    assert_eq!(Errno::from_syscall_return(-4096), None);
    for &e in Errno::ALL {
        assert_eq!(
            Errno::from_syscall_return(e.to_syscall_return() as i64),
            Some(e)
        );
    }
}

#[test]
fn glob_import_brings_the_names() {
    use abi::errno::*;
    let e: Errno = EFAULT;
    assert!(matches!(e, EFAULT));
    assert_eq!(ENOSYS as i32, 38);
}
