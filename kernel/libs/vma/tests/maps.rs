//! `write_maps_line` against the real thing: the host running these tests is Linux, so every line
//! of its `/proc/self/maps` is parsed and printed again, and must come out byte for byte the same.

use vma::VmFlags;
use vma::maps::{MapsLine, write_maps_line};

fn format(line: &MapsLine<'_>) -> String {
    let mut out = String::new();
    write_maps_line(&mut out, line).unwrap();
    out
}

/// Parse one line (without its newline) the way a reader of `/proc/PID/maps` would.
fn parse(line: &str) -> MapsLine<'_> {
    let mut fields = line.splitn(6, ' ');
    let mut next = || {
        fields
            .next()
            .unwrap_or_else(|| panic!("short line {line:?}"))
    };
    let (start, end) = next().split_once('-').unwrap();
    let perms = next().as_bytes();
    let offset = next();
    let (major, minor) = next().split_once(':').unwrap();
    let inode = next();
    // After the inode: nothing for an unnamed area, else padding and the name.
    let rest = next().trim_start_matches(' ');
    assert_eq!(perms.len(), 4, "{line:?}");
    let mut flags = VmFlags::empty();
    for (i, (c, flag)) in [
        (b'r', VmFlags::READ),
        (b'w', VmFlags::WRITE),
        (b'x', VmFlags::EXEC),
    ]
    .into_iter()
    .enumerate()
    {
        match perms[i] {
            b'-' => {}
            p if p == c => flags |= flag,
            p => panic!("bad permission {:?} in {line:?}", p as char),
        }
    }
    match perms[3] {
        b's' => flags |= VmFlags::MAYSHARE,
        b'p' => {}
        p => panic!("bad sharing {:?} in {line:?}", p as char),
    }
    let hex = |s: &str| u64::from_str_radix(s, 16).unwrap();
    MapsLine {
        start: hex(start),
        end: hex(end),
        flags,
        offset: hex(offset),
        dev_major: u32::from_str_radix(major, 16).unwrap(),
        dev_minor: u32::from_str_radix(minor, 16).unwrap(),
        inode: inode.parse().unwrap(),
        name: (!rest.is_empty()).then_some(rest),
    }
}

#[test]
fn round_trips_host_proc_self_maps() {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("this test needs Linux");
    let mut named = 0;
    let mut unnamed = 0;
    for line in maps.split_inclusive('\n') {
        let parsed = parse(
            line.strip_suffix('\n')
                .expect("every line ends in a newline"),
        );
        match parsed.name {
            Some(_) => named += 1,
            None => unnamed += 1,
        }
        assert_eq!(format(&parsed), line);
    }
    // A test binary maps itself, libc, [stack], [vdso]... and some anonymous memory.
    assert!(named >= 4, "only {named} named lines in\n{maps}");
    assert!(unnamed >= 1, "no anonymous line in\n{maps}");
}

#[test]
fn known_lines() {
    let mut line = MapsLine {
        start: 0x561a_5362_a000,
        end: 0x561a_5362_c000,
        flags: VmFlags::READ | VmFlags::MAYREAD | VmFlags::MAYWRITE,
        offset: 0x2000,
        dev_major: 0xfe,
        dev_minor: 0,
        inode: 247030,
        name: Some("/usr/bin/cat"),
    };
    assert_eq!(
        format(&line),
        "561a5362a000-561a5362c000 r--p 00002000 fe:00 247030                     /usr/bin/cat\n"
    );
    // Short addresses are padded to 8 digits; shared mappings show 's' (from MAYSHARE, even
    // read-only ones without SHARED), and an unnamed line ends with a space.
    line = MapsLine {
        start: 0x1000,
        end: 0x3000,
        flags: VmFlags::READ | VmFlags::EXEC | VmFlags::MAYSHARE,
        offset: 0,
        dev_major: 0,
        dev_minor: 0,
        inode: 0,
        name: None,
    };
    assert_eq!(format(&line), "00001000-00003000 r-xs 00000000 00:00 0 \n");
    line.name = Some("[heap]");
    line.flags = VmFlags::WRITE | VmFlags::SHARED;
    assert_eq!(
        format(&line),
        format!("{:<73}[heap]\n", "00001000-00003000 -w-p 00000000 00:00 0")
    );
    assert_eq!(
        format(&line).find('['),
        Some(73),
        "names start at column 73"
    );
    // A header already past the padding width gets just seq_pad's separator: with the space
    // that ends every header, two spaces before the name.
    line = MapsLine {
        start: 0xffff_ffff_ff60_0000,
        end: 0xffff_ffff_ff60_1000,
        flags: VmFlags::EXEC,
        offset: 0x1234_5678_9abc,
        dev_major: 0x103,
        dev_minor: 0x2a,
        inode: 12_345_678_901_234_567,
        name: Some("x"),
    };
    assert_eq!(
        format(&line),
        "ffffffffff600000-ffffffffff601000 --xp 123456789abc 103:2a 12345678901234567  x\n"
    );
}
