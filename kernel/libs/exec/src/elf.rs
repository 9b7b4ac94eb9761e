//! ELF executable layout: the decisions of Linux's `load_elf_binary` (`fs/binfmt_elf.c`), without
//! the mapping.
//!
//! [`layout`] takes the bytes of a static x86_64 executable and answers the questions `execve`
//! has to settle before it can touch the new address space:
//!
//! 1. *Is this a program we can run?* The ELF header must be a 64-bit little-endian x86_64
//!    executable (`ET_EXEC`) or a position-independent one (`ET_DYN`: a PIE or a static-pie). A
//!    `PT_INTERP` segment names a dynamic loader (the *interpreter*, e.g.
//!    `/lib64/ld-linux-x86-64.so.2`): [`ElfLayout::interp`] returns its path, and
//!    [`interp_layout`] places the interpreter itself, as Linux's `load_elf_interp` does.
//! 2. *Where does each `PT_LOAD` segment go?* Every segment becomes one or two page-aligned
//!    [`Area`]s: its file bytes mapped privately from the file, and, when `p_memsz > p_filesz`,
//!    the rest (the `.bss`) as anonymous zero pages. An `ET_DYN` image is first moved as a whole
//!    by a *load bias*.
//! 3. *What must be zeroed by hand?* The `.bss` usually starts in the middle of the last file
//!    page; that page is file-backed, so the bytes after the file contents must be cleared
//!    explicitly (Linux's `padzero`). See [`ElfLayout::zero_fill`].
//! 4. *What does the process need to know about itself?* The entry point, where the program
//!    headers are in memory (`AT_PHDR`, which static libcs use to find their TLS template), where
//!    the heap starts (`brk`), and the code/data bounds reported in `/proc/PID/stat`.
//!
//! # Reading the file: xmas-elf, behind our checks
//!
//! The ELF header and the program headers are read with the `xmas-elf` crate, which turns the
//! bytes into typed views (`Class`, `Machine`, `program::Type`, ...) in place, without copying or
//! allocating. It is a reader, not a validator, and it trusts its input more than a kernel can:
//! it indexes `input[offset..]` with offsets taken from the file, and asserts (panics) when a
//! struct it reads in place is not aligned for it. So it never sees the file itself. What it
//! reads is `Headers`: an aligned copy of the 64-byte header and of the program header table,
//! made only after this module has checked, on the raw bytes, that the file is long enough for
//! the header, and that the table has entries of the right size, at most a page of them, inside
//! the file (Linux's `load_elf_phdrs` limits). Linux copies the same two pieces before reading
//! them (`bprm->buf`, and the buffer of `load_elf_phdrs`), for the same reason: a file can be
//! anywhere and say anything.
//!
//! What xmas-elf does: locate the header fields, tell the ELF classes apart, and decode the
//! header's and the segments' enumerations. What this module adds: every rule that makes a file
//! runnable (the identification checks, the table limits, the per-segment rules and the layout
//! below), each failure reported as an [`ExecError`] that says what is wrong, rather than a
//! panic or xmas-elf's string.
//!
//! # Trusting nothing
//!
//! The file is user-controlled. Every size and offset is checked before it is used, every sum is
//! checked, and every failure is an [`ExecError`] rather than a panic. The rules are Linux's,
//! plus a few that Linux leaves to page faults or `SIGBUS` (file contents past the end of the
//! file, an `AT_PHDR` that points nowhere): they are cheaper to reject up front than to debug
//! later, and no well-formed executable trips them.

use alloc::{boxed::Box, vec::Vec};
use core::fmt;

use xmas_elf::{
    ElfFile,
    header::{self, Class, Data, Machine, Version},
    program::{self, ProgramHeader64},
};

/// The page size, Linux's `ELF_MIN_ALIGN` on x86_64: the granularity of every mapping.
pub const PAGE_SIZE: u64 = 4096;

/// The top of the user address space, exclusive: Linux's `TASK_SIZE_MAX` on x86_64 with 4-level
/// paging, `(1 << 47) - PAGE_SIZE`.
///
/// The last page below the canonical-address hole is left out on purpose, for Linux's reason: a
/// `syscall` instruction at the very top of the lower half would return (through `sysret`) to a
/// non-canonical address, and on Intel CPUs `sysret` then faults while still in kernel mode.
pub const TASK_SIZE: u64 = 0x0000_7fff_ffff_f000;

/// Linux's `ELF_ET_DYN_BASE` on x86_64, rounded down to a page: two thirds of the address space.
///
/// Linux loads position-independent executables there (before randomization), so that they sit
/// far above anything an `ET_EXEC` program maps and well below the stack; it is the familiar
/// `0x555555554000` of a PIE running under `setarch -R` or gdb. A natural value for
/// [`layout`]'s `dyn_base`.
pub const ELF_ET_DYN_BASE: u64 = page_down(TASK_SIZE / 3 * 2);

/// Linux's `PATH_MAX`: the longest interpreter path, NUL included.
pub const PATH_MAX: u64 = 4096;

/// Size of an `Elf64_Ehdr`.
const EHDR_SIZE: usize = 64;
/// Size of an `Elf64_Phdr`; also what Linux reports as `AT_PHENT`.
const PHDR_SIZE: u16 = 56;
/// Where `e_phoff` is in an `Elf64_Ehdr`.
const E_PHOFF_AT: usize = 32;

