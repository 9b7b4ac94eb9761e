//! Helpers shared by the integration tests. They compute the layout independently of the crate,
//! so that a layout bug in the crate cannot hide behind the same bug in the test.
#![allow(dead_code)] // each test file uses a different subset

/// One entry as the tests describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Dir(String, u32),
    File(String, u32, Vec<u8>),
    Symlink(String, String),
}

impl Node {
    pub fn name(&self) -> &str {
        match self {
            Node::Dir(name, _) | Node::File(name, _, _) | Node::Symlink(name, _) => name,
        }
    }

    pub fn data(&self) -> &[u8] {
        match self {
            Node::Dir(..) => &[],
            Node::File(_, _, data) => data,
            Node::Symlink(_, target) => target.as_bytes(),
        }
    }

    /// The full mode the writer must record.
    pub fn mode(&self) -> u32 {
        match self {
            Node::Dir(_, mode) => 0o040000 | mode,
            Node::File(_, mode, _) => 0o100000 | mode,
            Node::Symlink(..) => 0o120777,
        }
    }
}

pub fn write(nodes: &[Node]) -> Vec<u8> {
    let mut writer = cpio::Writer::new();
    for node in nodes {
        match node {
            Node::Dir(name, mode) => writer.add_dir(name, *mode),
            Node::File(name, mode, data) => writer.add_file(name, *mode, data),
            Node::Symlink(name, target) => writer.add_symlink(name, target),
        }
    }
    writer.finish()
}

fn align4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// Offsets of each entry's header, then of the trailer's header, for an archive of `nodes`.
pub fn header_offsets(nodes: &[Node]) -> Vec<usize> {
    let mut offsets = vec![0];
    for node in nodes {
        let header = *offsets.last().unwrap();
        let data = align4(header + 110 + node.name().len() + 1);
        offsets.push(align4(data + node.data().len()));
    }
    offsets
}

/// Where the trailer's name ends: any longer prefix of the archive reads completely.
pub fn trailer_end(nodes: &[Node]) -> usize {
    header_offsets(nodes).last().unwrap() + 110 + "TRAILER!!!".len() + 1
}

/// A raw header with the given field values (in header order, after the magic).
pub fn raw_header(fields: [u32; 13]) -> Vec<u8> {
    let mut header = b"070701".to_vec();
    for field in fields {
        header.extend_from_slice(format!("{field:08X}").as_bytes());
    }
    header
}

/// Asserts that `archive` reads back as exactly `nodes`.
pub fn assert_reads_as(archive: &[u8], nodes: &[Node]) {
    let entries: Vec<_> = cpio::entries(archive)
        .collect::<Result<_, _>>()
        .expect("archive does not read");
    assert_eq!(entries.len(), nodes.len());
    for (index, (entry, node)) in entries.iter().zip(nodes).enumerate() {
        assert_eq!(entry.name, node.name());
        assert_eq!(entry.mode, node.mode(), "mode of {}", node.name());
        assert_eq!(entry.data, node.data(), "data of {}", node.name());
        assert_eq!(entry.ino as usize, index + 1);
        let nlink = if matches!(node, Node::Dir(..)) { 2 } else { 1 };
        assert_eq!(entry.nlink, nlink);
        assert_eq!(
            (
                entry.uid,
                entry.gid,
                entry.mtime,
                entry.dev_major,
                entry.dev_minor
            ),
            (0, 0, 0, 0, 0)
        );
        assert_eq!((entry.rdev_major, entry.rdev_minor), (0, 0));
    }
}
