//! The interrupt descriptor table: one handler per CPU exception, the timer, and spurious IRQs.
//!
//! Every exception is reported on the console with its vector, name, error code and the interrupted
//! context; a page fault adds CR2 and the decoded error bits. Faults the kernel can resolve (a user
//! page fault served by the mm) never get this far: see [`crate::trap`].

use x86_64::{
    VirtAddr,
    registers::control::Cr2,
    structures::idt::{InterruptDescriptorTable, InterruptStackFrame, PageFaultErrorCode},
};

use super::{gdt, pic};
use crate::trap::{self, Exception};

static IDT: spin::Once<InterruptDescriptorTable> = spin::Once::new();

/// Defines an exception handler without an error code.
macro_rules! exception {
    ($name:ident, $vector:expr) => {
        extern "x86-interrupt" fn $name(frame: InterruptStackFrame) {
            trap::exception(
                Exception {
                    vector: $vector,
                    error_code: None,
                },
                &frame,
            );
        }
    };
}

/// Defines an exception handler with an error code.
macro_rules! exception_with_code {
    ($name:ident, $vector:expr) => {
        extern "x86-interrupt" fn $name(frame: InterruptStackFrame, code: u64) {
            trap::exception(
                Exception {
                    vector: $vector,
                    error_code: Some(code),
                },
                &frame,
            );
        }
    };
}

exception!(divide_error, 0);
exception!(debug, 1);
exception!(nmi, 2);
exception!(breakpoint, 3);
exception!(overflow, 4);
exception!(bound_range, 5);
exception!(invalid_opcode, 6);
exception!(device_not_available, 7);
exception_with_code!(invalid_tss, 10);
exception_with_code!(segment_not_present, 11);
exception_with_code!(stack_segment_fault, 12);
exception_with_code!(general_protection, 13);
exception!(x87_floating_point, 16);
exception_with_code!(alignment_check, 17);
exception!(simd_floating_point, 19);
exception!(virtualization, 20);
exception_with_code!(control_protection, 21);
exception_with_code!(vmm_communication, 29);
exception_with_code!(security_exception, 30);

extern "x86-interrupt" fn double_fault(frame: InterruptStackFrame, code: u64) -> ! {
    trap::double_fault(&frame, code, Cr2::read_raw())
}

extern "x86-interrupt" fn machine_check(frame: InterruptStackFrame) -> ! {
    trap::exception(
        Exception {
            vector: 18,
            error_code: None,
        },
        &frame,
    );
    super::halt_forever()
}

extern "x86-interrupt" fn page_fault(mut frame: InterruptStackFrame, code: PageFaultErrorCode) {
    let cr2 = Cr2::read_raw();
    trap::page_fault(VirtAddr::new_truncate(cr2), code, &mut frame);
}

extern "x86-interrupt" fn timer(frame: InterruptStackFrame) {
    crate::time::tick();
    pic::end_of_interrupt(pic::TIMER_IRQ);
    // Preemption: only user code is preempted (see sched.rs).
    crate::sched::tick(trap::from_user(&frame));
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

/// Builds and loads the IDT.
pub fn init() {
    let idt = IDT.call_once(|| {
        let mut idt = InterruptDescriptorTable::new();
        idt.divide_error.set_handler_fn(divide_error);
        idt.debug.set_handler_fn(debug);
        idt.breakpoint.set_handler_fn(breakpoint);
        idt.overflow.set_handler_fn(overflow);
        idt.bound_range_exceeded.set_handler_fn(bound_range);
        idt.invalid_opcode.set_handler_fn(invalid_opcode);
        idt.device_not_available
            .set_handler_fn(device_not_available);
        idt.invalid_tss.set_handler_fn(invalid_tss);
        idt.segment_not_present.set_handler_fn(segment_not_present);
        idt.stack_segment_fault.set_handler_fn(stack_segment_fault);
        idt.general_protection_fault
            .set_handler_fn(general_protection);
        idt.page_fault.set_handler_fn(page_fault);
        idt.x87_floating_point.set_handler_fn(x87_floating_point);
        idt.alignment_check.set_handler_fn(alignment_check);
        idt.simd_floating_point.set_handler_fn(simd_floating_point);
        idt.virtualization.set_handler_fn(virtualization);
        idt.cp_protection_exception
            .set_handler_fn(control_protection);
        idt.vmm_communication_exception
            .set_handler_fn(vmm_communication);
        idt.security_exception.set_handler_fn(security_exception);
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
        idt[pic::IRQ_BASE + pic::TIMER_IRQ].set_handler_fn(timer);
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
