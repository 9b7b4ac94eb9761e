use super::*;
use alloc::vec;

use proptest::prelude::*;

const TOP: u64 = 0x7fff_ffff_f000;
const RANDOM: [u8; 16] = *b"0123456789abcdef";
const MAX: usize = 128 * 1024;

/// What the kernel typically supplies, in Linux's order.
fn kernel_auxv() -> Vec<(u64, u64)> {
    vec![
        (AT_HWCAP, 0x178b_fbff),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, 100),
        (AT_PHDR, 0x40_0040),
        (AT_PHENT, 56),
        (AT_PHNUM, 5),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, 0x40_1000),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_SECURE, 0),
        (AT_HWCAP2, 2),
    ]
}

fn build_simple(argv: &[&[u8]], envp: &[&[u8]]) -> StackImage {
    build(TOP, argv, envp, b"/bin/prog", &kernel_auxv(), RANDOM, MAX).unwrap()
}

fn word(image: &StackImage, addr: u64) -> u64 {
    u64::from_le_bytes(image.read(addr, 8).unwrap().try_into().unwrap())
}

#[test]
fn layout_matches_linux_worked_by_hand() {
    let image = build(
        TOP,
        &[b"/bin/prog", b"-x"],
        &[b"HOME=/", b"A=b"],
        b"/bin/prog",
        &[(AT_PAGESZ, 4096)],
        RANDOM,
        MAX,
    )
    .unwrap();
    // Strings from TOP - 8 down: "/bin/prog\0" (10), then "HOME=/\0" "A=b\0" (11), then
    // "/bin/prog\0" "-x\0" (13).
    assert_eq!(image.env_end, TOP - 8 - 10);
    assert_eq!(image.env_start, TOP - 8 - 10 - 11);
    assert_eq!(image.argv_start, TOP - 8 - 10 - 11 - 13); // ...efd6
    // Aligned down to ...efd0: "x86_64\0" at ...efc9, 16 random bytes at ...efb9.
    let platform = TOP - 0x30 - 7;
    let random = platform - 16;
    // Pointer block: argc, 2 + 1 argv, 2 + 1 envp = 7 words, auxv = (1 + 3 + AT_NULL) * 2 = 10
    // words: 136 bytes below ...efb9 is ...ef31, rounded down to ...ef30.
    assert_eq!(image.sp, 0x7fff_ffff_ef30);
    assert_eq!(image.sp, (random - 136) & !15);
    assert_eq!(image.bytes.len() as u64, TOP - image.sp);

    let mut at = image.sp;
    let mut next = || {
        let w = word(&image, at);
        at += 8;
        w
    };
    assert_eq!(next(), 2);
    assert_eq!(next(), image.argv_start);
    assert_eq!(next(), image.argv_start + 10);
    assert_eq!(next(), 0);
    assert_eq!(next(), image.env_start);
    assert_eq!(next(), image.env_start + 7);
    assert_eq!(next(), 0);
    let auxv: Vec<(u64, u64)> = (0..5).map(|_| (next(), next())).collect();
    assert_eq!(
        auxv,
        vec![
            (AT_PAGESZ, 4096),
            (AT_RANDOM, random),
            (AT_EXECFN, image.env_end),
            (AT_PLATFORM, platform),
            (AT_NULL, 0),
        ]
    );
    // Between the auxv and the random bytes: zeros left by the rounding.
    assert!(
        image
            .read(at, (random - at) as usize)
            .unwrap()
            .iter()
            .all(|&b| b == 0)
    );

    assert_eq!(image.read(random, 16), Some(&RANDOM[..]));
    assert_eq!(image.read(platform, 7), Some(&b"x86_64\0"[..]));
    assert_eq!(
        image.read(image.argv_start, 34),
        Some(&b"/bin/prog\0-x\0HOME=/\0A=b\0/bin/prog\0"[..])
    );
    assert_eq!(image.read(TOP - 8, 8), Some(&[0; 8][..]));
}

