//! The system-wide /proc files top, free, uptime and ps read besides the per-process ones (Linux's
//! fs/proc/uptime.c, loadavg.c, stat.c, version.c and arch/x86/kernel/cpu/proc.c), in Linux's
//! formats.

use alloc::{format, string::String};
use core::fmt::Write;

use crate::{
    process,
    process::rusage::CpuTimes,
    sched,
    syscall::sys::{UTS_RELEASE, UTS_VERSION},
    thread, time,
};

/// Clock ticks (USER_HZ) of `ns`.
fn clock_t(ns: u64) -> u64 {
    ns / (1_000_000_000 / abi::time::USER_HZ as u64)
}

/// Seconds with two decimals, as uptime and loadavg print them.
fn centi(value_x100: u64) -> String {
    format!("{}.{:02}", value_x100 / 100, value_x100 % 100)
}

/// /proc/uptime: seconds since boot and seconds the CPU idled.
pub fn render_uptime() -> String {
    format!(
        "{} {}\n",
        centi(time::now_ns() / 10_000_000),
        centi(sched::idle_ns() / 10_000_000)
    )
}

/// /proc/loadavg: the three load averages, running/total threads, and the last pid used.
pub fn render_loadavg() -> String {
    let loads = sched::load_averages();
    // sysinfo's fixed point (16 bits) as hundredths, rounded as Linux's LOAD_INT/LOAD_FRAC do.
    let hundredths = |l: u64| (l * 100 + (1 << 15)) >> 16;
    let threads = thread::count();
    format!(
        "{} {} {} {}/{} {}\n",
        centi(hundredths(loads[0])),
        centi(hundredths(loads[1])),
        centi(hundredths(loads[2])),
        sched::nr_running(),
        threads,
        thread::last_tid()
    )
}

/// /proc/stat: CPU time by kind (for the one CPU too), context switches, boot time, processes
/// created, and those running or blocked.
pub fn render_stat() -> String {
    let mut busy = CpuTimes::default();
    for p in process::all() {
        busy.add(&process::rusage::self_usage(&p).times);
    }
    let (user, system) = busy.user_system_ns();
    let idle = sched::idle_ns();
    let line = |name: &str| {
        format!(
            "{name} {} 0 {} {} 0 0 0 0 0 0\n",
            clock_t(user),
            clock_t(system),
            clock_t(idle)
        )
    };
    let mut out = String::new();
    out.push_str(&line("cpu "));
    out.push_str(&line("cpu0"));
    let boot_time = (time::realtime_ns() - time::now_ns() as i64) / 1_000_000_000;
    let _ = write!(
        out,
        "intr 0\nctxt {}\nbtime {}\nprocesses {}\nprocs_running {}\nprocs_blocked 0\n",
        sched::context_switches(),
        boot_time,
        thread::last_tid(),
        sched::nr_running()
    );
    out
}

/// /proc/version.
pub fn render_version() -> String {
    format!("Linux version {UTS_RELEASE} (vmkernel) {UTS_VERSION}\n")
}

