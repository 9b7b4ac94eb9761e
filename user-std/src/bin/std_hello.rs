//! A Rust `std` program as a newcomer writes one: printing, the environment and arguments, the
//! heap, the clock and sleeping, files (its own binary), and a panic caught with catch_unwind.
//! Its output is compared with the same binary run on Linux.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn main() {
    println!("hello from Rust std");
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("args: {args:?}");
    println!("HOME={:?}", std::env::var("HOME").ok());
    let v: Vec<u64> = (1..=1000).collect();
    println!("sum of 1..=1000: {}", v.iter().sum::<u64>());
    let mut map = std::collections::BTreeMap::new();
    for word in "the quick brown fox jumps over the lazy dog the end".split(' ') {
        *map.entry(word).or_insert(0) += 1;
    }
    println!("word counts: {map:?}");

    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    println!(
        "slept at least 20 ms: {}",
        start.elapsed() >= Duration::from_millis(20)
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    println!(
        "the wall clock is after 2025: {}",
        now.as_secs() > 1_735_689_600
    );

    let exe = std::env::args().next().expect("argv[0]");
    let mut header = [0u8; 4];
    match std::fs::File::open(&exe).and_then(|mut f| f.read_exact(&mut header)) {
        Ok(()) => println!("own binary starts with: {header:x?}"),
        Err(e) => println!("reading own binary: {e}"),
    }

    // Quiet panics: the message names the thread id, which differs between kernels.
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(|| {
        let empty: Vec<u8> = Vec::new();
        empty[3]
    });
    println!("a panic was caught: {}", caught.is_err());
    std::io::stdout().flush().expect("flush");
    std::process::exit(3);
}
