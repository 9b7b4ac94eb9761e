//! The virtual address space layout. The lower half (below 0x0000_8000_0000_0000) belongs to the
//! current process; the upper half is the kernel's and is the same in every address space.
//!
//! | start | what |
//! |---|---|
//! | 0x0000_0000_0040_0000 .. 0x0000_7fff_ffff_f000 | user space (TASK_SIZE as on Linux) |
//! | 0xffff_8000_0000_0000 | direct map of all physical memory (Linux's `page_offset_base`) |
//! | 0xffff_8800_0000_0000 | where the bootloader puts boot info, the ramdisk and the boot stack |
//! | 0xffff_c000_0000_0000 | kernel heap, grown on demand |
//! | 0xffff_c800_0000_0000 | kernel stacks, each with an unmapped guard page below it |
//! | 0xffff_ffff_8000_0000 | the kernel image (-2 GiB, as on Linux) |

/// Size of a page and of a frame.
pub const PAGE_SIZE: u64 = 4096;

/// The first address above user space (Linux's TASK_SIZE_MAX on x86_64: one page short of 2^47).
pub const TASK_SIZE: u64 = 0x0000_7fff_ffff_f000;

/// Where all of physical memory is mapped, read-write and non-executable.
pub const PHYS_OFFSET: u64 = 0xffff_8000_0000_0000;
/// The lowest address the bootloader may choose for its own mappings.
pub const BOOT_DYNAMIC_START: u64 = 0xffff_8800_0000_0000;
/// The kernel heap.
pub const HEAP_START: u64 = 0xffff_c000_0000_0000;
pub const HEAP_MAX: u64 = 1 << 30;
/// Kernel stacks.
pub const KSTACK_AREA_START: u64 = 0xffff_c800_0000_0000;
pub const KSTACK_AREA_END: u64 = 0xffff_c900_0000_0000;
/// The kernel image.
pub const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;

/// First PML4 index of the kernel half.
pub const KERNEL_PML4_START: usize = 256;

pub const fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

/// Rounds up to a page boundary; `None` on overflow.
pub const fn page_up(addr: u64) -> Option<u64> {
    match addr.checked_add(PAGE_SIZE - 1) {
        Some(a) => Some(a & !(PAGE_SIZE - 1)),
        None => None,
    }
}

pub const fn is_page_aligned(addr: u64) -> bool {
    addr & (PAGE_SIZE - 1) == 0
}
