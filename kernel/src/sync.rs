//! Locks. Every lock the kernel takes is a spinlock that also keeps interrupts off while held, so an
//! interrupt handler that needs the same lock can never deadlock against the code it interrupted.
//! With several CPUs (a later step) the spinning does the real work; today it costs one atomic op.

use core::ops::{Deref, DerefMut};
use x86_64::instructions::interrupts;

/// A spinlock that disables interrupts on this CPU while it is held (Linux's `spin_lock_irqsave`).
pub struct IrqMutex<T> {
    inner: spin::Mutex<T>,
}

/// Holds the lock; restores the interrupt flag on drop.
pub struct IrqMutexGuard<'a, T> {
    guard: core::mem::ManuallyDrop<spin::MutexGuard<'a, T>>,
    were_enabled: bool,
}

impl<T> IrqMutex<T> {
    pub const fn new(value: T) -> Self {
        Self {
            inner: spin::Mutex::new(value),
        }
    }

    pub fn lock(&self) -> IrqMutexGuard<'_, T> {
        let were_enabled = interrupts::are_enabled();
        interrupts::disable();
        IrqMutexGuard {
            guard: core::mem::ManuallyDrop::new(self.inner.lock()),
            were_enabled,
        }
    }

    /// Access without locking, through exclusive ownership.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

impl<T> Deref for IrqMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for IrqMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for IrqMutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: dropped exactly once, here, before interrupts come back on.
        unsafe { core::mem::ManuallyDrop::drop(&mut self.guard) };
        if self.were_enabled {
            interrupts::enable();
        }
    }
}
