//! Talking to a running guard: its status, manual commands, and the local control socket.
//!
//! The guard runs on its own thread. The window, the tray, the global hotkey and the
//! `holdguard toggle|mute|unmute|pause|resume|status` commands all reach it through one
//! [`Controller`]: they queue requests, the guard's engine thread applies them on its next 10 ms
//! tick and publishes a [`Status`] snapshot that they read. Nothing here runs in an audio callback,
//! so a mutex is fine.
//!
//! The socket is a Unix-domain socket in the user's runtime folder, mode 0600: local to this
//! machine and this user, never a network socket. One request line in, one JSON line out.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::dsp::class::Class;
use crate::guard::{Command, Mode, Reason};

/// Seconds of history the timeline keeps.
pub const TIMELINE_S: f64 = 120.0;
/// Width of one timeline slot, seconds.
pub const SLOT_S: f64 = 0.25;

/// What the microphone is doing and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The guard has not opened its audio yet.
    Starting,
    /// Open: live conversation.
    Live,
    /// Muted: hold music on the far end.
    HoldMusic,
    /// Muted: silent hold.
    SilentHold,
    /// Muted by the user.
    ManualMute,
    /// Opened by the user; automatic muting waits for the next hold.
    ManualUnmute,
    /// Guarding paused by the user: open.
    Paused,
    /// Open while the user holds the push-to-talk shortcut.
    PushToTalk,
}

impl State {
    /// The state that `mode` shows.
    pub fn from_mode(mode: Mode) -> Self {
        match mode {
            Mode::Live => State::Live,
            Mode::Hold(Reason::SilentHold) => State::SilentHold,
            Mode::Hold(_) => State::HoldMusic,
            Mode::ManualMute => State::ManualMute,
            Mode::ManualUnmute => State::ManualUnmute,
            Mode::Paused => State::Paused,
            Mode::PushToTalk => State::PushToTalk,
        }
    }

    /// Whether the microphone is muted in this state.
    pub fn muted(self) -> bool {
        matches!(
            self,
            State::HoldMusic | State::SilentHold | State::ManualMute
        )
    }

    /// The banner the window and the tray show.
    pub fn banner(self) -> String {
        self.banner_in(crate::i18n::current())
    }

    /// The banner in `lang`.
    pub fn banner_in(self, lang: crate::i18n::Lang) -> String {
        let key = match self {
            State::Starting => "state-starting",
            State::Live => "state-live",
            State::HoldMusic => "state-hold-music",
            State::SilentHold => "state-silent-hold",
            State::ManualMute => "state-manual-mute",
            State::ManualUnmute => "state-manual-unmute",
            State::Paused => "state-paused",
            State::PushToTalk => "state-push-to-talk",
        };
        crate::i18n::t_in(lang, key, None)
    }
}

/// A snapshot of the running guard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub state: State,
    /// Why the output last changed (the journal's reason name).
    pub reason: Option<String>,
    /// When the state began (Unix seconds).
    pub since: f64,
    /// Something the user should know is wrong (a device lost, no audio server), if any.
    pub problem: Option<String>,
    /// Far-end and microphone levels over the last tick (dBFS).
    pub far_db: f32,
    pub mic_db: f32,
    /// Devices in use (ids as `holdguard devices` lists them).
    pub mic: String,
    pub far: String,
    pub out: String,
    /// Times a live agent reopened the microphone after a hold.
    pub agent_back: u64,
    /// The far end has carried no audio for a minute: no call in progress.
    pub no_call: bool,
    /// The user is speaking while muted: what they say is not sent.
    #[serde(default)]
    pub speaking_muted: bool,
    /// No application records from the virtual microphone, so the audio devices are released
    /// until one does (see `RunOptions::keep_devices_open`).
    #[serde(default)]
    pub standby: bool,
    /// Applications recording the guarded microphone directly, around the guard: what they
    /// record is never muted.
    #[serde(default)]
    pub bypass: Vec<String>,
    /// Process id of the guard.
    pub pid: u32,
}

