//! Preemption: a child spins in user mode without ever making a system call; the parent must still
//! get the CPU back (the timer takes it from the child), print, and end the run.

#![no_std]
#![no_main]

use user::{Args, println, sys::*};

user::entry!(main);

fn main(_args: Args) -> i32 {
    let pid = fork();
    if pid == 0 {
        let mut x = 0u64;
        loop {
            x = core::hint::black_box(x.wrapping_add(1));
        }
    }
    // Let the child run first; without preemption, nothing would ever come back here.
    sched_yield();
    for _ in 0..3 {
        sched_yield();
    }
    println!("parent runs while its child spins: true");
    0
}
