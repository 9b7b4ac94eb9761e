//! The kernel command line, read from `/cmdline` in the initramfs (the runner writes it there).
//!
//! Words are separated by spaces. `key=value` sets an option; everything after `--` is passed to the
//! first program as its arguments, as Linux passes unknown words to init.
//!
//! | word | meaning |
//! |---|---|
//! | `init=/bin/prog` | the first program to run |
//! | `loglevel=error\|warn\|info\|debug\|trace` | how much the kernel logs (default info) |
//! | `ktest` | run the in-kernel self-tests and power off with their result |
//! | `norandmaps` | no address-space randomisation (randomize_va_space = 0), as on Linux |
//! | `transparent_hugepage=always\|madvise\|never` | when anonymous memory gets huge pages, as on Linux (default always; never below 512 MiB of memory) |
//! | `hugepages=N` | N huge pages of 2 MiB in the hugetlb pool at boot (as many as memory allows), as on Linux |
//! | `crash=page-fault\|stack-overflow\|triple-fault\|hang` | fail on purpose (the tests check the report) |
//! | `-- a b c` | arguments for the first program |

use alloc::{string::String, vec::Vec};

/// The parsed command line.
#[derive(Debug, Default)]
pub struct Cmdline {
    pub raw: String,
    pub init: Option<String>,
    pub loglevel: Option<String>,
    pub ktest: bool,
    pub norandmaps: bool,
    pub transparent_hugepage: Option<crate::mm::huge_memory::ThpMode>,
    pub hugepages: Option<usize>,
    pub crash: Option<String>,
    pub init_args: Vec<String>,
}

impl Cmdline {
    pub fn parse(text: &str) -> Self {
        let mut cmd = Cmdline {
            raw: String::from(text.trim()),
            ..Default::default()
        };
        let mut words = text.split_ascii_whitespace();
        for word in words.by_ref() {
            if word == "--" {
                break;
            }
            match word.split_once('=') {
                Some(("init", v)) => cmd.init = Some(v.into()),
                Some(("loglevel", v)) => cmd.loglevel = Some(v.into()),
                Some(("crash", v)) => cmd.crash = Some(v.into()),
                Some(("transparent_hugepage", v)) => {
                    cmd.transparent_hugepage = crate::mm::huge_memory::ThpMode::parse(v);
                    if cmd.transparent_hugepage.is_none() {
                        log::warn!("cmdline: transparent_hugepage={v:?} ignored");
                    }
                }
                Some(("hugepages", v)) => match v.parse() {
                    Ok(n) => cmd.hugepages = Some(n),
                    Err(_) => log::warn!("cmdline: hugepages={v:?} ignored"),
                },
                None if word == "ktest" => cmd.ktest = true,
                None if word == "norandmaps" => cmd.norandmaps = true,
                _ => log::warn!("cmdline: unknown word {word:?} ignored"),
            }
        }
        cmd.init_args = words.map(String::from).collect();
        cmd
    }

    pub fn log_level(&self) -> log::LevelFilter {
        match self.loglevel.as_deref() {
            Some("error") => log::LevelFilter::Error,
            Some("warn") => log::LevelFilter::Warn,
            Some("debug") => log::LevelFilter::Debug,
            Some("trace") => log::LevelFilter::Trace,
            Some("off") => log::LevelFilter::Off,
            _ => log::LevelFilter::Info,
        }
    }
}
