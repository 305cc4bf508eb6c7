//! What the guard publishes: its state and why, the figures the window shows, and the rolling
//! timeline of the last two minutes.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::dsp::class::Class;
use crate::guard::{Mode, Reason};

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
