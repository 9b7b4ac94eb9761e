//! The size, alignment and field offsets of every struct against the `libc` crate's definition
//! of the same C struct (glibc, x86_64). Where glibc's struct is not the kernel's (`sigaction`,
//! `termios`, `ucontext_t`'s tail) or the `libc` crate has none (`robust_list_head`), the
//! expectations are written out from the Linux header instead, and the comment says so.

use std::mem::{align_of, offset_of, size_of};

/// Same size, same alignment, and each listed field at the same offset (`ours => theirs` when
/// the names differ).
macro_rules! same_layout {
    ($ours:ty, $theirs:ty; $($field:ident $(=> $their_field:ident)?),* $(,)?) => {{
        assert_eq!(size_of::<$ours>(), size_of::<$theirs>(), "size of {}", stringify!($ours));
        assert_eq!(align_of::<$ours>(), align_of::<$theirs>(), "alignment of {}", stringify!($ours));
        same_offsets!($ours, $theirs; $($field $(=> $their_field)?),*);
    }};
}

/// Each listed field at the same offset.
macro_rules! same_offsets {
    (@one $ours:ty, $theirs:ty, $field:ident) => {
        same_offsets!(@one $ours, $theirs, $field, $field)
    };
    (@one $ours:ty, $theirs:ty, $field:ident, $their_field:ident) => {
        assert_eq!(
            offset_of!($ours, $field),
            offset_of!($theirs, $their_field),
            "{}::{}",
            stringify!($ours),
            stringify!($field),
        )
    };
    ($ours:ty, $theirs:ty; $($field:ident $(=> $their_field:ident)?),* $(,)?) => {{
        $(same_offsets!(@one $ours, $theirs, $field $(, $their_field)?);)*
    }};
}

#[test]
fn time() {
    use abi::time::*;
    same_layout!(timespec, libc::timespec; tv_sec, tv_nsec);
    same_layout!(timeval, libc::timeval; tv_sec, tv_usec);
    // The libc crate's timezone is opaque: linux/time.h gives two ints.
    assert_eq!(size_of::<timezone>(), 8);
    assert_eq!(offset_of!(timezone, tz_dsttime), 4);
    same_layout!(itimerval, libc::itimerval; it_interval, it_value);
    same_layout!(
        abi::signal::sigevent,
        libc::sigevent;
        sigev_value,
        sigev_signo,
        sigev_notify,
        sigev_notify_thread_id
    );
    same_layout!(itimerspec, libc::itimerspec; it_interval, it_value);
    same_layout!(tms, libc::tms; tms_utime, tms_stime, tms_cutime, tms_cstime);
}

#[test]
fn resource() {
    use abi::resource::*;
    same_layout!(rusage, libc::rusage;
        ru_utime, ru_stime, ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt,
        ru_nswap, ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw,
    );
    same_layout!(rlimit, libc::rlimit; rlim_cur, rlim_max);
    same_layout!(rlimit, libc::rlimit64; rlim_cur, rlim_max);
}

#[test]
fn stat() {
    use abi::stat::*;
    same_layout!(stat, libc::stat;
        st_dev, st_ino, st_nlink, st_mode, st_uid, st_gid, st_rdev, st_size, st_blksize,
        st_blocks, st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec,
    );
    same_layout!(stat, libc::stat64; st_dev, st_ino, st_nlink, st_mode, st_size, st_ctime_nsec);
    same_layout!(statx_timestamp, libc::statx_timestamp; tv_sec, tv_nsec);
    same_layout!(statx, libc::statx;
        stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid, stx_mode, stx_ino,
        stx_size, stx_blocks, stx_attributes_mask, stx_atime, stx_btime, stx_ctime, stx_mtime,
        stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor, stx_mnt_id,
        stx_dio_mem_align, stx_dio_offset_align, stx_subvol, stx_atomic_write_unit_min,
        stx_atomic_write_unit_max, stx_atomic_write_segments_max,
    );
    // glibc keeps f_flags inside its private f_spare; the kernel's header names it.
    same_layout!(statfs, libc::statfs;
        f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen,
        f_frsize,
    );
    assert_eq!(offset_of!(statfs, f_flags), 80);
}

