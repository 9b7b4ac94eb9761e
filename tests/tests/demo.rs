//! The tour `make run` gives (user/src/bin/demo.rs) runs to its end, and shows what it says it
//! shows: copy-on-write after fork in /proc/self/pagemap, a huge page made and split (1 GiB of
//! memory, as `make run` gives), and the same program at other addresses at each execve, or at
//! the same ones with `norandmaps`.

use tests::{Boot, program_output, user_program};

/// The address part of the demo's ASLR lines ("pid N: stack ...").
fn layouts(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| l.split_once(": stack ").map(|(_, rest)| rest.to_string()))
        .collect()
}

fn run_demo(randomized: bool) -> String {
    let boot = Boot::new("init=/bin/demo")
        .file(user_program("demo"), "/bin/demo")
        .memory("1G");
    let out = if randomized { boot.randomized() } else { boot }.run();
    out.expect_status(0);
    let output = program_output(&out.console);
    tests::expect_lines(
        &output,
        &[
            "smaps: Rss 2048 kB, AnonHugePages 2048 kB",
            "One fault brought in 2 MiB: a huge page (AnonHugePages), 1 TLB entry.",
            "smaps: Rss 2040 kB, AnonHugePages 0 kB",
            "Done.",
        ],
    );
    output
}

/// The frame the demo's copy-on-write line for `who` names, and whether it says "alone".
fn frame(output: &str, who: &str) -> (String, bool) {
    let line = output
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{who}: frame ")))
        .unwrap_or_else(|| panic!("no line for {who:?} in:\n{output}"));
    let rest = line.split_once(": frame ").unwrap().1;
    let (frame, how) = rest.split_once(", ").unwrap();
    (frame.to_string(), how.contains("alone"))
}

/// The copy-on-write part: the child shares the parent's frame after fork, its write gives it a
/// copy, and the parent, alone again, writes in place.
#[test]
fn the_demo_shows_copy_on_write_and_sole_owner_reuse() {
    let output = run_demo(false);
    let (first, alone) = frame(&output, "parent, a page it wrote");
    assert!(alone, "{output}");
    assert_eq!(
        frame(&output, "child, just after fork"),
        (first.clone(), false)
    );
    let (copy, alone) = frame(&output, "child, after writing");
    assert!(alone && copy != first, "{output}");
    assert_eq!(
        frame(&output, "parent, after the child's copy"),
        (first.clone(), true)
    );
    assert_eq!(frame(&output, "parent, after writing"), (first, true));
}

#[test]
fn the_demo_shows_a_huge_page_and_aslr() {
    let output = run_demo(true);
    let seen = layouts(&output);
    assert_eq!(seen.len(), 2, "{output}");
    assert_ne!(
        seen[0], seen[1],
        "the same layout twice with randomization on"
    );
}

#[test]
fn the_demo_without_randomization_has_one_layout() {
    let output = run_demo(false);
    let seen = layouts(&output);
    assert_eq!(seen.len(), 2, "{output}");
    assert_eq!(seen[0], seen[1], "layouts differ with norandmaps");
}
