//! What a program asks about the system and itself at start-up (Linux's kernel/sys.c, and the
//! small informational calls of kernel/sched/core.c and drivers/char/random.c): ids, limits,
//! uname, sysinfo, getrandom, the thread's name, CPU affinity and scheduling policy.

use abi::{
    prctl::{PR_GET_NAME, PR_GET_THP_DISABLE, PR_SET_NAME, PR_SET_THP_DISABLE, TASK_COMM_LEN},
    random::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM},
    resource::{RLIM_NLIMITS, rlimit},
    sysinfo::sysinfo,
    utsname::{UTS_FIELD_LEN, utsname},
};
use alloc::sync::Arc;

use super::{SysResult, errno::*};
use crate::{
    arch::uaccess,
    mm::frame,
    process::{
        self, Process,
        cred::{Ids, NGROUPS_MAX},
    },
    random, sched, signal, thread, time,
};

fn current() -> Result<Arc<Process>, Errno> {
    thread::current_process().ok_or(ESRCH)
}

// --- Identity ---------------------------------------------------------------------------------

/// Which family of ids a call is about.
#[derive(Clone, Copy)]
pub enum IdKind {
    User,
    Group,
}

fn with_ids<R>(kind: IdKind, f: impl FnOnce(&mut Ids, bool) -> R) -> Result<R, Errno> {
    let process = current()?;
    let mut cred = process.cred.lock();
    let privileged = cred.privileged();
    let ids = match kind {
        IdKind::User => &mut cred.uid,
        IdKind::Group => &mut cred.gid,
    };
    Ok(f(ids, privileged))
}

/// getuid, geteuid, getgid, getegid.
pub fn sys_getid(kind: IdKind, effective: bool) -> SysResult {
    with_ids(kind, |ids, _| {
        (if effective { ids.effective } else { ids.real }) as u64
    })
}

/// setuid, setgid.
pub fn sys_setid(kind: IdKind, id: u64) -> SysResult {
    with_ids(kind, |ids, privileged| ids.set_id(id as u32, privileged))?.map(|()| 0)
}

/// setreuid, setregid.
pub fn sys_setreid(kind: IdKind, real: u64, effective: u64) -> SysResult {
    with_ids(kind, |ids, privileged| {
        ids.set_re(real as u32, effective as u32, privileged)
    })?
    .map(|()| 0)
}

/// setresuid, setresgid.
pub fn sys_setresid(kind: IdKind, real: u64, effective: u64, saved: u64) -> SysResult {
    with_ids(kind, |ids, privileged| {
        ids.set_res(real as u32, effective as u32, saved as u32, privileged)
    })?
    .map(|()| 0)
}

/// getresuid, getresgid: the three ids stored at three user addresses.
pub fn sys_getresid(kind: IdKind, real: u64, effective: u64, saved: u64) -> SysResult {
    let ids = with_ids(kind, |ids, _| *ids)?;
    uaccess::write_user(real, &ids.real)?;
    uaccess::write_user(effective, &ids.effective)?;
    uaccess::write_user(saved, &ids.saved)?;
    Ok(0)
}

/// setfsuid, setfsgid: return the old fs id whatever happens.
pub fn sys_setfsid(kind: IdKind, id: u64) -> SysResult {
    with_ids(kind, |ids, privileged| {
        ids.set_fs(id as u32, privileged) as u64
    })
}

/// getgroups(size, list): the supplementary groups; size 0 asks for the count only.
pub fn sys_getgroups(size: u64, list: u64) -> SysResult {
    let size = size as i32;
    if size < 0 {
        return Err(EINVAL);
    }
    let process = current()?;
    let cred = process.cred.lock();
    let count = cred.groups.len();
    if size == 0 {
        return Ok(count as u64);
    }
    if (size as usize) < count {
        return Err(EINVAL);
    }
    let mut bytes = alloc::vec::Vec::new();
    bytes.try_reserve_exact(count * 4).map_err(|_| ENOMEM)?;
    for g in &cred.groups {
        bytes.extend_from_slice(&g.to_ne_bytes());
    }
    drop(cred);
    uaccess::copy_to_user(list, &bytes)?;
    Ok(count as u64)
}

/// setgroups(size, list): privileged only; the list is kept sorted, as Linux's groups_sort does.
pub fn sys_setgroups(size: u64, list: u64) -> SysResult {
    let size = size as i32;
    if size < 0 || size as usize > NGROUPS_MAX {
        return Err(EINVAL);
    }
    let process = current()?;
    if !process.cred.lock().privileged() {
        return Err(EPERM);
    }
    let mut groups = alloc::vec::Vec::new();
    groups
        .try_reserve_exact(size as usize)
        .map_err(|_| ENOMEM)?;
    for i in 0..size as u64 {
        let addr = list.checked_add(i * 4).ok_or(EFAULT)?;
        groups.push(uaccess::read_user::<u32>(addr)?);
    }
    groups.sort_unstable();
    process.cred.lock().groups = groups;
    Ok(0)
}

