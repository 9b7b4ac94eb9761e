//! `sysinfo`'s result (`include/uapi/linux/sysinfo.h`).

/// System statistics (`struct sysinfo`): 112 bytes on 64-bit, where the trailing padding `_f` is
/// empty. Memory sizes are in units of `mem_unit` bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sysinfo {
    /// Seconds since boot.
    pub uptime: i64,
    /// 1, 5 and 15 minute load averages, scaled by 65536 (`1 << SI_LOAD_SHIFT`).
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    /// Number of processes.
    pub procs: u16,
    pub pad: u16,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
}
layout!(sysinfo, 112;
    uptime = 0, loads = 8, totalram = 32, freeram = 40, sharedram = 48, bufferram = 56,
    totalswap = 64, freeswap = 72, procs = 80, pad = 82, totalhigh = 88, freehigh = 96,
    mem_unit = 104,
);

/// The scale of `sysinfo::loads`.
pub const SI_LOAD_SHIFT: u32 = 16;