/// `e_ident[EI_MAG0..=EI_MAG3]`.
const ELFMAG: [u8; 4] = *b"\x7fELF";
/// `EV_CURRENT`, the only ELF version (`e_version`).
const EV_CURRENT: u8 = 1;
/// `PT_GNU_STACK`, which xmas-elf sees as an OS-specific segment type.
const PT_GNU_STACK: u32 = 0x6474_e551;

// The raw numbers of the rest, for the tests' ELF writer: the code itself compares xmas-elf's
// enumerations.
#[cfg(test)]
const ELFCLASS64: u8 = 2;
#[cfg(test)]
const ELFDATA2LSB: u8 = 1;
#[cfg(test)]
const EI_CLASS: usize = 4;
#[cfg(test)]
const EI_DATA: usize = 5;
#[cfg(test)]
const EI_VERSION: usize = 6;
#[cfg(test)]
const ET_EXEC: u16 = 2;
#[cfg(test)]
const ET_DYN: u16 = 3;
#[cfg(test)]
const EM_X86_64: u16 = 62;
#[cfg(test)]
const PT_LOAD: u32 = 1;
#[cfg(test)]
const PT_INTERP: u32 = 3;
#[cfg(test)]
const PT_PHDR: u32 = 6;

const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;

/// Rounds down to a page boundary (Linux's `ELF_PAGESTART`).
const fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

/// Rounds up to a page boundary (Linux's `ELF_PAGEALIGN`); `None` if that overflows.
fn page_up(addr: u64) -> Option<u64> {
    addr.checked_add(PAGE_SIZE - 1).map(page_down)
}

/// The offset within its page (Linux's `ELF_PAGEOFFSET`).
const fn page_offset(addr: u64) -> u64 {
    addr & (PAGE_SIZE - 1)
}

/// Access rights of an area, straight from a segment's `p_flags` (Linux's `make_prot`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prot {
    /// `PF_R`.
    pub read: bool,
    /// `PF_W`.
    pub write: bool,
    /// `PF_X`.
    pub exec: bool,
}

impl Prot {
    fn from_flags(p_flags: u32) -> Self {
        Prot {
            read: p_flags & PF_R != 0,
            write: p_flags & PF_W != 0,
            exec: p_flags & PF_X != 0,
        }
    }
}

/// Where the contents of an area come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backing {
    /// A private (copy-on-write) mapping of the executable, starting at this page-aligned byte
    /// offset in the file: page `i` of the area shows file bytes `offset + i * PAGE_SIZE ..`.
    /// Bytes past the end of the file read as zero, as with `mmap`.
    File {
        /// Page-aligned byte offset in the file of the area's first page.
        offset: u64,
    },
    /// Fresh zero-filled pages: the `.bss` beyond the last file page.
    Anon,
}

/// One area to map: the page-aligned range `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    /// First byte, page-aligned.
    pub start: u64,
    /// One past the last byte, page-aligned, greater than `start`.
    pub end: u64,
    /// Access rights.
    pub prot: Prot,
    /// Contents.
    pub backing: Backing,
}

/// The two kinds of ELF file that can be executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfKind {
    /// `ET_EXEC`: linked for fixed addresses, mapped exactly where its headers say.
    Exec,
    /// `ET_DYN`: a PIE (with `PT_INTERP`), a static-pie, or a shared object such as the
    /// interpreter itself, moved as a whole by a load bias.
    Dyn,
}

/// Everything `execve` needs to set up the new address space of an ELF program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfLayout {
    /// `ET_EXEC` or `ET_DYN`.
    pub kind: ElfKind,
    /// What was added to every address of the file: 0 for `ET_EXEC`. Like Linux's unsigned
    /// `load_bias`, a displacement modulo 2^64 (it "wraps" if the image was linked above the
    /// address it is loaded at).
    pub load_bias: u64,
    /// Where the program starts: `e_entry` plus the bias (`AT_ENTRY`, and the initial `rip`).
    pub entry: u64,
    /// The areas to map, in ascending order and non-overlapping (they may touch).
    pub areas: Vec<Area>,
    /// Byte ranges `[from, to)` that must read as zero although they lie in a file-backed page:
    /// the tail of the last file page of a segment whose `p_memsz > p_filesz` (Linux's
    /// `padzero`). The kernel zeroes them at exec, after mapping; each lies within one page and
    /// runs to the end of that page, even past `p_memsz`, exactly like `padzero`. Linux ignores a
    /// failure to clear them in a read-only segment (`clear_user` faults there, so the file bytes
    /// stay visible); the kernel, writing through its own mapping, zeroes them in every case.
    pub zero_fill: Vec<(u64, u64)>,
    /// User address of the program header table, for `AT_PHDR`.
    pub phdr_addr: u64,
    /// Size of one program header (56), for `AT_PHENT`.
    pub phent: u16,
    /// Number of program headers, for `AT_PHNUM`.
    pub phnum: u16,
    /// Where the heap starts (`mm->start_brk` and the initial `brk`): the highest segment end
    /// (`p_vaddr + p_memsz`), page-aligned. This is Linux without brk randomization
    /// (`randomize_va_space < 2`); with it, Linux moves the heap a random distance up (and, for a
    /// static-pie, to `ELF_ET_DYN_BASE`).
    pub brk_start: u64,
    /// Lowest `p_vaddr` of an executable segment (`mm->start_code`). Linux starts from `~0UL`,
    /// so with no executable segment this is `load_bias - 1` (mod 2^64), as Linux reports it.
    pub start_code: u64,
    /// Highest `p_vaddr + p_filesz` of an executable segment (`mm->end_code`); `load_bias` if
    /// there is none.
    pub end_code: u64,
    /// Highest `p_vaddr` of any segment (`mm->start_data`). Linux really takes the maximum over
    /// all segments, not just the writable ones: with the usual text-then-data order it is the
    /// data segment's start.
    pub start_data: u64,
    /// Highest `p_vaddr + p_filesz` of any segment (`mm->end_data`).
    pub end_data: u64,
    /// Whether the stack is to be executable: only if a `PT_GNU_STACK` header has `PF_X` (the
    /// last one wins, as in Linux's loop). Without `PT_GNU_STACK` a 64-bit x86 program gets a
    /// non-executable stack: `elf_read_implies_exec` is true only for 32-bit programs.
    pub stack_executable: bool,
    /// The path in the first `PT_INTERP` segment, without its NUL (and cut at an earlier NUL, as
    /// Linux uses it as a C string): the dynamic loader `execve` must load next to the program.
    /// `None` for a static program. [`interp_layout`] ignores it for the interpreter itself.
    pub interp: Option<Vec<u8>>,
}

