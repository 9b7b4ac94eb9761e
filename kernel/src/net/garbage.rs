//! Descriptors in flight (Linux's net/unix/garbage.c): the open files an SCM_RIGHTS message
//! carries from its sendmsg to its recvmsg, and the collector of the cycles they can make.
//!
//! A message holds a reference to each file it carries ([`InFlight`]); the files go to the
//! receiver's descriptor table, or are closed with the message when it is dropped unread (its
//! socket released, or a datagram read into a faulting buffer). That alone leaks a cycle: a
//! socket whose own file waits in its own receive queue (or in that of a socket whose file waits
//! in the first one's) keeps itself open after the program closed every descriptor of it, since
//! nothing will ever read the message that holds it.
//!
//! Linux's unix_gc finds such sockets: a socket file all of whose references are in flight is a
//! candidate; the candidates reachable from a candidate that has a reference from outside (a
//! descriptor, a running call) are alive; the others are garbage, and the messages with files in
//! their queues are dropped, which closes the cycle. Linux runs it when a Unix socket is released
//! while files are in flight, and before a send when too many are; so a cycle made by closing the
//! last descriptor stays until the next release. Here the same algorithm runs on every release
//! of a socket and on every close() of a socket descriptor while files are in flight, so the
//! common case, a socket sent over itself and then closed, is collected at that close.
//!
//! Each in-flight reference to a socket file is listed in [`INFLIGHT`] (a weak reference, so the
//! list keeps nothing open); the collector counts a file's in-flight references there and its
//! references in all with `Arc::strong_count`. A reference it cannot see (taken by a call during
//! the scan) only makes a file look alive: it never collects a file still in use.

use alloc::{sync::Arc, sync::Weak, vec::Vec};
use core::sync::atomic::{AtomicBool, Ordering};

use crate::{
    fs::OpenFile,
    sync::IrqMutex,
    syscall::errno::{ENOMEM, Errno},
};

/// One weak reference per in-flight reference to a Unix socket's file (Linux's gc_inflight_list
/// and unix_tot_inflight).
static INFLIGHT: IrqMutex<Vec<Weak<OpenFile>>> = IrqMutex::new(Vec::new());

/// Set while a collection runs: the files it closes release sockets, which would start another
/// (Linux's gc_in_progress).
static GC_RUNNING: AtomicBool = AtomicBool::new(false);

/// The files of one SCM_RIGHTS message (Linux's scm_fp_list), listed as in flight while it lives.
pub struct InFlight {
    files: Vec<Arc<OpenFile>>,
}

impl InFlight {
    /// Puts `files` in flight; ENOMEM if the list cannot grow.
    pub fn new(files: Vec<Arc<OpenFile>>) -> Result<Self, Errno> {
        let sockets = files.iter().filter(|f| f.unix_socket().is_some()).count();
        let mut list = INFLIGHT.lock();
        list.try_reserve(sockets).map_err(|_| ENOMEM)?;
        for file in files.iter().filter(|f| f.unix_socket().is_some()) {
            list.push(Arc::downgrade(file));
        }
        Ok(InFlight { files })
    }

    /// The files, still in flight.
    pub fn files(&self) -> &[Arc<OpenFile>] {
        &self.files
    }

    /// Lands the files: they are no longer in flight, and the caller owns them.
    pub fn land(mut self) -> Vec<Arc<OpenFile>> {
        self.unlist();
        core::mem::take(&mut self.files)
    }

    fn unlist(&self) {
        let mut list = INFLIGHT.lock();
        for file in self.files.iter().filter(|f| f.unix_socket().is_some()) {
            if let Some(i) = list.iter().position(|w| w.as_ptr() == Arc::as_ptr(file)) {
                list.swap_remove(i);
            }
        }
        // Nothing in flight: the list's memory goes back too.
        if list.is_empty() {
            *list = Vec::new();
        }
    }
}

impl Drop for InFlight {
    /// The message was dropped unread: its files are closed (after the list's lock is released).
    fn drop(&mut self) {
        self.unlist();
    }
}

