//! The initial user stack: what a new program finds at `rsp` when it starts.
//!
//! The x86_64 System V ABI fixes the shape (argc, then the `argv` and `envp` pointer arrays, each
//! ending with a NULL, then the auxiliary vector of `(tag, value)` pairs ending with `AT_NULL`),
//! and static libcs read it directly in `_start`. The exact placement of everything is Linux's,
//! from two places:
//!
//! * `fs/exec.c`: `bprm->p` starts one pointer below the top of the stack
//!   (`__bprm_mm_init`), so the top 8 bytes stay zero. Then the strings are copied downwards,
//!   each right below the previous one with no padding: first the file name given to `execve`
//!   (`bprm->filename`, later `AT_EXECFN`), then the environment, then the arguments.
//!   `copy_strings` copies the last string first, so within each block the strings end up in
//!   order, and `argv[0]` is the lowest string of all. An empty `argv` gets `""` as `argv[0]`
//!   (since Linux 5.18), so that programs reading `argv[1..]` never walk into `envp`.
//! * `fs/binfmt_elf.c` `create_elf_tables`: below the strings, aligned down to 16
//!   (`arch_align_stack`, without its random offset), the platform string `"x86_64"`
//!   (`AT_PLATFORM`), right below it the 16 `AT_RANDOM` bytes. Then the pointer block: its size
//!   is the auxiliary vector plus argc and the two pointer arrays, and its start is rounded down
//!   to 16 (`STACK_ROUND`), so the initial `rsp` is 16-byte aligned as the ABI requires. The
//!   block is written from that start upwards; whatever room the rounding left between the end
//!   of the auxiliary vector and the random bytes stays zero.
//!
//! ```text
//!   stack_top ->  +------------------------------+
//!                 | 8 zero bytes                 |
//!                 | execfn "\0"                  |  <- AT_EXECFN            (env_end)
//!                 | envp[0] "\0" ... envp[n-1]   |  <- envp[0]             (env_start)
//!                 | argv[0] "\0" ... argv[n-1]   |  <- argv[0]             (argv_start)
//!                 | 0..15 zero bytes             |
//!                 | "x86_64\0"                   |  <- AT_PLATFORM         (16-aligned end)
//!                 | 16 random bytes              |  <- AT_RANDOM
//!                 | 0..15 zero bytes             |
//!                 | auxv pairs, AT_NULL pair     |
//!                 | NULL, envp pointers          |
//!                 | NULL, argv pointers          |
//!          sp ->  | argc                         |  (16-aligned)
//!                 +------------------------------+
//! ```
//!
//! [`build`] produces the bytes of `[sp, stack_top)` for the kernel to copy; [`parse`] reads them
//! back, for tests and for the kernel's own self-checks.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// Auxiliary vector tags (`include/uapi/linux/auxvec.h` and the x86 additions), the subset a
/// static x86_64 program may see.
pub mod auxv {
    /// End of the vector.
    pub const AT_NULL: u64 = 0;
    /// Entry to be ignored.
    pub const AT_IGNORE: u64 = 1;
    /// File descriptor of the program (binfmt_misc `O` flag).
    pub const AT_EXECFD: u64 = 2;
    /// Address of the program headers in memory.
    pub const AT_PHDR: u64 = 3;
    /// Size of one program header.
    pub const AT_PHENT: u64 = 4;
    /// Number of program headers.
    pub const AT_PHNUM: u64 = 5;
    /// Page size.
    pub const AT_PAGESZ: u64 = 6;
    /// Load address of the interpreter; 0 for a static program.
    pub const AT_BASE: u64 = 7;
    /// Flags (`AT_FLAGS_PRESERVE_ARGV0`).
    pub const AT_FLAGS: u64 = 8;
    /// Entry point of the program.
    pub const AT_ENTRY: u64 = 9;
    /// The program is not ELF.
    pub const AT_NOTELF: u64 = 10;
    /// Real user id.
    pub const AT_UID: u64 = 11;
    /// Effective user id.
    pub const AT_EUID: u64 = 12;
    /// Real group id.
    pub const AT_GID: u64 = 13;
    /// Effective group id.
    pub const AT_EGID: u64 = 14;
    /// Address of the platform string (`"x86_64"`).
    pub const AT_PLATFORM: u64 = 15;
    /// CPU capabilities (on x86: CPUID leaf 1 EDX).
    pub const AT_HWCAP: u64 = 16;
    /// Frequency of `times()`: `USER_HZ`, 100.
    pub const AT_CLKTCK: u64 = 17;
    /// Secure mode (setuid and the like): libc then ignores dangerous environment variables.
    pub const AT_SECURE: u64 = 23;
    /// Address of the base platform string (not on x86).
    pub const AT_BASE_PLATFORM: u64 = 24;
    /// Address of 16 random bytes (stack protector and pointer guard seeds).
    pub const AT_RANDOM: u64 = 25;
    /// More CPU capabilities (on x86: `HWCAP2_RING3MWAIT`, `HWCAP2_FSGSBASE`).
    pub const AT_HWCAP2: u64 = 26;
    /// Size of the rseq area the kernel supports.
    pub const AT_RSEQ_FEATURE_SIZE: u64 = 27;
    /// Alignment of the rseq area.
    pub const AT_RSEQ_ALIGN: u64 = 28;
    /// Yet more CPU capabilities.
    pub const AT_HWCAP3: u64 = 29;
    /// Yet more CPU capabilities.
    pub const AT_HWCAP4: u64 = 30;
    /// Address of the file name given to `execve`.
    pub const AT_EXECFN: u64 = 31;
    /// Address of the vDSO's ELF header.
    pub const AT_SYSINFO_EHDR: u64 = 33;
    /// Minimal stack size for signal delivery.
    pub const AT_MINSIGSTKSZ: u64 = 51;
}