/// Why a file cannot be executed. The kernel prints it and fails `execve` with `ENOEXEC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// Shorter than an ELF header.
    TooShort,
    /// Does not start with `\x7fELF`.
    NotElf,
    /// `EI_CLASS` is not `ELFCLASS64`.
    Not64Bit,
    /// `EI_DATA` is not `ELFDATA2LSB`.
    NotLittleEndian,
    /// `e_machine` is not `EM_X86_64`.
    NotX86_64,
    /// `EI_VERSION` or `e_version` is not `EV_CURRENT`.
    BadVersion,
    /// `e_type` is neither `ET_EXEC` nor `ET_DYN` (e.g. a relocatable object or a core dump).
    NotExecutable,
    /// The `PT_INTERP` segment is malformed: its size is below 2 or above `PATH_MAX`, it lies
    /// outside the file, or its last byte is not a NUL (Linux's checks in `load_elf_binary`).
    BadInterpreterPath,
    /// The program header table is malformed: wrong entry size, no entries, larger than a page
    /// (Linux's limit), outside the file, or not locatable in memory for `AT_PHDR`.
    BadPhdrTable,
    /// No `PT_LOAD` segment with a nonzero `p_memsz`: there would be nothing to run.
    NoLoadSegments,
    /// A `PT_LOAD` segment breaks a rule; `index` is its index in the program header table.
    BadSegment {
        /// Index in the program header table.
        index: usize,
        /// The rule that was broken.
        why: &'static str,
    },
    /// Two `PT_LOAD` segments claim the same pages (beyond the one shared page allowed).
    Overlap,
    /// A segment or the entry point lies outside the user address space `[0, TASK_SIZE)`.
    AddressOutOfRange,
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::TooShort => f.write_str("file is too short to hold an ELF header"),
            ExecError::NotElf => f.write_str("not an ELF file (bad magic number)"),
            ExecError::Not64Bit => f.write_str("not a 64-bit ELF file"),
            ExecError::NotLittleEndian => f.write_str("not a little-endian ELF file"),
            ExecError::NotX86_64 => f.write_str("ELF file is not for x86-64"),
            ExecError::BadVersion => f.write_str("unsupported ELF version"),
            ExecError::NotExecutable => {
                f.write_str("ELF file is not an executable (ET_EXEC) or static-pie (ET_DYN)")
            }
            ExecError::BadInterpreterPath => {
                f.write_str("malformed interpreter path (PT_INTERP segment)")
            }
            ExecError::BadPhdrTable => f.write_str("malformed ELF program header table"),
            ExecError::NoLoadSegments => f.write_str("ELF file has no loadable segment"),
            ExecError::BadSegment { index, why } => {
                write!(f, "ELF program header {index}: {why}")
            }
            ExecError::Overlap => f.write_str("ELF loadable segments overlap"),
            ExecError::AddressOutOfRange => {
                f.write_str("ELF segment or entry point outside the user address space")
            }
        }
    }
}

impl core::error::Error for ExecError {}

