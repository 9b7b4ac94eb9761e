//! Orphans pass to init: run as pid 1. A child forks a grandchild and exits at once; the grandchild
//! waits until its parent is init, and init reaps both.

#![no_std]
#![no_main]

use user::{Args, println, sys::*};

user::entry!(main);

fn main(_args: Args) -> i32 {
    if getpid() != 1 {
        println!("orphan: must run as pid 1");
        return 2;
    }
    let child = fork();
    if child == 0 {
        if fork() == 0 {
            while getppid() != 1 {
                sched_yield();
            }
            exit_group(7);
        }
        exit_group(0);
    }
    let mut status = 0;
    let first = wait4(child, &mut status, 0);
    println!(
        "child reaped: {}",
        first == child && wexitstatus(status) == 0
    );
    let orphan = wait4(-1, &mut status, 0);
    println!(
        "orphan reaped by init with status {}: {}",
        wexitstatus(status),
        orphan > 0
    );
    println!(
        "no children left: {}",
        user::errno_name(wait4(-1, &mut status, 0))
    );
    0
}
