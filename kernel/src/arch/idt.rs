//! The interrupt descriptor table: one handler per CPU exception, the timer, and spurious IRQs.
//!
//! Every exception and the timer enter through the stubs of `arch::syscall::stubs`, which save a
//! full `PtRegs` and go through `crate::entry`; what an exception means is decided in
//! [`crate::trap`]. The double fault, NMI and machine check run on their own IST stacks with
//! plain handlers here.

use x86_64::{
    VirtAddr,
    registers::control::Cr2,
    structures::idt::{Entry, InterruptDescriptorTable, InterruptStackFrame},
};

use super::{gdt, pic, syscall::stubs};
use crate::trap;

static IDT: spin::Once<InterruptDescriptorTable> = spin::Once::new();

extern "x86-interrupt" fn nmi(frame: InterruptStackFrame) {
    trap::nmi(&frame);
}

extern "x86-interrupt" fn double_fault(frame: InterruptStackFrame, code: u64) -> ! {
    trap::double_fault(&frame, code, Cr2::read_raw())
}

extern "x86-interrupt" fn machine_check(frame: InterruptStackFrame) -> ! {
    trap::machine_check(&frame)
}

extern "x86-interrupt" fn spurious_master(_frame: InterruptStackFrame) {
    // IRQ 7 with no bit in the ISR is spurious and must not be acknowledged.
    pic::spurious(7);
}

extern "x86-interrupt" fn spurious_slave(_frame: InterruptStackFrame) {
    pic::spurious(15);
}

extern "x86-interrupt" fn unexpected_irq(_frame: InterruptStackFrame) {
    log::warn!("unexpected interrupt");
    pic::end_of_interrupt(0);
}

/// Points a gate at one of the entry stubs of `arch::syscall::stubs`.
fn set_stub<F>(entry: &mut Entry<F>, stub: extern "C" fn()) {
    // SAFETY: the stub is a complete interrupt entry: it saves every register, calls the kernel
    // and returns with iretq, and it was defined with this vector's error-code convention.
    unsafe {
        entry.set_handler_addr(VirtAddr::new(stub as *const () as u64));
    }
}

/// [`set_stub`] for a gate user code may enter with `int3` or `into` (debuggers, SIGTRAP
/// handlers), as Linux's: ring 3 allowed. Any other `int n` from user mode is a #GP.
fn set_user_stub<F>(entry: &mut Entry<F>, stub: extern "C" fn()) {
    // SAFETY: as in set_stub.
    unsafe {
        entry
            .set_handler_addr(VirtAddr::new(stub as *const () as u64))
            .set_privilege_level(x86_64::PrivilegeLevel::Ring3);
    }
}

/// Builds and loads the IDT.
pub fn init() {
    let idt = IDT.call_once(|| {
        let mut idt = InterruptDescriptorTable::new();
        set_stub(&mut idt.divide_error, stubs::divide_error);
        set_stub(&mut idt.debug, stubs::debug);
        set_user_stub(&mut idt.breakpoint, stubs::breakpoint);
        set_user_stub(&mut idt.overflow, stubs::overflow);
        set_stub(&mut idt.bound_range_exceeded, stubs::bound_range);
        set_stub(&mut idt.invalid_opcode, stubs::invalid_opcode);
        set_stub(&mut idt.device_not_available, stubs::device_not_available);
        set_stub(&mut idt.invalid_tss, stubs::invalid_tss);
        set_stub(&mut idt.segment_not_present, stubs::segment_not_present);
        set_stub(&mut idt.stack_segment_fault, stubs::stack_segment_fault);
        set_stub(&mut idt.general_protection_fault, stubs::general_protection);
        set_stub(&mut idt.page_fault, stubs::page_fault);
        set_stub(&mut idt.x87_floating_point, stubs::x87_floating_point);
        set_stub(&mut idt.alignment_check, stubs::alignment_check);
        set_stub(&mut idt.simd_floating_point, stubs::simd_floating_point);
        set_stub(&mut idt.virtualization, stubs::virtualization);
        set_stub(&mut idt.cp_protection_exception, stubs::control_protection);
        set_stub(
            &mut idt.vmm_communication_exception,
            stubs::vmm_communication,
        );
        set_stub(&mut idt.security_exception, stubs::security_exception);
        // SAFETY: the IST indices name stacks that gdt::init installed in the TSS.
        unsafe {
            idt.double_fault
                .set_handler_fn(double_fault)
                .set_stack_index(gdt::DOUBLE_FAULT_IST);
            idt.non_maskable_interrupt
                .set_handler_fn(nmi)
                .set_stack_index(gdt::NMI_IST);
            idt.machine_check
                .set_handler_fn(machine_check)
                .set_stack_index(gdt::MACHINE_CHECK_IST);
        }
        for vector in pic::IRQ_BASE..=255 {
            idt[vector].set_handler_fn(unexpected_irq);
        }
        set_stub(&mut idt[pic::IRQ_BASE + pic::TIMER_IRQ], stubs::timer);
        set_stub(
            &mut idt[pic::IRQ_BASE + super::serial::COM1_IRQ],
            stubs::com1,
        );
        idt[pic::IRQ_BASE + 7].set_handler_fn(spurious_master);
        idt[pic::IRQ_BASE + 15].set_handler_fn(spurious_slave);
        idt
    });
    idt.load();
}

/// Loads an IDT with no entries and raises an exception: the CPU cannot deliver it, nor the double
/// fault that follows, and resets (a triple fault). Used to test that the runner reports it.
pub fn load_empty_and_trap() -> ! {
    static EMPTY: spin::Once<InterruptDescriptorTable> = spin::Once::new();
    x86_64::instructions::interrupts::disable();
    EMPTY.call_once(InterruptDescriptorTable::new).load();
    x86_64::instructions::interrupts::int3();
    super::halt_forever()
}
