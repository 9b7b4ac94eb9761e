//! Futexes: `futex`'s operations and flags, the bits of a PI/robust futex word, and the robust
//! list a thread registers with `set_robust_list`.
//!
//! From `include/uapi/linux/futex.h`.

// Operations (the low bits of `futex_op`).
pub const FUTEX_WAIT: u64 = 0;
pub const FUTEX_WAKE: u64 = 1;
pub const FUTEX_FD: u64 = 2;
pub const FUTEX_REQUEUE: u64 = 3;
pub const FUTEX_CMP_REQUEUE: u64 = 4;
pub const FUTEX_WAKE_OP: u64 = 5;
pub const FUTEX_LOCK_PI: u64 = 6;
pub const FUTEX_UNLOCK_PI: u64 = 7;
pub const FUTEX_TRYLOCK_PI: u64 = 8;
pub const FUTEX_WAIT_BITSET: u64 = 9;
pub const FUTEX_WAKE_BITSET: u64 = 10;
pub const FUTEX_WAIT_REQUEUE_PI: u64 = 11;
pub const FUTEX_CMP_REQUEUE_PI: u64 = 12;
pub const FUTEX_LOCK_PI2: u64 = 13;
/// The futex is private to the process (no shared-memory lookup).
pub const FUTEX_PRIVATE_FLAG: u64 = 128;
/// Timeouts are on CLOCK_REALTIME instead of CLOCK_MONOTONIC.
pub const FUTEX_CLOCK_REALTIME: u64 = 256;
/// The operation without its flags.
pub const FUTEX_CMD_MASK: u64 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
pub const FUTEX_WAIT_PRIVATE: u64 = FUTEX_WAIT | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAKE_PRIVATE: u64 = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;
pub const FUTEX_REQUEUE_PRIVATE: u64 = FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG;
pub const FUTEX_CMP_REQUEUE_PRIVATE: u64 = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAKE_OP_PRIVATE: u64 = FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG;
pub const FUTEX_LOCK_PI_PRIVATE: u64 = FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG;
pub const FUTEX_UNLOCK_PI_PRIVATE: u64 = FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG;
pub const FUTEX_TRYLOCK_PI_PRIVATE: u64 = FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAIT_BITSET_PRIVATE: u64 = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAKE_BITSET_PRIVATE: u64 = FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG;

/// The bitset that matches every waiter (`FUTEX_WAIT_BITSET`'s `val3`).
pub const FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;

// The futex word of a PI or robust futex.
/// Someone waits: unlocking must go through the kernel.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
/// The owner died holding the lock (robust futexes).
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
/// The owner's tid.
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

/// The most entries the kernel walks in a robust list at exit.
pub const ROBUST_LIST_LIMIT: u64 = 2048;

/// A link in a robust list: points at the next link (`struct robust_list`). The list is circular
/// through the [`robust_list_head`]; the bit 0 of a pointer marks a PI futex.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct robust_list {
    pub next: u64,
}
layout!(robust_list, 8; next = 0);

/// What `set_robust_list` registers (`struct robust_list_head`): the list of futexes a thread
/// holds, which the kernel marks [`FUTEX_OWNER_DIED`] if the thread exits holding them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct robust_list_head {
    pub list: robust_list,
    /// The offset from a list link to its futex word.
    pub futex_offset: i64,
    /// The link being added or removed, in case the thread dies in between.
    pub list_op_pending: u64,
}
layout!(robust_list_head, 24; list = 0, futex_offset = 8, list_op_pending = 16);
