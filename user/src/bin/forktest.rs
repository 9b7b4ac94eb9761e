//! fork, copy-on-write, wait4, exit, execve: deterministic output (no pids or addresses), so the
//! same binary's output on Linux and on this kernel can be compared line for line.
//!
//! Usage: forktest HELLO NOTELF — the path of the `hello` program, and of an executable file that
//! is not an ELF program (the tests provide both, on Linux and in the initramfs).

#![no_std]
#![no_main]

use user::{Args, errno_name, println, sys::*};

user::entry!(main);

const PAGE: u64 = 4096;

fn peek(addr: u64) -> u64 {
    // SAFETY: the callers pass mapped addresses.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

fn poke(addr: u64, v: u64) {
    // SAFETY: the callers pass mapped, writable addresses.
    unsafe { core::ptr::write_volatile(addr as *mut u64, v) }
}

/// Waits for `pid` and returns its raw status.
fn wait(pid: i64) -> i32 {
    let mut status = 0;
    let r = wait4(pid, &mut status, 0);
    if r != pid {
        println!("wait4({pid}) returned {}", errno_name(r));
    }
    status
}

/// Forks; the child runs `f` and exits with its result.
fn spawn(f: impl FnOnce() -> i32) -> i64 {
    let pid = fork();
    if pid == 0 {
        exit_group(f());
    }
    pid
}

static mut DATA: u64 = 1;

fn cow_isolation() {
    let data = &raw mut DATA as u64;
    let heap = mmap(
        0,
        4 * PAGE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    ) as u64;
    let mailbox = mmap(
        0,
        PAGE,
        PROT_READ | PROT_WRITE,
        MAP_SHARED | MAP_ANONYMOUS,
        -1,
        0,
    ) as u64;
    poke(data, 10);
    poke(heap, 20);
    poke(mailbox, 0);
    let pid = spawn(|| {
        // The child sees the parent's values from before the fork...
        let saw = peek(data) == 10 && peek(heap) == 20;
        // ...and its own writes stay its own.
        poke(data, 11);
        poke(heap, 21);
        // Wait until the parent has written after the fork: the child must not see it.
        poke(mailbox + 8, 1);
        while peek(mailbox) == 0 {
            sched_yield();
        }
        let isolated = peek(data) == 11 && peek(heap) == 21;
        if saw && isolated { 0 } else { 1 }
    });
    while peek(mailbox + 8) == 0 {
        sched_yield();
    }
    poke(heap + 8, 99); // a write after fork, to a page the child also maps
    poke(heap, 30);
    poke(mailbox, 1);
    let status = wait(pid);
    println!(
        "child saw pre-fork values and kept its writes: {}",
        status == 0
    );
    println!(
        "parent's values untouched by the child: {}",
        peek(data) == 10 && peek(heap) == 30
    );
    munmap(heap, 4 * PAGE);
    munmap(mailbox, PAGE);
}

fn three_generations() {
    let page = mmap(
        0,
        PAGE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    ) as u64;
    poke(page, 1);
    let child = spawn(|| {
        let ok1 = peek(page) == 1;
        poke(page, 2);
        let grandchild = spawn(|| {
            let ok2 = peek(page) == 2;
            poke(page, 3);
            if ok2 && peek(page) == 3 { 0 } else { 1 }
        });
        let s = wait(grandchild);
        if ok1 && peek(page) == 2 && wexitstatus(s) == 0 {
            0
        } else {
            1
        }
    });
    let s = wait(child);
    println!(
        "three generations each see their own page: {}",
        wexitstatus(s) == 0 && peek(page) == 1
    );
    munmap(page, PAGE);
}

fn shared_anon() {
    let shared = mmap(
        0,
        2 * PAGE,
        PROT_READ | PROT_WRITE,
        MAP_SHARED | MAP_ANONYMOUS,
        -1,
        0,
    ) as u64;
    poke(shared, 5);
    let pid = spawn(|| {
        poke(shared + PAGE, 7); // a page the parent has never touched
        poke(shared, peek(shared) + 1);
        0
    });
    wait(pid);
    println!(
        "shared anonymous memory is shared: {}",
        peek(shared) == 6 && peek(shared + PAGE) == 7
    );
    munmap(shared, 2 * PAGE);
}

fn child_segv() {
    let pid = spawn(|| {
        // SAFETY: none: this is meant to fault.
        unsafe { core::ptr::read_volatile(8 as *const u8) as i32 }
    });
    let s = wait(pid);
    println!("child killed by signal {}, parent goes on", wtermsig(s));
}

fn many_children() {
    let mut ok = true;
    for i in 0..64 {
        let pid = spawn(move || i);
        let s = wait(pid);
        ok &= wtermsig(s) == 0 && wexitstatus(s) == i;
    }
    println!("64 children in a row, exit codes right: {ok}");
    let mut seen = 0u32;
    for i in 0..16 {
        spawn(move || 100 + i);
    }
    for _ in 0..16 {
        let mut status = 0;
        let pid = wait4(-1, &mut status, 0);
        if pid > 0 && wexitstatus(status) >= 100 {
            seen |= 1 << (wexitstatus(status) - 100);
        }
    }
    println!(
        "16 children at once, all codes collected: {}",
        seen == 0xffff
    );
    let mut status = 0;
    println!(
        "wait4 with no children: {}",
        errno_name(wait4(-1, &mut status, 0))
    );
}

fn wait_options() {
    let mailbox = mmap(
        0,
        PAGE,
        PROT_READ | PROT_WRITE,
        MAP_SHARED | MAP_ANONYMOUS,
        -1,
        0,
    ) as u64;
    let pid = spawn(|| {
        while peek(mailbox) == 0 {
            sched_yield();
        }
        3
    });
    let mut status = 0;
    println!(
        "WNOHANG while the child runs: {}",
        wait4(pid, &mut status, WNOHANG)
    );
    println!(
        "wait4 bad options: {}",
        errno_name(wait4(pid, &mut status, 0x100))
    );
    println!(
        "wait4 other pid: {}",
        errno_name(wait4(pid + 1000, &mut status, 0))
    );
    poke(mailbox, 1);
    println!("then it exits with 3: {}", wexitstatus(wait(pid)) == 3);
    let pid = spawn(|| (getppid() == 0) as i32);
    println!("child has a parent: {}", wexitstatus(wait(pid)) == 0);
    let pid = spawn(|| 0);
    println!(
        "wait4 bad status pointer: {}",
        errno_name(raw(nr::WAIT4, [pid as u64, 8, 0, 0, 0, 0]))
    );
    // As on Linux, the child was reaped all the same.
    let mut status = 0;
    println!(
        "and the child is gone: {}",
        errno_name(wait4(pid, &mut status, 0))
    );
    munmap(mailbox, PAGE);
}

/// Copies a path argument into a NUL-terminated buffer.
fn c_path(arg: &[u8], buf: &mut [u8; 256]) -> usize {
    let n = arg.len().min(255);
    buf[..n].copy_from_slice(&arg[..n]);
    buf[n] = 0;
    n + 1
}

fn exec_tests(args: &Args) {
    let (mut hello, mut notelf) = ([0u8; 256], [0u8; 256]);
    let hello_len = c_path(args.get(1).unwrap_or(b"/bin/hello"), &mut hello);
    let notelf_len = c_path(args.get(2).unwrap_or(b"/bin/notelf"), &mut notelf);
    let path = &hello[..hello_len];
    let a0 = b"hello\0";
    let a1 = b"one\0";
    let a2 = b"two\0";
    let env = b"X=1\0";
    let pid = spawn(|| {
        let argv = [a0.as_ptr(), a1.as_ptr(), a2.as_ptr(), core::ptr::null()];
        let envp = [env.as_ptr(), core::ptr::null()];
        execve(path, &argv, &envp) as i32
    });
    println!("execve hello one two: exit {}", wexitstatus(wait(pid)));
    let argv = [a0.as_ptr(), core::ptr::null()];
    let envp = [core::ptr::null()];
    println!(
        "execve missing file: {}",
        errno_name(execve(b"/bin/nonexistent\0", &argv, &envp))
    );
    println!(
        "execve a non-ELF file: {}",
        errno_name(execve(&notelf[..notelf_len], &argv, &envp))
    );
    println!(
        "execve bad path pointer: {}",
        errno_name(raw(nr::EXECVE, [16, argv.as_ptr() as u64, 0, 0, 0, 0]))
    );
    println!(
        "execve bad argv pointer: {}",
        errno_name(raw(nr::EXECVE, [path.as_ptr() as u64, 16, 0, 0, 0, 0]))
    );
    // An argument list larger than Linux allows (a quarter of the 8 MiB stack limit).
    let many = 100_000usize;
    let table = mmap(
        0,
        (many as u64 + 1) * 8,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    );
    let long = [b'x'; 64];
    let mut arg = [0u8; 65];
    arg[..64].copy_from_slice(&long);
    for i in 0..many {
        poke(table as u64 + i as u64 * 8, arg.as_ptr() as u64);
    }
    poke(table as u64 + many as u64 * 8, 0);
    println!(
        "execve with too many arguments: {}",
        errno_name(raw(
            nr::EXECVE,
            [path.as_ptr() as u64, table as u64, 0, 0, 0, 0]
        ))
    );
    munmap(table as u64, (many as u64 + 1) * 8);
    println!("still running after failed execs: true");
}

fn main(args: Args) -> i32 {
    cow_isolation();
    three_generations();
    shared_anon();
    child_segv();
    many_children();
    wait_options();
    exec_tests(&args);
    0
}