impl Default for Status {
    fn default() -> Self {
        Self {
            state: State::Starting,
            reason: None,
            since: now_unix(),
            problem: None,
            far_db: -100.0,
            mic_db: -100.0,
            mic: String::new(),
            far: String::new(),
            out: String::new(),
            agent_back: 0,
            no_call: false,
            speaking_muted: false,
            bypass: Vec::new(),
            standby: false,
            pid: std::process::id(),
        }
    }
}

impl Status {
    /// Takes the guard's mode as the state; the elapsed time restarts only when it changes.
    pub fn follow(&mut self, mode: crate::guard::Mode) {
        let state = State::from_mode(mode);
        if self.state != state {
            self.state = state;
            self.since = now_unix();
        }
    }

    /// One line for people: "MUTED — hold music for 1:23".
    pub fn line(&self, now: f64) -> String {
        self.line_in(crate::i18n::current(), now)
    }

    /// The line in `lang`.
    pub fn line_in(&self, lang: crate::i18n::Lang, now: f64) -> String {
        use crate::i18n::{t_in, FluentArgs};
        let arg = |name: &'static str, value: String| {
            let mut a = FluentArgs::new();
            a.set(name, value);
            a
        };
        let mut a = arg("state", self.state.banner_in(lang));
        a.set("time", clock((now - self.since).max(0.0)));
        let mut s = t_in(lang, "status-line", Some(&a));
        if self.standby {
            s.push_str(&format!(" ({})", t_in(lang, "status-standby", None)));
        }
        if self.speaking_muted && self.state.muted() {
            s.push_str(&format!(" — {}", t_in(lang, "status-muted-speech", None)));
        }
        if let Some(p) = &self.problem {
            let a = arg("problem", p.clone());
            s.push_str(&format!(" ({})", t_in(lang, "status-problem", Some(&a))));
        }
        if !self.bypass.is_empty() {
            let a = arg("apps", self.bypass.join(", "));
            s.push_str(&format!(" ({})", t_in(lang, "status-bypass", Some(&a))));
        }
        s
    }
}

/// One slot of the rolling timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slot {
    /// The far end's most frequent class in the slot.
    pub class: Class,
    pub muted: bool,
    pub mic_active: bool,
}

/// What the rest of the program asks of the guard.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    Command(Command),
    /// Remove these intervals (call id, start) from the journal.
    Delete(Vec<(String, f64)>),
}

struct Inner {
    status: Status,
    timeline: VecDeque<Slot>,
    pending: Vec<(u64, Request)>,
    applied: u64,
    next: u64,
    /// Replies to requests that can fail (deletes), by sequence number.
    errors: Vec<(u64, String)>,
}

type Waker = Box<dyn Fn() + Send + Sync>;

/// The one meeting point of the guard thread and everything that controls or shows it.
pub struct Controller {
    inner: Mutex<Inner>,
    applied: Condvar,
    stop: AtomicBool,
    restart: AtomicBool,
    show: AtomicU64,
    view: Mutex<Option<String>>,
    quiet_far_until_ms: AtomicU64,
    wakers: Mutex<Vec<Waker>>,
}

