//! The kernel's own GDT and TSS, replacing the bootloader's (which lives in a lower-half page that is
//! about to be unmapped).
//!
//! Segment layout follows the order `syscall`/`sysret` require (and the same shape as Linux):
//!
//! | index | selector | what |
//! |---|---|---|
//! | 1 | 0x08 | kernel code (64-bit) |
//! | 2 | 0x10 | kernel data |
//! | 3 | 0x1b | user code (32-bit, never used; `sysret` counts from here) |
//! | 4 | 0x23 | user data |
//! | 5 | 0x2b | user code (64-bit) |
//! | 6-7 | 0x30 | TSS |
//!
//! The TSS provides `rsp0`, the stack the CPU switches to when an interrupt arrives in user mode (set
//! per process on every context switch), and the IST stacks: known-good stacks for double faults,
//! NMIs and machine checks, so that a kernel stack overflow is reported instead of triple-faulting.

use core::cell::UnsafeCell;
use x86_64::{
    VirtAddr,
    instructions::{
        segmentation::{CS, DS, ES, SS, Segment},
        tables::load_tss,
    },
    registers::segmentation::SegmentSelector,
    structures::{
        gdt::{Descriptor, DescriptorFlags, GlobalDescriptorTable},
        tss::TaskStateSegment,
    },
};

/// IST slots (1-based in the IDT, 0-based here).
pub const DOUBLE_FAULT_IST: u16 = 0;
pub const NMI_IST: u16 = 1;
pub const MACHINE_CHECK_IST: u16 = 2;

const IST_STACK_SIZE: usize = 16 * 1024;

pub const KERNEL_CS: SegmentSelector = SegmentSelector(0x08);
pub const KERNEL_DS: SegmentSelector = SegmentSelector(0x10);
pub const USER_DS: SegmentSelector = SegmentSelector(0x23);
pub const USER_CS: SegmentSelector = SegmentSelector(0x2b);

#[repr(C, align(16))]
struct IstStack([u8; IST_STACK_SIZE]);

/// The boot CPU's exception stacks. With several CPUs each gets its own set (per-CPU state).
static mut IST_STACKS: [IstStack; 3] = [const { IstStack([0; IST_STACK_SIZE]) }; 3];

/// The TSS is read by the CPU and written by the kernel (rsp0 at each context switch).
struct TssCell(UnsafeCell<TaskStateSegment>);
// SAFETY: only the boot CPU touches it, and only with interrupts off (context switch) or before
// interrupts are enabled (init).
unsafe impl Sync for TssCell {}

static TSS: TssCell = TssCell(UnsafeCell::new(TaskStateSegment::new()));

static GDT: spin::Once<GlobalDescriptorTable> = spin::Once::new();

/// Builds and loads the GDT and TSS, and reloads every segment register.
pub fn init() {
    // SAFETY: init runs once on the boot CPU before interrupts are enabled; nobody else holds a
    // reference into the TSS or the IST stacks yet.
    let tss: &'static TaskStateSegment = unsafe {
        let tss = &mut *TSS.0.get();
        let stacks = &raw mut IST_STACKS;
        for (slot, stack) in [DOUBLE_FAULT_IST, NMI_IST, MACHINE_CHECK_IST]
            .into_iter()
            .enumerate()
        {
            let base = VirtAddr::from_ptr(&raw const (*stacks)[slot]);
            tss.interrupt_stack_table[stack as usize] = base + IST_STACK_SIZE as u64;
        }
        &*TSS.0.get()
    };

    let gdt = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let kcs = gdt.append(Descriptor::kernel_code_segment());
        let kds = gdt.append(Descriptor::kernel_data_segment());
        gdt.append(Descriptor::UserSegment(DescriptorFlags::USER_CODE32.bits()));
        let uds = gdt.append(Descriptor::user_data_segment());
        let ucs = gdt.append(Descriptor::user_code_segment());
        gdt.append(Descriptor::tss_segment(tss));
        assert_eq!(
            (kcs, kds, uds, ucs),
            (KERNEL_CS, KERNEL_DS, USER_DS, USER_CS)
        );
        gdt
    });
    gdt.load();
    // SAFETY: the selectors name the descriptors just loaded, with the right types and DPL 0.
    unsafe {
        CS::set_reg(KERNEL_CS);
        SS::set_reg(KERNEL_DS);
        DS::set_reg(SegmentSelector(0));
        ES::set_reg(SegmentSelector(0));
        load_tss(SegmentSelector(0x30));
    }
}

/// Sets the stack the CPU switches to on an interrupt or exception taken in user mode.
pub fn set_kernel_stack(top: VirtAddr) {
    // SAFETY: a plain 8-byte store into the TSS; the CPU reads the field only on a ring change, which
    // cannot happen concurrently on this CPU while the kernel runs this code.
    unsafe { (*TSS.0.get()).privilege_stack_table[0] = top };
}

/// The address range of each IST stack, for telling a stack overflow from other faults.
pub fn ist_stack_ranges() -> [(u64, u64); 3] {
    let stacks = &raw const IST_STACKS;
    core::array::from_fn(|i| {
        // SAFETY: only the address is taken, nothing is read.
        let base = unsafe { &raw const (*stacks)[i] } as u64;
        (base, base + IST_STACK_SIZE as u64)
    })
}
