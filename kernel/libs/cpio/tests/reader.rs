//! The reader on hand-made archives: every field, every error, `find`.

mod common;

use common::{Node, header_offsets, raw_header, write};
use cpio::{Entry, Error, entries, find};

const TRAILER_ENTRY_NAME: &[u8] = b"TRAILER!!!\0";

/// A trailer entry as GNU cpio writes it.
fn trailer() -> Vec<u8> {
    let mut trailer = raw_header([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 0]);
    trailer.extend_from_slice(TRAILER_ENTRY_NAME);
    trailer
}

/// Reads a whole archive, or the first error.
fn read(archive: &[u8]) -> Result<Vec<Entry<'_>>, Error> {
    entries(archive).collect()
}

#[test]
fn every_header_field_lands_in_its_place() {
    // Distinct values, lower-case hex (GNU writes upper case; both are valid).
    let mut archive = b"070701".to_vec();
    for field in [
        0x11,
        0o100644,
        0x33,
        0x44,
        0x55,
        0x6666_6666,
        5,
        0x88,
        0x99,
        0xaa,
        0xbb,
        6,
        0,
    ] {
        archive.extend_from_slice(format!("{field:08x}").as_bytes());
    }
    archive.extend_from_slice(b"hello\0"); // 110 + 6 = 116: no padding needed
    archive.extend_from_slice(b"world\0\0\0"); // 5 bytes of data, 3 of padding
    archive.extend_from_slice(&trailer());

    let entries = read(&archive).unwrap();
    assert_eq!(
        entries,
        [Entry {
            name: "hello",
            ino: 0x11,
            mode: 0o100644,
            uid: 0x33,
            gid: 0x44,
            nlink: 0x55,
            mtime: 0x6666_6666,
            dev_major: 0x88,
            dev_minor: 0x99,
            rdev_major: 0xaa,
            rdev_minor: 0xbb,
            data: b"world",
        }]
    );
    assert!(entries[0].is_file() && !entries[0].is_dir() && !entries[0].is_symlink());
}

#[test]
fn file_types() {
    let archive = write(&[
        Node::Dir("d".into(), 0o755),
        Node::File("f".into(), 0o644, b"x".to_vec()),
        Node::Symlink("l".into(), "f".into()),
    ]);
    let kinds: Vec<_> = entries(&archive)
        .map(|entry| {
            let entry = entry.unwrap();
            (entry.is_dir(), entry.is_file(), entry.is_symlink())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (true, false, false),
            (false, true, false),
            (false, false, true)
        ]
    );
}

#[test]
fn empty_archive_and_bare_trailer() {
    assert_eq!(read(b""), Err(Error::MissingTrailer));
    assert_eq!(read(&trailer()), Ok(vec![]));
    // Whatever follows the trailer (GNU's block padding, or anything else) is not read.
    let mut archive = trailer();
    archive.extend_from_slice(b"\0\0\0\0garbage");
    assert_eq!(read(&archive), Ok(vec![]));
}

#[test]
fn missing_trailer_ends_with_an_error_then_nothing() {
    let full = write(&[Node::File("a".into(), 0o644, b"abc".to_vec())]);
    // Header, name "a\0" (112 bytes: aligned), data "abc" and one byte of padding.
    let without_trailer = &full[..116];
    let mut iter = entries(without_trailer);
    assert_eq!(iter.next().unwrap().unwrap().data, b"abc");
    assert_eq!(iter.next(), Some(Err(Error::MissingTrailer)));
    assert_eq!(iter.next(), None);
    assert_eq!(iter.next(), None);
    // Ending inside the last entry's padding is the same.
    assert_eq!(
        entries(&full[..115]).nth(1),
        Some(Err(Error::MissingTrailer))
    );
}

#[test]
fn bad_magic() {
    for magic in [&b"070707"[..], b"070702", b"070700", b"      "] {
        let mut archive = trailer();
        archive[..6].copy_from_slice(magic);
        assert_eq!(read(&archive), Err(Error::BadMagic { offset: 0 }));
    }
    // In a later entry, the error names that entry's offset.
    let mut archive = write(&[Node::Dir("d".into(), 0o755)]);
    archive[112] = b'8';
    let mut iter = entries(&archive);
    assert!(iter.next().unwrap().is_ok());
    assert_eq!(iter.next(), Some(Err(Error::BadMagic { offset: 112 })));
    assert_eq!(iter.next(), None);
}

#[test]
fn bad_hex_names_the_field_and_its_offset() {
    let names = [
        "ino",
        "mode",
        "uid",
        "gid",
        "nlink",
        "mtime",
        "filesize",
        "devmajor",
        "devminor",
        "rdevmajor",
        "rdevminor",
        "namesize",
        "check",
    ];
    // Characters that `strtoul`-style parsing would have let through, or that are near misses.
    for bad in [
        b'g', b'G', b' ', b'+', b'-', b'x', b'\0', b'/', b':', b'@', b'`', 0xff,
    ] {
        for (index, name) in names.iter().enumerate() {
            for digit in [0, 7] {
                let mut archive = trailer();
                let offset = 6 + 8 * index;
                archive[offset + digit] = bad;
                assert_eq!(
                    read(&archive),
                    Err(Error::BadHex {
                        offset,
                        field: name
                    }),
                    "byte {bad:#x} in {name}"
                );
            }
        }
    }
}