// --- Limits -----------------------------------------------------------------------------------

/// prlimit64(pid, resource, new, old): reads the new limit before changing anything (EFAULT leaves
/// the limit alone), stores the old one, then sets the new one. pid 0 is the caller.
pub fn sys_prlimit64(pid: u64, resource: u64, new: u64, old: u64) -> SysResult {
    let resource = resource as u32 as u64;
    if resource >= RLIM_NLIMITS {
        return Err(EINVAL);
    }
    let new = if new != 0 {
        Some(uaccess::read_user::<rlimit>(new)?)
    } else {
        None
    };
    let me = current()?;
    let target = match pid as i32 {
        0 => me.clone(),
        p if p > 0 => process::find(p as u32).ok_or(ESRCH)?,
        _ => return Err(ESRCH),
    };
    let privileged = me.cred.lock().privileged();
    let previous = {
        let mut limits = target.rlimits.lock();
        let previous = limits.get(resource);
        if let Some(new) = new {
            limits.set(resource, new, privileged)?;
        }
        previous
    };
    if old != 0 {
        uaccess::write_user(old, &previous)?;
    }
    Ok(0)
}

pub fn sys_getrlimit(resource: u64, rlim: u64) -> SysResult {
    sys_prlimit64(0, resource, 0, rlim)
}

pub fn sys_setrlimit(resource: u64, rlim: u64) -> SysResult {
    sys_prlimit64(0, resource, rlim, 0)
}

// --- The system -------------------------------------------------------------------------------

/// Copies `s` into a NUL-terminated utsname field.
fn uts_field(s: &str) -> [u8; UTS_FIELD_LEN] {
    let mut field = [0u8; UTS_FIELD_LEN];
    let n = s.len().min(UTS_FIELD_LEN - 1);
    field[..n].copy_from_slice(&s.as_bytes()[..n]);
    field
}

/// The release string: the Linux version whose interface this kernel follows (programs and C
/// libraries compare it with the minimum they need), then this kernel's name.
pub const UTS_RELEASE: &str = "6.1.0-vmkernel";
/// The version string: which kernel this is.
pub const UTS_VERSION: &str = concat!("#1 vmkernel ", env!("CARGO_PKG_VERSION"));

/// uname(buf): Linux, this kernel's release and version, x86_64. The host and domain names are
/// Linux's defaults before anyone sets them ("(none)").
pub fn sys_uname(buf: u64) -> SysResult {
    let uts = utsname {
        sysname: uts_field("Linux"),
        nodename: uts_field("(none)"),
        release: uts_field(UTS_RELEASE),
        version: uts_field(UTS_VERSION),
        machine: uts_field("x86_64"),
        domainname: uts_field("(none)"),
    };
    uaccess::write_user(buf, &uts)?;
    Ok(0)
}

/// sysinfo(info): uptime (rounded up to whole seconds, as Linux), load averages, memory in bytes
/// (mem_unit 1), and the number of threads. No swap, no high memory, no block-device buffers.
pub fn sys_sysinfo(info: u64) -> SysResult {
    let stats = frame::stats();
    let ns = time::now_ns();
    let page = 4096u64;
    let info_value = sysinfo {
        uptime: (ns.div_ceil(1_000_000_000)) as i64,
        loads: sched::load_averages(),
        totalram: stats.total as u64 * page,
        freeram: stats.free as u64 * page,
        procs: thread::count().min(u16::MAX as usize) as u16,
        mem_unit: 1,
        ..sysinfo::default()
    };
    uaccess::write_user(info, &info_value)?;
    Ok(0)
}

/// Largest getrandom answer at once (Linux's MAX_RW_COUNT).
const MAX_RW_COUNT: u64 = (i32::MAX as u64) & !4095;

/// getrandom(buf, count, flags): bytes from the kernel's generator, which is seeded at boot, so it
/// never blocks. A long request stops early, returning what it produced, when a signal is pending
/// (Linux checks between 256-byte blocks too); a fault with nothing written is EFAULT.
pub fn sys_getrandom(buf: u64, count: u64, flags: u64) -> SysResult {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_INSECURE | GRND_RANDOM) == (GRND_INSECURE | GRND_RANDOM)
    {
        return Err(EINVAL);
    }
    let count = count.min(MAX_RW_COUNT);
    let mut done = 0u64;
    let mut block = [0u8; 256];
    while done < count {
        let n = (count - done).min(block.len() as u64) as usize;
        random::fill(&mut block[..n]);
        let ok = buf
            .checked_add(done)
            .is_some_and(|at| uaccess::copy_to_user(at, &block[..n]).is_ok());
        if !ok {
            return if done == 0 { Err(EFAULT) } else { Ok(done) };
        }
        done += n as u64;
        if done < count && done % 4096 == 0 {
            if thread::current().is_some_and(|t| signal::has_deliverable(&t)) {
                break;
            }
            sched::cond_resched();
        }
    }
    block.fill(0);
    Ok(done)
}

// --- The thread's name, affinity and scheduling -------------------------------------------------