use auxv::*;

/// The platform string Linux puts on the stack for `AT_PLATFORM` on x86_64 (`ELF_PLATFORM`,
/// `utsname()->machine`), without its NUL.
pub const PLATFORM: &[u8] = b"x86_64";

/// Longest single string, NUL included: Linux's `MAX_ARG_STRLEN` (32 pages). Longer ones fail
/// `execve` with `E2BIG`, whatever the total limit.
pub const MAX_ARG_STRLEN: usize = 32 * 4096;

/// The order in which `create_elf_tables` emits the auxiliary vector on x86_64: `ARCH_DLINFO`
/// first (`AT_SYSINFO_EHDR`, `AT_MINSIGSTKSZ`), then the generic entries.
const LINUX_AUXV_ORDER: [u64; 26] = [
    AT_SYSINFO_EHDR,
    AT_MINSIGSTKSZ,
    AT_HWCAP,
    AT_PAGESZ,
    AT_CLKTCK,
    AT_PHDR,
    AT_PHENT,
    AT_PHNUM,
    AT_BASE,
    AT_FLAGS,
    AT_ENTRY,
    AT_UID,
    AT_EUID,
    AT_GID,
    AT_EGID,
    AT_SECURE,
    AT_RANDOM,
    AT_HWCAP2,
    AT_HWCAP3,
    AT_HWCAP4,
    AT_EXECFN,
    AT_PLATFORM,
    AT_BASE_PLATFORM,
    AT_EXECFD,
    AT_RSEQ_FEATURE_SIZE,
    AT_RSEQ_ALIGN,
];

/// Size of a pointer (and of argc, and of each half of an auxv pair) on the user stack.
const WORD: u64 = 8;

/// The stack pointer and the pointer block are aligned to this (`STACK_ROUND`).
const STACK_ALIGN: u64 = 16;

/// The initial stack: the bytes of `[sp, stack_top)` and the bookkeeping Linux keeps in `mm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackImage {
    /// Initial `rsp`: the user address of argc, 16-byte aligned.
    pub sp: u64,
    /// The contents of `[sp, stack_top)`.
    pub bytes: Vec<u8>,
    /// Address of the first argument string (`mm->arg_start`, read by `/proc/PID/cmdline`).
    pub argv_start: u64,
    /// Address of the first environment string (`mm->env_start`); also the end of the argument
    /// strings (`mm->arg_end`), since the environment follows them directly.
    pub env_start: u64,
    /// End of the environment strings (`mm->env_end`); the execfn string starts here.
    pub env_end: u64,
}

