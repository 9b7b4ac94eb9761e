//! Hostile input: random bytes and corrupted archives never make the reader panic, and
//! corruption that the format can detect is reported as the right error at the right place.

mod common;

use common::{Node, header_offsets, raw_header, write};
use cpio::{Entry, Error, entries, find};
use proptest::prelude::*;
use proptest::sample::Index;

const FIELDS: [&str; 13] = [
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

/// Reads everything the reader yields. Each `Ok` entry consumes at least a header and a NUL, so
/// the iterator must end within that many steps: a loop that never advanced would fail here
/// instead of hanging.
fn read_all(archive: &[u8]) -> Vec<Result<Entry<'_>, Error>> {
    let bound = archive.len() / 111 + 1;
    let items: Vec<_> = entries(archive).take(bound + 1).collect();
    assert!(items.len() <= bound, "reader did not advance");
    if let Some(position) = items.iter().position(Result::is_err) {
        assert_eq!(position, items.len() - 1, "items after an error");
    }
    let _ = find(archive, "a/b");
    items
}

fn nodes() -> impl Strategy<Value = Vec<Node>> {
    let node = ("[a-z./]{0,9}", prop::collection::vec(any::<u8>(), 0..24))
        .prop_filter("not the trailer", |(name, _)| name != "TRAILER!!!")
        .prop_map(|(name, data)| Node::File(name, 0o644, data));
    prop::collection::vec(node, 0..6)
}

/// Header field values that often describe sizes near the end of the input, and sometimes
/// anything at all.
fn field() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..140,
        any::<u32>(),
        (0u32..4).prop_map(|k| u32::MAX - k)
    ]
}

/// Random bytes behind a header with random but well-formed fields: gets past the magic and the
/// hex digits into the name and size checks, which uniformly random bytes hardly ever reach.
fn header_then_bytes() -> impl Strategy<Value = Vec<u8>> {
    let chunk = (
        prop::array::uniform13(field()),
        prop::collection::vec(any::<u8>(), 0..160),
    )
        .prop_map(|(fields, tail)| {
            let mut chunk = raw_header(fields);
            chunk.extend_from_slice(&tail);
            chunk
        });
    prop::collection::vec(chunk, 1..4).prop_map(|chunks| chunks.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(archive in prop::collection::vec(any::<u8>(), 0..1024)) {
        read_all(&archive);
    }

    #[test]
    fn random_headers_never_panic(archive in header_then_bytes()) {
        read_all(&archive);
    }

    #[test]
    fn random_mutations_never_panic(
        nodes in nodes(),
        mutations in prop::collection::vec((any::<Index>(), any::<u8>()), 1..8),
        cut in any::<Index>(),
    ) {
        let mut archive = write(&nodes);
        for (at, byte) in mutations {
            let at = at.index(archive.len());
            archive[at] = byte;
        }
        read_all(&archive);
        read_all(&archive[..cut.index(archive.len() + 1)]);
    }

    /// A non-hex byte in any digit of any field of any header (the trailer's included): the
    /// entries before it read fine, then `BadHex` names the field and where it starts.
    #[test]
    fn non_hex_digit_is_bad_hex(
        nodes in nodes(),
        entry in any::<Index>(),
        field in 0..13usize,
        digit in 0..8usize,
        byte in any::<u8>().prop_filter("not hex", |b| !b.is_ascii_hexdigit()),
    ) {
        let mut archive = write(&nodes);
        let entry = entry.index(nodes.len() + 1);
        let field_start = header_offsets(&nodes)[entry] + 6 + 8 * field;
        archive[field_start + digit] = byte;
        let items = read_all(&archive);
        prop_assert_eq!(items.len(), entry + 1);
        prop_assert!(items[..entry].iter().all(Result::is_ok));
        prop_assert_eq!(
            items[entry],
            Err(Error::BadHex { offset: field_start, field: FIELDS[field] })
        );
    }

    /// Any change to any magic byte is `BadMagic` at that header.
    #[test]
    fn changed_magic_is_bad_magic(
        nodes in nodes(),
        entry in any::<Index>(),
        at in 0..6usize,
        byte in any::<u8>(),
    ) {
        let mut archive = write(&nodes);
        let entry = entry.index(nodes.len() + 1);
        let offset = header_offsets(&nodes)[entry];
        prop_assume!(archive[offset + at] != byte);
        archive[offset + at] = byte;
        let items = read_all(&archive);
        prop_assert_eq!(items.len(), entry + 1);
        prop_assert_eq!(items[entry], Err(Error::BadMagic { offset }));
    }

    /// Overwriting a name's NUL terminator is `BadName`.
    #[test]
    fn unterminated_name_is_bad_name(
        nodes in nodes(),
        entry in any::<Index>(),
        byte in 1u8..,
    ) {
        let mut archive = write(&nodes);
        let entry = entry.index(nodes.len() + 1);
        let name = header_offsets(&nodes)[entry] + 110;
        let name_len = nodes.get(entry).map_or("TRAILER!!!".len(), |node| node.name().len());
        archive[name + name_len] = byte;
        let items = read_all(&archive);
        prop_assert_eq!(items.len(), entry + 1);
        prop_assert_eq!(items[entry], Err(Error::BadName { offset: name }));
    }
}