/// Computes what `execve` must map for the ELF executable `elf`.
///
/// `dyn_base` is where to put an `ET_DYN` image (ignored for `ET_EXEC`); [`ELF_ET_DYN_BASE`] is
/// what Linux uses for a PIE. Linux puts a *static*-pie (no `PT_INTERP`) wherever `mmap` finds
/// room instead; letting the caller choose keeps this function deterministic. As in Linux, the
/// base is first rounded down to the largest power-of-two `p_align` of the `PT_LOAD` segments
/// (`maximum_alignment`), so that a binary asking for, say, 2 MiB alignment gets it, and the
/// first segment's page then lands at `page_down(base - page_offset(p_vaddr))`: the bias is
/// `ELF_PAGESTART(base - p_vaddr)` of the first `PT_LOAD`, Linux's formula.
///
/// # Rules
///
/// Those of Linux, checked in its order where it has one:
/// * header: magic, class, byte order, version, `e_type` `ET_EXEC`/`ET_DYN`, `e_machine`;
/// * program header table: `e_phentsize` = 56, 1 ≤ `e_phnum`, table ≤ one page
///   (`load_elf_phdrs`), table inside the file;
/// * `PT_INTERP` (the first one counts): `2 ≤ p_filesz ≤ PATH_MAX`, inside the file, ending
///   with a NUL;
/// * for each `PT_LOAD`: `p_filesz ≤ p_memsz`; if it has file contents, `p_vaddr ≡ p_offset
///   (mod PAGE_SIZE)` (otherwise `mmap` of the file page fails with `EINVAL`);
///   `p_vaddr + p_memsz ≤ TASK_SIZE` before relocation (Linux: "set_brk can never work") and
///   after it. Stricter than Linux: `p_offset + p_filesz` must lie inside the file (Linux would
///   map it and `SIGBUS` later) and segments must come in ascending `p_vaddr` order, as the ELF
///   specification requires.
///
/// # Mapping
///
/// Segments are mapped in table order, each as Linux's `elf_load` does: the file part
/// `[page_down(vaddr), page_up(vaddr + filesz))` from file offset `page_down(p_offset)`; if
/// `p_memsz > p_filesz`, the rest of that last file page goes to [`ElfLayout::zero_fill`] and the
/// whole pages up to `page_up(vaddr + memsz)` become an anonymous area (a segment with
/// `p_filesz == 0` is anonymous throughout). The anonymous part keeps the segment's protection;
/// Linux maps it with `vm_brk_flags`, which makes it writable even for a read-only segment, a
/// difference that shows only for the unusual read-only segment with `p_memsz > p_filesz`.
///
/// Page ranges of different segments must not overlap, with one exception that GNU ld produces
/// when it packs segments tightly (e.g. `-z noseparate-code` with a small `max-page-size`, or
/// `-N`): a segment may *start* in the page where the previous one *ends*. Linux maps the later
/// segment with `MAP_FIXED`, which replaces that page, so the later segment wins it: its
/// protection, its file offset (the same file page in any sane file, since `p_vaddr ≡ p_offset`),
/// and any `padzero` already done there by the earlier segment is gone. This function does the
/// same: it trims the shared page off the earlier segment's last area (dropping the area if that
/// leaves it empty) and drops the earlier segment's `zero_fill` in that page.
pub fn layout(elf: &[u8], dyn_base: u64) -> Result<ElfLayout, ExecError> {
    layout_with(elf, Placement::DynBase(dyn_base))
}

/// Computes the layout of the program execve runs, Linux 6.18's load_elf_binary: an `ET_EXEC`
/// stays where it was linked and a PIE (`ET_DYN` with `PT_INTERP`) goes to `dyn_base`, as
/// [`layout`] does; an `ET_DYN` without `PT_INTERP` (a static-pie, or a dynamic loader run as
/// the program, what Linux calls a loader) is mapped like an interpreter, right below
/// `mmap_base`, then aligned down to its largest `p_align` if that is above a page, and its heap
/// starts at `ELF_ET_DYN_BASE` rounded up to a page (`0x555555555000`), out of the way of the
/// mappings that grow down towards it. (Linux 6.1 moved a loader's heap there only when it
/// randomised the heap; since 6.9 it always does.)
pub fn program_layout(elf: &[u8], dyn_base: u64, mmap_base: u64) -> Result<ElfLayout, ExecError> {
    let layout = layout(elf, dyn_base)?;
    if layout.kind != ElfKind::Dyn || layout.interp.is_some() {
        return Ok(layout);
    }
    let mut loader = layout_with(elf, Placement::Loader(mmap_base))?;
    loader.brk_start = LOADER_BRK_START;
    Ok(loader)
}

/// Where a loader's heap starts (Linux's `ELF_PAGEALIGN(ELF_ET_DYN_BASE)`).
pub const LOADER_BRK_START: u64 = page_down(TASK_SIZE / 3 * 2) + PAGE_SIZE;

/// Computes the layout of a program's interpreter (the dynamic loader named by `PT_INTERP`),
/// Linux's `load_elf_interp`.
///
/// An `ET_DYN` interpreter (every real one) is mapped where `mmap` without a hint would put its
/// whole extent (`total_mapping_size`: the first `PT_LOAD`'s page to the end of the last one) in
/// the top-down layout: right below `mmap_base`, the first free address from the top when
/// nothing has been mapped there yet. That is where `ld-linux-x86-64.so.2` sits under `setarch
/// -R` (ending at `0x7ffff7fff000`). Unlike a PIE, the interpreter is not aligned to its
/// `p_align`. An `ET_EXEC` interpreter stays where it was linked. The interpreter's own
/// `PT_INTERP`, if any, is ignored, as Linux does; its `brk_start` and code bounds are not the
/// process's (the program's are).
pub fn interp_layout(elf: &[u8], mmap_base: u64) -> Result<ElfLayout, ExecError> {
    layout_with(elf, Placement::Below(mmap_base))
}

/// Where an `ET_DYN` image goes.
#[derive(Clone, Copy)]
enum Placement {
    /// At this base, aligned down to the image's largest `p_align` (a PIE, a static-pie).
    DynBase(u64),
    /// Its whole extent just below this address (the interpreter, below the mmap base).
    Below(u64),
    /// The same, then aligned down to the image's largest `p_align` (a program without an
    /// interpreter: see [`program_layout`]).
    Loader(u64),
}

