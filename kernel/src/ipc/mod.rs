//! System V inter-process communication (Linux's ipc/): shared memory segments, semaphore sets
//! and message queues, on the id tables and permission checks of [`util`].

pub mod msg;
pub mod sem;
pub mod shm;
pub mod util;