#[test]
fn auxv_comes_out_in_linux_order() {
    let mut scrambled = kernel_auxv();
    scrambled.reverse();
    scrambled.insert(3, (99, 7)); // a tag Linux never emits goes last
    scrambled.push((AT_MINSIGSTKSZ, 2048));
    scrambled.push((AT_SYSINFO_EHDR, 0x7fff_f7fc_1000));
    let image = build(TOP, &[b"a"], &[], b"a", &scrambled, RANDOM, MAX).unwrap();
    let tags: Vec<u64> = parse(&image, TOP)
        .unwrap()
        .auxv
        .iter()
        .map(|&(t, _)| t)
        .collect();
    assert_eq!(
        tags,
        vec![
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
            AT_EXECFN,
            AT_PLATFORM,
            99,
        ]
    );
}

#[test]
fn pointers_point_at_the_right_things() {
    let image = build_simple(&[b"prog", b"", b"third arg"], &[b"PATH=/bin", b"X="]);
    let p = parse(&image, TOP).unwrap();
    assert_eq!(p.argc, 3);
    assert_eq!(
        p.argv,
        vec![b"prog".to_vec(), vec![], b"third arg".to_vec()]
    );
    assert_eq!(p.envp, vec![b"PATH=/bin".to_vec(), b"X=".to_vec()]);
    assert_eq!(p.execfn.as_deref(), Some(&b"/bin/prog"[..]));
    assert_eq!(p.platform.as_deref(), Some(PLATFORM));
    assert_eq!(p.random, Some(RANDOM));
    assert_eq!(p.aux(AT_EXECFN), Some(image.env_end));
    assert_eq!(p.aux(AT_ENTRY), Some(0x40_1000));
    // mm->arg_start / env_start are where argv[0] and envp[0] are.
    assert_eq!(word(&image, image.sp + 8), image.argv_start);
    assert_eq!(word(&image, image.sp + 8 * 5), image.env_start);
    // Every pointer lands inside the image.
    let words = (0..image.bytes.len() as u64 / 8).map(|i| word(&image, image.sp + 8 * i));
    let pointers = words
        .skip(1)
        .take(3 + 1 + 2)
        .filter(|&w| w != 0)
        .chain([p.aux(AT_RANDOM).unwrap(), p.aux(AT_PLATFORM).unwrap()]);
    for ptr in pointers {
        assert!(image.sp <= ptr && ptr < TOP, "{ptr:#x}");
    }
}

#[test]
fn no_environment() {
    let image = build_simple(&[b"prog"], &[]);
    assert_eq!(image.env_start, image.env_end);
    let p = parse(&image, TOP).unwrap();
    assert!(p.envp.is_empty());
}

#[test]
fn empty_argv_gets_an_empty_argv0_like_linux() {
    let image = build_simple(&[], &[b"A=1"]);
    let p = parse(&image, TOP).unwrap();
    assert_eq!(p.argc, 1);
    assert_eq!(p.argv, vec![Vec::<u8>::new()]);
    assert_eq!(image.env_start, image.argv_start + 1);
}

#[test]
fn sp_is_16_aligned_for_every_parity() {
    for argc in 0..6 {
        for envc in 0..6 {
            for naux in 0..4 {
                for strlen in 0..3 {
                    let s = vec![b'x'; strlen];
                    let argv: Vec<&[u8]> = (0..argc).map(|_| &s[..]).collect();
                    let envp: Vec<&[u8]> = (0..envc).map(|_| &s[..]).collect();
                    let auxv = &kernel_auxv()[..naux];
                    let image = build(TOP, &argv, &envp, &s, auxv, RANDOM, MAX).unwrap();
                    assert_eq!(image.sp % 16, 0);
                    // Linux's STACK_ROUND, computed independently.
                    let argc = argc.max(1) as u64;
                    let items = argc + 1 + envc as u64 + 1 + 1;
                    let auxv_words = (naux as u64 + 3 + 1) * 2;
                    let random = parse(&image, TOP).unwrap().aux(AT_RANDOM).unwrap();
                    assert_eq!(image.sp, (random - 8 * (items + auxv_words)) & !15);
                }
            }
        }
    }
}

