//! Program loading as pure logic: what `execve` must map, and what the new program finds on its
//! stack.
//!
//! Linux splits `execve(2)` into a generic part (`fs/exec.c`: open the file, copy the argument and
//! environment strings out of the dying address space, tear it down) and a binary-format part
//! (`fs/binfmt_elf.c`: `load_elf_binary` maps the segments, `create_elf_tables` writes argc, the
//! pointer arrays and the auxiliary vector). This crate is the *deciding* half of both, with the
//! side effects taken out:
//!
//! * [`elf::layout`] reads an ELF executable and returns an [`elf::ElfLayout`]: the page-aligned
//!   areas to map (file-backed or anonymous, with their protections), the bytes to zero, the entry
//!   point, the values for the auxiliary vector and the `mm` bookkeeping (`start_brk`,
//!   `start_code`, …). It validates everything first, because the file is user-controlled: the
//!   `xmas-elf` crate reads the ELF header and program headers, but only from a copy whose sizes,
//!   offsets and alignment have been checked, and the rules that make a file runnable are ours.
//! * [`elf::interp_layout`] does the same for the interpreter a dynamically linked program names
//!   in its `PT_INTERP` ([`elf::ElfLayout::interp`]): the loader goes right below the mmap base,
//!   as Linux's `load_elf_interp` puts it.
//! * [`stack::build`] lays out the initial user stack exactly as Linux does on x86_64 and returns
//!   the bytes together with the initial stack pointer; [`stack::parse`] reads such an image back.
//!
//! The kernel then only has to carry the plan out: create the areas, copy or map file pages, zero
//! the listed bytes, copy the stack image, and jump to the entry point with `rsp` = `sp`.
//!
//! Nothing here touches hardware, and nothing panics on any input: malformed files are reported
//! as [`elf::ExecError`] (the kernel turns every one into `ENOEXEC`), an oversized argument list
//! as [`stack::StackError`] (`E2BIG`).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(test)]
extern crate std;

pub mod elf;
pub mod stack;