impl Default for Controller {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                status: Status::default(),
                timeline: VecDeque::with_capacity((TIMELINE_S / SLOT_S) as usize + 1),
                pending: Vec::new(),
                applied: 0,
                next: 1,
                errors: Vec::new(),
            }),
            applied: Condvar::new(),
            stop: AtomicBool::new(false),
            restart: AtomicBool::new(false),
            show: AtomicU64::new(0),
            view: Mutex::new(None),
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
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a request; returns its sequence number.
    pub fn submit(&self, req: Request) -> u64 {
        let seq = {
            let mut i = self.lock();
            let seq = i.next;
            i.next += 1;
            i.pending.push((seq, req));
            seq
        };
        self.wake();
        seq
    }

    /// Waits until the guard has applied request `seq`; `Err` carries its failure. Gives up
    /// (returning `Ok(false)`) after `timeout`, e.g. when no guard is running.
    pub fn wait(&self, seq: u64, timeout: Duration) -> Result<bool, String> {
        let deadline = std::time::Instant::now() + timeout;
        let mut i = self.lock();
        while i.applied < seq {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            i = self
                .applied
                .wait_timeout(i, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        match i.errors.iter().position(|(s, _)| *s == seq) {
            Some(k) => Err(i.errors.remove(k).1),
            None => Ok(true),
        }
    }

    /// The guard thread takes the queued requests.
    pub fn take_requests(&self) -> Vec<(u64, Request)> {
        std::mem::take(&mut self.lock().pending)
    }

    /// The guard thread says requests up to `seq` are done (`error` for the one that failed).
    pub fn applied(&self, seq: u64, error: Option<String>) {
        {
            let mut i = self.lock();
            i.applied = i.applied.max(seq);
            if let Some(e) = error {
                i.errors.push((seq, e));
                if i.errors.len() > 16 {
                    i.errors.remove(0);
                }
            }
        }
        self.applied.notify_all();
    }

    /// A copy of the status.
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
        self.applied.notify_all();
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
    pub fn request_show(&self) {
        self.show.fetch_add(1, Ordering::SeqCst);
        self.wake();
    }

    /// Asks the window to come forward showing `view` ("guard", "log", "settings", or "letter":
    /// the rights letters of the latest call).
    pub fn request_view(&self, view: &str) {
        *self.view.lock().unwrap_or_else(|e| e.into_inner()) = Some(view.to_string());
        self.request_show();
    }

    /// The view last asked for, once.
    pub fn take_view(&self) -> Option<String> {
        self.view.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// How many times the window was asked to come forward.
    pub fn show_requests(&self) -> u64 {
        self.show.load(Ordering::SeqCst)
    }

    /// Our own sounds (chime, click) play on the default output, which may be what the guard
    /// listens to: it treats the far end as silent until `until` (Unix seconds).
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

/// Unix seconds now.
pub fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// "1:23" or "1:02:03".
pub fn clock(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The user's runtime folder (private to the user), where the lock and the socket live. Without
/// `XDG_RUNTIME_DIR`, a folder of our own in the temporary directory, mode 0700.
pub fn runtime_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
    {
        return p;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "user".into());
    let dir = std::env::temp_dir().join(format!("holdguard-{user}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    }
    dir
}

/// Where the control socket lives.
pub fn socket_path() -> PathBuf {
    runtime_dir().join("holdguard.sock")
}

/// Takes the per-user instance lock, or says which process holds it. The kernel releases the
/// lock when the process ends, however it ends.
pub fn single_instance() -> Result<std::fs::File, InstanceError> {
    let path = runtime_dir().join("holdguard.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| {
            InstanceError::Io(format!(
                "{}: cannot create the lock file: {e}",
                path.display()
            ))
        })?;
    if file.try_lock().is_err() {
        let pid = std::fs::read_to_string(&path).unwrap_or_default();
        return Err(InstanceError::Running(pid.trim().to_string()));
    }
    use std::io::Seek;
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{}", std::process::id());
    Ok(file)
}

/// Why this process cannot be the guard.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error(
        "Hold Guard is already running (process {0}); use `holdguard status`, or stop it first"
    )]
    Running(String),
    #[error("{0}")]
    Io(String),
}

/// The listening control socket; removed when dropped.
pub struct Server {
    path: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Listens on `path` (replacing a leftover socket: the caller holds the instance lock) and
/// answers requests on a thread of its own.
#[cfg(unix)]
pub fn serve(path: &std::path::Path, ctl: Arc<Controller>) -> std::io::Result<Server> {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixListener;
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new()
        .name("holdguard-control".into())
        .spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                // A client that never ends its line must not hold the socket: 256 bytes at most.
                let mut reader = BufReader::new(std::io::Read::take(&conn, 256));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let reply = answer(&ctl, line.trim());
                let mut w = &conn;
                let _ = w.write_all(reply.to_string().as_bytes());
                let _ = w.write_all(b"\n");
                if ctl.stopping() {
                    break;
                }
            }
        })?;
    Ok(Server {
        path: path.to_path_buf(),
    })
}