/// /proc/cpuinfo for the one CPU, from CPUID: the fields programs parse (vendor, family, model,
/// model name, stepping, MHz, cache, flags) in Linux's layout.
pub fn render_cpuinfo() -> String {
    use core::arch::x86_64::{__cpuid, __cpuid_count};
    let leaf0 = __cpuid(0);
    let mut vendor = [0u8; 12];
    vendor[..4].copy_from_slice(&leaf0.ebx.to_le_bytes());
    vendor[4..8].copy_from_slice(&leaf0.edx.to_le_bytes());
    vendor[8..].copy_from_slice(&leaf0.ecx.to_le_bytes());
    let leaf1 = __cpuid(1);
    let stepping = leaf1.eax & 0xf;
    let base_model = (leaf1.eax >> 4) & 0xf;
    let base_family = (leaf1.eax >> 8) & 0xf;
    let family = if base_family == 0xf {
        base_family + ((leaf1.eax >> 20) & 0xff)
    } else {
        base_family
    };
    let model = if base_family == 0x6 || base_family == 0xf {
        base_model | (((leaf1.eax >> 16) & 0xf) << 4)
    } else {
        base_model
    };
    let mut name = [0u8; 48];
    if __cpuid(0x8000_0000).eax >= 0x8000_0004 {
        for (i, leaf) in (0x8000_0002u32..=0x8000_0004).enumerate() {
            let r = __cpuid(leaf);
            for (j, reg) in [r.eax, r.ebx, r.ecx, r.edx].iter().enumerate() {
                name[i * 16 + j * 4..i * 16 + j * 4 + 4].copy_from_slice(&reg.to_le_bytes());
            }
        }
    }
    let name_len = name.iter().position(|&b| b == 0).unwrap_or(48);
    let model_name = String::from_utf8_lossy(&name[..name_len]);
    let leaf7 = __cpuid_count(7, 0);
    let ext = __cpuid(0x8000_0001);
    let flag_bits: [(&str, bool); 24] = [
        ("fpu", leaf1.edx & 1 != 0),
        ("tsc", leaf1.edx & (1 << 4) != 0),
        ("msr", leaf1.edx & (1 << 5) != 0),
        ("pae", leaf1.edx & (1 << 6) != 0),
        ("cx8", leaf1.edx & (1 << 8) != 0),
        ("apic", leaf1.edx & (1 << 9) != 0),
        ("sep", leaf1.edx & (1 << 11) != 0),
        ("pge", leaf1.edx & (1 << 13) != 0),
        ("cmov", leaf1.edx & (1 << 15) != 0),
        ("pat", leaf1.edx & (1 << 16) != 0),
        ("clflush", leaf1.edx & (1 << 19) != 0),
        ("mmx", leaf1.edx & (1 << 23) != 0),
        ("fxsr", leaf1.edx & (1 << 24) != 0),
        ("sse", leaf1.edx & (1 << 25) != 0),
        ("sse2", leaf1.edx & (1 << 26) != 0),
        ("syscall", ext.edx & (1 << 11) != 0),
        ("nx", ext.edx & (1 << 20) != 0),
        ("lm", ext.edx & (1 << 29) != 0),
        ("pni", leaf1.ecx & 1 != 0),
        ("ssse3", leaf1.ecx & (1 << 9) != 0),
        ("sse4_1", leaf1.ecx & (1 << 19) != 0),
        ("sse4_2", leaf1.ecx & (1 << 20) != 0),
        ("rdrand", leaf1.ecx & (1 << 30) != 0),
        ("smep", leaf7.ebx & (1 << 7) != 0),
    ];
    let mut flags = String::new();
    for (name, present) in flag_bits {
        if present {
            if !flags.is_empty() {
                flags.push(' ');
            }
            flags.push_str(name);
        }
    }
    let mhz = time::tsc_hz() / 1000;
    format!(
        "processor\t: 0\nvendor_id\t: {}\ncpu family\t: {family}\nmodel\t\t: {model}\n\
         model name\t: {}\nstepping\t: {stepping}\ncpu MHz\t\t: {}.{:03}\n\
         physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\napicid\t\t: 0\n\
         fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: {}\nwp\t\t: yes\nflags\t\t: {flags}\n\
         bogomips\t: {}.{:02}\nclflush size\t: 64\ncache_alignment\t: 64\n\
         address sizes\t: 40 bits physical, 48 bits virtual\npower management:\n\n",
        String::from_utf8_lossy(&vendor),
        model_name.trim(),
        mhz / 1000,
        mhz % 1000,
        leaf0.eax,
        mhz * 2 / 1000,
        (mhz * 2 / 10) % 100,
    )
}

/// /proc/mounts (Linux's show_vfsmnt): the root, a tmpfs as Linux's initramfs rootfs is, and /proc.
pub fn render_mounts() -> String {
    String::from(
        "rootfs / rootfs rw 0 0\nproc /proc proc rw,relatime 0 0\n\
         sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n",
    )
}

/// /proc/filesystems: the file-system types this kernel has, "nodev" as none needs a device.
pub fn render_filesystems() -> String {
    String::from("nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tpipefs\n")
}
