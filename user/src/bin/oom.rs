//! Running out of memory: a child that touches more memory than the machine has is killed
//! (SIGKILL, as Linux's OOM killer does) and its parent goes on with every frame back; fork with
//! memory nearly exhausted fails with ENOMEM; brk and mmap refuse requests larger than memory.

#![no_std]
#![no_main]

use user::{Args, errno_name, println, sys::*};

user::entry!(main);

const PAGE: u64 = 4096;

fn meminfo(key: &str) -> u64 {
    user::procfs::field(b"/proc/meminfo\0", key).unwrap_or(0)
}

fn free_kb() -> u64 {
    meminfo("MemFree")
}

fn main(_args: Args) -> i32 {
    let total = meminfo("MemTotal") * 1024;
    let rw = PROT_READ | PROT_WRITE;
    println!(
        "mmap larger than memory: {}",
        errno_name(mmap(0, 2 * total, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
    );
    let top = brk(0);
    println!(
        "brk larger than memory refused: {}",
        brk(top + 2 * total) == top
    );

    free_kb();
    let before = free_kb();
    let child = fork();
    if child == 0 {
        let len = 2 * total;
        let base = mmap(
            0,
            len,
            rw,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
            -1,
            0,
        ) as u64;
        let mut p = 0;
        while p < len {
            // SAFETY: inside the mapping; the kernel kills this process when memory runs out.
            unsafe { core::ptr::write_volatile((base + p) as *mut u8, 1) };
            p += PAGE;
        }
        exit_group(0); // not reached: there is not that much memory
    }
    let mut status = 0;
    wait4(child, &mut status, 0);
    println!(
        "child that used up memory was killed by signal {}",
        wtermsig(status)
    );
    free_kb();
    let after = free_kb();
    println!("all its memory came back: {}", before == after);

    // Use up memory ourselves, up to just above what the kernel keeps back, then fork.
    let len = total;
    let base = mmap(
        0,
        len,
        rw,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
        -1,
        0,
    ) as u64;
    let mut used = 0;
    // The kernel keeps 2 MiB back from user memory; stop a little above that, 64 pages at a time.
    while used < len && free_kb() > 2048 + 256 {
        for _ in 0..64 {
            if used < len {
                // SAFETY: inside the mapping, and above the point where the kernel would refuse.
                unsafe { core::ptr::write_volatile((base + used) as *mut u8, 1) };
                used += PAGE;
            }
        }
    }
    let pid = fork();
    if pid == 0 {
        exit_group(0);
    }
    println!("fork with memory exhausted: {}", errno_name(pid));
    if pid > 0 {
        wait4(pid, &mut status, 0);
    }
    munmap(base, len);
    let pid = fork();
    if pid == 0 {
        exit_group(5);
    }
    wait4(pid, &mut status, 0);
    println!("fork after freeing memory: exit {}", wexitstatus(status));
    0
}
