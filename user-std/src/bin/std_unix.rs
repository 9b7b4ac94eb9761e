//! Rust std's Unix-domain sockets, as a program uses them: `UnixStream::pair`, a `UnixListener`
//! bound to a path with a client thread, `incoming`, addresses, `shutdown`, read timeouts and
//! non-blocking mode, `try_clone`, `UnixDatagram` pairs and datagrams to a bound path, and a
//! child process talking through an inherited socket. Compared with Linux.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        // The parent's socket is our standard input and output.
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).expect("read");
        print!("child got {line}");
        return;
    }

    // A connected pair.
    let (mut a, mut b) = UnixStream::pair().expect("pair");
    a.write_all(b"hello through a pair").expect("write");
    let mut buf = [0u8; 64];
    let n = b.read(&mut buf).expect("read");
    println!("pair: {:?}", String::from_utf8_lossy(&buf[..n]));
    println!(
        "pair addresses unnamed: {} {}",
        a.local_addr().expect("local").is_unnamed(),
        b.peer_addr().expect("peer").is_unnamed()
    );
    a.shutdown(std::net::Shutdown::Write).expect("shutdown");
    println!("after shutdown: read {}", b.read(&mut buf).expect("read"));
    let err = a.write(b"x").expect_err("write after shutdown");
    println!("write after shutdown: {:?}", err.kind());

    // Timeouts and non-blocking reads.
    b.set_read_timeout(Some(Duration::from_millis(60)))
        .expect("timeout");
    println!("read timeout: {:?}", b.read_timeout().expect("get timeout"));
    let (c, mut d) = UnixStream::pair().expect("pair");
    d.set_read_timeout(Some(Duration::from_millis(60)))
        .expect("timeout");
    let start = Instant::now();
    let err = d.read(&mut buf).expect_err("nothing to read");
    println!(
        "timed out: {:?}, after 60 ms: {}",
        err.kind(),
        start.elapsed() >= Duration::from_millis(50)
    );
    d.set_nonblocking(true).expect("nonblocking");
    println!(
        "non-blocking: {:?}",
        d.read(&mut buf).expect_err("empty").kind()
    );
    let mut e = c.try_clone().expect("clone");
    e.write_all(b"via a clone").expect("write");
    let n = d.read(&mut buf).expect("read");
    println!("clone: {:?}", String::from_utf8_lossy(&buf[..n]));
    println!("take_error: {:?}", d.take_error().expect("take_error"));

    // A listener on a path and a client thread.
    let dir = std::env::temp_dir().join(format!("std_unix.{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("sock");
    let listener = UnixListener::bind(&path).expect("bind");
    println!(
        "bound again: {:?}",
        UnixListener::bind(&path).expect_err("in use").kind()
    );
    let client_path = path.clone();
    let client = thread::spawn(move || {
        let mut s = UnixStream::connect(&client_path).expect("connect");
        s.write_all(b"ping").expect("write");
        let mut reply = String::new();
        s.read_to_string(&mut reply).expect("read");
        reply
    });
    let (mut conn, addr) = listener.accept().expect("accept");
    println!("client address unnamed: {}", addr.is_unnamed());
    let local = conn.local_addr().expect("local");
    println!(
        "accepted socket's name is the listener's: {}",
        local.as_pathname() == Some(path.as_path())
    );
    let mut ping = [0u8; 4];
    conn.read_exact(&mut ping).expect("read");
    conn.write_all(b"pong, and goodbye").expect("write");
    drop(conn);
    println!(
        "ping: {:?}, reply: {:?}",
        String::from_utf8_lossy(&ping),
        client.join().expect("join")
    );
    listener.set_nonblocking(true).expect("nonblocking");
    println!(
        "accept with nobody: {:?}",
        listener.accept().expect_err("nobody").kind()
    );
    drop(listener);
    let refused = UnixStream::connect(&path).expect_err("nobody listens");
    println!("connect after close: {:?}", refused.kind());
    std::fs::remove_file(&path).expect("unlink");
    let missing = UnixStream::connect(&path).expect_err("no such path");
    println!("connect to a missing path: {:?}", missing.kind());

    // Datagrams.
    let (x, y) = UnixDatagram::pair().expect("dgram pair");
    x.send(b"one").expect("send");
    x.send(b"two, longer").expect("send");
    let n = y.recv(&mut buf).expect("recv");
    println!("datagram: {:?}", String::from_utf8_lossy(&buf[..n]));
    let mut small = [0u8; 3];
    let n = y.recv(&mut small).expect("recv");
    println!("truncated: {:?}", String::from_utf8_lossy(&small[..n]));
    let dpath = dir.join("dgram");
    let server = UnixDatagram::bind(&dpath).expect("bind dgram");
    let anon = UnixDatagram::unbound().expect("unbound");
    anon.send_to(b"to a path", &dpath).expect("send_to");
    let (n, from) = server.recv_from(&mut buf).expect("recv_from");
    println!(
        "{:?} from an unnamed sender: {}",
        String::from_utf8_lossy(&buf[..n]),
        from.is_unnamed()
    );
    anon.connect(&dpath).expect("connect");
    anon.send(b"connected").expect("send");
    let n = server.recv(&mut buf).expect("recv");
    println!("{:?}", String::from_utf8_lossy(&buf[..n]));
    println!(
        "peer is the path: {}",
        anon.peer_addr().expect("peer").as_pathname() == Some(dpath.as_path())
    );
    std::fs::remove_file(&dpath).expect("unlink");

    // A child process with a socket as its standard input and output.
    let (mut parent_end, child_end) = UnixStream::pair().expect("pair");
    let exe = std::env::current_exe().expect("exe");
    let child_in = child_end.try_clone().expect("clone");
    let mut child = Command::new(exe)
        .arg("child")
        .stdin(Stdio::from(std::os::fd::OwnedFd::from(child_in)))
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(child_end)))
        .spawn()
        .expect("spawn");
    parent_end
        .write_all(b"a line for the child\n")
        .expect("write");
    let mut answer = String::new();
    let mut reader = std::io::BufReader::new(&parent_end);
    std::io::BufRead::read_line(&mut reader, &mut answer).expect("read");
    print!("{answer}");
    println!("child: {}", child.wait().expect("wait"));
    let err = UnixStream::connect("/nonexistent/dir/sock").expect_err("missing");
    println!("missing directory: {:?}", err.kind());
    let _ = ErrorKind::NotFound;
    std::fs::remove_dir(&dir).expect("rmdir");
}
