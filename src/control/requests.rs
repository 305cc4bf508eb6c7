//! The guard's mailbox: what the rest of the program asks of the guard thread, over a bounded
//! channel, each request with its own reply channel that the caller can wait on (a delete can
//! fail). A request the guard drops unanswered (it stopped) disconnects its reply, so nobody
//! waits for it longer than they asked to.

use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::guard::Command;

/// What the rest of the program asks of the guard.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    Command(Command),
    /// Remove these intervals (call id, start) from the journal.
    Delete(Vec<(String, f64)>),
}

/// Requests waiting for the guard thread at most: it takes them every 10 ms, and the window,
/// tray, hotkey and socket send a few per second at the very most.
const CAPACITY: usize = 64;

/// The guard's answer to one request: `Err` carries why it failed.
type Answer = Result<(), String>;

/// Where the guard thread answers one request.
#[derive(Debug)]
pub struct Reply(SyncSender<Answer>);

impl Reply {
    /// Answers the request: done, or `error`. A caller that stopped waiting is no error.
    pub fn send(self, error: Option<String>) {
        let _ = self.0.try_send(error.map_or(Ok(()), Err));
    }
}

/// The caller's end of a request: the guard's answer, once it has applied it.
#[derive(Debug)]
pub struct Pending(Receiver<Answer>);

impl Pending {
    /// Waits up to `timeout` (zero: only looks) for the answer: `Ok(true)` applied, `Err` its
    /// failure, `Ok(false)` not answered (yet, or ever: no guard is running, or it stopped).
    pub fn wait(&self, timeout: Duration) -> Result<bool, String> {
        let answer = if timeout.is_zero() {
            self.0.try_recv().map_err(|_| RecvTimeoutError::Timeout)
        } else {
            self.0.recv_timeout(timeout)
        };
        match answer {
            Ok(Ok(())) => Ok(true),
            Ok(Err(e)) => Err(e),
            Err(_) => Ok(false),
        }
    }
}

/// Requests on their way to the guard thread.
pub struct Requests {
    tx: SyncSender<(Request, Reply)>,
    rx: Mutex<Receiver<(Request, Reply)>>,
}

impl Default for Requests {
    fn default() -> Self {
        let (tx, rx) = sync_channel(CAPACITY);
        Self {
            tx,
            rx: Mutex::new(rx),
        }
    }
}

impl Requests {
    // A panic elsewhere must not take the controls down with it.
    fn lock(&self) -> MutexGuard<'_, Receiver<(Request, Reply)>> {
        self.rx.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends a request; the returned end gets its answer. A full mailbox (no guard has taken
    /// requests for a while) answers at once that the guard is not taking any.
    pub fn submit(&self, req: Request) -> Pending {
        let (tx, rx) = sync_channel(1);
        if let Err(TrySendError::Full((_, reply)) | TrySendError::Disconnected((_, reply))) =
            self.tx.try_send((req, Reply(tx)))
        {
            reply.send(Some("the guard is not taking requests".into()));
        }
        Pending(rx)
    }

    /// The guard thread takes the waiting requests, with where to answer each.
    pub fn take(&self) -> Vec<(Request, Reply)> {
        self.lock().try_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_gets_its_own_answer() {
        let r = Requests::default();
        let mute = r.submit(Request::Command(Command::Mute));
        let delete = r.submit(Request::Delete(vec![("call".into(), 1.0)]));
        assert_eq!(mute.wait(Duration::ZERO), Ok(false));
        let taken = r.take();
        assert_eq!(taken.len(), 2);
        let mut it = taken.into_iter();
        let (req, reply) = it.next().unwrap();
        assert_eq!(req, Request::Command(Command::Mute));
        // Answered out of order: each caller still gets its own.
        let (_, delete_reply) = it.next().unwrap();
        delete_reply.send(Some("journal unavailable".into()));
        reply.send(None);
        assert_eq!(mute.wait(Duration::from_millis(50)), Ok(true));
        assert_eq!(
            delete.wait(Duration::ZERO),
            Err("journal unavailable".into())
        );
        assert!(r.take().is_empty());
    }

    #[test]
    fn a_dropped_request_or_a_full_mailbox_does_not_leave_anyone_waiting() {
        let r = Requests::default();
        let p = r.submit(Request::Command(Command::Toggle));
        drop(r.take());
        let t = std::time::Instant::now();
        assert_eq!(p.wait(Duration::from_secs(5)), Ok(false));
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        let waiting: Vec<Pending> = (0..CAPACITY)
            .map(|_| r.submit(Request::Command(Command::Toggle)))
            .collect();
        let over = r.submit(Request::Command(Command::Toggle));
        assert_eq!(
            over.wait(Duration::ZERO),
            Err("the guard is not taking requests".into())
        );
        assert_eq!(r.take().len(), waiting.len());
    }
}
