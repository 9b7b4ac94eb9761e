//! The smallest program: prints its arguments and exits with the number of them.

#![no_std]
#![no_main]

use user::{Args, println};

user::entry!(main);

fn main(args: Args) -> i32 {
    println!("hello from {}", args.argv0());
    for i in 1..args.len() {
        println!("argv[{i}] = {}", args.str(i).unwrap_or("<not utf-8>"));
    }
    args.len() as i32 - 1
}