/// The `PT_INTERP` path of a program, with Linux's checks.
fn interp_path(elf: &[u8], phdrs: &[ProgramHeader]) -> Result<Option<Vec<u8>>, ExecError> {
    let Some(ph) = phdrs.iter().find(|ph| ph.is(program::Type::Interp)) else {
        return Ok(None);
    };
    let bad = ExecError::BadInterpreterPath;
    if ph.p_filesz < 2 || ph.p_filesz > PATH_MAX {
        return Err(bad);
    }
    let start = usize::try_from(ph.p_offset).map_err(|_| bad)?;
    // No overflow: p_filesz ≤ PATH_MAX.
    let end = start.checked_add(ph.p_filesz as usize).ok_or(bad)?;
    let bytes = elf.get(start..end).ok_or(bad)?;
    if bytes.last() != Some(&0) {
        return Err(bad);
    }
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(0);
    let mut path = Vec::new();
    path.try_reserve_exact(len).map_err(|_| bad)?;
    path.extend_from_slice(&bytes[..len]);
    Ok(Some(path))
}

fn layout_with(elf: &[u8], placement: Placement) -> Result<ElfLayout, ExecError> {
    let mut headers = Headers::new();
    let header = FileHeader::parse(elf, &mut headers)?;
    let kind = header.check()?;
    let phdrs = program_headers(elf, &header, &mut headers)?;

    // Linux looks for PT_INTERP first, before the segments.
    let interp = interp_path(elf, &phdrs)?;

    let stack_executable = phdrs
        .iter()
        .rfind(|ph| ph.is(program::Type::OsSpecific(PT_GNU_STACK)))
        .is_some_and(|ph| ph.p_flags & PF_X != 0);

    let loads: Vec<(usize, &ProgramHeader)> = phdrs
        .iter()
        .enumerate()
        .filter(|(_, ph)| ph.is(program::Type::Load))
        .collect();
    check_loads(&loads, elf.len())?;
    if loads.iter().all(|(_, ph)| ph.p_memsz == 0) {
        return Err(ExecError::NoLoadSegments);
    }

    let reloc = match kind {
        ElfKind::Exec => Relocation::NONE,
        ElfKind::Dyn => match placement {
            Placement::DynBase(dyn_base) => Relocation::for_dyn(&loads, dyn_base)?,
            Placement::Below(top) => Relocation::below(&loads, top)?,
            Placement::Loader(top) => Relocation::below(&loads, top)?.aligned(&loads),
        },
    };

    let mut plan = Plan::default();
    for (_, ph) in &loads {
        plan.add_segment(ph, &reloc)?;
    }

    let stats = Bounds::compute(&loads, &reloc)?;
    let entry = reloc
        .apply(header.e_entry)
        .filter(|&entry| entry < TASK_SIZE)
        .ok_or(ExecError::AddressOutOfRange)?;
    let phdr_addr = phdr_address(&header, &phdrs, &loads, &reloc)?;

    Ok(ElfLayout {
        kind,
        load_bias: reloc.bias(),
        entry,
        areas: plan.areas,
        zero_fill: plan.zero_fill,
        phdr_addr,
        phent: PHDR_SIZE,
        phnum: header.e_phnum,
        brk_start: stats.brk_start,
        start_code: stats.start_code,
        end_code: stats.end_code,
        start_data: stats.start_data,
        end_data: stats.end_data,
        stack_executable,
        interp,
    })
}

/// What xmas-elf reads: the ELF header at 0 and, once it has been checked, a copy of the program
/// header table right behind it, in a buffer aligned for the structs xmas-elf reads in place
/// (`Elf64_Ehdr` and `Elf64_Phdr` hold 8-byte fields; `zero::read` asserts their alignment).
///
/// The file itself may be aligned anyhow (a file in the initramfs is 4-byte aligned, and
/// `e_phoff` can be any number), and its offsets are not yet trusted when xmas-elf would use
/// them: the copy has both problems checked away. It is at most `EHDR_SIZE` + a page, the limit
/// on the table, so it lives on the heap rather than on a kernel stack.
#[repr(C, align(8))]
struct Headers {
    bytes: [u8; EHDR_SIZE + PAGE_SIZE as usize],
}

impl Headers {
    fn new() -> Box<Self> {
        Box::new(Headers {
            bytes: [0; EHDR_SIZE + PAGE_SIZE as usize],
        })
    }
}

/// The fields of the ELF header (`Elf64_Ehdr`) that exec needs, as xmas-elf decodes them.
struct FileHeader {
    class: Class,
    data: Data,
    ident_version: Version,
    e_type: header::Type,
    e_machine: Machine,
    e_version: u32,
    e_entry: u64,
    e_phoff: u64,
    e_phentsize: u16,
    e_phnum: u16,
}

impl FileHeader {
    /// Reads the header. A file that does not even start like an ELF file is [`ExecError::NotElf`]
    /// whatever its length; one that does but is cut short is [`ExecError::TooShort`]. Both are
    /// decided here, on the raw bytes, before xmas-elf reads the 64 bytes copied into `headers`.
    fn parse(elf: &[u8], headers: &mut Headers) -> Result<Self, ExecError> {
        let magic_len = elf.len().min(ELFMAG.len());
        if elf.get(..magic_len) != ELFMAG.get(..magic_len) {
            return Err(ExecError::NotElf);
        }
        let ehdr = elf.get(..EHDR_SIZE).ok_or(ExecError::TooShort)?;
        let copy = &mut headers.bytes[..EHDR_SIZE];
        copy.copy_from_slice(ehdr);
        // With the magic and the length known to be right, the only thing xmas-elf can still
        // refuse is an `EI_CLASS` that is neither 32- nor 64-bit.
        let file = ElfFile::new(copy).map_err(|_| ExecError::Not64Bit)?;
        let (pt1, pt2) = (file.header.pt1, file.header.pt2);
        Ok(FileHeader {
            class: pt1.class(),
            data: pt1.data(),
            ident_version: pt1.version(),
            e_type: pt2.type_().as_type(),
            e_machine: pt2.machine().as_machine(),
            e_version: pt2.version(),
            e_entry: pt2.entry_point(),
            e_phoff: pt2.ph_offset(),
            e_phentsize: pt2.ph_entry_size(),
            e_phnum: pt2.ph_count(),
        })
    }

