//! Interoperability with GNU cpio, the tool that builds initramfs images (and whose format Linux
//! reads). Each test skips itself, with a note, where no `cpio` binary is installed.

mod common;

use common::{Node, header_offsets, write};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn have_cpio() -> bool {
    let found = Command::new("cpio")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        eprintln!("note: GNU cpio is not installed; skipping this test");
    }
    found
}

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cpio-gnu-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `cpio args` in `dir` with `input` on stdin; returns stdout.
fn cpio(dir: &Path, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("cpio")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "cpio {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A small initramfs-like tree, with names and data of every length modulo 4.
fn tree() -> Vec<Node> {
    let mut nodes = vec![
        Node::Dir("bin".into(), 0o755),
        Node::File("bin/init".into(), 0o755, b"\x7fELF\x02\x01\x01".to_vec()),
        Node::Dir("etc".into(), 0o750),
        Node::File("etc/motd".into(), 0o640, b"hello\n".to_vec()),
        Node::File("empty".into(), 0o600, vec![]),
        Node::Symlink("sh".into(), "bin/init".into()),
    ];
    for len in 1..=4 {
        let name = format!("etc/{}", &"abcd"[..len]);
        nodes.push(Node::File(name, 0o644, vec![b'x'; len]));
    }
    nodes
}

fn create(root: &Path, nodes: &[Node]) {
    for node in nodes {
        let path = root.join(node.name());
        match node {
            Node::Dir(_, mode) => {
                fs::create_dir(&path).unwrap();
                fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).unwrap();
            }
            Node::File(_, mode, data) => {
                fs::write(&path, data).unwrap();
                fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).unwrap();
            }
            Node::Symlink(_, target) => symlink(target, &path).unwrap(),
        }
    }
}

fn names(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(|node| format!("{}\n", node.name()))
        .collect()
}

/// glibc's `major()` and `minor()`, with which GNU cpio splits `st_dev`.
fn major_minor(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

#[test]
fn reads_what_gnu_cpio_writes() {
    if !have_cpio() {
        return;
    }
    let nodes = tree();
    let root = scratch("read");
    create(&root, &nodes);
    let archive = cpio(
        &root,
        &["-o", "-H", "newc", "--quiet"],
        names(&nodes).as_bytes(),
    );

    let entries: Vec<_> = cpio::entries(&archive)
        .collect::<Result<_, _>>()
        .expect("GNU archive does not read");
    assert_eq!(entries.len(), nodes.len());
    for (entry, node) in entries.iter().zip(&nodes) {
        let meta = fs::symlink_metadata(root.join(node.name())).unwrap();
        assert_eq!(entry.name, node.name());
        assert_eq!(entry.data, node.data(), "{}", node.name());
        assert_eq!(entry.mode, meta.mode(), "{}", node.name());
        assert_eq!(entry.mode, node.mode(), "{}", node.name());
        assert_eq!((entry.uid, entry.gid), (meta.uid(), meta.gid()));
        assert_eq!(u64::from(entry.nlink), meta.nlink(), "{}", node.name());
        assert_eq!(i64::from(entry.mtime), meta.mtime(), "{}", node.name());
        assert_eq!((entry.dev_major, entry.dev_minor), major_minor(meta.dev()));
        assert_eq!((entry.rdev_major, entry.rdev_minor), (0, 0));
    }

    // Byte for byte what our writer makes, once the fields that describe the host (inode,
    // owner, link count of directories, time, device) are taken from ours.
    let ours = write(&nodes);
    let mut gnu = archive.clone();
    let headers = header_offsets(&nodes);
    for (node, &header) in nodes.iter().zip(&headers) {
        let mut host_fields = vec![0, 2, 3, 5, 7, 8]; // ino, uid, gid, mtime, devmajor, devminor
        if matches!(node, Node::Dir(..)) {
            host_fields.push(4); // nlink: 2 plus the number of subdirectories
        }
        for field in host_fields {
            let at = header + 6 + 8 * field;
            gnu[at..at + 8].copy_from_slice(&ours[at..at + 8]);
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&gnu),
        String::from_utf8_lossy(&ours)
    );

    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn gnu_cpio_lists_and_extracts_what_we_write() {
    if !have_cpio() {
        return;
    }
    let nodes = tree();
    let archive = write(&nodes);
    let root = scratch("extract");

    let listing = cpio(&root, &["-i", "-t", "--quiet"], &archive);
    assert_eq!(String::from_utf8(listing).unwrap(), names(&nodes));

    cpio(
        &root,
        &["-i", "-d", "--quiet", "--no-absolute-filenames"],
        &archive,
    );
    for node in &nodes {
        let path = root.join(node.name());
        let meta = fs::symlink_metadata(&path).unwrap();
        assert_eq!(meta.mode(), node.mode(), "{}", node.name());
        match node {
            Node::Dir(..) => assert!(meta.is_dir()),
            Node::File(_, _, data) => assert_eq!(&fs::read(&path).unwrap(), data),
            Node::Symlink(_, target) => {
                assert_eq!(fs::read_link(&path).unwrap(), Path::new(target))
            }
        }
    }

    fs::remove_dir_all(&root).unwrap();
}