impl StackImage {
    /// The `len` bytes at user address `addr`, if they lie inside the image.
    pub fn read(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let start = usize::try_from(addr.checked_sub(self.sp)?).ok()?;
        self.bytes.get(start..start.checked_add(len)?)
    }

    /// The NUL-terminated string at user address `addr`, without its NUL.
    fn c_string(&self, addr: u64) -> Option<&[u8]> {
        let start = usize::try_from(addr.checked_sub(self.sp)?).ok()?;
        let rest = self.bytes.get(start..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        rest.get(..len)
    }

    fn word(&self, addr: u64) -> Option<u64> {
        let bytes = self.read(addr, 8)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }
}

/// Why the stack could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackError {
    /// The image would exceed `max_bytes` (or the address space below `stack_top`), or one
    /// string is longer than [`MAX_ARG_STRLEN`]: `execve` fails with `E2BIG`.
    TooBig,
    /// The caller passed an auxv entry that the builder owns (`AT_NULL`, `AT_RANDOM`,
    /// `AT_PLATFORM`, `AT_EXECFN`): a kernel bug, not a user error.
    ReservedAuxEntry {
        /// The offending tag.
        tag: u64,
    },
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackError::TooBig => f.write_str("argument list too long"),
            StackError::ReservedAuxEntry { tag } => {
                write!(f, "auxv tag {tag} is supplied by the stack builder itself")
            }
        }
    }
}

impl core::error::Error for StackError {}

