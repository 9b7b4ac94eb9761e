//! Credentials (Linux's struct cred and kernel/sys.c's set*id rules): the real, effective, saved
//! and file-system user and group ids of a process, and its supplementary groups.
//!
//! There is one user so far, root, and no capability sets: "privileged" means an effective uid of 0
//! (for the uid calls) or an effective uid of 0 (for the gid calls too, as root holds CAP_SETGID).
//! That is Linux's behaviour for root and for ordinary users; it differs only where a program
//! changes capabilities itself, which needs capset (not implemented). A process that gives up
//! root with setuid keeps what Linux's rules leave it: with a saved uid of 0 it can become root
//! again, without one it cannot.

use alloc::vec::Vec;

use crate::syscall::errno::{EINVAL, EPERM, Errno};

/// `(uid_t)-1`: "leave unchanged" in the set*id calls, and never a valid id.
pub const NO_ID: u32 = u32::MAX;

/// Linux's NGROUPS_MAX.
pub const NGROUPS_MAX: usize = 65536;

/// One family of ids: real, effective, saved, file system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    pub real: u32,
    pub effective: u32,
    pub saved: u32,
    pub fs: u32,
}

/// A process's credentials. Copied by fork, kept by execve (no set-user-ID programs here).
#[derive(Clone, Debug, Default)]
pub struct Cred {
    pub uid: Ids,
    pub gid: Ids,
    pub groups: Vec<u32>,
}

impl Cred {
    /// A copy for fork; None if memory ran out.
    pub fn try_clone(&self) -> Option<Cred> {
        let mut groups = Vec::new();
        groups.try_reserve_exact(self.groups.len()).ok()?;
        groups.extend_from_slice(&self.groups);
        Some(Cred {
            uid: self.uid,
            gid: self.gid,
            groups,
        })
    }

    /// Whether the process may set ids freely (root).
    pub fn privileged(&self) -> bool {
        self.uid.effective == 0
    }
}

impl Ids {
    fn is_one_of_mine(&self, id: u32) -> bool {
        id == self.real || id == self.effective || id == self.saved
    }

    /// setuid/setgid: privileged, all four ids; otherwise the effective (and fs) id may become the
    /// real or saved one.
    pub fn set_id(&mut self, id: u32, privileged: bool) -> Result<(), Errno> {
        if id == NO_ID {
            return Err(EINVAL);
        }
        if privileged {
            *self = Ids {
                real: id,
                effective: id,
                saved: id,
                fs: id,
            };
        } else if id == self.real || id == self.saved {
            self.effective = id;
            self.fs = id;
        } else {
            return Err(EPERM);
        }
        Ok(())
    }

    /// setreuid/setregid: the real id may become the effective one, the effective id any of real,
    /// effective or saved; setting the real id, or an effective id other than the old real one,
    /// also sets the saved id to the new effective one.
    pub fn set_re(&mut self, real: u32, effective: u32, privileged: bool) -> Result<(), Errno> {
        let old = *self;
        let mut new = old;
        if real != NO_ID {
            if !(privileged || real == old.real || real == old.effective) {
                return Err(EPERM);
            }
            new.real = real;
        }
        if effective != NO_ID {
            if !(privileged || old.is_one_of_mine(effective)) {
                return Err(EPERM);
            }
            new.effective = effective;
        }
        if real != NO_ID || (effective != NO_ID && effective != old.real) {
            new.saved = new.effective;
        }
        new.fs = new.effective;
        *self = new;
        Ok(())
    }

    /// setresuid/setresgid: each id given must be one of the three old ones, unless privileged.
    pub fn set_res(
        &mut self,
        real: u32,
        effective: u32,
        saved: u32,
        privileged: bool,
    ) -> Result<(), Errno> {
        let old = *self;
        for id in [real, effective, saved] {
            if id != NO_ID && !privileged && !old.is_one_of_mine(id) {
                return Err(EPERM);
            }
        }
        let pick = |new: u32, old: u32| if new == NO_ID { old } else { new };
        self.real = pick(real, old.real);
        self.effective = pick(effective, old.effective);
        self.saved = pick(saved, old.saved);
        self.fs = self.effective;
        Ok(())
    }

    /// setfsuid/setfsgid: returns the old fs id always; changes it only to one of the four ids,
    /// unless privileged.
    pub fn set_fs(&mut self, id: u32, privileged: bool) -> u32 {
        let old = self.fs;
        if id != NO_ID && (privileged || self.is_one_of_mine(id) || id == self.fs) {
            self.fs = id;
        }
        old
    }
}

/// Which of the caller's ids ptrace_may_access compares (Linux's PTRACE_MODE_REALCREDS, for
/// process_vm_readv, and PTRACE_MODE_FSCREDS, for /proc/PID/mem).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtraceCreds {
    Real,
    Fs,
}

/// Whether `me` may reach into `target`'s memory (Linux's __ptrace_may_access in an attach
/// mode): the same process, root (CAP_SYS_PTRACE), or a caller whose real (or file-system) uid
/// and gid are each of the target's real, effective and saved ones. No Yama, no dumpable flag.
pub fn ptrace_may_access(
    me: &alloc::sync::Arc<super::Process>,
    target: &alloc::sync::Arc<super::Process>,
    creds: PtraceCreds,
) -> bool {
    if alloc::sync::Arc::ptr_eq(me, target) {
        return true;
    }
    let (privileged, uid, gid) = {
        let cred = me.cred.lock();
        match creds {
            PtraceCreds::Real => (cred.privileged(), cred.uid.real, cred.gid.real),
            PtraceCreds::Fs => (cred.privileged(), cred.uid.fs, cred.gid.fs),
        }
    };
    if privileged {
        return true;
    }
    let theirs = target.cred.lock();
    let all = |ids: &Ids, id: u32| ids.real == id && ids.effective == id && ids.saved == id;
    all(&theirs.uid, uid) && all(&theirs.gid, gid)
}