    /// The identification checks. Linux itself only looks at the magic, `e_type` and
    /// `e_machine` (`elf_check_arch`); class, byte order and version are implied by the
    /// architecture there, checked explicitly here so that the error says what is wrong. (For a
    /// 32-bit file xmas-elf reads the 32-bit header layout; the fields after `e_ident` are then
    /// not looked at, since the class is refused first.)
    fn check(&self) -> Result<ElfKind, ExecError> {
        if self.class != Class::SixtyFour {
            return Err(ExecError::Not64Bit);
        }
        if self.data != Data::LittleEndian {
            return Err(ExecError::NotLittleEndian);
        }
        if self.ident_version != Version::Current {
            return Err(ExecError::BadVersion);
        }
        let kind = match self.e_type {
            header::Type::Executable => ElfKind::Exec,
            header::Type::SharedObject => ElfKind::Dyn,
            _ => return Err(ExecError::NotExecutable),
        };
        if self.e_machine != Machine::X86_64 {
            return Err(ExecError::NotX86_64);
        }
        if self.e_version != u32::from(EV_CURRENT) {
            return Err(ExecError::BadVersion);
        }
        Ok(kind)
    }
}

/// The fields of a program header (`Elf64_Phdr`) that exec needs.
#[derive(Clone, Copy)]
struct ProgramHeader {
    /// The segment type; `None` for a number outside the ranges the ELF specification defines,
    /// which xmas-elf refuses to name and which, like any type it does not handle, Linux ignores.
    p_type: Option<program::Type>,
    p_flags: u32,
    p_offset: u64,
    p_vaddr: u64,
    p_filesz: u64,
    p_memsz: u64,
    p_align: u64,
}

impl ProgramHeader {
    fn new(ph: &ProgramHeader64) -> Self {
        ProgramHeader {
            p_type: ph.get_type().ok(),
            p_flags: ph.flags.0,
            p_offset: ph.offset,
            p_vaddr: ph.virtual_addr,
            p_filesz: ph.file_size,
            p_memsz: ph.mem_size,
            p_align: ph.align,
        }
    }

    /// Whether the segment is of type `ty`.
    fn is(&self, ty: program::Type) -> bool {
        self.p_type == Some(ty)
    }
}

/// Reads the program header table, with the limits of Linux's `load_elf_phdrs`: entries of
/// exactly `sizeof(Elf64_Phdr)`, at least one, and at most one page in total (73 entries), which
/// also bounds the work done on a hostile file. The table must lie inside the file.
///
/// Those checks come first, on the raw numbers; then the table is copied behind the header in
/// `headers`, the copy's `e_phoff` is pointed at it, and xmas-elf reads the entries from there:
/// at an aligned offset, with every entry inside the buffer.
fn program_headers(
    elf: &[u8],
    header: &FileHeader,
    headers: &mut Headers,
) -> Result<Vec<ProgramHeader>, ExecError> {
    let bad = ExecError::BadPhdrTable;
    if header.e_phentsize != PHDR_SIZE || header.e_phnum == 0 {
        return Err(bad);
    }
    let size = u64::from(header.e_phnum) * u64::from(PHDR_SIZE);
    if size > PAGE_SIZE {
        return Err(bad);
    }
    let start = usize::try_from(header.e_phoff).map_err(|_| bad)?;
    let end = start.checked_add(usize::try_from(size).map_err(|_| bad)?);
    let table = end.and_then(|end| elf.get(start..end)).ok_or(bad)?;

    let copy_end = EHDR_SIZE + table.len();
    let buffer = headers.bytes.get_mut(..copy_end).ok_or(bad)?;
    buffer[EHDR_SIZE..].copy_from_slice(table);
    buffer[E_PHOFF_AT..E_PHOFF_AT + 8].copy_from_slice(&(EHDR_SIZE as u64).to_le_bytes());
    let file = ElfFile::new(buffer).map_err(|_| bad)?;
    (0..header.e_phnum)
        .map(|index| match file.program_header(index) {
            Ok(program::ProgramHeader::Ph64(ph)) => Ok(ProgramHeader::new(ph)),
            _ => Err(bad),
        })
        .collect()
}