#[test]
fn signal() {
    use abi::signal::*;
    same_layout!(stack_t, libc::stack_t; ss_sp, ss_flags, ss_size);
    same_layout!(siginfo, libc::siginfo_t; si_signo, si_errno, si_code);

    // The kernel's struct sigaction (include/linux/signal_types.h with x86_64's sa_restorer):
    // handler, flags, restorer, an 8-byte mask. glibc's is 152 bytes with a 128-byte mask second.
    assert_eq!(size_of::<sigaction>(), 32);
    assert_eq!(align_of::<sigaction>(), 8);
    assert_eq!(offset_of!(sigaction, sa_handler), 0);
    assert_eq!(offset_of!(sigaction, sa_flags), 8);
    assert_eq!(offset_of!(sigaction, sa_restorer), 16);
    assert_eq!(offset_of!(sigaction, sa_mask), 24);
    assert_eq!(size_of::<libc::sigaction>(), 152);
    // The kernel's sigset_t is one word (what rt_sigprocmask's `sigsetsize` must be); glibc's is
    // 128 bytes.
    assert_eq!(size_of::<sigset_t>(), 8);
    assert_eq!(size_of::<libc::sigset_t>(), 128);

    // siginfo's union views (asm-generic/siginfo.h): the fields start at 16.
    assert_eq!(size_of::<sifields>(), 112);
    assert_eq!(offset_of!(siginfo, fields), 16);
    assert_eq!(offset_of!(sifields_sigfault, si_addr_lsb), 8);
    assert_eq!(offset_of!(sifields_sigfault, si_lower), 16);
    assert_eq!(offset_of!(sifields_sigfault, si_upper), 24);
    assert_eq!(offset_of!(sifields_sigchld, si_utime), 16);
    assert_eq!(offset_of!(sifields_sigsys, arch), 12);
}

#[test]
fn ucontext() {
    use abi::ucontext::*;
    // glibc's mcontext_t is the kernel's struct sigcontext seen as gregs[23], fpregs and a
    // reserved tail: the same 256 bytes. Each register is at its REG_* index.
    same_layout!(sigcontext, libc::mcontext_t; fpstate => fpregs);
    let regs = [
        (offset_of!(sigcontext, r8), libc::REG_R8),
        (offset_of!(sigcontext, r9), libc::REG_R9),
        (offset_of!(sigcontext, r10), libc::REG_R10),
        (offset_of!(sigcontext, r11), libc::REG_R11),
        (offset_of!(sigcontext, r12), libc::REG_R12),
        (offset_of!(sigcontext, r13), libc::REG_R13),
        (offset_of!(sigcontext, r14), libc::REG_R14),
        (offset_of!(sigcontext, r15), libc::REG_R15),
        (offset_of!(sigcontext, rdi), libc::REG_RDI),
        (offset_of!(sigcontext, rsi), libc::REG_RSI),
        (offset_of!(sigcontext, rbp), libc::REG_RBP),
        (offset_of!(sigcontext, rbx), libc::REG_RBX),
        (offset_of!(sigcontext, rdx), libc::REG_RDX),
        (offset_of!(sigcontext, rax), libc::REG_RAX),
        (offset_of!(sigcontext, rcx), libc::REG_RCX),
        (offset_of!(sigcontext, rsp), libc::REG_RSP),
        (offset_of!(sigcontext, rip), libc::REG_RIP),
        (offset_of!(sigcontext, eflags), libc::REG_EFL),
        (offset_of!(sigcontext, cs), libc::REG_CSGSFS),
        (offset_of!(sigcontext, err), libc::REG_ERR),
        (offset_of!(sigcontext, trapno), libc::REG_TRAPNO),
        (offset_of!(sigcontext, oldmask), libc::REG_OLDMASK),
        (offset_of!(sigcontext, cr2), libc::REG_CR2),
    ];
    for (offset, reg) in regs {
        assert_eq!(offset, reg as usize * 8, "REG_* index {reg}");
    }

    // glibc's ucontext_t has the kernel's fields at the kernel's offsets, then a 128-byte mask
    // and room for the FPU state: its size differs (kernel: asm/ucontext.h, 304 bytes).
    same_offsets!(ucontext, libc::ucontext_t; uc_flags, uc_link, uc_stack, uc_mcontext, uc_sigmask);
    assert_eq!(size_of::<ucontext>(), 304);
    assert!(size_of::<libc::ucontext_t>() > 304);

    // The FXSAVE image: 512 bytes (glibc names a few fields differently).
    same_layout!(fpstate, libc::_libc_fpstate;
        cwd, swd, twd => ftw, fop, rip, rdp, mxcsr, mxcsr_mask => mxcr_mask, st_space => _st,
        xmm_space => _xmm,
    );
    same_layout!(fpstate, libc::user_fpregs_struct;
        cwd, swd, twd => ftw, fop, rip, rdp, mxcsr, mxcsr_mask => mxcr_mask, st_space, xmm_space,
    );
    assert_eq!(size_of::<fpx_sw_bytes>(), 48);
    assert_eq!(offset_of!(fpstate, sw_reserved), 464);
}