#[test]
fn bad_names() {
    let entry = |namesize: u32, name: &[u8]| {
        let mut archive = raw_header([1, 0o100644, 0, 0, 1, 0, 0, 0, 0, 0, 0, namesize, 0]);
        archive.extend_from_slice(name);
        archive.resize(archive.len().next_multiple_of(4), 0);
        archive.extend_from_slice(&trailer());
        // Owned names, so that the entries can outlive the archive.
        read(&archive).map(|entries| {
            entries
                .iter()
                .map(|e| e.name.to_owned())
                .collect::<Vec<_>>()
        })
    };
    let bad = Err(Error::BadName { offset: 110 });
    assert_eq!(entry(0, b""), bad, "namesize 0");
    assert_eq!(entry(3, b"abc"), bad, "no NUL");
    assert_eq!(entry(4, b"a\0b\0"), bad, "NUL inside");
    assert_eq!(entry(3, b"\xff\xfe\0"), bad, "not UTF-8");
    assert_eq!(entry(3, b"\xc3\0\0"), bad, "UTF-8 cut short");
    // The empty name is representable: namesize 1, just the NUL.
    assert_eq!(entry(1, b"\0"), Ok(vec![String::new()]));
    assert_eq!(entry(3, b"\xc3\xa9\0"), Ok(vec!["é".to_owned()]));
}

#[test]
fn sizes_past_the_end_are_truncated_not_overflowed() {
    for (namesize, filesize) in [
        (u32::MAX, 0),
        (0x8000_0000, 0),
        (200, 0),
        (2, u32::MAX),
        (2, 0x7fff_fffc),
        (2, 1000),
    ] {
        let mut archive = raw_header([1, 0o100644, 0, 0, 1, 0, filesize, 0, 0, 0, 0, namesize, 0]);
        archive.extend_from_slice(b"a\0");
        archive.extend_from_slice(&trailer());
        assert_eq!(
            read(&archive),
            Err(Error::Truncated { offset: 0 }),
            "namesize {namesize:#x}, filesize {filesize:#x}"
        );
    }
}

#[test]
fn truncated_headers() {
    let archive = trailer();
    for len in 1..110 {
        assert_eq!(
            read(&archive[..len]),
            Err(Error::Truncated { offset: 0 }),
            "{len}"
        );
    }
    // The trailer's name must be complete; its padding need not be.
    assert_eq!(read(&archive[..120]), Err(Error::Truncated { offset: 0 }));
    assert_eq!(read(&archive[..121]), Ok(vec![]));
}

#[test]
fn error_messages_say_what_and_where() {
    let messages = [
        (Error::Truncated { offset: 12 }, "12"),
        (Error::BadMagic { offset: 34 }, "34"),
        (
            Error::BadHex {
                offset: 56,
                field: "filesize",
            },
            "filesize at offset 56",
        ),
        (Error::BadName { offset: 78 }, "78"),
        (Error::MissingTrailer, "TRAILER!!!"),
    ];
    for (error, needle) in messages {
        let message = error.to_string();
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    }
}

#[test]
fn find_normalizes_leading_dot_and_slashes() {
    let archive = write(&[
        Node::Dir(".".into(), 0o755),
        Node::Dir("./bin".into(), 0o755),
        Node::File("./bin/sh".into(), 0o755, b"sh".to_vec()),
        Node::File("/etc/motd".into(), 0o644, b"motd".to_vec()),
        Node::File("init".into(), 0o755, b"init".to_vec()),
    ]);
    let data = |path| find(&archive, path).unwrap().map(|entry| entry.data);
    for path in ["bin/sh", "/bin/sh", "./bin/sh", "//bin/sh", "././bin/sh"] {
        assert_eq!(data(path), Some(&b"sh"[..]), "{path}");
    }
    for path in ["etc/motd", "/etc/motd", "./etc/motd"] {
        assert_eq!(data(path), Some(&b"motd"[..]), "{path}");
    }
    for path in ["init", "/init", "./init"] {
        assert_eq!(data(path), Some(&b"init"[..]), "{path}");
    }
    for path in ["bin", "/bin/", "./bin//"] {
        assert!(find(&archive, path).unwrap().unwrap().is_dir(), "{path}");
    }
    for path in ["/", ".", "./", ""] {
        assert_eq!(find(&archive, path).unwrap().unwrap().name, ".", "{path}");
    }
    for path in ["bin/s", "sh", "/bin/sh/x", "etc", "TRAILER!!!"] {
        assert_eq!(find(&archive, path), Ok(None), "{path}");
    }
}

#[test]
fn find_last_entry_wins_and_reports_errors_anywhere() {
    let nodes = [
        Node::File("a".into(), 0o644, b"first".to_vec()),
        Node::File("b".into(), 0o644, b"b".to_vec()),
        Node::File("./a".into(), 0o600, b"second".to_vec()),
    ];
    let archive = write(&nodes);
    let found = find(&archive, "a").unwrap().unwrap();
    assert_eq!((found.data, found.mode), (&b"second"[..], 0o100600));

    // An error after the entry looked for still fails the lookup: the archive is corrupt.
    let trailer = *header_offsets(&nodes).last().unwrap();
    let cut = &archive[..trailer + 50];
    assert_eq!(find(cut, "a"), Err(Error::Truncated { offset: trailer }));
    assert_eq!(find(b"", "a"), Err(Error::MissingTrailer));
}
