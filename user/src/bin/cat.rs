//! cat FILE...: prints files (the /proc files included).

#![no_std]
#![no_main]

use user::{Args, eprintln, sys};

user::entry!(main);

fn main(args: Args) -> i32 {
    let mut status = 0;
    for i in 1..args.len() {
        let Some(name) = args.get(i) else { continue };
        let mut path = [0u8; 256];
        let n = name.len().min(255);
        path[..n].copy_from_slice(&name[..n]);
        let fd = sys::open(&path[..n + 1], sys::O_RDONLY);
        if fd < 0 {
            eprintln!(
                "cat: {}: {}",
                args.str(i).unwrap_or("?"),
                user::errno_name(fd)
            );
            status = 1;
            continue;
        }
        let mut buf = [0u8; 4096];
        loop {
            let got = sys::read(fd as u64, &mut buf);
            if got <= 0 {
                break;
            }
            sys::write(1, &buf[..got as usize]);
        }
        sys::close(fd as u64);
    }
    status
}
