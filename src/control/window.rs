//! What the rest of the program asks of the window — to come forward, perhaps on a given page —
//! kept apart from the guard's mailbox: the window serves these, not the guard.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Requests to show the window, counted, and the page the last one asked for.
#[derive(Default)]
pub struct WindowRequests {
    shows: AtomicU64,
    view: Mutex<Option<String>>,
}

impl WindowRequests {
    /// Records a request to show the window, on page `view` if given.
    pub(super) fn record(&self, view: Option<&str>) {
        if let Some(v) = view {
            *self.view.lock().unwrap_or_else(|e| e.into_inner()) = Some(v.to_string());
        }
        self.shows.fetch_add(1, Ordering::SeqCst);
    }

    /// How many requests to show the window came so far (the window compares with the count
    /// it has served).
    pub fn shown(&self) -> u64 {
        self.shows.load(Ordering::SeqCst)
    }

    /// The page the last request asked for, once.
    pub fn take_view(&self) -> Option<String> {
        self.view.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}
