//! The x86_64 signal frame's contents: the `ucontext` a handler gets as its third argument
//! (`SA_SIGINFO`), the saved registers in it (`sigcontext`, which is the `uc_mcontext` a C library
//! calls `mcontext_t`) and the saved FPU/SSE state the `fpstate` pointer points at.
//!
//! From `arch/x86/include/uapi/asm/ucontext.h` and `arch/x86/include/uapi/asm/sigcontext.h` (the
//! 64-bit `struct sigcontext` and `struct _fpstate_64`). On delivery the kernel pushes, from the
//! top of the user stack down: the FPU state (64-byte aligned, at least [`fpstate`]'s 512 bytes of
//! `FXSAVE` image, more with `XSAVE`), then a `struct rt_sigframe` of the return address
//! (`sa_restorer`), a [`ucontext`] and a [`siginfo`](crate::signal::siginfo); `rt_sigreturn`
//! reads the [`ucontext`] back and restores everything from it.

use crate::signal::{sigset_t, stack_t};

/// The saved general registers (`struct sigcontext`, 64-bit): 256 bytes. glibc's `mcontext_t` is
/// the same bytes seen as `gregs[23]` (`REG_R8` = 0 ... `REG_CR2` = 22), `fpregs` and a reserved
/// tail.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sigcontext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    /// `ss` when `UC_SIGCONTEXT_SS` is set in `uc_flags` (Linux 4.6), padding before.
    pub ss: u16,
    /// The exception's error code (for a page fault, the `PF_*` bits).
    pub err: u64,
    /// The exception vector (14 for a page fault).
    pub trapno: u64,
    /// The low word of the blocked mask (legacy; `uc_sigmask` is the real one).
    pub oldmask: u64,
    /// The faulting address of a page fault.
    pub cr2: u64,
    /// The user address of the saved [`fpstate`], or 0 when there is no FPU state.
    pub fpstate: u64,
    pub reserved1: [u64; 8],
}
layout!(sigcontext, 256;
    r8 = 0, r15 = 56, rdi = 64, rsi = 72, rbp = 80, rbx = 88, rdx = 96, rax = 104, rcx = 112,
    rsp = 120, rip = 128, eflags = 136, cs = 144, gs = 146, fs = 148, ss = 150, err = 152,
    trapno = 160, oldmask = 168, cr2 = 176, fpstate = 184, reserved1 = 192,
);

/// The C library's name for [`sigcontext`] inside a [`ucontext`].
pub type mcontext = sigcontext;

/// The user context a signal handler receives (`struct ucontext`, kernel layout): 304 bytes, the
/// mask last so that it could grow. glibc's `ucontext_t` has the same fields at the same offsets
/// but a 128-byte mask and room for the FPU state after it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ucontext {
    /// `UC_*` flags.
    pub uc_flags: u64,
    /// The context to resume when this one returns (unused by the kernel; 0).
    pub uc_link: u64,
    /// The alternate stack in force when the signal arrived.
    pub uc_stack: stack_t,
    /// The interrupted registers.
    pub uc_mcontext: sigcontext,
    /// The mask to restore on `rt_sigreturn`.
    pub uc_sigmask: sigset_t,
}
layout!(ucontext, 304; uc_flags = 0, uc_link = 8, uc_stack = 16, uc_mcontext = 40, uc_sigmask = 296);

// `uc_flags` (asm/ucontext.h).
/// The frame holds XSAVE state beyond the FXSAVE image.
pub const UC_FP_XSTATE: u64 = 0x1;
/// `sigcontext::ss` holds the saved SS.
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
/// `rt_sigreturn` restores SS from `sigcontext::ss` unchanged.
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// The legacy FPU/SSE state as `FXSAVE` stores it (`struct _fpstate_64`): 512 bytes. The CPU
/// requires 16-byte alignment for `FXSAVE`/`FXRSTOR`; the kernel places it 64-byte aligned in the
/// signal frame. When the frame holds XSAVE state, `sw_reserved` describes it
/// ([`fpx_sw_bytes`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct fpstate {
    /// x87 control word.
    pub cwd: u16,
    /// x87 status word.
    pub swd: u16,
    /// x87 tag word, abridged (one bit per register, as FXSAVE stores it).
    pub twd: u16,
    /// Last x87 opcode.
    pub fop: u16,
    /// Last x87 instruction pointer.
    pub rip: u64,
    /// Last x87 data pointer.
    pub rdp: u64,
    pub mxcsr: u32,
    pub mxcsr_mask: u32,
    /// ST0..ST7, 16 bytes each (10 used).
    pub st_space: [u32; 32],
    /// XMM0..XMM15, 16 bytes each.
    pub xmm_space: [u32; 64],
    pub reserved2: [u32; 12],
    /// Software-defined: [`fpx_sw_bytes`] when `magic1` is [`FP_XSTATE_MAGIC1`].
    pub sw_reserved: fpx_sw_bytes,
}
layout!(fpstate, 512;
    cwd = 0, swd = 2, twd = 4, fop = 6, rip = 8, rdp = 16, mxcsr = 24, mxcsr_mask = 28,
    st_space = 32, xmm_space = 160, reserved2 = 416, sw_reserved = 464,
);

/// The software part of the FXSAVE image's last 48 bytes (`struct _fpx_sw_bytes`): it tells a
/// reader of the signal frame that XSAVE state follows, and how big it is.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct fpx_sw_bytes {
    /// [`FP_XSTATE_MAGIC1`] when XSAVE state follows.
    pub magic1: u32,
    /// The size of the whole FPU area, including [`FP_XSTATE_MAGIC2`] at its end.
    pub extended_size: u32,
    /// The XSAVE features present.
    pub xfeatures: u64,
    /// The size of the XSAVE area.
    pub xstate_size: u32,
    pub padding: [u32; 7],
}
layout!(fpx_sw_bytes, 48; magic1 = 0, extended_size = 4, xfeatures = 8, xstate_size = 16, padding = 20);

/// `fpx_sw_bytes::magic1` when the frame holds XSAVE state.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// The word after the XSAVE area in the frame.
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;

impl Default for fpstate {
    /// The state after `FNINIT` with SSE defaults: control word 0x37f, MXCSR 0x1f80 (all exceptions
    /// masked, round to nearest), as a new process starts.
    fn default() -> Self {
        Self {
            cwd: 0x37f,
            swd: 0,
            twd: 0,
            fop: 0,
            rip: 0,
            rdp: 0,
            mxcsr: 0x1f80,
            mxcsr_mask: 0,
            st_space: [0; 32],
            xmm_space: [0; 64],
            reserved2: [0; 12],
            sw_reserved: fpx_sw_bytes::default(),
        }
    }
}