/// Lays out the initial stack below `stack_top` as Linux does on x86_64 (see the module docs).
///
/// * `argv`, `envp`, `execfn`: the strings, *without* NUL terminators; each is copied followed
///   by one NUL. A string with an embedded NUL is copied as is (the kernel copies C strings from
///   user memory, so it never passes one); the pointers still go to the start of each string.
///   An empty `argv` is replaced by `[""]`, as Linux does.
/// * `auxv`: the numeric entries the kernel supplies (`AT_PHDR`, `AT_PAGESZ`, `AT_ENTRY`, …).
///   The builder adds `AT_RANDOM`, `AT_EXECFN` and `AT_PLATFORM`, which point into the image,
///   and the closing `AT_NULL`, and emits everything in Linux's order (tags Linux does not emit
///   go last, in the order given).
/// * `random`: the 16 `AT_RANDOM` bytes.
/// * `max_bytes`: the largest image allowed, `stack_top - sp`. Linux bounds the strings plus the
///   pointer arrays by a quarter of `RLIMIT_STACK` (between 128 KiB and 6 MiB); bounding the
///   whole image is slightly stricter and simpler.
///
/// `stack_top` should be page-aligned (Linux's `PAGE_ALIGN`); any value works, alignment of
/// `sp` is computed on absolute addresses.
pub fn build(
    stack_top: u64,
    argv: &[&[u8]],
    envp: &[&[u8]],
    execfn: &[u8],
    auxv: &[(u64, u64)],
    random: [u8; 16],
    max_bytes: usize,
) -> Result<StackImage, StackError> {
    if let Some(&(tag, _)) = auxv
        .iter()
        .find(|(tag, _)| matches!(*tag, AT_NULL | AT_RANDOM | AT_PLATFORM | AT_EXECFN))
    {
        return Err(StackError::ReservedAuxEntry { tag });
    }
    let argv: &[&[u8]] = if argv.is_empty() { &[b""] } else { argv };
    let big = StackError::TooBig;

    // fs/exec.c: the strings, from one pointer below the top downwards.
    let execfn_addr = stack_top
        .checked_sub(WORD)
        .and_then(|p| p.checked_sub(string_size(execfn)?))
        .ok_or(big)?;
    let env_start = execfn_addr.checked_sub(strings_size(envp)?).ok_or(big)?;
    let argv_start = env_start.checked_sub(strings_size(argv)?).ok_or(big)?;

    // create_elf_tables: platform string and random bytes, below the 16-aligned strings.
    let p = argv_start & !(STACK_ALIGN - 1);
    let platform_addr = p.checked_sub(PLATFORM.len() as u64 + 1).ok_or(big)?;
    let random_addr = platform_addr.checked_sub(16).ok_or(big)?;

    let mut entries: Vec<(u64, u64)> = Vec::new();
    entries.try_reserve(auxv.len() + 3).map_err(|_| big)?;
    entries.extend_from_slice(auxv);
    entries.extend([
        (AT_RANDOM, random_addr),
        (AT_EXECFN, execfn_addr),
        (AT_PLATFORM, platform_addr),
    ]);
    entries.sort_by_key(|&(tag, _)| linux_rank(tag));

    // The pointer block: argc, argv[] + NULL, envp[] + NULL, then the auxv pairs + AT_NULL pair.
    let items = (argv.len() as u64)
        .checked_add(envp.len() as u64)
        .and_then(|n| n.checked_add(3))
        .ok_or(big)?;
    let auxv_words = (entries.len() as u64 + 1).checked_mul(2).ok_or(big)?;
    let block = items
        .checked_add(auxv_words)
        .and_then(|words| words.checked_mul(WORD))
        .ok_or(big)?;
    let sp = random_addr.checked_sub(block).ok_or(big)? & !(STACK_ALIGN - 1);

    let size = stack_top
        .checked_sub(sp)
        .and_then(|size| usize::try_from(size).ok())
        .filter(|&size| size <= max_bytes)
        .ok_or(big)?;

    // Everything fits: write it. Addresses were all computed inside [sp, stack_top), so the
    // writer cannot fail; it reports TooBig rather than panic if that ever stops being true.
    let mut image = Image {
        sp,
        bytes: vec![0; size],
    };
    image.put_string(execfn_addr, execfn)?;
    let envp_addrs = image.put_strings(env_start, envp)?;
    let argv_addrs = image.put_strings(argv_start, argv)?;
    image.put(platform_addr, PLATFORM)?;
    image.put(random_addr, &random)?;

    let mut at = sp;
    image.put_word(&mut at, argv.len() as u64)?;
    for addr in argv_addrs.into_iter().chain([0]) {
        image.put_word(&mut at, addr)?;
    }
    for addr in envp_addrs.into_iter().chain([0]) {
        image.put_word(&mut at, addr)?;
    }
    for (tag, value) in entries.into_iter().chain([(AT_NULL, 0)]) {
        image.put_word(&mut at, tag)?;
        image.put_word(&mut at, value)?;
    }

    Ok(StackImage {
        sp,
        bytes: image.bytes,
        argv_start,
        env_start,
        env_end: execfn_addr,
    })
}

/// Bytes a string takes on the stack, NUL included, checked against [`MAX_ARG_STRLEN`].
fn string_size(s: &[u8]) -> Option<u64> {
    let size = s.len().checked_add(1)?;
    (size <= MAX_ARG_STRLEN).then_some(size as u64)
}

fn strings_size(strings: &[&[u8]]) -> Result<u64, StackError> {
    strings.iter().try_fold(0u64, |total, s| {
        string_size(s)
            .and_then(|size| total.checked_add(size))
            .ok_or(StackError::TooBig)
    })
}

/// Position of `tag` in Linux's emission order; unknown tags after all known ones.
fn linux_rank(tag: u64) -> usize {
    LINUX_AUXV_ORDER
        .iter()
        .position(|&t| t == tag)
        .unwrap_or(LINUX_AUXV_ORDER.len())
}

/// The image under construction, addressed by user addresses.
struct Image {
    sp: u64,
    bytes: Vec<u8>,
}

impl Image {
    fn put(&mut self, addr: u64, data: &[u8]) -> Result<(), StackError> {
        let start = addr
            .checked_sub(self.sp)
            .and_then(|off| usize::try_from(off).ok());
        let slot = start
            .and_then(|start| Some(start..start.checked_add(data.len())?))
            .and_then(|range| self.bytes.get_mut(range))
            .ok_or(StackError::TooBig)?;
        slot.copy_from_slice(data);
        Ok(())
    }

    /// A string and its NUL (already zero in the image).
    fn put_string(&mut self, addr: u64, s: &[u8]) -> Result<(), StackError> {
        self.put(addr, s)
    }

