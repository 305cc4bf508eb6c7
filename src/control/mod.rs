//! Talking to a running guard: its status, manual commands, and the local control socket.
//!
//! The guard runs on its own thread. The window, the tray, the global hotkey and the
//! `holdguard toggle|mute|unmute|pause|resume|status` commands all reach it through one
//! [`Controller`]: they send requests, the guard's engine thread applies them on its next 10 ms
//! tick and publishes a [`Status`] snapshot that they read. Nothing here runs in an audio callback,
//! so a mutex is fine.
//!
//! In here: `status` is what the guard publishes, `requests` its mailbox, `window` what is asked
//! of the window (shown, on which page), `socket` the local control socket the commands reach it
//! through, `instance` the lock that keeps one guard per user.

mod instance;
mod requests;
mod socket;
mod status;
mod window;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use instance::{runtime_dir, single_instance, InstanceError};
pub use requests::{Pending, Reply, Request, Requests};
pub use socket::{answer, parse_reply, read_request, socket_path, ClientError, Server};
#[cfg(unix)]
pub use socket::{request, serve};
pub use status::{clock, now_unix, Slot, State, Status, SLOT_S, TIMELINE_S};
pub use window::WindowRequests;

/// What the guard publishes: its status and the recent timeline.
struct Published {
    status: Status,
    timeline: VecDeque<Slot>,
}

type Waker = Box<dyn Fn() + Send + Sync>;

/// The one meeting point of the guard thread and everything that controls or shows it.
pub struct Controller {
    published: Mutex<Published>,
    requests: Requests,
    window: WindowRequests,
    stop: AtomicBool,
    restart: AtomicBool,
    quiet_far_until_ms: AtomicU64,
    wakers: Mutex<Vec<Waker>>,
}

impl Default for Controller {
    fn default() -> Self {
        Self {
            published: Mutex::new(Published {
                status: Status::default(),
                timeline: VecDeque::with_capacity((TIMELINE_S / SLOT_S) as usize + 1),
            }),
            requests: Requests::default(),
            window: WindowRequests::default(),
            stop: AtomicBool::new(false),
            restart: AtomicBool::new(false),
            quiet_far_until_ms: AtomicU64::new(0),
            wakers: Mutex::new(Vec::new()),
        }
    }
}

impl Controller {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    // A panic elsewhere must not take the controls down with it: the data is plain values.
    fn lock(&self) -> MutexGuard<'_, Published> {
        self.published.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends a request to the guard; the returned end gets its answer.
    pub fn submit(&self, req: Request) -> Pending {
        let pending = self.requests.submit(req);
        self.wake();
        pending
    }

    /// The guard thread takes the waiting requests, with where to answer each.
    pub fn take_requests(&self) -> Vec<(Request, Reply)> {
        self.requests.take()
    }

    pub fn status(&self) -> Status {
        self.lock().status.clone()
    }

    /// Changes the status; wakes the watchers when something they show changed (levels alone
    /// do not wake anyone: a hidden window must not repaint for them).
    pub fn update(&self, f: impl FnOnce(&mut Status)) {
        let changed = {
            let mut i = self.lock();
            let before = (
                i.status.state,
                i.status.problem.clone(),
                i.status.agent_back,
            );
            f(&mut i.status);
            before
                != (
                    i.status.state,
                    i.status.problem.clone(),
                    i.status.agent_back,
                )
        };
        if changed {
            self.wake();
        }
    }

    /// Adds a slot to the timeline, dropping the oldest beyond [`TIMELINE_S`].
    pub fn push_slot(&self, slot: Slot) {
        let mut i = self.lock();
        if i.timeline.len() as f64 >= TIMELINE_S / SLOT_S {
            i.timeline.pop_front();
        }
        i.timeline.push_back(slot);
    }

    /// The timeline, oldest first.
    pub fn timeline(&self) -> Vec<Slot> {
        self.lock().timeline.iter().copied().collect()
    }

    /// Asks everything to shut down.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Nobody will answer what is still waiting: dropping it tells its callers at once.
        drop(self.requests.take());
        self.wake();
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Asks the guard to start again with new settings (it keeps nothing but the journal).
    pub fn request_restart(&self) {
        self.restart.store(true, Ordering::SeqCst);
    }

    /// Takes a pending restart request.
    pub fn take_restart(&self) -> bool {
        self.restart.swap(false, Ordering::SeqCst)
    }

    /// Whether the guard loop should end now (stop or restart).
    pub fn should_end(&self) -> bool {
        self.stopping() || self.restart.load(Ordering::SeqCst)
    }

    /// Asks the window to come forward.
    /// Asks the window to come forward, on page `view` if given.
    pub fn show_window(&self, view: Option<&str>) {
        self.window.record(view);
        self.wake();
    }

    /// What has been asked of the window.
    pub fn window(&self) -> &WindowRequests {
        &self.window
    }

    pub fn quiet_far_until(&self, until: f64) {
        self.quiet_far_until_ms
            .fetch_max((until * 1000.0) as u64, Ordering::SeqCst);
    }

    /// Whether the far end should be heard as silence now.
    pub fn far_quieted(&self, now: f64) -> bool {
        (now * 1000.0) < self.quiet_far_until_ms.load(Ordering::SeqCst) as f64
    }

