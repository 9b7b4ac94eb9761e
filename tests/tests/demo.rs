//! The tour `make run` gives (user/src/bin/demo.rs) runs to its end, and shows what it says it
//! shows: a huge page made and split (1 GiB of memory, as `make run` gives), and the same program
//! at other addresses at each execve, or at the same ones with `norandmaps`.

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