/// How many socket references are in flight (Linux's unix_tot_inflight).
pub fn total_inflight() -> usize {
    INFLIGHT.lock().len()
}

/// Linux's unix_gc: drops the messages that keep unreachable sockets open. Called with no lock
/// held; does nothing if a collection is already running (the files it closes come back here).
pub fn unix_gc() {
    if total_inflight() == 0 || GC_RUNNING.swap(true, Ordering::Acquire) {
        return;
    }
    let (snapshot, garbage) = collect();
    // Closing the files of the dropped messages releases sockets; they do not collect again.
    drop(garbage);
    drop(snapshot);
    GC_RUNNING.store(false, Ordering::Release);
}

/// One socket file in flight: the file, its in-flight references not yet explained by another
/// candidate, and whether it is a candidate and alive.
struct Vertex {
    file: Arc<OpenFile>,
    inflight: usize,
    candidate: bool,
    alive: bool,
}

/// Finds the garbage and takes its messages out of their queues: returns the files it looked at
/// and the messages to drop (both dropped by the caller with no lock held).
fn collect() -> (Vec<Vertex>, Vec<super::unix::Skb>) {
    let mut vertices: Vec<Vertex> = Vec::new();
    {
        let list = INFLIGHT.lock();
        if vertices.try_reserve(list.len()).is_err() {
            return (vertices, Vec::new());
        }
        for weak in list.iter() {
            if let Some(v) = vertices
                .iter_mut()
                .find(|v| Arc::as_ptr(&v.file) == weak.as_ptr())
            {
                v.inflight += 1;
            } else if let Some(file) = weak.upgrade() {
                vertices.push(Vertex {
                    file,
                    inflight: 1,
                    candidate: false,
                    alive: true,
                });
            }
        }
    }
    // A candidate: every reference but the one just taken is in flight.
    for v in &mut vertices {
        v.candidate = Arc::strong_count(&v.file) == v.inflight + 1;
        v.alive = !v.candidate;
    }
    // Take away the references candidates hold to each other (Linux's dec_inflight).
    for i in 0..vertices.len() {
        if !vertices[i].candidate {
            continue;
        }
        let Some(sock) = vertices[i].file.unix_socket().cloned() else {
            continue;
        };
        sock.for_each_inflight(|file| {
            if let Some(v) = find(&mut vertices, file) {
                v.inflight = v.inflight.saturating_sub(1);
            }
        });
    }
    // A candidate with a reference from outside is alive, and so is all it reaches.
    let mut work: Vec<usize> = Vec::new();
    for (i, v) in vertices.iter_mut().enumerate() {
        if v.candidate && v.inflight > 0 {
            v.alive = true;
            if work.try_reserve(1).is_err() {
                return (vertices, Vec::new());
            }
            work.push(i);
        }
    }
    while let Some(i) = work.pop() {
        let Some(sock) = vertices[i].file.unix_socket().cloned() else {
            continue;
        };
        let mut reached = Vec::new();
        sock.for_each_inflight(|file| {
            if reached.try_reserve(1).is_ok() {
                reached.push(Arc::as_ptr(file));
            }
        });
        for ptr in reached {
            if let Some(j) = vertices.iter().position(|v| Arc::as_ptr(&v.file) == ptr)
                && !vertices[j].alive
            {
                vertices[j].alive = true;
                if work.try_reserve(1).is_err() {
                    return (vertices, Vec::new());
                }
                work.push(j);
            }
        }
    }
    // The rest is garbage: the messages with files in its queues go.
    let mut garbage = Vec::new();
    for v in vertices.iter().filter(|v| !v.alive) {
        if let Some(sock) = v.file.unix_socket() {
            sock.take_inflight(&mut garbage);
        }
    }
    (vertices, garbage)
}

fn find<'a>(vertices: &'a mut [Vertex], file: &Arc<OpenFile>) -> Option<&'a mut Vertex> {
    vertices
        .iter_mut()
        .find(|v| v.candidate && Arc::ptr_eq(&v.file, file))
}