/// prctl(option, ...): PR_SET_NAME and PR_GET_NAME; PR_SET_THP_DISABLE and PR_GET_THP_DISABLE
/// (EINVAL for a non-zero argument they do not take); other options are EINVAL, as Linux answers
/// for options it does not know.
pub fn sys_prctl(option: u64, arg2: u64, arg3: u64, arg4: u64, arg5: u64) -> SysResult {
    let me = thread::current().ok_or(ESRCH)?;
    match option {
        PR_SET_NAME => {
            let mut name = [0u8; TASK_COMM_LEN];
            // Reads up to 15 bytes, stopping at a NUL, as Linux's strncpy_from_user into comm.
            let mut raw = alloc::vec::Vec::new();
            uaccess::strncpy_from_user(arg2, TASK_COMM_LEN - 1, &mut raw)?;
            let n = raw.len().min(TASK_COMM_LEN - 1);
            name[..n].copy_from_slice(&raw[..n]);
            *me.comm.lock() = name;
            Ok(0)
        }
        PR_GET_NAME => {
            let name = *me.comm.lock();
            uaccess::write_user(arg2, &name)?;
            Ok(0)
        }
        PR_SET_THP_DISABLE | PR_GET_THP_DISABLE => {
            let get = option == PR_GET_THP_DISABLE;
            if arg3 != 0 || arg4 != 0 || arg5 != 0 || (get && arg2 != 0) {
                return Err(EINVAL);
            }
            let mm = me.process.mm().ok_or(EINVAL)?;
            let mut m = mm.lock();
            if get {
                return Ok(m.thp_disabled as u64);
            }
            m.thp_disabled = arg2 != 0;
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

/// The size of the CPU mask Linux copies out (cpumask_size() with Debian's NR_CPUS = 8192).
const CPUMASK_BYTES: u64 = 8192 / 8;

/// The process (pid 0: the caller) whose scheduling a sched_* call reads.
fn sched_target(pid: u64) -> Result<Arc<Process>, Errno> {
    match pid as i32 {
        0 => current(),
        p if p > 0 => process::find(p as u32).ok_or(ESRCH),
        _ => Err(EINVAL),
    }
}

/// sched_getaffinity(pid, len, mask): CPU 0 only, since this kernel runs on one CPU. Returns the
/// bytes written, as the raw system call does.
pub fn sys_sched_getaffinity(pid: u64, len: u64, mask: u64) -> SysResult {
    if len == 0 || len & 7 != 0 {
        return Err(EINVAL);
    }
    sched_target(pid)?;
    let n = len.min(CPUMASK_BYTES);
    let mut bytes = [0u8; CPUMASK_BYTES as usize];
    bytes[0] = 1;
    uaccess::copy_to_user(mask, &bytes[..n as usize])?;
    Ok(n)
}

/// sched_setaffinity(pid, len, mask): a mask must include a CPU that exists (CPU 0), else EINVAL.
/// With one CPU there is nothing else to do.
pub fn sys_sched_setaffinity(pid: u64, len: u64, mask: u64) -> SysResult {
    sched_target(pid)?;
    if len == 0 {
        return Err(EINVAL);
    }
    let first: u8 = uaccess::read_user(mask)?;
    if first & 1 == 0 {
        return Err(EINVAL);
    }
    Ok(0)
}

/// Scheduling policies (SCHED_OTHER, FIFO, RR, BATCH, IDLE, DEADLINE).
const SCHED_FIFO: u64 = 1;
const SCHED_RR: u64 = 2;

/// sched_get_priority_max/min(policy): 1..99 for the real-time policies, 0 for the others.
pub fn sys_sched_get_priority(policy: u64, max: bool) -> SysResult {
    match policy {
        SCHED_FIFO | SCHED_RR => Ok(if max { 99 } else { 1 }),
        0 | 3 | 5 => Ok(0),
        _ => Err(EINVAL),
    }
}

/// sched_getscheduler(pid): every task here is SCHED_OTHER (round robin at one priority).
pub fn sys_sched_getscheduler(pid: u64) -> SysResult {
    sched_target(pid)?;
    Ok(0)
}

/// sched_getparam(pid, param): priority 0, SCHED_OTHER's only one.
pub fn sys_sched_getparam(pid: u64, param: u64) -> SysResult {
    sched_target(pid)?;
    uaccess::write_user(param, &0i32)?;
    Ok(0)
}

/// personality(persona): sets the calling process's execution domain and flags and returns the
/// old value; 0xffffffff only asks. Every value is taken as Linux takes the PER_LINUX family;
/// ADDR_NO_RANDOMIZE is the flag this kernel acts on (`setarch -R`, see mm::aslr).
pub fn sys_personality(persona: u64) -> SysResult {
    let process = thread::current_process().ok_or(EINVAL)?;
    let old = process.personality();
    let persona = persona as u32;
    if persona != u32::MAX {
        process
            .personality
            .store(persona, core::sync::atomic::Ordering::Relaxed);
    }
    Ok(old as u64)
}
