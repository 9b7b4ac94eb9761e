//! Helpers for the integration tests: boot the kernel in QEMU through the `boot` runner with a
//! command line and some files, and collect the console output and the exit status.
//!
//! The Makefile passes the paths of the kernel, the runner and the user programs in `KERNEL`, `BOOT`
//! and `USER_BIN_DIR`; without them the tests fall back to the default build locations.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
};

/// What a boot produced.
#[derive(Debug)]
pub struct Outcome {
    /// The runner's exit status (see boot/src/main.rs: 0..=255 from the kernel, 124 timeout,
    /// 252 triple fault, 253 panic, 254 runner error).
    pub status: i32,
    /// Everything the kernel and its programs printed on the console.
    pub console: String,
    /// The runner's own messages.
    pub runner: String,
}

impl Outcome {
    /// Panics with the whole console when `needle` is missing, so a failure shows what happened.
    #[track_caller]
    pub fn expect_console(&self, needle: &str) -> &Self {
        assert!(
            self.console.contains(needle),
            "console lacks {needle:?}:\n{}\n{}",
            self.console,
            self.runner
        );
        self
    }

    #[track_caller]
    pub fn expect_status(&self, status: i32) -> &Self {
        assert_eq!(
            self.status, status,
            "wrong exit status; console:\n{}\n{}",
            self.console, self.runner
        );
        self
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(default))
}

pub fn kernel_path() -> PathBuf {
    env_path("KERNEL", "target/x86_64-unknown-none/debug/kernel")
}

pub fn boot_path() -> PathBuf {
    env_path("BOOT", "target/debug/boot")
}

/// A user program built from `user/` (a static ELF that also runs on Linux).
pub fn user_program(name: &str) -> PathBuf {
    env_path("USER_BIN_DIR", "target/x86_64-unknown-none/debug").join(name)
}

/// A boot to run.
pub struct Boot {
    cmdline: String,
    files: Vec<(PathBuf, String)>,
    timeout_secs: u64,
    extra: Vec<String>,
}

impl Boot {
    pub fn new(cmdline: &str) -> Self {
        Boot {
            cmdline: cmdline.into(),
            files: Vec::new(),
            timeout_secs: 120,
            extra: Vec::new(),
        }
    }

    /// Adds a host file to the initramfs at `dest`.
    pub fn file(mut self, host: impl Into<PathBuf>, dest: &str) -> Self {
        self.files.push((host.into(), dest.into()));
        self
    }

    pub fn timeout(mut self, secs: u64) -> Self {
        self.timeout_secs = secs;
        self
    }

    /// QEMU's RAM size (default 512M).
    pub fn memory(mut self, size: &str) -> Self {
        self.extra.push("--memory".into());
        self.extra.push(size.into());
        self
    }

    pub fn uefi(mut self) -> Self {
        self.extra.push("--uefi".into());
        self
    }

    pub fn run(self) -> Outcome {
        let mut cmd = Command::new(boot_path());
        cmd.arg("run")
            .arg("--kernel")
            .arg(kernel_path())
            .args(["--timeout", &self.timeout_secs.to_string()])
            .args(["--cmdline", &self.cmdline])
            .args(&self.extra);
        for (host, dest) in &self.files {
            cmd.arg("--file")
                .arg(format!("{}:{}", host.display(), dest));
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .expect("running the boot runner (make build first)");
        Outcome {
            status: out.status.code().unwrap_or(-1),
            console: String::from_utf8_lossy(&out.stdout).into_owned(),
            runner: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}
