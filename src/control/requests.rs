//! The guard's mailbox: what the rest of the program asks of the guard thread, queued with
//! sequence numbers, and the replies a caller can wait for (a delete can fail).

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::guard::Command;

/// What the rest of the program asks of the guard.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    Command(Command),
    /// Remove these intervals (call id, start) from the journal.
    Delete(Vec<(String, f64)>),
}

/// Failures kept for callers that have not collected theirs yet.
const KEPT_ERRORS: usize = 16;

#[derive(Default)]
struct Queue {
    pending: Vec<(u64, Request)>,
    applied: u64,
    next: u64,
    /// Replies to requests that can fail (deletes), by sequence number.
    errors: Vec<(u64, String)>,
}

/// Requests on their way to the guard thread, and which of them it has applied.
#[derive(Default)]
pub struct Requests {
    queue: Mutex<Queue>,
    applied: Condvar,
}

impl Requests {
    // A panic elsewhere must not take the controls down with it: the data is plain values.
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a request; returns its sequence number.
    pub fn submit(&self, req: Request) -> u64 {
        let mut q = self.lock();
        q.next += 1;
        let seq = q.next;
        q.pending.push((seq, req));
        seq
    }

    /// Waits until the guard has applied request `seq`; `Err` carries its failure. Gives up
    /// (returning `Ok(false)`) after `timeout`, e.g. when no guard is running.
    pub fn wait(&self, seq: u64, timeout: Duration) -> Result<bool, String> {
        let deadline = Instant::now() + timeout;
        let mut q = self.lock();
        while q.applied < seq {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            q = self
                .applied
                .wait_timeout(q, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        match q.errors.iter().position(|(s, _)| *s == seq) {
            Some(k) => Err(q.errors.remove(k).1),
            None => Ok(true),
        }
    }

    /// The guard thread takes the queued requests.
    pub fn take(&self) -> Vec<(u64, Request)> {
        std::mem::take(&mut self.lock().pending)
    }

    /// The guard thread says requests up to `seq` are done (`error` for the one that failed).
    pub fn applied(&self, seq: u64, error: Option<String>) {
        {
            let mut q = self.lock();
            q.applied = q.applied.max(seq);
            if let Some(e) = error {
                q.errors.push((seq, e));
                if q.errors.len() > KEPT_ERRORS {
                    q.errors.remove(0);
                }
            }
        }
        self.applied.notify_all();
    }

    /// Wakes every waiter (they look again and give up at their deadline).
    pub fn notify_all(&self) {
        self.applied.notify_all();
    }
}