#[test]
fn unaligned_stack_top_still_gives_an_aligned_sp() {
    for top in [TOP - 1, TOP - 7, TOP - 8, TOP - 9] {
        let image = build(top, &[b"a"], &[b"b"], b"c", &[], RANDOM, MAX).unwrap();
        assert_eq!(image.sp % 16, 0);
        assert_eq!(image.env_end, top - 8 - 2);
        let p = parse(&image, top).unwrap();
        assert_eq!(p.argv, vec![b"a".to_vec()]);
    }
}

#[test]
fn too_big() {
    let exact = build_simple(&[b"prog"], &[b"A=1"]).bytes.len();
    let argv: &[&[u8]] = &[b"prog"];
    let envp: &[&[u8]] = &[b"A=1"];
    let auxv = kernel_auxv();
    let with_max =
        |max: usize| build(TOP, argv, envp, b"/bin/prog", &auxv, RANDOM, max).map(|i| i.sp);
    assert!(with_max(exact).is_ok());
    assert_eq!(with_max(exact - 1), Err(StackError::TooBig));
    assert_eq!(with_max(0), Err(StackError::TooBig));

    // One string longer than MAX_ARG_STRLEN, whatever the total limit.
    let long = vec![b'a'; MAX_ARG_STRLEN];
    let fits = vec![b'a'; MAX_ARG_STRLEN - 1];
    let run = |s: &[u8]| build(TOP, &[s], &[], b"x", &[], RANDOM, usize::MAX);
    assert_eq!(run(&long).map(|i| i.sp), Err(StackError::TooBig));
    assert!(run(&fits).is_ok());
    let run = |s: &[u8]| build(TOP, &[b"x"], &[s], b"x", &[], RANDOM, usize::MAX);
    assert_eq!(run(&long).map(|i| i.sp), Err(StackError::TooBig));
    let run = |s: &[u8]| build(TOP, &[b"x"], &[], s, &[], RANDOM, usize::MAX);
    assert_eq!(run(&long).map(|i| i.sp), Err(StackError::TooBig));

    // No room below stack_top at all: no underflow, no panic.
    for top in [0, 8, 100, 0x100] {
        let r = build(top, &[b"prog"], &[], b"prog", &auxv, RANDOM, usize::MAX);
        assert_eq!(r.map(|i| i.sp), Err(StackError::TooBig));
    }
    // Many pointers, few bytes each: fails before allocating.
    let many: Vec<&[u8]> = vec![b""; 1 << 20];
    let r = build(TOP, &many, &many, b"", &[], RANDOM, MAX);
    assert_eq!(r.map(|i| i.sp), Err(StackError::TooBig));
}

#[test]
fn reserved_auxv_tags_are_refused() {
    for tag in [AT_NULL, AT_RANDOM, AT_PLATFORM, AT_EXECFN] {
        let r = build(TOP, &[b"a"], &[], b"a", &[(tag, 1)], RANDOM, MAX);
        assert_eq!(r.map(|i| i.sp), Err(StackError::ReservedAuxEntry { tag }));
    }
}

#[test]
fn parse_rejects_damaged_images() {
    let good = build_simple(&[b"prog"], &[b"A=1"]);
    assert!(parse(&good, TOP).is_ok());
    assert!(parse(&good, TOP - 16).is_err()); // wrong size
    assert!(parse(&good, 0).is_err());
    let mut bad = good.clone();
    bad.bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes()); // huge argc
    assert!(parse(&bad, TOP).is_err());
    let mut bad = good.clone();
    bad.bytes[8..16].copy_from_slice(&TOP.to_le_bytes()); // argv[0] outside
    assert!(parse(&bad, TOP).is_err());
    let mut bad = good.clone();
    let n = bad.bytes.len();
    bad.bytes[n - 9..].fill(b'x'); // the execfn string loses its terminator
    assert!(parse(&bad, TOP).is_err());
}

