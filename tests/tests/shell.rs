//! `make shell`'s user space: busybox's shell (ash) as pid 1 on the serial console, driven as a
//! person types (a line, then wait for the prompt), and the /proc files and calls its applets need
//! (`tests/c/procfd.c` against Linux).
//!
//! The same typed session runs natively under `busybox sh` on a pseudo-terminal (util-linux's
//! `script`), and the two transcripts, echo and line editing included, must be the same; the
//! commands whose output is this machine's (ps, free, pmap, maps) are checked here only.

use std::{
    io::{Read, Write},
    path::PathBuf,
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use tests::{boot_path, c_differential, kernel_path, user_program};

/// The shell's prompt as root in `/` (busybox's default PS1, `\w \$ `).
const PROMPT: &str = "/ # ";
const BUSYBOX: &str = "/bin/busybox";
/// The environment both shells get: the kernel's first process gets exactly this.
const ENV: [&str; 3] = ["HOME=/", "PATH=/bin", "TERM=linux"];

/// A shell on a terminal, typed into and read from.
struct Session {
    child: Child,
    /// None once the session is being ended.
    input: Option<ChildStdin>,
    output: mpsc::Receiver<Vec<u8>>,
    /// Everything shown so far, with "\r\n" as "\n" and busybox's cursor query (ESC [6n, which
    /// no terminal answers here) taken out.
    text: String,
    raw: Vec<u8>,
    /// How much of `text` the test has looked at.
    seen: usize,
}

impl Session {
    /// busybox's shell as the kernel's first process, with every applet linked in /bin, `pmap`
    /// and /etc/passwd as `make shell` has them.
    fn kernel() -> Session {
        let applets = Command::new(BUSYBOX)
            .arg("--list")
            .output()
            .expect("busybox-static is installed by the Makefile (apt-get install busybox-static)");
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut cmd = Command::new(boot_path());
        cmd.arg("run")
            .arg("--kernel")
            .arg(kernel_path())
            // The session takes some 15 s; a loaded machine can make that several times longer.
            .args(["--timeout", "600", "--cmdline", "init=/bin/sh"])
            .args(["--file", &format!("{BUSYBOX}:/bin/busybox")])
            .arg("--file")
            .arg(format!("{}:/bin/pmap", user_program("pmap").display()))
            .arg("--file")
            .arg(format!(
                "{}:/etc/passwd",
                root.join("scripts/shell/etc/passwd").display()
            ))
            .arg("--file")
            .arg(format!(
                "{}:/etc/group",
                root.join("scripts/shell/etc/group").display()
            ));
        for applet in String::from_utf8_lossy(&applets.stdout).split_whitespace() {
            if applet != "busybox" {
                cmd.args(["--symlink", &format!("/bin/{applet}:busybox")]);
            }
        }
        Session::start(cmd)
    }

    /// The same shell on Linux, on a pseudo-terminal that `script` makes its controlling
    /// terminal, in `/` with the kernel's environment.
    fn linux() -> Session {
        let mut cmd = Command::new("script");
        cmd.args(["-q", "-e", "-c"])
            .arg(format!("env -i {} {BUSYBOX} sh", ENV.join(" ")))
            .arg("/dev/null")
            .current_dir("/");
        Session::start(cmd)
    }

    fn start(mut cmd: Command) -> Session {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the shell");
        let input = child.stdin.take().expect("piped");
        let mut stdout = child.stdout.take().expect("piped");
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut session = Session {
            child,
            input: Some(input),
            output,
            text: String::new(),
            raw: Vec::new(),
            seen: 0,
        };
        session.wait_for(PROMPT);
        session
    }

    /// Waits until `needle` shows after what was looked at; returns the text up to its end.
    #[track_caller]
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(at) = self.text[self.seen..].find(needle) {
                let end = self.seen + at + needle.len();
                let got = self.text[self.seen..end].to_string();
                self.seen = end;
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => {
                    self.raw.extend_from_slice(&bytes);
                    self.text = String::from_utf8_lossy(&self.raw)
                        .replace("\r\n", "\n")
                        .replace("\x1b[6n", "");
                }
                Err(_) => panic!(
                    "no {needle:?} after:\n{}\n--- all of it:\n{}",
                    &self.text[self.seen..],
                    self.text
                ),
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        let input = self.input.as_mut().expect("the session is open");
        input.write_all(bytes).expect("typing");
        input.flush().expect("typing");
    }

    /// Types `line` and Enter, and waits for the next prompt: returns what the command printed
    /// (after the echoed line, before the prompt).
    #[track_caller]
    fn run(&mut self, line: &str) -> String {
        self.type_line(line).1
    }

    /// Types `line` and Enter, and waits for the next prompt: returns the line as the line editor
    /// echoed it (with its edits) and what the command printed.
    #[track_caller]
    fn type_line(&mut self, line: &str) -> (String, String) {
        self.send(line.as_bytes());
        self.send(b"\r");
        let echo = self.wait_for("\n");
        let out = self.wait_for(PROMPT);
        (echo, out[..out.len() - PROMPT.len()].to_string())
    }

    /// Types `exit N` and returns how the shell (or the machine) ended.
    fn exit(mut self, status: i32) -> (i32, String) {
        self.send(format!("exit {status}\r").as_bytes());
        drop(self.input.take());
        let status = self.child.wait().expect("waiting").code().unwrap_or(-1);
        while let Ok(bytes) = self.output.recv_timeout(Duration::from_secs(5)) {
            self.raw.extend_from_slice(&bytes);
        }
        let text = String::from_utf8_lossy(&self.raw).replace("\r\n", "\n");
        (status, text)
    }
}

/// The foreground job that ^C and ^Z are typed at: it says when it runs (in its own process group,
/// the terminal's foreground group), so that they are typed only then, however long a loaded
/// machine takes to start it; and as the shell lists it.
const FOREGROUND_JOB: &str = "sh -c 'echo started; exec sleep 100'";
const FOREGROUND_JOB_LISTED: &str = "sh -c \"echo started; exec sleep 100\"";

/// A session given up (a test failed) ends its shell: the kernel's QEMU, whose timeout is long,
/// must not outlive the test.
impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a person types, and waits for, in the part of the session compared with Linux: line
/// editing, ^C, a pipeline and jobs. Each step is what is typed, and waits for the prompt that
/// follows. A job's change (ended by a signal, stopped) is reported when the shell next waits for
/// a child or shows its prompt: the command that waits for the change is on the same line as the
/// one that makes it, so that the report is that line's output whenever the change comes.
fn comparable_session(shell: &mut Session) -> String {
    let mut transcript = String::new();
    for line in [
        // Erase (DEL and ^H), kill (^U) and word erase (^W), as busybox's line editor does them.
        "echo helo\x7f\x7flp",
        "echo wrong\x15echo right",
        "echo one two\x17three",
        "echo abc\x08\x08xy",
        // A pipeline through /proc, addresses left out.
        "cat /proc/self/maps | grep heap | awk '{print $2, $6}'",
        "echo one two three | tr ' ' '\\n' | grep -c o",
        // Jobs: a background sleep, listed, killed, reported.
        "sleep 100 &",
        "jobs",
        "kill %1; sleep 1",
        "jobs",
        "echo $? $((6 * 7))",
    ] {
        let (echo, output) = shell.type_line(line);
        transcript.push_str(&echo);
        transcript.push_str(&output);
    }
    // ^C interrupts the foreground job (SIGINT to its process group): the shell is back with
    // status 130.
    shell.send(format!("{FOREGROUND_JOB}\r").as_bytes());
    transcript.push_str(&shell.wait_for("\n"));
    transcript.push_str(&shell.wait_for("started\n"));
    shell.send(b"\x03");
    transcript.push_str(&shell.wait_for(PROMPT));
    transcript.push_str(&shell.run("echo status $?"));
    // ^Z stops the foreground job (SIGTSTP to its process group); the shell lists it stopped,
    // goes on with other commands, and `fg` brings it back until ^C ends it.
    shell.send(format!("{FOREGROUND_JOB}\r").as_bytes());
    transcript.push_str(&shell.wait_for("\n"));
    transcript.push_str(&shell.wait_for("started\n"));
    shell.send(b"\x1a");
    transcript.push_str(&shell.wait_for(PROMPT));
    for line in ["jobs", "echo still here", "sleep 1"] {
        let (echo, output) = shell.type_line(line);
        transcript.push_str(&echo);
        transcript.push_str(&output);
    }
    shell.send(b"fg\r");
    transcript.push_str(&shell.wait_for(&format!("{FOREGROUND_JOB_LISTED}\n")));
    // The shell lists the job, then gives it the terminal and continues it: ^C must come after
    // that, which nothing shows; the job was running already, so the moment is short.
    std::thread::sleep(Duration::from_millis(1500));
    shell.send(b"\x03");
    transcript.push_str(&shell.wait_for(PROMPT));
    transcript.push_str(&shell.run("echo status $?"));
    transcript.push_str(&shell.run("jobs"));
    // A background job that reads the terminal is stopped by SIGTTIN: the shell waits until
    // /proc says it is (a second was not always enough for a loaded machine to start it).
    for line in [
        "cat &",
        "while ! grep -q '^State:.T' /proc/$!/status; do sleep 0.1; done",
        "jobs",
        "kill -9 %1; sleep 1",
        "jobs",
    ] {
        let (echo, output) = shell.type_line(line);
        transcript.push_str(&echo);
        transcript.push_str(&output);
    }
    transcript
}

#[test]
fn busybox_shell_session_matches_linux() {
    let mut here = Session::kernel();
    let ours = comparable_session(&mut here);
    let (status, console) = here.exit(3);
    assert_eq!(status, 3, "exit 3 powers off with status 3:\n{console}");

    let mut linux = Session::linux();
    let theirs = comparable_session(&mut linux);
    let (status, _) = linux.exit(3);
    assert_eq!(status, 3, "busybox sh on Linux");
    eprintln!("{ours}");
    assert_eq!(
        ours, theirs,
        "the session here:\n{ours}\n--- on Linux:\n{theirs}"
    );
    // The edits came out as the line editor's echo shows them, and the commands saw the result.
    for line in [
        "\nhelp\n",
        "\nright\n",
        "\none three\n",
        "\naxy\n",
        "rw-p [heap]\n",
        "\n2\n",
    ] {
        assert!(ours.contains(line), "{line:?} missing in:\n{ours}");
    }
    assert!(
        ours.contains("[1]+  Running                    sleep 100\n")
            && ours.contains("[1]+  Terminated                 sleep 100\n")
            && ours.contains("^C\n")
            && ours.contains("status 130\n")
            && ours.contains(&format!(
                "[1]+  Stopped                    {FOREGROUND_JOB_LISTED}\n"
            ))
            && ours.contains("Stopped (tty input)"),
        "{ours}"
    );
}

/// ps, free, pmap and /proc/PID/maps of a background process, and ls of /proc/1: what only this
/// kernel can say, checked against itself.
#[test]
fn ps_free_pmap_and_maps_of_a_background_process() {
    let mut shell = Session::kernel();
    let ps = shell.run("ps");
    assert!(ps.starts_with("PID   USER     COMMAND\n"), "{ps}");
    assert!(ps.contains("    1 root     /bin/sh\n"), "{ps}");

    let free = shell.run("free");
    assert!(
        free.starts_with(
            "              total        used        free      shared  buff/cache   available\nMem: "
        ) && free.contains("\nSwap:             0           0           0\n"),
        "{free}"
    );

    shell.run("sleep 100 &");
    let pid = shell.run("echo $!").trim().to_string();
    let pmap = shell.run("pmap $!");
    let maps = shell.run("cat /proc/$!/maps");
    let mut lines = pmap.lines();
    assert_eq!(
        lines.next(),
        Some(format!("{pid}: sleep 100").as_str()),
        "{pmap}"
    );
    // One pmap line per area of maps: the same start, size, mode and name.
    let areas: Vec<&str> = maps.lines().collect();
    let rows: Vec<&str> = lines
        .clone()
        .filter(|l| !l.starts_with("mapped:"))
        .collect();
    assert_eq!(rows.len(), areas.len(), "pmap:\n{pmap}\nmaps:\n{maps}");
    let mut total = 0;
    for (row, area) in rows.iter().zip(&areas) {
        let fields: Vec<&str> = area.split_whitespace().collect();
        let (start, end) = fields[0].split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let size = (u64::from_str_radix(end, 16).unwrap() - start) / 1024;
        total += size;
        let name = fields.get(5).copied().unwrap_or("  [ anon ]");
        assert_eq!(
            *row,
            format!("{start:016x} {size:>7}K {}  {name}", fields[1]),
            "pmap:\n{pmap}\nmaps:\n{maps}"
        );
    }
    assert!(areas.iter().any(|a| a.ends_with("/bin/busybox")), "{maps}");
    assert!(areas.iter().any(|a| a.ends_with("[stack]")), "{maps}");
    assert!(pmap.ends_with(&format!("mapped: {total}K\n")), "{pmap}");

    // The sleeper in ps, its status and stat from /proc, then gone once killed.
    let ps = shell.run("ps");
    assert!(
        ps.contains(&format!("{pid:>5} root     sleep 100\n")),
        "{ps}"
    );
    let status = shell.run("grep -E '^(Name|State|PPid)' /proc/$!/status");
    assert_eq!(status, "Name:\tsleep\nState:\tS (sleeping)\nPPid:\t1\n");
    shell.run("kill $!");
    shell.run("sleep 1");
    let ps = shell.run("ps");
    assert!(!ps.contains("sleep 100"), "{ps}");

    // ls -l /proc/1/: the links read as on Linux.
    let ls = shell.run("ls -l /proc/1/");
    for link in ["cwd -> /\n", "exe -> /bin/busybox\n", "root -> /\n"] {
        assert!(ls.contains(link), "{link:?} missing in:\n{ls}");
    }
    let fds = shell.run("ls -l /proc/$$/fd/");
    assert!(fds.contains(" 0 -> /dev/console\n"), "{fds}");
    assert_eq!(shell.run("tty"), "/dev/console\n");
    let (status, _) = shell.exit(0);
    assert_eq!(status, 0);
}

/// /proc/PID/fd, cwd, root and exe, /proc/mounts and filesystems, and fstat of a pipe, as Linux
/// shows them.
#[test]
fn proc_fd_cwd_mounts_and_pipes_match_linux() {
    c_differential("procfd", &[]);
}
