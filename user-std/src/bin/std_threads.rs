//! Rust std's threads and processes, as a newcomer uses them: `thread::spawn` with
//! `Arc<Mutex<_>>`, channels, `thread::scope`, a panicking thread caught by `join`, named threads,
//! and `std::process::Command` running a child with its output captured. Compared with Linux.

use std::process::Command;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        println!("the child says hello, and exits with 5");
        std::process::exit(5);
    }

    let counter = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..10_000 {
                    *counter.lock().expect("lock") += 1;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("join");
    }
    println!(
        "4 threads x 10000 increments: {}",
        *counter.lock().expect("lock")
    );

    let (tx, rx) = mpsc::channel();
    for id in 0..3u64 {
        let tx = tx.clone();
        thread::spawn(move || {
            for i in 0..100u64 {
                tx.send(id * 1000 + i).expect("send");
            }
        });
    }
    drop(tx);
    let sum: u64 = rx.iter().sum();
    println!("sum over a channel from 3 threads: {sum}");

    let mut data = vec![1u64, 2, 3, 4, 5, 6, 7, 8];
    thread::scope(|s| {
        for chunk in data.chunks_mut(2) {
            s.spawn(move || chunk.iter_mut().for_each(|x| *x *= 10));
        }
    });
    println!("thread::scope multiplied each by ten: {data:?}");

    let named = thread::Builder::new()
        .name("worker-7".into())
        .spawn(|| thread::current().name().map(String::from))
        .expect("spawn")
        .join()
        .expect("join");
    println!("a named thread calls itself: {named:?}");

    std::panic::set_hook(Box::new(|_| {}));
    let result = thread::spawn(|| -> u32 { panic!("boom") }).join();
    println!("a panicking thread's join is an error: {}", result.is_err());

    let out = Command::new(&args[0])
        .arg("child")
        .output()
        .expect("run the child");
    println!(
        "Command ran the child: status {:?}, output {:?}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
}
