use super::*;
use alloc::vec;
use std::format;
use std::string::String;

use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// A tiny ELF64 writer: header, program headers right after it, then payload up to the furthest
// segment. Payload bytes are a non-zero pattern so that "reads as zero" is never an accident.
// ---------------------------------------------------------------------------------------------

const R: u32 = PF_R;
const RX: u32 = PF_R | PF_X;
const RW: u32 = PF_R | PF_W;
const PT_NOTE: u32 = 4;

#[derive(Clone, Copy, Debug)]
struct Ph {
    p_type: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
    Ph {
        p_type: PT_LOAD,
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
        align: PAGE_SIZE,
    }
}

fn other(p_type: u32, flags: u32, offset: u64, vaddr: u64, size: u64) -> Ph {
    Ph {
        p_type,
        flags,
        offset,
        vaddr,
        filesz: size,
        memsz: size,
        align: 8,
    }
}

#[derive(Clone, Debug)]
struct Builder {
    e_type: u16,
    entry: u64,
    phdrs: Vec<Ph>,
}

impl Builder {
    fn new(e_type: u16, entry: u64) -> Self {
        Builder {
            e_type,
            entry,
            phdrs: Vec::new(),
        }
    }

    fn ph(mut self, ph: Ph) -> Self {
        self.phdrs.push(ph);
        self
    }

    fn table_size(&self) -> u64 {
        56 * self.phdrs.len() as u64
    }

    fn build(&self) -> Vec<u8> {
        let table_end = 64 + self.table_size();
        let len = self
            .phdrs
            .iter()
            .filter_map(|ph| ph.offset.checked_add(ph.filesz))
            .filter(|&end| end < 1 << 20)
            .fold(table_end, u64::max);
        let mut out: Vec<u8> = (0..len).map(|i| (i % 251) as u8 | 1).collect();
        let mut header = Vec::new();
        header.extend_from_slice(b"\x7fELF");
        header.extend_from_slice(&[ELFCLASS64, ELFDATA2LSB, EV_CURRENT, 0]);
        header.extend_from_slice(&[0; 8]);
        header.extend_from_slice(&self.e_type.to_le_bytes());
        header.extend_from_slice(&EM_X86_64.to_le_bytes());
        header.extend_from_slice(&1u32.to_le_bytes());
        header.extend_from_slice(&self.entry.to_le_bytes());
        header.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
        header.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        header.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        header.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
        header.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
        header.extend_from_slice(&(self.phdrs.len() as u16).to_le_bytes());
        header.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
        header.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
        header.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
        assert_eq!(header.len(), 64);
        for ph in &self.phdrs {
            header.extend_from_slice(&ph.p_type.to_le_bytes());
            header.extend_from_slice(&ph.flags.to_le_bytes());
            header.extend_from_slice(&ph.offset.to_le_bytes());
            header.extend_from_slice(&ph.vaddr.to_le_bytes());
            header.extend_from_slice(&ph.vaddr.to_le_bytes()); // p_paddr
            header.extend_from_slice(&ph.filesz.to_le_bytes());
            header.extend_from_slice(&ph.memsz.to_le_bytes());
            header.extend_from_slice(&ph.align.to_le_bytes());
        }
        out[..header.len()].copy_from_slice(&header);
        out
    }
}

/// Offsets of header fields, for tests that corrupt them.
const E_TYPE: usize = 16;
const E_MACHINE: usize = 18;
const E_VERSION: usize = 20;
const E_ENTRY: usize = 24;
const E_PHOFF: usize = 32;
const E_PHENTSIZE: usize = 54;
const E_PHNUM: usize = 56;

fn poke(elf: &mut [u8], at: usize, value: &[u8]) {
    elf[at..at + value.len()].copy_from_slice(value);
}

fn prot(flags: u32) -> Prot {
    Prot::from_flags(flags)
}

fn file(start: u64, end: u64, flags: u32, offset: u64) -> Area {
    Area {
        start,
        end,
        prot: prot(flags),
        backing: Backing::File { offset },
    }
}

fn anon(start: u64, end: u64, flags: u32) -> Area {
    Area {
        start,
        end,
        prot: prot(flags),
        backing: Backing::Anon,
    }
}

/// A classic static executable as GNU ld lays it out: headers and read-only data, text, then
/// data whose `.bss` starts mid-page and runs on for another page.
fn classic(e_type: u16, base: u64) -> Builder {
    Builder::new(e_type, base + 0x1000)
        .ph(other(PT_PHDR, R, 64, base + 64, 56 * 5))
        .ph(load(R, 0, base, 0x200, 0x200))
        .ph(load(RX, 0x1000, base + 0x1000, 0x123, 0x123))
        .ph(load(RW, 0x2e10, base + 0x3e10, 0x200, 0x1300))
        .ph(other(PT_GNU_STACK, RW, 0, 0, 0))
}

