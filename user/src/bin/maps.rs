//! Prints its own /proc/self/maps (after growing the heap a little, so [heap] shows).

#![no_std]
#![no_main]

use user::{Args, print, sys};

user::entry!(main);

fn main(_args: Args) -> i32 {
    let base = sys::brk(0);
    sys::brk(base + 3 * 4096);
    // Touch the new heap so it is really there.
    // SAFETY: the range was just added to the heap by brk.
    unsafe { core::ptr::write_volatile(base as *mut u8, 1) };
    let mut buf = [0u8; 16384];
    let n = user::read_file(b"/proc/self/maps\0", &mut buf);
    if n < 0 {
        user::eprintln!("open /proc/self/maps: {}", user::errno_name(n));
        return 1;
    }
    print!(
        "{}",
        core::str::from_utf8(&buf[..n as usize]).unwrap_or("<not utf-8>\n")
    );
    0
}