/// The per-segment rules, for every `PT_LOAD` (see [`layout`]).
fn check_loads(loads: &[(usize, &ProgramHeader)], file_len: usize) -> Result<(), ExecError> {
    let file_len = u64::try_from(file_len).unwrap_or(u64::MAX);
    let mut previous_vaddr = 0;
    for &(index, ph) in loads {
        let bad = |why| ExecError::BadSegment { index, why };
        if ph.p_filesz > ph.p_memsz {
            return Err(bad("p_filesz is larger than p_memsz"));
        }
        // A segment without file contents is never mapped from the file (since Linux 6.7,
        // `elf_load` only calls `elf_map` if p_filesz != 0), so its p_offset does not matter.
        if ph.p_filesz != 0 {
            if page_offset(ph.p_vaddr) != page_offset(ph.p_offset) {
                return Err(bad("p_vaddr and p_offset differ modulo the page size"));
            }
            match ph.p_offset.checked_add(ph.p_filesz) {
                Some(end) if end <= file_len => {}
                _ => return Err(bad("file contents extend past the end of the file")),
            }
        }
        // Linux's check, on the addresses as linked: "set_brk can never work".
        if ph.p_vaddr >= TASK_SIZE || ph.p_memsz > TASK_SIZE || TASK_SIZE - ph.p_memsz < ph.p_vaddr
        {
            return Err(ExecError::AddressOutOfRange);
        }
        if ph.p_vaddr < previous_vaddr {
            return Err(bad("PT_LOAD segments are not in ascending p_vaddr order"));
        }
        previous_vaddr = ph.p_vaddr;
    }
    Ok(())
}

/// Moves the image: addresses at or above `from` go to the same distance above `to`.
///
/// This is Linux's `vaddr + load_bias` written so that it cannot wrap: `from` is the page of the
/// lowest segment, `to` where that page is placed. Both are page-aligned, so page offsets are
/// preserved.
struct Relocation {
    from: u64,
    to: u64,
}

/// Linux's maximum_alignment(): the largest power-of-two `p_align` of the `PT_LOAD`s, at least a
/// page (and no more than 2^63, so that it stays a power of two once rounded up to a page).
fn maximum_alignment(loads: &[(usize, &ProgramHeader)]) -> u64 {
    loads
        .iter()
        .map(|(_, ph)| ph.p_align)
        .filter(|align| align.is_power_of_two())
        .max()
        .unwrap_or(0)
        .max(PAGE_SIZE)
}

impl Relocation {
    /// `ET_EXEC`: everything stays where it was linked.
    const NONE: Relocation = Relocation { from: 0, to: 0 };

    /// `ET_DYN`: Linux's `load_bias = ELF_PAGESTART(base - vaddr)` for the first `PT_LOAD`, with
    /// `base` aligned down to `maximum_alignment()`. Since `vaddr` = `page_down(vaddr)` + offset,
    /// that places `page_down(vaddr)` at `page_down(base - offset)`.
    fn for_dyn(loads: &[(usize, &ProgramHeader)], dyn_base: u64) -> Result<Self, ExecError> {
        let Some((_, first)) = loads.first() else {
            return Err(ExecError::NoLoadSegments);
        };
        let base = dyn_base & !(maximum_alignment(loads) - 1);
        let to = base
            .checked_sub(page_offset(first.p_vaddr))
            .map(page_down)
            .ok_or(ExecError::AddressOutOfRange)?;
        Ok(Relocation {
            from: page_down(first.p_vaddr),
            to,
        })
    }

    /// The interpreter: Linux's `load_elf_interp` maps `total_mapping_size` (from the first
    /// `PT_LOAD`'s page to the end of the last one) without a hint, so top-down `mmap` puts
    /// that page-rounded extent right below `top`.
    fn below(loads: &[(usize, &ProgramHeader)], top: u64) -> Result<Self, ExecError> {
        let out = ExecError::AddressOutOfRange;
        let (Some((_, first)), Some((_, last))) = (loads.first(), loads.last()) else {
            return Err(ExecError::NoLoadSegments);
        };
        let from = page_down(first.p_vaddr);
        let total = last
            .p_vaddr
            .checked_add(last.p_memsz)
            .and_then(|end| end.checked_sub(from))
            .and_then(page_up)
            .ok_or(out)?;
        let to = top.checked_sub(total).ok_or(out)?;
        Ok(Relocation { from, to })
    }

    /// Moved down so that the image starts at a multiple of its largest `p_align` when that is
    /// above a page (Linux 6.18's loader placement, `load_bias &= ~(alignment - 1)`).
    fn aligned(self, loads: &[(usize, &ProgramHeader)]) -> Self {
        let alignment = maximum_alignment(loads);
        Relocation {
            from: self.from,
            to: self.to & !(alignment - 1),
        }
    }

    /// The address `addr` of the file ends up at; `None` if it is below the image or the result
    /// overflows.
    fn apply(&self, addr: u64) -> Option<u64> {
        addr.checked_sub(self.from)?.checked_add(self.to)
    }

    /// The same displacement as Linux's unsigned `load_bias`.
    fn bias(&self) -> u64 {
        self.to.wrapping_sub(self.from)
    }
}

/// The areas and zero ranges built so far, segment by segment.
#[derive(Default)]
struct Plan {
    areas: Vec<Area>,
    zero_fill: Vec<(u64, u64)>,
}