#[test]
fn errors_display() {
    assert_eq!(format!("{}", StackError::TooBig), "argument list too long");
    assert!(format!("{}", StackError::ReservedAuxEntry { tag: 25 }).contains("25"));
}

use std::format;

fn string() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1u8..=255, 0..24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn build_then_parse_round_trips(
        argv in prop::collection::vec(string(), 0..12),
        envp in prop::collection::vec(string(), 0..12),
        execfn in string(),
        values in prop::collection::vec(any::<u64>(), 0..15),
        random in any::<[u8; 16]>(),
        top_page in 0x10u64..0x7_ffff_ffffu64,
    ) {
        let top = top_page * 4096;
        let argv_refs: Vec<&[u8]> = argv.iter().map(|s| &s[..]).collect();
        let envp_refs: Vec<&[u8]> = envp.iter().map(|s| &s[..]).collect();
        let auxv: Vec<(u64, u64)> = kernel_auxv()
            .iter()
            .zip(&values)
            .map(|(&(tag, _), &v)| (tag, v))
            .collect();
        let image = build(top, &argv_refs, &envp_refs, &execfn, &auxv, random, MAX).unwrap();
        prop_assert_eq!(image.sp % 16, 0);
        prop_assert_eq!(image.bytes.len() as u64, top - image.sp);
        prop_assert_eq!(image.read(top - 8, 8), Some(&[0u8; 8][..]));

        let p = parse(&image, top).unwrap();
        let want_argv = if argv.is_empty() { vec![vec![]] } else { argv.clone() };
        prop_assert_eq!(p.argc, want_argv.len() as u64);
        prop_assert_eq!(&p.argv, &want_argv);
        prop_assert_eq!(&p.envp, &envp);
        prop_assert_eq!(p.execfn.as_deref(), Some(&execfn[..]));
        prop_assert_eq!(p.platform.as_deref(), Some(PLATFORM));
        prop_assert_eq!(p.random, Some(random));
        let own: Vec<(u64, u64)> = p
            .auxv
            .iter()
            .copied()
            .filter(|&(t, _)| !matches!(t, AT_RANDOM | AT_EXECFN | AT_PLATFORM))
            .collect();
        prop_assert_eq!(own, auxv);

        // The mm bookkeeping brackets the strings exactly.
        let arg_bytes: usize = want_argv.iter().map(|s| s.len() + 1).sum();
        let env_bytes: usize = envp.iter().map(|s| s.len() + 1).sum();
        prop_assert_eq!(image.env_start - image.argv_start, arg_bytes as u64);
        prop_assert_eq!(image.env_end - image.env_start, env_bytes as u64);
        prop_assert_eq!(image.env_end, top - 8 - (execfn.len() as u64 + 1));
        prop_assert_eq!(p.aux(AT_EXECFN), Some(image.env_end));
        // Random bytes and platform string sit below the 16-aligned strings.
        prop_assert_eq!(p.aux(AT_PLATFORM), Some((image.argv_start & !15) - 7));
        prop_assert_eq!(p.aux(AT_RANDOM), Some((image.argv_start & !15) - 23));
    }

    #[test]
    fn parse_never_panics(
        sp in prop_oneof![any::<u64>(), (0u64..0x100).prop_map(|x| TOP - x * 16)],
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        top in prop_oneof![any::<u64>(), Just(TOP)],
    ) {
        let image = StackImage { sp, bytes, argv_start: 0, env_start: 0, env_end: 0 };
        let _ = parse(&image, top);
        let top = sp.wrapping_add(image.bytes.len() as u64);
        let _ = parse(&image, top);
    }

    #[test]
    fn parse_never_panics_on_damaged_real_images(
        argc in 0usize..4,
        hits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let argv: Vec<&[u8]> = (0..argc).map(|_| &b"arg"[..]).collect();
        let mut image = build_simple(&argv, &[b"A=1"]);
        for (at, value) in hits {
            let at = at.index(image.bytes.len());
            image.bytes[at] = value;
        }
        let _ = parse(&image, TOP);
    }
}
