//! In-kernel self-tests, run when the command line says `ktest`. Each test runs in the booted kernel
//! (real page tables, real frames) and returns `Err(message)` on failure; the runner prints one line
//! per test and a closing `N passed, M failed` line, then powers off with status 0 or 1.
//!
//! Tests live next to the code they test, in `#[cfg(...)]`-free `ktests` functions, and are listed in
//! [`TESTS`]. They must leave the kernel as they found it: every frame they take is given back, and
//! the frame counters prove it.

use alloc::string::String;

use crate::{
    mm::{frame, heap, layout::PAGE_SIZE, paging},
    println,
};

/// A self-test: `Ok` or a description of what went wrong.
pub type TestFn = fn() -> Result<(), String>;

/// Fails the current test with a formatted message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(alloc::format!("{}:{}: {}", file!(), line!(), alloc::format!($($msg)+)));
        }
    };
}

/// Every self-test, by name.
pub const TESTS: &[(&str, TestFn)] = &[
    ("frame::alloc_free_storm", crate::mm::ktests::frame_storm),
    ("frame::refcount", crate::mm::ktests::frame_refcount),
    (
        "paging::map_translate_unmap",
        crate::mm::ktests::map_translate_unmap,
    ),
    (
        "paging::lower_half_is_empty",
        crate::mm::ktests::lower_half_is_empty,
    ),
    (
        "paging::kernel_image_protections",
        crate::mm::ktests::kernel_image_protections,
    ),
    ("heap::grows_on_demand", crate::mm::ktests::heap_grows),
    ("kstack::guard_below_stack", crate::mm::ktests::kstack_guard),
    (
        "fault::demand_paging_fork_cow",
        crate::mm::ktests::fault_and_fork,
    ),
    (
        "fork::copy_out_of_memory_leaks_nothing",
        crate::mm::ktests::fork_copy_out_of_memory,
    ),
    (
        "mremap::moves_entries_not_pages",
        crate::mm::ktests::mremap_moves_entries,
    ),
    (
        "hugetlb::pool_reserve_fault_cow",
        crate::mm::ktests::hugetlb_pool,
    ),
    (
        "fs::page_cache_accounting",
        crate::fs::ktests::page_cache_accounting,
    ),
    ("fs::path_walk_rules", crate::fs::ktests::path_walk_rules),
    ("ipc::id_table", crate::ipc::util::ktests::id_table),
    ("time::timer_ticks", crate::tests::timer_ticks),
    ("signal::bookkeeping", crate::tests::signal_bookkeeping),
    (
        "thread::boot_context_has_no_thread",
        crate::tests::boot_context_has_no_thread,
    ),
    ("pipe::ring_and_pages", crate::tests::pipe_ring_and_pages),
    (
        "initramfs::lists_cmdline",
        crate::tests::initramfs_has_cmdline,
    ),
];

/// Runs every test and returns the number that failed.
pub fn run() -> usize {
    println!("ktest: running {} tests", TESTS.len());
    let mut failed = 0;
    for (name, test) in TESTS {
        let kept = || heap::usage().1 / PAGE_SIZE as usize + paging::kernel_table_frames();
        let (before, kept_before) = (frame::stats().free, kept());
        let mut result = test();
        // Frames the heap grew by, and kernel page tables, stay; everything else must be back.
        let after = frame::stats().free + (kept() - kept_before);
        if result.is_ok() && after != before {
            result = Err(alloc::format!(
                "leaked frames: {before} free before, {after} after"
            ));
        }
        match result {
            Ok(()) => println!("ktest: {name} ... ok"),
            Err(msg) => {
                failed += 1;
                println!("ktest: {name} ... FAILED: {msg}");
            }
        }
    }
    println!("ktest: {} passed, {} failed", TESTS.len() - failed, failed);
    failed
}
