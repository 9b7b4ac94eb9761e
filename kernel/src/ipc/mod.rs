//! System V inter-process communication (Linux's ipc/): shared memory segments so far.

pub mod shm;
