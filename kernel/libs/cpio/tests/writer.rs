//! The writer: exact bytes, padding in every case, round trips through the reader, and what the
//! reader makes of every prefix of a valid archive.

mod common;

use common::{Node, assert_reads_as, header_offsets, trailer_end, write};
use cpio::{Error, entries};
use proptest::prelude::*;

/// The bytes GNU cpio 2.13 wrote for `printf 'd\nd/f\nl\n' | cpio -o -H newc` (a directory, a
/// 5-byte file with mode 0640 and a symlink), with its inode numbers and times replaced by ours.
#[test]
fn golden_bytes() {
    let mut expected = Vec::new();
    // "d": ino 1, mode 040755, nlink 2, namesize 2. 110 + 2 = 112: no padding.
    expected.extend_from_slice(b"07070100000001000041ED0000000000000000000000020000000000000000");
    expected.extend_from_slice(b"000000000000000000000000000000000000000200000000d\0");
    // "d/f": ino 2, mode 0100640, filesize 5, namesize 4. 112 + 114 = 226: two NULs; then the
    // data, 228 + 5 = 233: three NULs.
    expected.extend_from_slice(b"07070100000002000081A00000000000000000000000010000000000000005");
    expected.extend_from_slice(b"000000000000000000000000000000000000000400000000d/f\0\0\0");
    expected.extend_from_slice(b"hello\0\0\0");
    // "l" -> "d/f": ino 3, mode 0120777, filesize 3, namesize 2.
    expected.extend_from_slice(b"070701000000030000A1FF0000000000000000000000010000000000000003");
    expected.extend_from_slice(b"000000000000000000000000000000000000000200000000l\0d/f\0");
    // The trailer: everything 0 but nlink, namesize 11; then NULs up to 512 bytes.
    expected.extend_from_slice(b"07070100000000000000000000000000000000000000010000000000000000");
    expected.extend_from_slice(b"000000000000000000000000000000000000000B00000000TRAILER!!!\0");
    expected.resize(512, 0);

    let mut writer = cpio::Writer::new();
    writer.add_dir("d", 0o755);
    writer.add_file("d/f", 0o640, b"hello");
    writer.add_symlink("l", "d/f");
    let archive = writer.finish();
    assert_eq!(
        String::from_utf8_lossy(&archive),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(archive, expected);
}

#[test]
fn empty_archive_is_one_block_with_a_trailer() {
    let archive = cpio::Writer::default().finish();
    assert_eq!(archive.len(), 512);
    assert_eq!(entries(&archive).count(), 0);
}

#[test]
fn type_bits_of_mode_are_replaced() {
    let nodes = [
        Node::Dir("a".into(), 0o755),
        Node::File("b".into(), 0o4755, vec![1]),
    ];
    let mut writer = cpio::Writer::new();
    writer.add_dir("a", 0o100755); // S_IFREG given for a directory
    writer.add_file("b", 0o044755, &[1]); // S_IFDIR given for a file, plus setuid
    assert_reads_as(&writer.finish(), &nodes);
}

/// Names of 0..8 bytes and data of 0..8 bytes: every residue of header + name and of data modulo
/// 4, at every residue of the entry's start. Checks the layout against an independent model.
#[test]
fn padding_in_every_case() {
    let mut nodes = Vec::new();
    for name_len in 0..=8 {
        for data_len in 0..=8 {
            let name: String = "abcdefgh"[..name_len].into();
            let data = vec![0xa5; data_len];
            nodes.push(Node::File(name, 0o644, data));
        }
    }
    let archive = write(&nodes);
    assert_reads_as(&archive, &nodes);
    assert_eq!(archive.len() % 512, 0);

    let offsets = header_offsets(&nodes);
    for (node, &offset) in nodes.iter().zip(&offsets) {
        assert_eq!(offset % 4, 0);
        assert_eq!(&archive[offset..offset + 6], b"070701", "{node:?}");
        // Name, NUL, then NULs up to the data; data, then NULs up to the next header.
        let name_end = offset + 110 + node.name().len();
        let data_start = (name_end + 1).next_multiple_of(4);
        assert_eq!(&archive[offset + 110..name_end], node.name().as_bytes());
        assert!(archive[name_end..data_start].iter().all(|&b| b == 0));
        let data_end = data_start + node.data().len();
        assert_eq!(&archive[data_start..data_end], node.data());
        let next = data_end.next_multiple_of(4);
        assert!(archive[data_end..next].iter().all(|&b| b == 0));
    }
    let trailer = *offsets.last().unwrap();
    assert_eq!(&archive[trailer + 110..trailer + 121], b"TRAILER!!!\0");
    assert!(archive[trailer + 121..].iter().all(|&b| b == 0));
}

#[test]
#[should_panic(expected = "NUL in file name")]
fn nul_in_a_name_panics() {
    cpio::Writer::new().add_file("a\0b", 0o644, b"");
}

/// What every prefix of `archive` must read as: the entries that fit completely, in order, then
/// an error naming the entry that was cut, or `MissingTrailer` if the cut fell between entries.
/// Once the trailer's name is complete, the whole list.
fn check_prefixes(nodes: &[Node], archive: &[u8], lengths: impl Iterator<Item = usize>) {
    let offsets = header_offsets(nodes);
    let complete = trailer_end(nodes);
    for len in lengths {
        let prefix = &archive[..len];
        let mut read = 0;
        let mut error = None;
        for entry in entries(prefix) {
            match entry {
                Ok(entry) => {
                    let node = &nodes[read];
                    assert_eq!((entry.name, entry.data), (node.name(), node.data()));
                    read += 1;
                }
                Err(e) => error = Some(e),
            }
        }
        match error {
            None => {
                assert!(len >= complete, "prefix {len} read without error");
                assert_eq!(read, nodes.len());
            }
            Some(Error::Truncated { offset }) => assert_eq!(offset, offsets[read], "prefix {len}"),
            Some(Error::MissingTrailer) => {
                let end_of_last = (offsets[read].saturating_sub(3)..=offsets[read]).contains(&len);
                assert!(end_of_last, "prefix {len}: MissingTrailer inside an entry");
            }
            Some(other) => panic!("prefix {len}: unexpected {other:?}"),
        }
    }
}

#[test]
fn every_prefix_reads_as_a_prefix() {
    let nodes = [
        Node::Dir(".".into(), 0o755),
        Node::Dir("bin".into(), 0o755),
        Node::File("bin/init".into(), 0o755, b"\x7fELF...".to_vec()),
        Node::Symlink("init".into(), "bin/init".into()),
        Node::File("empty".into(), 0o644, vec![]),
        Node::File("etc/x".into(), 0o600, b"0123456789".to_vec()),
    ];
    let archive = write(&nodes);
    check_prefixes(&nodes, &archive, 0..=archive.len());
}

fn node() -> impl Strategy<Value = Node> {
    // Any printable text, including multi-byte UTF-8; never NUL.
    let name = "[a-z0-9./_-]{0,12}|\\PC{0,6}";
    prop_oneof![
        (name, 0u32..0o10000).prop_map(|(name, mode)| Node::Dir(name, mode)),
        (
            name,
            0u32..0o10000,
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(name, mode, data)| Node::File(name, mode, data)),
        (name, "\\PC{0,12}").prop_map(|(name, target)| Node::Symlink(name, target)),
    ]
    // A name equal to the trailer's would end the archive early: the format cannot hold it.
    .prop_filter("not the trailer", |node| node.name() != "TRAILER!!!")
}

proptest! {
    #[test]
    fn round_trip(nodes in prop::collection::vec(node(), 0..12)) {
        let archive = write(&nodes);
        assert_reads_as(&archive, &nodes);
        prop_assert_eq!(archive.len() % 512, 0);
        for node in &nodes {
            let found = cpio::find(&archive, node.name()).unwrap();
            prop_assert!(found.is_some(), "{} not found", node.name());
        }
    }

    #[test]
    fn random_prefix_reads_as_a_prefix(
        nodes in prop::collection::vec(node(), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let archive = write(&nodes);
        let len = cut.index(archive.len() + 1);
        check_prefixes(&nodes, &archive, len..=len);
    }
}
