//! eventfd (Linux's fs/eventfd.c): a 64-bit counter behind a descriptor, for one thread or
//! process to wake another. A write adds its 8-byte value to the counter; a read takes the whole
//! counter and sets it to zero (or, with EFD_SEMAPHORE, takes 1); a read of zero and a write
//! that would reach 2^64 - 1 wait, or fail with EAGAIN when non-blocking. Poll and epoll see it
//! readable while the counter is above zero and writable while one more can be added.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::{
    sched::WaitQueue,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
};

/// The largest value the counter holds (Linux's ULLONG_MAX - 1: ULLONG_MAX means overflow).
const MAX: u64 = u64::MAX - 1;

pub struct EventFd {
    count: IrqMutex<u64>,
    /// EFD_SEMAPHORE: a read takes 1 rather than everything.
    semaphore: bool,
    /// Readers and writers waiting for the counter to change.
    wait: WaitQueue,
    /// How many times the counter changed, for edge-triggered epoll.
    wakes: AtomicU64,
}

impl EventFd {
    pub fn new(initval: u64, semaphore: bool) -> Self {
        EventFd {
            count: IrqMutex::new(initval),
            semaphore,
            wait: WaitQueue::new(),
            wakes: AtomicU64::new(0),
        }
    }

    /// Linux's eventfd_read: the counter (or 1) as 8 bytes into `dst`, which must hold them
    /// (EINVAL); waits while it is zero unless `nonblock` (EAGAIN).
    pub fn read(&self, dst: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if dst.len() < 8 {
            return Err(EINVAL);
        }
        let value = self.wait_until(
            nonblock,
            |count| *count > 0,
            |count| {
                let taken = if self.semaphore { 1 } else { *count };
                *count -= taken;
                taken
            },
        )?;
        dst[..8].copy_from_slice(&value.to_ne_bytes());
        Ok(8)
    }

    /// Linux's eventfd_write: adds the 8-byte value at the start of `src` (EINVAL if there are
    /// fewer bytes, or for 2^64 - 1); waits while the sum would pass the maximum unless
    /// `nonblock` (EAGAIN).
    pub fn write(&self, src: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let value = src
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_ne_bytes)
            .ok_or(EINVAL)?;
        if value == u64::MAX {
            return Err(EINVAL);
        }
        self.wait_until(
            nonblock,
            |count| MAX - *count >= value,
            |count| {
                *count += value;
                value
            },
        )?;
        Ok(8)
    }

    /// Waits until `ready` holds for the counter, then applies `change` to it and wakes the
    /// other side; EAGAIN if `nonblock` and not ready; EINTR (restarting) for a signal.
    fn wait_until(
        &self,
        nonblock: bool,
        ready: impl Fn(&u64) -> bool,
        change: impl FnOnce(&mut u64) -> u64,
    ) -> Result<u64, Errno> {
        loop {
            // Interrupts stay off from the check to the sleep, so a wake-up cannot be lost.
            let irq = IrqOff::new();
            let mut count = self.count.lock();
            if ready(&count) {
                let result = change(&mut count);
                drop(count);
                drop(irq);
                self.wakes.fetch_add(1, Ordering::Relaxed);
                self.wait.wake_all();
                super::file::poll_wake();
                return Ok(result);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            drop(count);
            self.wait.sleep(irq)?;
        }
    }

    /// Linux's eventfd_poll: readable above zero, writable below the maximum.
    pub fn poll(&self) -> u16 {
        use abi::poll::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
        let count = *self.count.lock();
        let mut events = 0u16;
        if count > 0 {
            events |= (POLLIN | POLLRDNORM) as u16;
        }
        if count < MAX {
            events |= (POLLOUT | POLLWRNORM) as u16;
        }
        events
    }

    /// How many times the counter changed (edge-triggered epoll's events).
    pub fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::Relaxed)
    }
}