/// What `classic(_, base)` must give once loaded with bias `bias`.
fn classic_layout(kind: ElfKind, base: u64, bias: u64) -> ElfLayout {
    let at = |offset: u64| base + bias + offset;
    ElfLayout {
        kind,
        load_bias: bias,
        entry: at(0x1000),
        areas: vec![
            file(at(0), at(0x1000), R, 0),
            file(at(0x1000), at(0x2000), RX, 0x1000),
            // data: file offset 0x2e10 at vaddr +0x3e10, so its first page is file page 0x2000
            file(at(0x3000), at(0x5000), RW, 0x2000),
            // .bss beyond the last file page: +0x5010 .. +0x5110 rounds up to +0x6000
            anon(at(0x5000), at(0x6000), RW),
        ],
        zero_fill: vec![(at(0x4010), at(0x5000))],
        phdr_addr: at(64),
        phent: 56,
        phnum: 5,
        brk_start: at(0x6000),
        start_code: at(0x1000),
        end_code: at(0x1123),
        start_data: at(0x3e10),
        end_data: at(0x4010),
        stack_executable: false,
        interp: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Layouts of well-formed files
// ---------------------------------------------------------------------------------------------

#[test]
fn exec_text_rodata_data_bss() {
    let elf = classic(ET_EXEC, 0x40_0000).build();
    assert_eq!(
        layout(&elf, ELF_ET_DYN_BASE),
        Ok(classic_layout(ElfKind::Exec, 0x40_0000, 0))
    );
}

#[test]
fn dyn_base_is_ignored_for_exec() {
    let elf = classic(ET_EXEC, 0x40_0000).build();
    assert_eq!(layout(&elf, 0), layout(&elf, ELF_ET_DYN_BASE));
}

#[test]
fn elf_et_dyn_base_is_linuxs() {
    assert_eq!(ELF_ET_DYN_BASE, 0x5555_5555_4000);
}

#[test]
fn static_pie_is_moved_by_the_load_bias() {
    let elf = classic(ET_DYN, 0).build();
    assert_eq!(
        layout(&elf, ELF_ET_DYN_BASE),
        Ok(classic_layout(ElfKind::Dyn, 0, ELF_ET_DYN_BASE))
    );
    // Any page-aligned base works the same way.
    assert_eq!(
        layout(&elf, 0x1000_0000),
        Ok(classic_layout(ElfKind::Dyn, 0, 0x1000_0000))
    );
}

#[test]
fn dyn_base_is_rounded_down_to_a_page() {
    let elf = classic(ET_DYN, 0).build();
    assert_eq!(
        layout(&elf, 0x1000_0abc),
        Ok(classic_layout(ElfKind::Dyn, 0, 0x1000_0000))
    );
}

#[test]
fn dyn_linked_above_zero_keeps_its_shape() {
    // Linked at 0x20_0000 but loaded at the base: the bias is base - 0x20_0000.
    let elf = classic(ET_DYN, 0x20_0000).build();
    let l = layout(&elf, 0x1000_0000).unwrap();
    assert_eq!(l.load_bias, 0x1000_0000 - 0x20_0000);
    assert_eq!(l, classic_layout(ElfKind::Dyn, 0x20_0000, l.load_bias));
    // Loaded below its link address: the bias "wraps", addresses are still right.
    let l = layout(&elf, 0x10_0000).unwrap();
    assert_eq!(l.load_bias, 0x10_0000u64.wrapping_sub(0x20_0000));
    assert_eq!(l.areas[0].start, 0x10_0000);
    assert_eq!(l.entry, 0x10_1000);
}

#[test]
fn dyn_base_is_aligned_to_the_largest_p_align() {
    let mut b = classic(ET_DYN, 0);
    for ph in &mut b.phdrs {
        if ph.p_type == PT_LOAD {
            ph.align = 0x20_0000;
        }
    }
    // A non-power-of-two p_align is ignored, as in Linux's maximum_alignment().
    b.phdrs[1].align = 0x30_0000;
    let l = layout(&b.build(), ELF_ET_DYN_BASE).unwrap();
    assert_eq!(l.load_bias, 0x5555_5540_0000);
    assert_eq!(l.areas[0].start, 0x5555_5540_0000);
}

#[test]
fn dyn_first_segment_not_page_aligned_follows_linuxs_formula() {
    // load_bias = ELF_PAGESTART(base - p_vaddr): with p_vaddr = 0x40 that is one page below
    // base, so the segment's first page lands at base - 0x1000, not at base.
    let elf = Builder::new(ET_DYN, 0x80)
        .ph(load(RX, 0x40, 0x40, 0x200, 0x200))
        .build();
    let l = layout(&elf, 0x10_0000).unwrap();
    assert_eq!(l.load_bias, 0xf_f000);
    assert_eq!(l.areas, vec![file(0xf_f000, 0x10_0000, RX, 0)]);
    assert_eq!(l.entry, 0xf_f080);
    assert_eq!(l.phdr_addr, 0xf_f040);
}

#[test]
fn phdr_found_in_the_covering_load_without_pt_phdr() {
    let mut b = classic(ET_EXEC, 0x40_0000);
    b.phdrs.remove(0);
    let l = layout(&b.build(), 0).unwrap();
    assert_eq!(l.phdr_addr, 0x40_0040);
    assert_eq!(l.phnum, 4);
}

#[test]
fn pt_phdr_wins_over_the_covering_load() {
    let mut b = classic(ET_EXEC, 0x40_0000);
    b.phdrs[0].vaddr = 0x40_0100;
    assert_eq!(layout(&b.build(), 0).unwrap().phdr_addr, 0x40_0100);
}

#[test]
fn phdr_not_in_memory_is_rejected() {
    // No PT_PHDR, and the table (file offset 64) is not in any segment's file bytes.
    let elf = Builder::new(ET_EXEC, 0x40_1000)
        .ph(load(RX, 0x1000, 0x40_1000, 0x100, 0x100))
        .build();
    assert_eq!(layout(&elf, 0), Err(ExecError::BadPhdrTable));
}

#[test]
fn bss_only_segment_is_all_anonymous() {
    // p_offset does not matter without file contents (it is not even congruent here).
    let elf = classic(ET_EXEC, 0x40_0000)
        .ph(load(RW, 0, 0x40_7100, 0, 0x2500))
        .build();
    let l = layout(&elf, 0).unwrap();
    assert_eq!(l.areas.last(), Some(&anon(0x40_7000, 0x40_a000, RW)));
    assert_eq!(l.zero_fill, vec![(0x40_4010, 0x40_5000)]); // only the data segment's
    assert_eq!(l.brk_start, 0x40_a000);
    assert_eq!(l.end_data, 0x40_7100); // p_vaddr + p_filesz, maximum over all segments
    assert_eq!(l.start_data, 0x40_7100);
}

#[test]
fn bss_within_the_last_file_page_needs_no_anonymous_area() {
    let elf = classic(ET_EXEC, 0x40_0000).build();
    let mut b = classic(ET_EXEC, 0x40_0000);
    b.phdrs[3].memsz = 0x300; // ends at 0x404110, inside the last file page
    let l = layout(&b.build(), 0).unwrap();
    assert_eq!(
        l.areas.last(),
        Some(&file(0x40_3000, 0x40_5000, RW, 0x2000))
    );
    // padzero clears to the end of the page, past p_memsz.
    assert_eq!(l.zero_fill, vec![(0x40_4010, 0x40_5000)]);
    assert_eq!(l.brk_start, 0x40_5000);
    assert_ne!(layout(&elf, 0).unwrap().brk_start, l.brk_start);
}

#[test]
fn file_part_ending_on_a_page_boundary_needs_no_zeroing() {
    let elf = Builder::new(ET_EXEC, 0x40_0000)
        .ph(load(RX, 0, 0x40_0000, 0x1000, 0x1000))
        .ph(load(RW, 0x1000, 0x40_1000, 0x1000, 0x3000))
        .build();
    let l = layout(&elf, 0).unwrap();
    assert_eq!(
        l.areas,
        vec![
            file(0x40_0000, 0x40_1000, RX, 0),
            file(0x40_1000, 0x40_2000, RW, 0x1000),
            anon(0x40_2000, 0x40_4000, RW),
        ]
    );
    assert!(l.zero_fill.is_empty());
}

#[test]
fn no_bss_means_no_zeroing_even_mid_page() {
    let mut b = classic(ET_EXEC, 0x40_0000);
    b.phdrs[3].memsz = b.phdrs[3].filesz;
    let l = layout(&b.build(), 0).unwrap();
    assert!(l.zero_fill.is_empty());
    assert_eq!(l.areas.len(), 3);
    assert_eq!(l.brk_start, 0x40_5000);
}

#[test]
fn shared_page_goes_to_the_later_segment() {
    // Text 0x401000..0x402100, data starting at 0x402100 in the same file page: the page at
    // 0x402000 is mapped by both, and the data mapping replaces the text's.
    let elf = Builder::new(ET_EXEC, 0x40_1000)
        .ph(load(RX, 0, 0x40_0000, 0x2100, 0x2100))
        .ph(load(RW, 0x2100, 0x40_2100, 0x80, 0x1000))
        .build();
    let l = layout(&elf, 0).unwrap();
    assert_eq!(
        l.areas,
        vec![
            file(0x40_0000, 0x40_2000, RX, 0),
            file(0x40_2000, 0x40_3000, RW, 0x2000),
            anon(0x40_3000, 0x40_4000, RW),
        ]
    );
    assert_eq!(l.zero_fill, vec![(0x40_2180, 0x40_3000)]);
    assert_eq!(l.end_code, 0x40_2100);
}

#[test]
fn shared_single_page_segment_disappears_with_its_zero_fill() {
    // The first segment is one page with a small .bss; the second starts in that very page.
    let elf = Builder::new(ET_EXEC, 0x40_0000)
        .ph(load(RX, 0, 0x40_0000, 0x100, 0x180))
        .ph(load(RW, 0x800, 0x40_0800, 0x100, 0x100))
        .build();
    let l = layout(&elf, 0).unwrap();
    assert_eq!(l.areas, vec![file(0x40_0000, 0x40_1000, RW, 0)]);
    assert!(l.zero_fill.is_empty());
    // The bounds still count both segments, as Linux's loop does.
    assert_eq!((l.start_code, l.end_code), (0x40_0000, 0x40_0100));
}

#[test]
fn shared_page_may_be_the_previous_bss_page() {
    let elf = Builder::new(ET_EXEC, 0x40_0000)
        .ph(load(RW, 0, 0x40_0000, 0x100, 0x1100))
        .ph(load(RW, 0x1800, 0x40_1800, 0x100, 0x100))
        .build();
    let l = layout(&elf, 0).unwrap();
    assert_eq!(
        l.areas,
        vec![
            file(0x40_0000, 0x40_1000, RW, 0),
            file(0x40_1000, 0x40_2000, RW, 0x1000),
        ]
    );
    assert_eq!(l.zero_fill, vec![(0x40_0100, 0x40_1000)]);
}

#[test]
fn empty_load_segments_map_nothing_but_count_for_the_bounds() {
    let elf = classic(ET_EXEC, 0x40_0000)
        .ph(load(RX, 0, 0x50_0000, 0, 0))
        .build();
    let l = layout(&elf, 0).unwrap();
    assert_eq!(l.areas, classic_layout(ElfKind::Exec, 0x40_0000, 0).areas);
    assert_eq!(l.start_data, 0x50_0000);
    assert_eq!(l.end_code, 0x50_0000);
    assert_eq!(l.brk_start, 0x50_0000);
}

#[test]
fn without_executable_segment_code_bounds_are_linuxs_initial_values() {
    let elf = Builder::new(ET_EXEC, 0x40_0000)
        .ph(load(RW, 0, 0x40_0000, 0x100, 0x100))
        .build();
    let l = layout(&elf, 0).unwrap();
    assert_eq!((l.start_code, l.end_code), (u64::MAX, 0));
    let elf = Builder::new(ET_DYN, 0)
        .ph(load(RW, 0, 0, 0x100, 0x100))
        .build();
    let l = layout(&elf, 0x1000_0000).unwrap();
    assert_eq!((l.start_code, l.end_code), (0x0fff_ffff, 0x1000_0000));
}

#[test]
fn gnu_stack_decides_stack_executability() {
    let mut b = classic(ET_EXEC, 0x40_0000);
    assert!(!layout(&b.build(), 0).unwrap().stack_executable);
    b.phdrs[4].flags = RW | PF_X;
    assert!(layout(&b.build(), 0).unwrap().stack_executable);
    // The last PT_GNU_STACK wins.
    b = b.ph(other(PT_GNU_STACK, RW, 0, 0, 0));
    assert!(!layout(&b.build(), 0).unwrap().stack_executable);
    // No PT_GNU_STACK: non-executable on x86_64.
    b.phdrs.retain(|ph| ph.p_type != PT_GNU_STACK);
    assert!(!layout(&b.build(), 0).unwrap().stack_executable);
}

#[test]
fn prot_follows_p_flags() {
    let l = layout(&classic(ET_EXEC, 0x40_0000).build(), 0).unwrap();
    let prots: Vec<Prot> = l.areas.iter().map(|a| a.prot).collect();
    let r = Prot {
        read: true,
        write: false,
        exec: false,
    };
    let rx = Prot { exec: true, ..r };
    let rw = Prot { write: true, ..r };
    assert_eq!(prots, vec![r, rx, rw, rw]);
}

#[test]
fn segment_reaching_exactly_task_size_is_fine() {
    let elf = Builder::new(ET_EXEC, TASK_SIZE - 0x1000)
        .ph(load(RX, 0, TASK_SIZE - 0x1000, 0x100, 0x1000))
        .build();
    let l = layout(&elf, 0).unwrap();
    assert_eq!(l.brk_start, TASK_SIZE);
}

// ---------------------------------------------------------------------------------------------
// Every error
// ---------------------------------------------------------------------------------------------

fn err(elf: &[u8]) -> ExecError {
    layout(elf, ELF_ET_DYN_BASE).unwrap_err()
}

#[test]
fn too_short() {
    let elf = classic(ET_EXEC, 0x40_0000).build();
    assert_eq!(err(&[]), ExecError::TooShort);
    assert_eq!(err(&elf[..3]), ExecError::TooShort);
    assert_eq!(err(&elf[..63]), ExecError::TooShort);
}

#[test]
fn not_elf() {
    assert_eq!(err(b"#!/bin/sh\necho hello\n"), ExecError::NotElf);
    assert_eq!(err(b"MZ"), ExecError::NotElf);
    assert_eq!(err(&[0; 100]), ExecError::NotElf);
}

#[test]
fn header_identification_errors() {
    let good = classic(ET_EXEC, 0x40_0000).build();
    let with = |at: usize, value: &[u8]| {
        let mut elf = good.clone();
        poke(&mut elf, at, value);
        err(&elf)
    };
    assert_eq!(with(EI_CLASS, &[1]), ExecError::Not64Bit);
    assert_eq!(with(EI_DATA, &[2]), ExecError::NotLittleEndian);
    assert_eq!(with(EI_VERSION, &[0]), ExecError::BadVersion);
    assert_eq!(with(E_VERSION, &2u32.to_le_bytes()), ExecError::BadVersion);
    assert_eq!(with(E_MACHINE, &3u16.to_le_bytes()), ExecError::NotX86_64); // EM_386
    assert_eq!(with(E_TYPE, &1u16.to_le_bytes()), ExecError::NotExecutable); // ET_REL
    assert_eq!(with(E_TYPE, &4u16.to_le_bytes()), ExecError::NotExecutable); // ET_CORE
}

/// A PIE as gcc links it: `PT_INTERP` right after the program headers, naming the loader.
fn pie_with_interp(path: &[u8]) -> Builder {
    let mut b = classic(ET_DYN, 0);
    b.phdrs
        .insert(1, other(PT_INTERP, R, 0x1c0, 0x1c0, path.len() as u64));
    b
}

fn with_interp_bytes(path: &[u8]) -> Vec<u8> {
    let mut elf = pie_with_interp(path).build();
    poke(&mut elf, 0x1c0, path);
    elf
}

#[test]
fn interp_path_is_returned_and_pie_goes_to_elf_et_dyn_base() {
    let elf = with_interp_bytes(b"/lib64/ld-linux-x86-64.so.2\0");
    let l = layout(&elf, ELF_ET_DYN_BASE).unwrap();
    assert_eq!(
        l.interp.as_deref(),
        Some(&b"/lib64/ld-linux-x86-64.so.2"[..])
    );
    assert_eq!(l.load_bias, 0x5555_5555_4000);
    assert_eq!(l.entry, 0x5555_5555_5000);
    // The program's own bookkeeping, as without an interpreter.
    let mut want = classic_layout(ElfKind::Dyn, 0, 0x5555_5555_4000);
    want.phnum = 6;
    want.interp = l.interp.clone();
    assert_eq!(l, want);
}

/// Where execve puts a program: a static-pie (ET_DYN without PT_INTERP) below the mmap base like
/// an interpreter, its heap at ELF_ET_DYN_BASE; everything else as `layout` says.
#[test]
fn program_without_interpreter_is_placed_as_a_loader() {
    const TOP: u64 = 0x7fff_f7ff_f000;
    let elf = classic(ET_DYN, 0).build();
    let l = program_layout(&elf, ELF_ET_DYN_BASE, TOP).unwrap();
    let below = interp_layout(&elf, TOP).unwrap();
    assert_eq!(
        (&l.areas, l.load_bias, l.entry),
        (&below.areas, below.load_bias, below.entry)
    );
    assert_eq!(l.areas.last().unwrap().end, TOP);
    assert_eq!(l.brk_start, 0x5555_5555_5000);
    assert_eq!(LOADER_BRK_START, 0x5555_5555_5000);
    let exec = classic(ET_EXEC, 0x40_0000).build();
    assert_eq!(
        program_layout(&exec, ELF_ET_DYN_BASE, TOP),
        layout(&exec, ELF_ET_DYN_BASE)
    );
    let pie = with_interp_bytes(b"/lib64/ld-linux-x86-64.so.2\0");
    assert_eq!(
        program_layout(&pie, ELF_ET_DYN_BASE, TOP),
        layout(&pie, ELF_ET_DYN_BASE)
    );
}

/// Linux 6.18 aligns a loader down to its largest p_align when that is above a page.
#[test]
fn loader_is_aligned_down_to_its_largest_p_align() {
    const TOP: u64 = 0x7fff_f7ff_f000;
    let mut b = classic(ET_DYN, 0);
    for ph in &mut b.phdrs {
        if ph.p_type == PT_LOAD {
            ph.align = 0x20_0000;
        }
    }
    let elf = b.build();
    let l = program_layout(&elf, ELF_ET_DYN_BASE, TOP).unwrap();
    let unaligned = interp_layout(&elf, TOP).unwrap();
    assert_eq!(l.areas[0].start, unaligned.areas[0].start & !0x1f_ffff);
    assert!(l.areas[0].start < unaligned.areas[0].start);
    assert_eq!(
        l.areas.last().unwrap().end - l.areas[0].start,
        unaligned.areas.last().unwrap().end - unaligned.areas[0].start
    );
}

#[test]
fn interp_path_is_cut_at_the_first_nul_as_linux_reads_a_c_string() {
    let elf = with_interp_bytes(b"/lib/ld.so\0junk\0");
    assert_eq!(
        layout(&elf, 0).unwrap().interp.as_deref(),
        Some(&b"/lib/ld.so"[..])
    );
}

#[test]
fn bad_interp_paths() {
    // Not NUL-terminated.
    let elf = with_interp_bytes(b"/lib/ld.so");
    assert_eq!(err(&elf), ExecError::BadInterpreterPath);
    // Shorter than 2 bytes (just the NUL).
    let elf = with_interp_bytes(b"\0");
    assert_eq!(err(&elf), ExecError::BadInterpreterPath);
    // Longer than PATH_MAX.
    let mut long = vec![b'a'; PATH_MAX as usize];
    long.push(0);
    let elf = with_interp_bytes(&long);
    assert_eq!(err(&elf), ExecError::BadInterpreterPath);
    // Exactly PATH_MAX with its NUL is fine.
    long.truncate(PATH_MAX as usize - 1);
    long.push(0);
    assert!(layout(&with_interp_bytes(&long), 0).is_ok());
    // Outside the file.
    let mut b = classic(ET_DYN, 0);
    b.phdrs
        .insert(1, other(PT_INTERP, R, u64::MAX - 4, 0x1c0, 16));
    assert_eq!(err(&b.build()), ExecError::BadInterpreterPath);
}

#[test]
fn interpreter_goes_right_below_the_mmap_base() {
    let mmap_base = TASK_SIZE - (128 << 20);
    // An ld.so-like shared object linked at 0 whose extent is 0x6000 bytes (the .bss included).
    let elf = classic(ET_DYN, 0).build();
    let l = interp_layout(&elf, mmap_base).unwrap();
    assert_eq!(l.load_bias, mmap_base - 0x6000);
    assert_eq!(l.areas.last().unwrap().end, mmap_base);
    assert_eq!(l, classic_layout(ElfKind::Dyn, 0, mmap_base - 0x6000));
    // Not aligned to p_align, unlike a PIE: the extent decides.
    let mut b = classic(ET_DYN, 0);
    for ph in &mut b.phdrs {
        ph.align = 0x20_0000;
    }
    let l = interp_layout(&b.build(), mmap_base).unwrap();
    assert_eq!(l.load_bias, mmap_base - 0x6000);
    // Its own PT_INTERP is reported but the caller ignores it; an ET_EXEC one stays put.
    let l = interp_layout(&classic(ET_EXEC, 0x40_0000).build(), mmap_base).unwrap();
    assert_eq!(l.load_bias, 0);
    // An extent larger than the room below the base.
    assert_eq!(
        interp_layout(&elf, 0x5000),
        Err(ExecError::AddressOutOfRange)
    );
}

#[test]
fn bad_phdr_table() {
    let good = classic(ET_EXEC, 0x40_0000).build();
    let with = |at: usize, value: &[u8]| {
        let mut elf = good.clone();
        poke(&mut elf, at, value);
        err(&elf)
    };
    assert_eq!(
        with(E_PHENTSIZE, &32u16.to_le_bytes()),
        ExecError::BadPhdrTable
    );
    assert_eq!(with(E_PHNUM, &0u16.to_le_bytes()), ExecError::BadPhdrTable);
    // More than a page of headers (Linux's limit), even if the file were big enough.
    assert_eq!(with(E_PHNUM, &74u16.to_le_bytes()), ExecError::BadPhdrTable);
    assert_eq!(
        with(E_PHNUM, &u16::MAX.to_le_bytes()),
        ExecError::BadPhdrTable
    );
    // Table past the end of the file, or at an offset that overflows.
    let len = good.len() as u64;
    assert_eq!(with(E_PHOFF, &len.to_le_bytes()), ExecError::BadPhdrTable);
    assert_eq!(
        with(E_PHOFF, &(len - 55).to_le_bytes()),
        ExecError::BadPhdrTable
    );
    assert_eq!(
        with(E_PHOFF, &u64::MAX.to_le_bytes()),
        ExecError::BadPhdrTable
    );
    // A table of 73 entries, exactly a page, is accepted.
    let mut b = classic(ET_EXEC, 0x40_0000);
    while b.phdrs.len() < 73 {
        b = b.ph(other(PT_NOTE, R, 0, 0, 0));
    }
    assert!(layout(&b.build(), 0).is_ok());
}

#[test]
fn no_load_segments() {
    let elf = Builder::new(ET_EXEC, 0x40_0000)
        .ph(other(PT_GNU_STACK, RW, 0, 0, 0))
        .build();
    assert_eq!(err(&elf), ExecError::NoLoadSegments);
    let elf = Builder::new(ET_EXEC, 0x40_0000)
        .ph(load(RX, 0, 0x40_0000, 0, 0))
        .build();
    assert_eq!(err(&elf), ExecError::NoLoadSegments);
}

#[test]
fn bad_segments() {
    let with = |ph: Ph| {
        let elf = classic(ET_EXEC, 0x40_0000).ph(ph).build();
        match err(&elf) {
            ExecError::BadSegment { index: 5, why } => why,
            other => panic!("{ph:?}: {other:?}"),
        }
    };
    let why = with(load(RW, 0x3000, 0x50_0000, 0x200, 0x100));
    assert!(why.contains("p_filesz"), "{why}");
    let why = with(load(RW, 0x3000, 0x50_0010, 0x100, 0x100));
    assert!(why.contains("modulo"), "{why}");
    // p_offset + p_filesz beyond the file: the builder only pads up to 1 MiB.
    let why = with(load(RW, 0x20_0000, 0x50_0000, 0x10_0000, 0x10_0000));
    assert!(why.contains("end of the file"), "{why}");
    let why = with(load(RW, u64::MAX - 0xfff, 0x50_0000, 0x2000, 0x2000));
    assert!(why.contains("end of the file"), "{why}");
    let why = with(load(RW, 0, 0x40_0000, 0, 0x100));
    assert!(why.contains("ascending"), "{why}");
}

#[test]
fn overlap() {
    let elf = classic(ET_EXEC, 0x40_0000)
        .ph(load(RW, 0x3000, 0x40_4000, 0x100, 0x100))
        .build();
    assert_eq!(err(&elf), ExecError::Overlap);
    // One page into the previous segment's last-but-one page.
    let elf = Builder::new(ET_EXEC, 0x40_0000)
        .ph(load(RX, 0, 0x40_0000, 0x2100, 0x2100))
        .ph(load(RW, 0x1100, 0x40_1100, 0x80, 0x80))
        .build();
    assert_eq!(err(&elf), ExecError::Overlap);
}

#[test]
fn address_out_of_range() {
    let with = |ph: Ph| err(&classic(ET_EXEC, 0x40_0000).ph(ph).build());
    assert_eq!(
        with(load(RW, 0x3000, TASK_SIZE, 0, 0x1000)),
        ExecError::AddressOutOfRange
    );
    assert_eq!(
        with(load(RW, 0x3000, TASK_SIZE - 0x1000, 0x100, 0x1001)),
        ExecError::AddressOutOfRange
    );
    assert_eq!(
        with(load(RW, 0x3000, 0x50_0000, 0, u64::MAX)),
        ExecError::AddressOutOfRange
    );
    // Entry point outside the address space.
    let mut elf = classic(ET_EXEC, 0x40_0000).build();
    poke(&mut elf, E_ENTRY, &TASK_SIZE.to_le_bytes());
    assert_eq!(err(&elf), ExecError::AddressOutOfRange);
    // A static-pie placed so high that it does not fit.
    let elf = classic(ET_DYN, 0).build();
    assert_eq!(
        layout(&elf, TASK_SIZE - 0x5000),
        Err(ExecError::AddressOutOfRange)
    );
    assert!(layout(&elf, TASK_SIZE - 0x6000).is_ok());
    // A static-pie whose entry point lies below its image.
    let mut elf = classic(ET_DYN, 0x10_0000).build();
    poke(&mut elf, E_ENTRY, &0x1000u64.to_le_bytes());
    assert_eq!(err(&elf), ExecError::AddressOutOfRange);
    // ELF_PAGESTART(base - p_vaddr) below zero.
    let elf = Builder::new(ET_DYN, 0x80)
        .ph(load(RX, 0x40, 0x40, 0x200, 0x200))
        .build();
    assert_eq!(layout(&elf, 0), Err(ExecError::AddressOutOfRange));
}

#[test]
fn errors_display_as_one_line() {
    let all = [
        ExecError::TooShort,
        ExecError::NotElf,
        ExecError::Not64Bit,
        ExecError::NotLittleEndian,
        ExecError::NotX86_64,
        ExecError::BadVersion,
        ExecError::NotExecutable,
        ExecError::BadInterpreterPath,
        ExecError::BadPhdrTable,
        ExecError::NoLoadSegments,
        ExecError::BadSegment {
            index: 3,
            why: "p_filesz is larger than p_memsz",
        },
        ExecError::Overlap,
        ExecError::AddressOutOfRange,
    ];
    for e in all {
        let text = format!("{e}");
        assert!(!text.is_empty() && !text.contains('\n'), "{e:?}: {text:?}");
    }
    assert_eq!(
        format!("{}", all[10]),
        "ELF program header 3: p_filesz is larger than p_memsz"
    );
}

// ---------------------------------------------------------------------------------------------
// Real binaries from the host's gcc
// ---------------------------------------------------------------------------------------------

const PROGRAM: &str = r#"
int counter = 42;                 /* .data */
char scratch[20000];              /* .bss, several pages */
const char message[] = "hello";   /* .rodata */

void _start(void) {
    scratch[counter] = message[1];
    __asm__ volatile("mov $60, %%eax\n\txor %%edi, %%edi\n\tsyscall"
                     ::: "rax", "rdi", "rcx", "r11", "memory");
    for (;;) {}
}
"#;

/// One `LOAD`/`PHDR`/`GNU_STACK` line of `readelf -lW`.
#[derive(Debug, PartialEq)]
struct ReadelfPh {
    kind: String,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    flags: String,
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

/// `readelf -hlW`: the type, the entry point and the program headers.
fn readelf(path: &std::path::Path) -> Option<(String, u64, Vec<ReadelfPh>)> {
    let out = std::process::Command::new("readelf")
        .arg("-hlW")
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut e_type = None;
    let mut entry = None;
    let mut phdrs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Type:") {
            e_type = rest.split_whitespace().next().map(String::from);
        } else if let Some(rest) = line.strip_prefix("Entry point address:") {
            entry = Some(hex(rest.trim()));
        } else if ["LOAD ", "PHDR ", "GNU_STACK "]
            .iter()
            .any(|p| line.starts_with(p))
        {
            // Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg(may contain spaces) Align
            let f: Vec<&str> = line.split_whitespace().collect();
            phdrs.push(ReadelfPh {
                kind: f[0].into(),
                offset: hex(f[1]),
                vaddr: hex(f[2]),
                filesz: hex(f[4]),
                memsz: hex(f[5]),
                flags: f[6..f.len() - 1].concat(),
            });
        }
    }
    Some((e_type?, entry?, phdrs))
}

/// Compiles `PROGRAM` with `gcc -static -nostdlib` plus `extra` flags; `None` (with a note on
/// stderr) if gcc is missing or cannot build it.
fn compile(name: &str, extra: &[&str]) -> Option<(Vec<u8>, std::path::PathBuf)> {
    if !std::path::Path::new("/usr/bin/gcc").exists() {
        std::eprintln!("note: /usr/bin/gcc not found, skipping the real-binary test");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("exec-elf-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let source = dir.join("prog.c");
    let binary = dir.join("prog");
    std::fs::write(&source, PROGRAM).ok()?;
    let status = std::process::Command::new("/usr/bin/gcc")
        .args(["-static", "-nostdlib", "-O1", "-fno-stack-protector"])
        .args(extra)
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        std::eprintln!("note: gcc {extra:?} could not build the test program, skipping");
        return None;
    }
    Some((std::fs::read(&binary).ok()?, dir))
}

fn check_real_binary(name: &str, extra: &[&str], want_type: &str) {
    let Some((elf, dir)) = compile(name, extra) else {
        return;
    };
    let base = 0x1000_0000;
    let l = layout(&elf, base).unwrap_or_else(|e| panic!("{name}: {e}"));
    check_invariants(&elf, &l);

    // An independent parser agrees on the program headers.
    let x = xmas_elf::ElfFile::new(&elf).unwrap();
    let x_loads: Vec<(u64, u64, u64, u64)> = x
        .program_iter()
        .filter(|ph| ph.get_type() == Ok(xmas_elf::program::Type::Load))
        .map(|ph| {
            (
                ph.offset(),
                ph.virtual_addr(),
                ph.file_size(),
                ph.mem_size(),
            )
        })
        .collect();
    assert_eq!(l.phnum, x.header.pt2.ph_count());

    let Some((e_type, entry, phdrs)) = readelf(&dir.join("prog")) else {
        std::eprintln!("note: readelf not usable, checked {name} with xmas-elf only");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(e_type, want_type, "{name}");
    let bias = if want_type == "EXEC" { 0 } else { base };
    assert_eq!(l.load_bias, bias);
    assert_eq!(l.entry, entry + bias);

    let loads: Vec<&ReadelfPh> = phdrs.iter().filter(|p| p.kind == "LOAD").collect();
    let r_loads: Vec<(u64, u64, u64, u64)> = loads
        .iter()
        .map(|p| (p.offset, p.vaddr, p.filesz, p.memsz))
        .collect();
    assert_eq!(r_loads, x_loads, "readelf and xmas-elf disagree");

    // Each segment's pages are mapped; the area at its first page has its protection and file
    // offset (a segment's first page always belongs to it: it wins a shared page).
    for p in &loads {
        let start = p.vaddr + bias;
        let want = Prot {
            read: p.flags.contains('R'),
            write: p.flags.contains('W'),
            exec: p.flags.contains('E'),
        };
        let first = l
            .areas
            .iter()
            .find(|a| a.start == page_down(start))
            .unwrap_or_else(|| panic!("{name}: no area for {p:?} in {:#x?}", l.areas));
        assert_eq!(first.prot, want, "{name}: {p:?}");
        if p.filesz > 0 {
            assert_eq!(
                first.backing,
                Backing::File {
                    offset: page_down(p.offset)
                }
            );
        }
        let mut page = page_down(start);
        while page < start + p.memsz {
            assert!(
                l.areas.iter().any(|a| a.start <= page && page < a.end),
                "{name}: page {page:#x} of {p:?} unmapped"
            );
            page += PAGE_SIZE;
        }
        if p.memsz > p.filesz && (start + p.filesz) % PAGE_SIZE != 0 {
            let from = start + p.filesz;
            assert!(l.zero_fill.contains(&(from, page_up(from).unwrap())));
        }
    }
    let highest = loads.iter().map(|p| p.vaddr + p.memsz).max().unwrap();
    assert_eq!(l.brk_start, page_up(highest + bias).unwrap());
    // The .bss of `scratch` (20000 bytes) is anonymous memory.
    assert!(l.areas.iter().any(|a| a.backing == Backing::Anon));

    // Entry in an executable area.
    assert!(
        l.areas
            .iter()
            .any(|a| a.prot.exec && a.start <= l.entry && l.entry < a.end)
    );
    // AT_PHDR: from PT_PHDR if there is one, else where the covering LOAD puts e_phoff.
    let phoff = x.header.pt2.ph_offset();
    let want_phdr = match phdrs.iter().find(|p| p.kind == "PHDR") {
        Some(p) => p.vaddr,
        None => {
            let p = loads
                .iter()
                .find(|p| p.offset <= phoff && phoff < p.offset + p.filesz)
                .unwrap();
            p.vaddr + (phoff - p.offset)
        }
    };
    assert_eq!(l.phdr_addr, want_phdr + bias);
    let stack = phdrs.iter().find(|p| p.kind == "GNU_STACK");
    assert_eq!(
        l.stack_executable,
        stack.is_some_and(|p| p.flags.contains('E'))
    );
}

#[test]
fn gcc_static_executable() {
    check_real_binary("static", &[], "EXEC");
}

#[test]
fn gcc_static_pie() {
    check_real_binary("static-pie", &["-static-pie", "-fPIE"], "DYN");
}

/// Linked for 512-byte pages, text and data share the first 4 KiB page. On Linux this program
/// dies with SIGSEGV at its first instruction: the data segment's `MAP_FIXED` mapping replaces
/// the shared page with a read-write, non-executable one, and `_start` is in it. The layout says
/// exactly that.
#[test]
fn gcc_shared_page_goes_to_the_later_segment() {
    let flags = ["-Wl,-z,noseparate-code,-z,max-page-size=0x200,-z,common-page-size=0x200"];
    let Some((elf, dir)) = compile("small-pages", &flags) else {
        return;
    };
    let _ = std::fs::remove_dir_all(&dir);
    let l = layout(&elf, 0).unwrap();
    check_invariants(&elf, &l);
    let x = xmas_elf::ElfFile::new(&elf).unwrap();
    let loads: Vec<_> = x
        .program_iter()
        .filter(|ph| ph.get_type() == Ok(xmas_elf::program::Type::Load))
        .collect();
    assert_eq!(loads.len(), 2, "ld laid this out differently than expected");
    assert_eq!(
        page_down(loads[0].virtual_addr()),
        page_down(loads[1].virtual_addr())
    );
    let entry_area = l
        .areas
        .iter()
        .find(|a| a.start <= l.entry && l.entry < a.end)
        .unwrap();
    assert_eq!(entry_area.prot, prot(RW));
    assert_eq!(l.start_code, loads[0].virtual_addr());
}

// ---------------------------------------------------------------------------------------------
// Alignment: xmas-elf reads its structs in place and asserts that they are aligned, so it only
// ever reads an aligned copy; the file may lie anywhere in memory and its table at any offset.
// ---------------------------------------------------------------------------------------------

/// `elf` copied to an address `skew` bytes past an 8-byte boundary, and read there.
fn layout_skewed(elf: &[u8], skew: usize, base: u64) -> Result<ElfLayout, ExecError> {
    let mut buffer = vec![0u8; elf.len() + 16];
    let start = buffer.as_ptr().align_offset(8) + skew;
    buffer[start..start + elf.len()].copy_from_slice(elf);
    layout(&buffer[start..start + elf.len()], base)
}

#[test]
fn misaligned_file_reads_the_same() {
    for elf in seeds() {
        let want = layout(&elf, ELF_ET_DYN_BASE);
        assert!(want.is_ok());
        for skew in 1..8 {
            assert_eq!(
                layout_skewed(&elf, skew, ELF_ET_DYN_BASE),
                want,
                "skew {skew}"
            );
        }
    }
}

#[test]
fn program_header_table_at_an_odd_offset() {
    // Linux reads the table wherever e_phoff says; here it is moved to an odd offset between the
    // first two segments (PT_PHDR still gives its address in memory).
    let mut elf = classic(ET_EXEC, 0x40_0000).build();
    let table = elf[64..64 + 5 * 56].to_vec();
    poke(&mut elf, 0x301, &table);
    poke(&mut elf, E_PHOFF, &0x301u64.to_le_bytes());
    assert_eq!(
        layout(&elf, 0),
        Ok(classic_layout(ElfKind::Exec, 0x40_0000, 0))
    );
}

// ---------------------------------------------------------------------------------------------
// Never panic, and every Ok layout is self-consistent
// ---------------------------------------------------------------------------------------------

fn check_invariants(elf: &[u8], l: &ElfLayout) {
    assert!(!l.areas.is_empty());
    for a in &l.areas {
        assert!(a.start < a.end, "{a:x?}");
        assert_eq!(a.start % PAGE_SIZE, 0);
        assert_eq!(a.end % PAGE_SIZE, 0);
        assert!(a.end <= TASK_SIZE);
        if let Backing::File { offset } = a.backing {
            assert_eq!(offset % PAGE_SIZE, 0);
            assert!(offset <= elf.len() as u64);
        }
    }
    for pair in l.areas.windows(2) {
        assert!(pair[0].end <= pair[1].start, "{pair:x?}");
    }
    for &(from, to) in &l.zero_fill {
        assert!(from < to && to % PAGE_SIZE == 0 && to - from < PAGE_SIZE);
        assert!(l.areas.iter().any(|a| {
            matches!(a.backing, Backing::File { .. }) && a.start <= from && to <= a.end
        }));
    }
    for pair in l.zero_fill.windows(2) {
        assert!(pair[0].1 <= pair[1].0);
    }
    assert!(l.entry < TASK_SIZE);
    assert!(l.phdr_addr < TASK_SIZE);
    assert_eq!(l.phent, 56);
    assert_eq!(l.brk_start % PAGE_SIZE, 0);
    assert!(l.areas.iter().all(|a| a.end <= l.brk_start));
    assert!(l.brk_start <= TASK_SIZE);
}

/// Offsets and sizes of every field the loader reads, in the header and in the first program
/// headers of a `classic` image.
fn fields() -> Vec<(usize, usize)> {
    let mut f = vec![
        (4, 1),
        (5, 1),
        (6, 1),
        (E_TYPE, 2),
        (E_MACHINE, 2),
        (E_VERSION, 4),
        (E_ENTRY, 8),
        (E_PHOFF, 8),
        (E_PHENTSIZE, 2),
        (E_PHNUM, 2),
    ];
    for i in 0..5 {
        let ph = 64 + 56 * i;
        f.extend([(ph, 4), (ph + 4, 4)]);
        f.extend((8..56).step_by(8).map(|o| (ph + o, 8)));
    }
    f
}

/// A value that is often interesting for a field: small, near a page or TASK_SIZE, or random.
fn interesting_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..0x10,
        (0u64..0x100).prop_map(|p| p * PAGE_SIZE),
        (0u64..0x100, 0u64..PAGE_SIZE).prop_map(|(p, o)| 0x40_0000 + p * PAGE_SIZE + o),
        (0u64..0x2000).prop_map(|d| TASK_SIZE.wrapping_sub(0x1000).wrapping_add(d)),
        (0u64..0x10).prop_map(|d| u64::MAX - d),
        any::<u64>(),
    ]
}

fn seeds() -> Vec<Vec<u8>> {
    let mut no_phdr = classic(ET_EXEC, 0x40_0000);
    no_phdr.phdrs.remove(0);
    vec![
        classic(ET_EXEC, 0x40_0000).build(),
        classic(ET_DYN, 0).build(),
        no_phdr.build(),
        Builder::new(ET_EXEC, 0x40_1000)
            .ph(load(RX, 0, 0x40_0000, 0x2100, 0x2100))
            .ph(load(RW, 0x2100, 0x40_2100, 0x80, 0x1000))
            .build(),
    ]
}

fn segment() -> impl Strategy<Value = Ph> {
    let p_type = prop_oneof![
        6 => Just(PT_LOAD),
        1 => Just(PT_PHDR),
        1 => Just(PT_GNU_STACK),
        1 => Just(PT_NOTE),
    ];
    (
        p_type,
        0u32..8,
        0u64..0x40,
        0u64..PAGE_SIZE,
        0u64..0x3000,
        0u64..0x6000,
        prop_oneof![Just(0u64), (0u32..24).prop_map(|s| 1u64 << s)],
        0u64..0x20,
        prop::bool::weighted(0.9),
    )
        .prop_map(
            |(p_type, flags, page, in_page, filesz, extra, align, file_page, congruent)| {
                let vaddr = 0x40_0000 + page * PAGE_SIZE + in_page;
                let in_file = if congruent { in_page } else { in_page ^ 8 };
                Ph {
                    p_type,
                    flags,
                    offset: file_page * PAGE_SIZE + in_file,
                    vaddr,
                    filesz,
                    memsz: filesz + extra,
                    align,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        base in any::<u64>(),
    ) {
        let _ = layout(&bytes, base);
        // The same bytes behind a valid ELF identification get further into the checks.
        let mut elf = classic(ET_EXEC, 0x40_0000).build()[..24].to_vec();
        elf.extend_from_slice(&bytes);
        if let Ok(l) = layout(&elf, base) {
            check_invariants(&elf, &l);
        }
    }

    #[test]
    fn mutated_elf_never_panics(
        seed in 0usize..4,
        writes in prop::collection::vec((any::<prop::sample::Index>(), interesting_u64()), 1..5),
        bytes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
        truncate in prop::bool::weighted(0.1),
        base in interesting_u64(),
    ) {
        let mut elf = seeds().swap_remove(seed);
        let fields = fields();
        for (field, value) in writes {
            let (at, size) = fields[field.index(fields.len())];
            if let Some(dst) = elf.get_mut(at..at + size) {
                dst.copy_from_slice(&value.to_le_bytes()[..size]);
            }
        }
        for (at, value) in bytes {
            let at = at.index(elf.len());
            elf[at] = value;
        }
        if truncate {
            elf.truncate(cut.index(elf.len() + 1));
        }
        if let Ok(l) = layout(&elf, base) {
            check_invariants(&elf, &l);
        }
    }

    #[test]
    fn where_the_file_lies_in_memory_does_not_matter(
        phdrs in prop::collection::vec(segment(), 1..7),
        e_type in prop_oneof![Just(ET_EXEC), Just(ET_DYN)],
        base in interesting_u64(),
        skew in 1usize..8,
        cut in any::<prop::sample::Index>(),
    ) {
        let mut b = Builder::new(e_type, 0x40_0000);
        b.phdrs = phdrs;
        let mut elf = b.build();
        elf.truncate(cut.index(elf.len() + 1).max(elf.len() / 2));
        prop_assert_eq!(layout_skewed(&elf, skew, base), layout(&elf, base));
    }

    #[test]
    fn random_segments_give_consistent_layouts(
        phdrs in prop::collection::vec(segment(), 1..7),
        e_type in prop_oneof![Just(ET_EXEC), Just(ET_DYN)],
        entry in interesting_u64(),
        base in interesting_u64(),
    ) {
        let mut b = Builder::new(e_type, entry);
        b.phdrs = phdrs;
        let elf = b.build();
        if let Ok(l) = layout(&elf, base) {
            check_invariants(&elf, &l);
            // Every PT_LOAD byte is inside some area.
            let bias = l.load_bias;
            for ph in b.phdrs.iter().filter(|ph| ph.p_type == PT_LOAD && ph.memsz > 0) {
                let start = ph.vaddr.wrapping_add(bias);
                for addr in [start, start + ph.memsz - 1] {
                    prop_assert!(l.areas.iter().any(|a| a.start <= addr && addr < a.end));
                }
            }
        }
    }
}

/// The host's own dynamic loader, placed as Linux places it: its extent ends at the mmap base
/// (under `setarch -R`, `/proc/self/maps` of any program shows `ld-linux-x86-64.so.2` ending at
/// `0x7ffff7fff000`), its entry in its executable area.
#[test]
fn host_dynamic_loader() {
    let Ok(elf) = std::fs::read("/lib64/ld-linux-x86-64.so.2") else {
        std::eprintln!("note: no /lib64/ld-linux-x86-64.so.2, skipping");
        return;
    };
    let mmap_base = 0x7fff_f7ff_f000;
    let l = interp_layout(&elf, mmap_base).unwrap();
    check_invariants(&elf, &l);
    assert_eq!(l.kind, ElfKind::Dyn);
    assert_eq!(l.areas.last().unwrap().end, mmap_base);
    assert_eq!(l.areas.first().unwrap().start, l.load_bias);
    assert!(l.interp.is_none());
    assert!(
        l.areas
            .iter()
            .any(|a| a.prot.exec && a.start <= l.entry && l.entry < a.end)
    );
}

/// A dynamically linked PIE from the host's gcc names its interpreter and goes to
/// `ELF_ET_DYN_BASE`.
#[test]
fn gcc_dynamic_pie_names_its_interpreter() {
    let Some((_, dir)) = compile("dynamic-pie", &["-fPIE"]) else {
        return;
    };
    // Relink without -static (compile() always passes it): a plain `gcc -pie`.
    let binary = dir.join("dyn");
    let ok = std::process::Command::new("/usr/bin/gcc")
        .args([
            "-pie",
            "-fPIE",
            "-nostdlib",
            "-O1",
            "-fno-stack-protector",
            "-o",
        ])
        .arg(&binary)
        .arg(dir.join("prog.c"))
        .status()
        .is_ok_and(|s| s.success());
    let elf = std::fs::read(&binary);
    let _ = std::fs::remove_dir_all(&dir);
    let Ok(elf) = elf
        .map_err(|_| ())
        .and_then(|e| if ok { Ok(e) } else { Err(()) })
    else {
        std::eprintln!("note: gcc -pie failed, skipping");
        return;
    };
    let l = layout(&elf, ELF_ET_DYN_BASE).unwrap();
    check_invariants(&elf, &l);
    assert_eq!(l.load_bias, 0x5555_5555_4000);
    assert_eq!(
        l.interp.as_deref(),
        Some(&b"/lib64/ld-linux-x86-64.so.2"[..])
    );
}