impl Plan {
    /// Linux's `elf_load` for one segment.
    fn add_segment(&mut self, ph: &ProgramHeader, reloc: &Relocation) -> Result<(), ExecError> {
        let out = ExecError::AddressOutOfRange;
        let start = reloc.apply(ph.p_vaddr).ok_or(out)?;
        let file_end = start.checked_add(ph.p_filesz).ok_or(out)?;
        let mem_end = start.checked_add(ph.p_memsz).ok_or(out)?;
        if mem_end > TASK_SIZE {
            return Err(out);
        }
        if ph.p_memsz == 0 {
            // Nothing to map (Linux maps nothing either), but the segment still counts for the
            // bounds, see `Bounds`.
            return Ok(());
        }
        let prot = Prot::from_flags(ph.p_flags);
        // Cannot overflow: everything is at most TASK_SIZE, which is page-aligned.
        let first_page = page_down(start);
        let file_end_page = page_up(file_end).ok_or(out)?;
        let mem_end_page = page_up(mem_end).ok_or(out)?;

        self.make_room(first_page)?;
        let anon_start = if ph.p_filesz > 0 {
            self.areas.push(Area {
                start: first_page,
                end: file_end_page,
                prot,
                backing: Backing::File {
                    offset: page_down(ph.p_offset),
                },
            });
            if ph.p_memsz > ph.p_filesz && file_end < file_end_page {
                // padzero(): the .bss starts inside the last file page.
                self.zero_fill.push((file_end, file_end_page));
            }
            file_end_page
        } else {
            first_page
        };
        if mem_end_page > anon_start {
            // vm_brk_flags(): the whole pages of .bss.
            self.areas.push(Area {
                start: anon_start,
                end: mem_end_page,
                prot,
                backing: Backing::Anon,
            });
        }
        Ok(())
    }

    /// Makes sure a segment whose first page is `first_page` can be added after the areas so
    /// far: fine if it starts at or above their end; if it starts in their last page, that page
    /// is taken from the earlier segment (the `MAP_FIXED` replacement described at [`layout`]);
    /// anything lower is an overlap.
    fn make_room(&mut self, first_page: u64) -> Result<(), ExecError> {
        let Some(last) = self.areas.last_mut() else {
            return Ok(());
        };
        if first_page >= last.end {
            return Ok(());
        }
        if first_page.checked_add(PAGE_SIZE) != Some(last.end) {
            return Err(ExecError::Overlap);
        }
        last.end = first_page;
        if last.start == last.end {
            self.areas.pop();
        }
        // Zero ranges never cross a page, so the ones in the shared page start inside it.
        self.zero_fill.retain(|&(from, _)| from < first_page);
        Ok(())
    }
}

/// The `mm` bookkeeping of `load_elf_binary`, after relocation.
struct Bounds {
    start_code: u64,
    end_code: u64,
    start_data: u64,
    end_data: u64,
    brk_start: u64,
}

impl Bounds {
    /// Linux's loop over the `PT_LOAD` segments, including empty ones:
    /// `start_code`/`end_code` over executable segments, `start_data`/`end_data` over all of them
    /// (maxima of `p_vaddr` and `p_vaddr + p_filesz`), `elf_brk` the highest `p_vaddr + p_memsz`.
    fn compute(loads: &[(usize, &ProgramHeader)], reloc: &Relocation) -> Result<Self, ExecError> {
        let out = ExecError::AddressOutOfRange;
        let mut code: Option<(u64, u64)> = None;
        let mut start_data = 0;
        let mut end_data = 0;
        let mut elf_brk = 0;
        for (_, ph) in loads {
            let start = reloc.apply(ph.p_vaddr).ok_or(out)?;
            let file_end = start.checked_add(ph.p_filesz).ok_or(out)?;
            let mem_end = start.checked_add(ph.p_memsz).ok_or(out)?;
            if ph.p_flags & PF_X != 0 {
                let (lo, hi) = code.unwrap_or((start, file_end));
                code = Some((lo.min(start), hi.max(file_end)));
            }
            start_data = start_data.max(start);
            end_data = end_data.max(file_end);
            elf_brk = elf_brk.max(mem_end);
        }
        // Without an executable segment Linux keeps its initial ~0UL and 0, plus load_bias.
        let bias = reloc.bias();
        let (start_code, end_code) = code.unwrap_or((u64::MAX.wrapping_add(bias), bias));
        Ok(Bounds {
            start_code,
            end_code,
            start_data,
            end_data,
            brk_start: page_up(elf_brk).ok_or(out)?,
        })
    }
}

/// `AT_PHDR`: the program headers' address in memory.
///
/// A `PT_PHDR` header states it directly, and is used when present. Otherwise (static binaries
/// often have no `PT_PHDR`) the table is found the way Linux does since 5.18: in the `PT_LOAD`
/// whose file contents contain `e_phoff` (the last such, as Linux's loop keeps overwriting). If
/// no segment holds it, the table is not in memory at all; Linux would then report a meaningless
/// address, here the file is rejected.
fn phdr_address(
    header: &FileHeader,
    phdrs: &[ProgramHeader],
    loads: &[(usize, &ProgramHeader)],
    reloc: &Relocation,
) -> Result<u64, ExecError> {
    let linked = if let Some(ph) = phdrs.iter().find(|ph| ph.is(program::Type::Phdr)) {
        ph.p_vaddr
    } else {
        loads
            .iter()
            .rev()
            .find(|(_, ph)| {
                // No overflow: check_loads made sure p_offset + p_filesz fits in the file.
                ph.p_offset <= header.e_phoff && header.e_phoff - ph.p_offset < ph.p_filesz
            })
            .and_then(|(_, ph)| ph.p_vaddr.checked_add(header.e_phoff - ph.p_offset))
            .ok_or(ExecError::BadPhdrTable)?
    };
    reloc
        .apply(linked)
        .filter(|&addr| addr < TASK_SIZE)
        .ok_or(ExecError::BadPhdrTable)
}

#[cfg(test)]
mod tests;
