//! The boot foundation: the kernel boots, reports memory, passes its self-tests, and every way of
//! failing (page fault, stack overflow, triple fault, hang) is reported with the right exit status.

use tests::Boot;

#[test]
fn boots_prints_memory_map_and_powers_off() {
    let out = Boot::new("").run();
    out.expect_status(0)
        .expect_console("[kernel] physical memory map:")
        .expect_console("usable")
        .expect_console("[kernel] frames: ")
        .expect_console("initramfs: /cmdline")
        .expect_console("[kernel] power off: exit status 0");
}

#[test]
fn in_kernel_self_tests_pass() {
    let out = Boot::new("ktest").run();
    println!("{}", out.console);
    out.expect_status(0).expect_console(" 0 failed");
    assert!(
        !out.console.contains("FAILED"),
        "a self-test failed:\n{}",
        out.console
    );
}

#[test]
fn kernel_page_fault_is_reported_with_its_address() {
    let out = Boot::new("crash=page-fault").run();
    out.expect_status(253)
        .expect_console("EXCEPTION: page fault (#PF, vector 14) in kernel mode")
        .expect_console("address (CR2) 0x00000deadbeef000: not-present read supervisor")
        .expect_console("RIP 0xffffffff8");
}

#[test]
fn kernel_stack_overflow_is_reported_as_such() {
    let out = Boot::new("crash=stack-overflow").run();
    out.expect_status(253)
        .expect_console("EXCEPTION: double fault (#DF, vector 8)")
        .expect_console("kernel stack overflow: 0xffffc8")
        .expect_console("is in the guard below the stack");
}

#[test]
fn triple_fault_is_reported_by_the_runner() {
    let out = Boot::new("crash=triple-fault").run();
    out.expect_status(252);
    assert!(
        out.runner.contains("triple fault"),
        "runner said: {}",
        out.runner
    );
}

#[test]
fn hang_is_ended_by_the_timeout() {
    let out = Boot::new("crash=hang").timeout(5).run();
    out.expect_status(124);
    assert!(
        out.runner.contains("timeout"),
        "runner said: {}",
        out.runner
    );
}

#[test]
fn boots_with_uefi_too() {
    let out = Boot::new("").uefi().run();
    out.expect_status(0).expect_console("[kernel] frames: ");
}