    /// Consecutive strings from `addr` upwards; returns where each one went.
    fn put_strings(&mut self, mut addr: u64, strings: &[&[u8]]) -> Result<Vec<u64>, StackError> {
        let mut addrs = Vec::with_capacity(strings.len());
        for s in strings {
            self.put_string(addr, s)?;
            addrs.push(addr);
            addr = string_size(s)
                .and_then(|size| addr.checked_add(size))
                .ok_or(StackError::TooBig)?;
        }
        Ok(addrs)
    }

    fn put_word(&mut self, at: &mut u64, value: u64) -> Result<(), StackError> {
        self.put(*at, &value.to_le_bytes())?;
        *at = at.checked_add(WORD).ok_or(StackError::TooBig)?;
        Ok(())
    }
}

/// A stack image read back by [`parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The argument count.
    pub argc: u64,
    /// The argument strings, without their NULs.
    pub argv: Vec<Vec<u8>>,
    /// The environment strings, without their NULs.
    pub envp: Vec<Vec<u8>>,
    /// The auxiliary vector in order, without the closing `AT_NULL`.
    pub auxv: Vec<(u64, u64)>,
    /// The string `AT_EXECFN` points at, if present.
    pub execfn: Option<Vec<u8>>,
    /// The string `AT_PLATFORM` points at, if present.
    pub platform: Option<Vec<u8>>,
    /// The 16 bytes `AT_RANDOM` points at, if present.
    pub random: Option<[u8; 16]>,
}

impl Parsed {
    /// The value of the first auxv entry with this tag.
    pub fn aux(&self, tag: u64) -> Option<u64> {
        self.auxv.iter().find(|&&(t, _)| t == tag).map(|&(_, v)| v)
    }
}

/// Reads an image back the way a libc's `_start` does, checking everything on the way: sizes,
/// alignment, that every pointer lands inside the image on a NUL-terminated string. Never panics,
/// whatever the image contains.
pub fn parse(image: &StackImage, stack_top: u64) -> Result<Parsed, &'static str> {
    let size = stack_top
        .checked_sub(image.sp)
        .ok_or("sp is above stack_top")?;
    if image.bytes.len() as u64 != size {
        return Err("image size does not match stack_top - sp");
    }
    if !image.sp.is_multiple_of(STACK_ALIGN) {
        return Err("sp is not 16-byte aligned");
    }
    let string = |addr: u64| -> Result<Vec<u8>, &'static str> {
        image
            .c_string(addr)
            .map(<[u8]>::to_vec)
            .ok_or("pointer to a string outside the image or without a NUL")
    };
    let mut at = image.sp;
    let mut next = || -> Result<u64, &'static str> {
        let word = image.word(at).ok_or("pointer block runs past the image")?;
        at = at
            .checked_add(WORD)
            .ok_or("pointer block runs past the image")?;
        Ok(word)
    };

    let argc = next()?;
    if argc > size / WORD {
        return Err("argc larger than the image");
    }
    let mut argv = Vec::new();
    for _ in 0..argc {
        argv.push(string(next()?)?);
    }
    if next()? != 0 {
        return Err("argv is not NULL-terminated");
    }
    let mut envp = Vec::new();
    loop {
        match next()? {
            0 => break,
            addr => envp.push(string(addr)?),
        }
    }
    let mut auxv = Vec::new();
    loop {
        let tag = next()?;
        let value = next()?;
        if tag == AT_NULL {
            break;
        }
        auxv.push((tag, value));
    }

    let find = |tag| auxv.iter().find(|&&(t, _)| t == tag).map(|&(_, v)| v);
    let execfn = find(AT_EXECFN).map(string).transpose()?;
    let platform = find(AT_PLATFORM).map(string).transpose()?;
    let random = find(AT_RANDOM)
        .map(|addr| {
            image
                .read(addr, 16)
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or("AT_RANDOM points outside the image")
        })
        .transpose()?;
    Ok(Parsed {
        argc,
        argv,
        envp,
        auxv,
        execfn,
        platform,
        random,
    })
}

#[cfg(test)]
mod tests;