#[test]
fn termios() {
    use abi::termios::*;
    // The kernel's struct termios (asm-generic/termbits.h) is 36 bytes; glibc's is 60, with 32
    // control characters and two speed fields, but the same fields first.
    assert_eq!(size_of::<termios>(), 36);
    assert_eq!(size_of::<libc::termios>(), 60);
    same_offsets!(termios, libc::termios; c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc);
    // termios2 is the kernel's struct on both sides.
    same_layout!(termios2, libc::termios2;
        c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc, c_ispeed, c_ospeed,
    );
    same_layout!(winsize, libc::winsize; ws_row, ws_col, ws_xpixel, ws_ypixel);
}

#[test]
fn small_structs() {
    same_layout!(abi::uio::iovec, libc::iovec; iov_base, iov_len);
    same_layout!(abi::poll::pollfd, libc::pollfd; fd, events, revents);
    same_layout!(abi::socket::msghdr, libc::msghdr;
        msg_name, msg_namelen, msg_iov, msg_iovlen, msg_control, msg_controllen, msg_flags,
    );
    same_layout!(abi::socket::cmsghdr, libc::cmsghdr; cmsg_len, cmsg_level, cmsg_type);
    same_layout!(abi::socket::sockaddr_un, libc::sockaddr_un; sun_family, sun_path);
    same_layout!(abi::socket::ucred, libc::ucred; pid, uid, gid);
    same_layout!(abi::epoll::epoll_event, libc::epoll_event; events, data => u64);
    assert_eq!(abi::epoll::EPOLLET, libc::EPOLLET as u32);
    assert_eq!(abi::epoll::EPOLLONESHOT, libc::EPOLLONESHOT as u32);
    assert_eq!(abi::epoll::EPOLLEXCLUSIVE, libc::EPOLLEXCLUSIVE as u32);
    assert_eq!(abi::epoll::EPOLLRDHUP, libc::EPOLLRDHUP as u32);
    assert_eq!(abi::epoll::EPOLL_CLOEXEC, libc::EPOLL_CLOEXEC as u64);
    same_layout!(abi::utsname::utsname, libc::utsname;
        sysname, nodename, release, version, machine, domainname,
    );
    same_layout!(abi::sysinfo::sysinfo, libc::sysinfo;
        uptime, loads, totalram, freeram, sharedram, bufferram, totalswap, freeswap, procs, pad,
        totalhigh, freehigh, mem_unit,
    );
    same_layout!(abi::clone::clone_args, libc::clone_args;
        flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup,
    );
}

#[test]
fn dirent() {
    use abi::dirent::*;
    // glibc's dirent64 has a 256-byte name; the kernel's record header is the same up to it.
    same_offsets!(linux_dirent64, libc::dirent64; d_ino, d_off, d_reclen, d_type, d_name);
    assert_eq!(linux_dirent64::NAME_OFFSET, 19);
    assert_eq!(linux_dirent64::reclen(1), 24);
    assert_eq!(linux_dirent64::reclen(4), 24);
    assert_eq!(linux_dirent64::reclen(5), 32);
}

#[test]
fn futex() {
    use abi::futex::*;
    // The libc crate has no robust_list_head: linux/futex.h gives a pointer, a long and a pointer.
    assert_eq!(size_of::<robust_list_head>(), 24);
    assert_eq!(offset_of!(robust_list_head, list), 0);
    assert_eq!(offset_of!(robust_list_head, futex_offset), 8);
    assert_eq!(offset_of!(robust_list_head, list_op_pending), 16);
    assert_eq!(size_of::<robust_list>(), 8);
}

#[test]
fn ipc() {
    use abi::ipc::*;
    // glibc's ipc_perm has a 16-bit mode and padding where the kernel has a 32-bit mode: the same
    // bytes on a little-endian machine.
    same_layout!(ipc64_perm, libc::ipc_perm; key => __key, uid, gid, cuid, cgid, mode, seq => __seq);
    same_layout!(
        shmid64_ds,
        libc::shmid_ds;
        shm_perm,
        shm_segsz,
        shm_atime,
        shm_dtime,
        shm_ctime,
        shm_cpid,
        shm_lpid,
        shm_nattch
    );
    same_layout!(
        semid64_ds,
        libc::semid_ds;
        sem_perm,
        sem_otime,
        sem_ctime,
        sem_nsems
    );
    same_layout!(seminfo, libc::seminfo; semmap, semmni, semmns, semusz, semvmx, semaem);
    same_layout!(
        msqid64_ds,
        libc::msqid_ds;
        msg_perm,
        msg_stime,
        msg_rtime,
        msg_ctime,
        msg_cbytes => __msg_cbytes,
        msg_qnum,
        msg_qbytes,
        msg_lspid,
        msg_lrpid
    );
    same_layout!(msginfo, libc::msginfo; msgpool, msgmax, msgmnb, msgtql, msgseg);
    assert_eq!(size_of::<sembuf>(), 6);
}
