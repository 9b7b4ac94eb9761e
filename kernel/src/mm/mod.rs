//! Memory management: physical frames, hardware page tables, the kernel heap and kernel stacks.
//! Process address spaces (VMAs, faults, brk/mmap) build on these.

pub mod aslr;
pub mod brk;
pub mod clear_refs;
pub mod fault;
pub mod fork;
pub mod frame;
pub mod gup;
pub mod heap;
pub mod huge_memory;
pub mod hugetlb;
pub mod kstack;
pub mod ktests;
pub mod layout;
pub mod madvise;
pub mod maps;
pub mod mincore;
pub mod mlock;
pub mod mm_struct;
pub mod mmap;
pub mod mprotect;
pub mod mremap;
pub mod msync;
pub mod munmap;
pub mod pagemap;
pub mod paging;
pub mod populate;
pub mod rlimit;
pub mod truncate;
pub mod user_word;
pub mod vm_object;

use bootloader_api::BootInfo;

/// Brings up memory management in dependency order: frames need only the memory map; paging needs
/// frames for new tables; the heap and kernel stacks need both.
pub fn init(boot_info: &BootInfo) {
    let phys_offset = boot_info.physical_memory_offset.into_option();
    assert_eq!(
        phys_offset,
        Some(layout::PHYS_OFFSET),
        "bootloader must map physical memory at PHYS_OFFSET"
    );
    frame::init(&boot_info.memory_regions);
    paging::init();
    heap::init();
    // The shared zero page exists from the start, so the first read fault does not change the
    // memory balance that tests check.
    frame::init_zero_page();
}
