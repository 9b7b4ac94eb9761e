//! flock, the BSD whole-file locks (Linux's flock_lock_inode in fs/locks.c): shared or exclusive
//! locks held by an open file description, so descriptors made by dup or inherited by fork hold
//! the same lock, while another open of the file is another holder. A lock that conflicts (an
//! exclusive one with any other holder's) waits, or fails with EWOULDBLOCK (EAGAIN) under LOCK_NB. A
//! holder that asks for the other kind first loses the lock it had, then queues like anyone
//! else, as Linux converts (not atomically). Closing the last descriptor of the description
//! releases its lock.

use alloc::vec::Vec;

use crate::{
    sched::WaitQueue,
    sync::{IrqMutex, IrqOff},
    syscall::errno::*,
};

/// Who holds a lock: an open file description, by address.
pub type Owner = usize;

/// The locks of one file.
pub struct FileLocks {
    /// The holders and whether each holds it exclusively.
    holders: IrqMutex<Vec<(Owner, bool)>>,
    /// Those waiting for a holder to go.
    wait: WaitQueue,
}

impl FileLocks {
    pub const fn new() -> Self {
        FileLocks {
            holders: IrqMutex::new(Vec::new()),
            wait: WaitQueue::new(),
        }
    }

    /// Takes the lock for `owner`, shared or `exclusive`; EWOULDBLOCK (EAGAIN) if it conflicts and
    /// `nonblock`, EINTR (restarting) if a signal comes while it waits, ENOMEM.
    pub fn lock(&self, owner: Owner, exclusive: bool, nonblock: bool) -> Result<(), Errno> {
        {
            let mut holders = self.holders.lock();
            match holders.iter().position(|&(o, _)| o == owner) {
                Some(i) if holders[i].1 == exclusive => return Ok(()),
                // A conversion: the old lock goes first.
                Some(i) => {
                    holders.swap_remove(i);
                }
                None => {}
            }
        }
        self.wait.wake_all();
        loop {
            let irq = IrqOff::new();
            let mut holders = self.holders.lock();
            let conflict = holders.iter().any(|&(_, ex)| ex || exclusive);
            if !conflict {
                holders.try_reserve(1).map_err(|_| ENOMEM)?;
                holders.push((owner, exclusive));
                return Ok(());
            }
            if nonblock {
                return Err(EAGAIN);
            }
            drop(holders);
            self.wait.sleep(irq)?;
        }
    }

    /// Releases `owner`'s lock, if it holds one (LOCK_UN, or its last descriptor closed).
    pub fn unlock(&self, owner: Owner) {
        let released = {
            let mut holders = self.holders.lock();
            let before = holders.len();
            holders.retain(|&(o, _)| o != owner);
            holders.len() != before
        };
        if released {
            self.wait.wake_all();
        }
    }
}