    /// Registers something to call when the status changes or a request arrives.
    pub fn on_wake(&self, f: impl Fn() + Send + Sync + 'static) {
        self.wakers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(f));
    }

    fn wake(&self) {
        for w in self.wakers.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            w();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::class::Class;
    use crate::guard::Command;
    use std::time::Duration;

    #[test]
    fn the_status_line_says_when_the_devices_are_released() {
        use crate::i18n::Lang::{En, Nl};
        let mut st = Status {
            since: 100.0,
            ..Default::default()
        };
        st.state = State::Live;
        assert_eq!(st.line_in(En, 165.0), "LIVE for 1:05");
        st.standby = true;
        assert_eq!(
            st.line_in(En, 165.0),
            "LIVE for 1:05 (standby: no app is using Hold Guard Microphone)"
        );
        // An older guard's status without the field still reads.
        let mut json = serde_json::to_value(&st).unwrap();
        json.as_object_mut().unwrap().remove("standby");
        json.as_object_mut().unwrap().remove("bypass");
        let back: Status = serde_json::from_value(json).unwrap();
        assert!(!back.standby);
        st.standby = false;
        st.state = State::HoldMusic;
        st.speaking_muted = true;
        assert_eq!(
            st.line_in(En, 165.0),
            "MUTED — hold music for 1:05 — You're muted — not sent"
        );
        st.state = State::Live;
        st.speaking_muted = false;
        st.bypass = vec!["baresip".into(), "Firefox".into()];
        assert_eq!(
            st.line_in(En, 165.0),
            "LIVE for 1:05 (not guarded: baresip, Firefox records your microphone directly)"
        );
        assert_eq!(
            st.line_in(Nl, 165.0),
            "OPEN, al 1:05 (niet beschermd: baresip, Firefox neemt je microfoon rechtstreeks op)"
        );
    }

    /// A stand-in for the guard thread: applies commands to a real guard policy.
    #[cfg(unix)]
    fn fake_guard(ctl: Arc<Controller>) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let mut guard = crate::guard::Guard::new(Default::default(), 0.016);
            while !ctl.stopping() {
                for (req, reply) in ctl.take_requests() {
                    if let Request::Command(c) = req {
                        guard.command(c, 0.0);
                    }
                    let state = State::from_mode(guard.mode());
                    ctl.update(|s| s.state = state);
                    reply.send(None);
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    }

    #[cfg(unix)]
    #[test]
    fn socket_round_trip() {
        let dir = std::env::temp_dir().join(format!("hg-sock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let ctl = Controller::new();
        let t = fake_guard(ctl.clone());
        let server = serve(&path, ctl.clone()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(request(&path, "mute").unwrap().state, State::ManualMute);
        assert_eq!(request(&path, "toggle").unwrap().state, State::ManualUnmute);
        assert_eq!(request(&path, "pause").unwrap().state, State::Paused);
        assert_eq!(request(&path, "resume").unwrap().state, State::Live);
        assert_eq!(request(&path, "mute").unwrap().state, State::ManualMute);
        assert_eq!(
            request(&path, "talk start").unwrap().state,
            State::PushToTalk
        );
        assert_eq!(request(&path, "talk end").unwrap().state, State::ManualMute);
        assert_eq!(request(&path, "resume").unwrap().state, State::Live);
        let before = ctl.window().shown();
        request(&path, "show").unwrap();
        assert_eq!(ctl.window().shown(), before + 1);
        request(&path, "show log").unwrap();
        assert_eq!(ctl.window().take_view().as_deref(), Some("log"));
        assert_eq!(ctl.window().take_view(), None);
        assert!(matches!(
            request(&path, "explode"),
            Err(ClientError::Refused(_))
        ));
        ctl.stop();
        t.join().unwrap();
        drop(server);
        assert!(!path.exists());
        assert!(matches!(
            request(&path, "status"),
            Err(ClientError::NotRunning(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_command_without_a_guard_times_out_cleanly() {
        let ctl = Controller::new();
        let pending = ctl.submit(Request::Command(Command::Mute));
        assert_eq!(pending.wait(Duration::from_millis(50)), Ok(false));
        let (_, reply) = ctl.take_requests().pop().unwrap();
        reply.send(Some("journal unavailable".into()));
        assert_eq!(
            pending.wait(Duration::from_millis(50)),
            Err("journal unavailable".into())
        );
    }

    #[test]
    fn timeline_keeps_two_minutes() {
        let ctl = Controller::new();
        for k in 0..1000 {
            ctl.push_slot(Slot {
                class: Class::Music,
                muted: k % 2 == 0,
                mic_active: false,
            });
        }
        let t = ctl.timeline();
        assert_eq!(t.len(), (TIMELINE_S / SLOT_S) as usize);
        assert!(!t.last().unwrap().muted);
    }

    #[test]
    fn levels_do_not_wake_but_state_does() {
        let ctl = Controller::new();
        let n = Arc::new(AtomicU64::new(0));
        let n2 = n.clone();
        ctl.on_wake(move || {
            n2.fetch_add(1, Ordering::SeqCst);
        });
        ctl.update(|s| s.far_db = -20.0);
        assert_eq!(n.load(Ordering::SeqCst), 0);
        ctl.update(|s| s.state = State::HoldMusic);
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }
}
