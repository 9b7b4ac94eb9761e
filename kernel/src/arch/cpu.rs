//! CPU features and control registers: NX, write protection, SMEP, SMAP, the TSC.

use core::arch::x86_64::{__cpuid, __cpuid_count, _rdtsc};
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags, Efer, EferFlags};

/// What the protection setup found and turned on, for the boot log and the self-tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct Protections {
    pub nx: bool,
    pub write_protect: bool,
    pub smep: bool,
    pub smap: bool,
}

/// Turns on the memory protections the rest of the kernel relies on:
/// - EFER.NXE, so a page can be non-executable (data, stacks, user heap);
/// - CR0.WP, so the kernel itself faults on read-only pages (copy-on-write depends on it);
/// - CR4.SMEP, so the kernel never executes user pages;
/// - CR4.SMAP, so the kernel never touches user memory except inside the user-copy helpers,
///   which open the window with `stac`/`clac`.
pub fn enable_protections() -> Protections {
    // CPUID leaf 7, subleaf 0: EBX bit 7 = SMEP, bit 20 = SMAP. Leaf 0x8000_0001 EDX bit 20 = NX.
    let leaf7 = __cpuid_count(7, 0);
    let ext = __cpuid(0x8000_0001);
    let has_nx = ext.edx & (1 << 20) != 0;
    let has_smep = leaf7.ebx & (1 << 7) != 0;
    let has_smap = leaf7.ebx & (1 << 20) != 0;
    // SAFETY: each bit is set only when CPUID reports the feature, and the kernel's own mappings
    // were built for exactly these rules (kernel pages are supervisor, data pages NX).
    unsafe {
        if has_nx {
            Efer::update(|efer| *efer |= EferFlags::NO_EXECUTE_ENABLE);
        }
        Cr0::update(|cr0| *cr0 |= Cr0Flags::WRITE_PROTECT);
        if has_smep {
            Cr4::update(|cr4| *cr4 |= Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION);
        }
        if has_smap {
            Cr4::update(|cr4| *cr4 |= Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION);
        }
    }
    // User programs use SSE: let them (the kernel itself is built without SSE, so it never touches
    // the XMM registers and does not need to save them on entry).
    // SAFETY: FXSAVE/SSE are architectural on x86_64.
    unsafe {
        Cr0::update(|cr0| {
            cr0.remove(Cr0Flags::EMULATE_COPROCESSOR);
            cr0.insert(Cr0Flags::MONITOR_COPROCESSOR);
        });
        Cr4::update(|cr4| *cr4 |= Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
    }
    Protections {
        nx: Efer::read().contains(EferFlags::NO_EXECUTE_ENABLE),
        write_protect: Cr0::read().contains(Cr0Flags::WRITE_PROTECT),
        smep: Cr4::read().contains(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION),
        smap: Cr4::read().contains(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION),
    }
}

/// The time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC is always available on x86_64 and has no side effects.
    unsafe { _rdtsc() }
}

/// 64 bits from the CPU's random-number instructions: RDSEED (true entropy) if the CPU has it,
/// else RDRAND (its DRBG), each retried a few times as Intel advises; None without either (QEMU's
/// default CPU under TCG has neither).
pub fn hardware_random() -> Option<u64> {
    let has_rdseed = __cpuid_count(7, 0).ebx & (1 << 18) != 0;
    let has_rdrand = __cpuid(1).ecx & (1 << 30) != 0;
    let mut value = 0u64;
    for _ in 0..10 {
        // SAFETY: each instruction is executed only when CPUID reports it; neither has side effects
        // beyond its result, and the step functions report failure instead of faulting.
        let ok = unsafe {
            (has_rdseed && core::arch::x86_64::_rdseed64_step(&mut value) == 1)
                || (has_rdrand && core::arch::x86_64::_rdrand64_step(&mut value) == 1)
        };
        if ok {
            return Some(value);
        }
    }
    None
}
