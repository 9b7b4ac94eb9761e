//! Loading a program (Linux's execve: fs/exec.c with fs/binfmt_elf.c).
//!
//! The deciding half is the host-tested `exec` crate ([`exec::elf::layout`], [`exec::stack::build`]);
//! this file carries the plan out on a fresh [`Mm`]:
//!
//! - each PT_LOAD becomes an area backed by the executable at its page offset (code r-x, read-only
//!   data r--, data rw-), private, so writes copy;
//! - the bss: the tail of the last file page is zeroed, whole pages beyond form an anonymous rw- area;
//! - the heap starts at the page after the bss (`start_brk = brk`), empty;
//! - the stack: the argument strings at the top of user space, in an area 128 KiB larger than the
//!   pages holding them (Linux's `stack_expand`), growing down on faults. For a small argument list
//!   that is 33 pages; the seed notes' process had two pages of strings, hence its 34.
//!
//! - a dynamically linked program (`PT_INTERP`) also gets its interpreter, the dynamic loader
//!   (`ld-linux-x86-64.so.2`), an ET_DYN mapped right below the mmap base as Linux's
//!   load_elf_interp does; a PIE goes to ELF_ET_DYN_BASE. The process starts at the loader's
//!   entry, told by AT_BASE where the loader is and by AT_PHDR/AT_ENTRY where the program is; the
//!   loader then maps libc.so.6 and the rest itself, with mmap and mprotect, below itself;
//! - an ET_DYN without `PT_INTERP` (a static-pie, such as Rust's musl programs, or a loader run
//!   by itself) is placed as Linux 6.18 places a loader: like an interpreter, right below the
//!   mmap base, with its heap at ELF_ET_DYN_BASE (`exec::elf::program_layout`).
//!
//! Nothing is mapped in the page tables except the pages the kernel itself writes (the stack
//! image, the zeroed bss tail): the rest comes in by demand paging.

use abi::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};
use alloc::{sync::Arc, vec::Vec};

use exec::{
    elf::{self, Backing, ElfLayout},
    stack::{self, auxv::*},
};

use crate::{
    fs,
    mm::{
        aslr::Randomization,
        layout::{PAGE_SIZE, page_down},
        mm_struct::{Mm, VmFlags, VmaInfo},
        mmap::{prot_to_vm, vm_to_prot},
    },
    syscall::errno::*,
};

/// Linux's stack_expand in setup_arg_pages: extra room below the arguments at exec.
const STACK_EXPAND: u64 = 128 * 1024;

/// A loaded program, ready to enter.
pub struct Loaded {
    pub mm: Arc<Mm>,
    pub entry: u64,
    pub sp: u64,
}

/// The CPU features word for AT_HWCAP (CPUID leaf 1 EDX, as Linux reports on x86).
fn hwcap() -> u64 {
    core::arch::x86_64::__cpuid(1).edx as u64
}

/// 16 bytes for AT_RANDOM, from the kernel's generator (Linux's get_random_bytes).
pub fn random_bytes() -> [u8; 16] {
    let mut out = [0u8; 16];
    crate::random::fill(&mut out);
    out
}

fn vm_flags(prot: elf::Prot) -> VmFlags {
    let bits = (prot.read as u64 * PROT_READ)
        | (prot.write as u64 * PROT_WRITE)
        | (prot.exec as u64 * PROT_EXEC);
    prot_to_vm(bits) | VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYEXEC
}