/// The reply to one request line.
pub fn answer(ctl: &Controller, line: &str) -> serde_json::Value {
    let cmd = match line {
        "status" => None,
        "show" => {
            ctl.request_show();
            None
        }
        "show guard" | "show log" | "show settings" | "show letter" => {
            ctl.request_view(&line[5..]);
            None
        }
        "mute" => Some(Command::Mute),
        "unmute" => Some(Command::Unmute),
        "toggle" => Some(Command::Toggle),
        "pause" => Some(Command::Pause),
        "resume" => Some(Command::Resume),
        "talk start" => Some(Command::TalkStart),
        "talk end" => Some(Command::TalkEnd),
        other => {
            return serde_json::json!({
                "ok": false,
                "error": format!("unknown request {other:?}; expected status, show [guard|log|settings|letter], mute, unmute, toggle, pause, resume or talk start|end"),
            })
        }
    };
    if let Some(c) = cmd {
        let seq = ctl.submit(Request::Command(c));
        if !matches!(ctl.wait(seq, Duration::from_secs(2)), Ok(true)) {
            return serde_json::json!({
                "ok": false,
                "error": "the guard did not answer within 2 s (is its audio starting?)",
            });
        }
    }
    serde_json::json!({ "ok": true, "status": ctl.status() })
}

/// Sends one request to the running instance and returns its status.
#[cfg(unix)]
pub fn request(path: &std::path::Path, line: &str) -> Result<Status, ClientError> {
    use std::io::{BufRead, BufReader};
    use std::os::unix::net::UnixStream;
    let conn =
        UnixStream::connect(path).map_err(|_| ClientError::NotRunning(path.to_path_buf()))?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(ClientError::Io)?;
    (&conn)
        .write_all(format!("{line}\n").as_bytes())
        .map_err(ClientError::Io)?;
    let mut reply = String::new();
    BufReader::new(&conn)
        .read_line(&mut reply)
        .map_err(ClientError::Io)?;
    let v: serde_json::Value =
        serde_json::from_str(&reply).map_err(|_| ClientError::Garbled(reply.trim().to_string()))?;
    if v["ok"] != serde_json::Value::Bool(true) {
        return Err(ClientError::Refused(
            v["error"].as_str().unwrap_or("no reason given").to_string(),
        ));
    }
    serde_json::from_value(v["status"].clone())
        .map_err(|_| ClientError::Garbled(reply.trim().to_string()))
}

/// Why a request to the running instance failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("Hold Guard is not running (no control socket at {}); start it with `holdguard`", .0.display())]
    NotRunning(PathBuf),
    #[error("the running Hold Guard did not answer: {0}")]
    Io(std::io::Error),
    #[error("the running Hold Guard answered something unexpected: {0}")]
    Garbled(String),
    #[error("the running Hold Guard refused: {0}")]
    Refused(String),
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn fake_guard(ctl: Arc<Controller>) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let mut guard = crate::guard::Guard::new(Default::default(), 0.016);
            while !ctl.stopping() {
                for (seq, req) in ctl.take_requests() {
                    if let Request::Command(c) = req {
                        guard.command(c, 0.0);
                    }
                    let state = State::from_mode(guard.mode());
                    ctl.update(|s| s.state = state);
                    ctl.applied(seq, None);
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    }

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
        let before = ctl.show_requests();
        request(&path, "show").unwrap();
        assert_eq!(ctl.show_requests(), before + 1);
        request(&path, "show log").unwrap();
        assert_eq!(ctl.take_view().as_deref(), Some("log"));
        assert_eq!(ctl.take_view(), None);
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
        let seq = ctl.submit(Request::Command(Command::Mute));
        assert_eq!(ctl.wait(seq, Duration::from_millis(50)), Ok(false));
        ctl.applied(seq, Some("journal unavailable".into()));
        assert_eq!(
            ctl.wait(seq, Duration::from_millis(50)),
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
