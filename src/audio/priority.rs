//! Real-time scheduling for the threads that run our audio callbacks.
//!
//! The sound server runs its own audio thread at a real-time priority; a client thread left at
//! normal priority waits behind any busy process, and on a two-core machine that wait is what ran
//! the microphone pipe dry. Promotion is one system call, made once from the callback's own
//! thread the first time it runs: no allocation, no lock, no I/O. It needs permission (root, an
//! `rtprio` limit from the user's groups); without it the callbacks run as before, and the guard
//! says so once.
//!
//! PipeWire also wakes each of our streams through a data-loop thread of its client library, and
//! before PipeWire 1.0 its standard client config leaves that thread at normal priority: under
//! load the server then skips our streams' graph cycles, and whole blocks go missing from what
//! the softphone records (while a softphone on the raw microphone loses none). The library's
//! real-time client config loads the module that promotes that thread (through RTKit, or
//! directly where permitted); [`prefer_realtime_pipewire_client`] chooses it.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

/// Below PipeWire's own 88, so the server's thread still goes first.
#[cfg(target_os = "linux")]
const PRIORITY: i32 = 80;

/// Outcome of the promotion, shared with the engine thread.
#[derive(Default)]
pub struct Promotion(AtomicU8);

/// What [`Promotion::state`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// No callback has run yet.
    Pending,
    /// Every callback thread that ran was promoted.
    RealTime,
    /// At least one was refused (no permission, or not supported on this system).
    Refused,
}

thread_local! {
    /// Whether this thread already asked; const-initialised, so reading it never allocates.
    static ASKED: Cell<bool> = const { Cell::new(false) };
}

impl Promotion {
    /// Promotes the calling thread the first time it calls; cheap afterwards, so an audio
    /// callback can call it every time.
    pub fn promote_current_thread(&self) {
        if ASKED.with(|a| a.replace(true)) {
            return;
        }
        let ok = promote();
        // Refused sticks: one slow thread is enough to run the pipe dry.
        let new = if ok { 1 } else { 2 };
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(old.max(new))
            });
    }

    /// The outcome so far.
    pub fn state(&self) -> State {
        match self.0.load(Ordering::Relaxed) {
            0 => State::Pending,
            1 => State::RealTime,
            _ => State::Refused,
        }
    }
}

/// Where libpipewire looks for client configs, most specific first.
fn pipewire_config_dirs() -> Vec<std::path::PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME") {
        dirs.push(std::path::PathBuf::from(d).join("pipewire"));
    } else if let Some(h) = std::env::var_os("HOME") {
        dirs.push(std::path::PathBuf::from(h).join(".config/pipewire"));
    }
    dirs.extend(["/etc/pipewire", "/usr/share/pipewire"].map(std::path::PathBuf::from));
    dirs
}

/// The client config to ask libpipewire for, if not its default: the real-time one where the
/// default (the first `client.conf` found) does not load the real-time module itself (PipeWire
/// 1.0 and later do) and the real-time one exists.
fn realtime_client_config(dirs: &[std::path::PathBuf]) -> Option<&'static str> {
    let find = |name: &str| dirs.iter().map(|d| d.join(name)).find(|p| p.is_file());
    let default = find("client.conf").and_then(|p| std::fs::read_to_string(p).ok());
    if default.is_some_and(|c| c.contains("libpipewire-module-rt")) {
        return None;
    }
    find("client-rt.conf").map(|_| "client-rt.conf")
}

/// Makes this process's PipeWire streams use the real-time client config where the default one
/// leaves their data threads at normal priority (see the module docs). Call it first thing in
/// `main`: changing the environment is safe only while no other thread runs. A config the user
/// chose (`PIPEWIRE_CONFIG_NAME`) is left alone.
pub fn prefer_realtime_pipewire_client() {
    if cfg!(target_os = "linux") && std::env::var_os("PIPEWIRE_CONFIG_NAME").is_none() {
        if let Some(name) = realtime_client_config(&pipewire_config_dirs()) {
            std::env::set_var("PIPEWIRE_CONFIG_NAME", name);
        }
    }
}

#[cfg(target_os = "linux")]
fn promote() -> bool {
    let param = libc::sched_param {
        sched_priority: PRIORITY,
    };
    // SAFETY: pthread_self() is always a valid handle for the calling thread, and `param`
    // outlives the call.
    unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn promote() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_sticks_and_success_is_reported() {
        let p = Promotion::default();
        assert_eq!(p.state(), State::Pending);
        p.0.store(1, Ordering::Relaxed);
        assert_eq!(p.state(), State::RealTime);
        p.0.fetch_max(2, Ordering::Relaxed);
        p.0.fetch_max(1, Ordering::Relaxed);
        assert_eq!(p.state(), State::Refused);
    }

    #[test]
    fn a_thread_is_promoted_when_permitted() {
        // The outcome depends on the machine's permissions; either way it must be reported and
        // agree with what the kernel says about the thread afterwards.
        let p = std::sync::Arc::new(Promotion::default());
        let q = p.clone();
        let policy = std::thread::spawn(move || {
            q.promote_current_thread();
            current_policy()
        })
        .join()
        .unwrap();
        match p.state() {
            State::RealTime => assert_eq!(policy, Some(true)),
            State::Refused => assert_ne!(policy, Some(true)),
            State::Pending => panic!("not reported"),
        }
    }

    #[test]
    fn the_realtime_client_config_is_chosen_only_where_it_adds_something() {
        let root = std::env::temp_dir().join(format!("holdguard-pwconf-{}", std::process::id()));
        let (user, system) = (root.join("user"), root.join("system"));
        for d in [&user, &system] {
            std::fs::create_dir_all(d).unwrap();
        }
        let dirs = [user.clone(), system.clone()];
        let write = |p: &std::path::PathBuf, text: &str| std::fs::write(p, text).unwrap();
        // No PipeWire configs at all (another sound server): nothing to ask for.
        assert_eq!(realtime_client_config(&dirs), None);
        // PipeWire 0.3: client.conf without the module, client-rt.conf beside it.
        write(&system.join("client.conf"), "context.modules = [ ]");
        assert_eq!(realtime_client_config(&dirs), None);
        write(
            &system.join("client-rt.conf"),
            "{ name = libpipewire-module-rt }",
        );
        assert_eq!(realtime_client_config(&dirs), Some("client-rt.conf"));
        // A user's own client.conf that loads it already wins over the system's.
        write(
            &user.join("client.conf"),
            "{ name = libpipewire-module-rt }",
        );
        assert_eq!(realtime_client_config(&dirs), None);
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// Whether the calling thread runs SCHED_FIFO (None where unknown).
    fn current_policy() -> Option<bool> {
        #[cfg(target_os = "linux")]
        {
            let mut policy = 0;
            let mut param = libc::sched_param { sched_priority: 0 };
            // SAFETY: valid thread handle and out-pointers for the call's duration.
            let r = unsafe {
                libc::pthread_getschedparam(libc::pthread_self(), &mut policy, &mut param)
            };
            (r == 0).then_some(policy == libc::SCHED_FIFO)
        }
        #[cfg(not(target_os = "linux"))]
        None
    }
}