/// Loads the program in `inode` (found at `path`) with its arguments and environment.
/// On any failure nothing of the caller is touched and the error is what execve returns.
pub fn load(
    inode: &Arc<fs::Inode>,
    path: &str,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<Loaded, Errno> {
    check_executable(inode)?;
    let exe_file = fs::inode::DenyWrite::new(inode.clone())?;
    let copy;
    let bytes = match inode.pristine_contents() {
        Some(bytes) => bytes,
        None => {
            copy = read_whole(inode)?;
            &copy[..]
        }
    };
    // Where this program's stack, mappings, heap and (if position-independent) image go: at
    // random unless the caller's personality or the mode says otherwise.
    let personality = crate::thread::current_process().map_or(0, |p| p.personality());
    let rnd = Randomization::for_exec(personality, crate::mm::rlimit::stack_limit());
    let layout = elf::program_layout(bytes, elf::ELF_ET_DYN_BASE + rnd.mmap_rnd, rnd.mmap_base)
        .map_err(|err| {
            log::info!("exec {path}: {err}");
            ENOEXEC
        })?;
    let interp = match &layout.interp {
        Some(interp_path) => Some(load_interp(interp_path, rnd.mmap_base)?),
        None => None,
    };
    let mm = Mm::new().map_err(|_| ENOMEM)?;
    let sp = {
        let mut m = mm.lock();
        m.exe_file = Some(exe_file);
        m.layout.mmap_base = rnd.mmap_base;
        map_image(&mut m, &layout, inode)?;
        set_mm_layout(&mut m, &layout, rnd.brk_offset);
        if let Some((interp_inode, interp_layout)) = &interp {
            map_image(&mut m, interp_layout, interp_inode)?;
        }
        let at_base = interp.as_ref().map_or(0, |(_, l)| l.load_bias);
        setup_stack(&mut m, &layout, &rnd, at_base, path, argv, envp)?
    };
    Ok(Loaded {
        mm,
        // A dynamically linked program starts in its loader, which jumps to AT_ENTRY later.
        entry: interp.as_ref().map_or(layout.entry, |(_, l)| l.entry),
        sp,
    })
}

/// Linux's do_open_execat checks: a regular file with some execute bit set (even for root).
fn check_executable(inode: &fs::Inode) -> Result<(), Errno> {
    if !inode.is_regular() || inode.stat().st_mode & 0o111 == 0 {
        return Err(EACCES);
    }
    Ok(())
}

/// Opens and lays out the interpreter named by PT_INTERP (Linux's load_elf_binary before the
/// point of no return, then load_elf_interp). A relative path is looked up from the working
/// directory, as open_exec does. Lookup errors are the caller's (ENOENT, EACCES, ...); a file
/// shorter than an ELF header is EIO (Linux's elf_read of the header comes up short); any other
/// file that is not a loadable ELF interpreter is ELIBBAD ("accessing a corrupted shared
/// library"). Linux finds some of those (an interpreter that is neither ET_EXEC nor ET_DYN, or
/// whose segments do not fit) only after the point of no return and kills the process with
/// SIGSEGV; here every one is found before, and execve fails instead.
fn load_interp(interp_path: &[u8], mmap_base: u64) -> Result<(Arc<fs::Inode>, ElfLayout), Errno> {
    let cwd = crate::thread::current_process().map_or_else(fs::root, |p| p.cwd());
    let inode = fs::namei::lookup(cwd, interp_path, true)?;
    check_executable(&inode)?;
    let copy;
    let bytes = match inode.pristine_contents() {
        Some(bytes) => bytes,
        None => {
            copy = read_whole(&inode)?;
            &copy[..]
        }
    };
    let layout = elf::interp_layout(bytes, mmap_base).map_err(|err| {
        log::info!(
            "exec: interpreter {}: {err}",
            alloc::string::String::from_utf8_lossy(interp_path)
        );
        match err {
            elf::ExecError::TooShort => EIO,
            _ => ELIBBAD,
        }
    })?;
    Ok((inode, layout))
}

/// A copy of a file that was written since boot (the ELF parser wants it in one piece).
fn read_whole(inode: &fs::Inode) -> Result<Vec<u8>, Errno> {
    let size = usize::try_from(inode.size()).map_err(|_| ENOMEM)?;
    let mut bytes = Vec::new();
    crate::mm::heap::charged(|| bytes.try_reserve_exact(size)).map_err(|_| ENOMEM)?;
    bytes.resize(size, 0);
    let n = inode.read(0, &mut bytes);
    bytes.truncate(n);
    Ok(bytes)
}

fn map_image(
    m: &mut crate::mm::mm_struct::MmInner,
    layout: &ElfLayout,
    inode: &Arc<fs::Inode>,
) -> Result<(), Errno> {
    for area in &layout.areas {
        let (file, pgoff) = match area.backing {
            Backing::File { offset } => (Some(fs::vm_file(inode.clone())), offset / PAGE_SIZE),
            Backing::Anon => (None, 0),
        };
        // Charged as Linux charges them: a writable private file mapping (elf_map's mmap), and
        // every anonymous bss area (vm_brk_flags).
        let mut flags = vm_flags(area.prot);
        if area.prot.write || area.backing == Backing::Anon {
            flags |= VmFlags::ACCOUNT;
        }
        // A later segment may share its first page with the previous one: it wins that page.
        m.unmap_range(area.start, area.end)?;
        m.insert_vma(VmaInfo {
            start: area.start,
            end: area.end,
            flags,
            file,
            pgoff,
        })
        .map_err(|e| match e {
            vma::VmaError::NoMem => ENOMEM,
            _ => ENOEXEC,
        })?;
    }
    for &(from, to) in &layout.zero_fill {
        // Zero through a private copy of the page, whatever the area's rights (see ElfLayout).
        let zeros = alloc::vec![0u8; (to - from) as usize];
        write_forced(m, from, &zeros)?;
    }
    Ok(())
}

/// The mm bookkeeping comes from the program, never from its interpreter: the heap starts after
/// the program's bss, `brk_offset` bytes further with randomisation (arch_randomize_brk).
fn set_mm_layout(m: &mut crate::mm::mm_struct::MmInner, layout: &ElfLayout, brk_offset: u64) {
    m.layout.start_code = layout.start_code;
    m.layout.end_code = layout.end_code;
    m.layout.start_data = layout.start_data;
    m.layout.end_data = layout.end_data;
    let brk_start = layout.brk_start + brk_offset;
    m.layout.start_brk = brk_start;
    m.layout.brk = brk_start;
    // The heap grows as an area of its own, never merged into the bss below it (see brk.rs).
    m.vmas.set_merge_barrier(Some(brk_start));
}

/// Writes into the new image even where the area is not writable (the bss tail of a read-only
/// segment), by faulting the page in as if it were.
fn write_forced(
    m: &mut crate::mm::mm_struct::MmInner,
    addr: u64,
    bytes: &[u8],
) -> Result<(), Errno> {
    let flags = m.vmas.find(addr).ok_or(ENOEXEC)?.flags();
    if flags.contains(VmFlags::WRITE) {
        return m.populate_write(addr, bytes).map_err(|_| ENOMEM);
    }
    // Temporarily writable, then back: both through the tree so the areas stay consistent.
    let page = page_down(addr);
    m.do_mprotect(page, PAGE_SIZE, vm_to_prot(flags) | PROT_WRITE)
        .map_err(|_| ENOMEM)?;
    let result = m.populate_write(addr, bytes).map_err(|_| ENOMEM);
    m.do_mprotect(page, PAGE_SIZE, vm_to_prot(flags))
        .map_err(|_| ENOMEM)?;
    result
}

fn setup_stack(
    m: &mut crate::mm::mm_struct::MmInner,
    layout: &ElfLayout,
    rnd: &Randomization,
    at_base: u64,
    path: &str,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<u64, Errno> {
    let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    let envp: Vec<&[u8]> = envp.iter().map(Vec::as_slice).collect();
    // The caller's ids (the first process, loaded before it exists, is root).
    let (uid, gid) = crate::thread::current_process().map_or(Default::default(), |p| {
        let cred = p.cred.lock();
        (cred.uid, cred.gid)
    });
    let auxv = [
        (AT_HWCAP, hwcap()),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, 100),
        (AT_PHDR, layout.phdr_addr),
        (AT_PHENT, layout.phent as u64),
        (AT_PHNUM, layout.phnum as u64),
        (AT_BASE, at_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, layout.entry),
        (AT_UID, uid.real as u64),
        (AT_EUID, uid.effective as u64),
        (AT_GID, gid.real as u64),
        (AT_EGID, gid.effective as u64),
        (AT_SECURE, 0),
    ];
    // Linux bounds the arguments by a quarter of the stack limit, and at most 6 MiB (3/4 of
    // _STK_LIM).
    // The strings start `sp_offset` bytes below the top of the stack area (Linux puts that random
    // gap below the strings, arch_align_stack; either way the stack pointer moves by it).
    let image = stack::build(
        rnd.stack_top - rnd.sp_offset,
        &argv,
        &envp,
        path.as_bytes(),
        &auxv,
        random_bytes(),
        (crate::mm::rlimit::stack_limit() / 4).min(6 << 20) as usize,
    )
    .map_err(|_| E2BIG)?;
    // Linux's setup_arg_pages: the area holds the pages of the argument strings, and stack_expand
    // (128 KiB) more below them, which is where the pointer arrays and auxv land.
    let stack_start = page_down(image.argv_start) - STACK_EXPAND;
    let mut flags = VmFlags::READ
        | VmFlags::WRITE
        | VmFlags::ACCOUNT
        | VmFlags::MAYREAD
        | VmFlags::MAYWRITE
        | VmFlags::MAYEXEC
        | VmFlags::GROWSDOWN;
    if layout.stack_executable {
        flags |= VmFlags::EXEC;
    }
    m.insert_vma(VmaInfo {
        start: stack_start,
        end: rnd.stack_top,
        flags,
        file: None,
        pgoff: 0,
    })
    .map_err(|_| ENOMEM)?;
    m.populate_write(image.sp, &image.bytes)
        .map_err(|_| ENOMEM)?;
    m.layout.start_stack = image.sp;
    m.layout.arg_start = image.argv_start;
    m.layout.arg_end = image.env_start;
    m.layout.env_start = image.env_start;
    m.layout.env_end = image.env_end;
    Ok(image.sp)
}
