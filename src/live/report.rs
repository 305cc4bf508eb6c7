//! What the live guard tells its user, as typed events: `holdguard run` prints them (problems on
//! stderr, the rest on stdout), the desktop app prints only the problems and shows the rest
//! through the status. The guard itself prints nothing.

use std::fmt;
use std::time::Duration;

use crate::guard::Reason;

/// The devices the guard uses: cpal ids (`pipewire:NODE`, `pulseaudio:NAME`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ids {
    pub mic: String,
    pub far: String,
    pub out: String,
}

/// One thing worth telling.
#[derive(Clone, Debug, PartialEq)]
pub enum Report {
    /// The virtual microphone exists (it was left by an earlier run when `reused`).
    VirtualMic {
        reused: bool,
    },
    VirtualMicRemoved,
    /// The devices at the start.
    Devices(Ids),
    /// Other devices than before, after a loss or a change of default.
    DevicesChanged(Ids),
    /// A crash left an interval open; it was closed where the journal's heartbeat stopped.
    JournalRecovered {
        end: f64,
        closed_by: String,
    },
    /// What the guard listens to: a softphone's own playback (app, sink), or the far device.
    FarEnd {
        playback: Option<(String, String)>,
        far: String,
    },
    /// The server would not record the call's playback alone: the far device instead.
    FarEndRefused {
        why: String,
        far: String,
    },
    /// An application that recorded the microphone directly now records the virtual one.
    Moved {
        app: String,
    },
    /// A moved application ended up elsewhere.
    NotMoved {
        app: String,
        source: String,
    },
    /// An application records the microphone directly and stays there.
    Bypass {
        app: String,
    },
    /// The server refused to move a recording.
    MoveFailed(String),
    Standby,
    Guarding,
    CannotOpen {
        why: String,
        retry: Duration,
    },
    /// PulseAudio moved a recording of ours off the device it was opened on.
    StreamMoved {
        to: String,
    },
    /// A stream stopped delivering (the translated status line).
    Stalled(String),
    DeviceLost,
    NormalPriority,
    /// The guard muted or reopened (Unix seconds).
    Changed {
        at: f64,
        muted: bool,
        reason: Reason,
    },
    /// A repeated announcement was recognised (Unix seconds).
    Announcement {
        at: f64,
    },
    JournalError(String),
    /// A line of pipe and memory figures (`--stats`).
    Figures(String),
    /// The closing line of figures.
    Summary(String),
}

impl Report {
    /// Something the user must know even when the app shows the rest: a device, stream or
    /// application the guard could not handle as asked.
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Report::DevicesChanged(_)
                | Report::FarEndRefused { .. }
                | Report::NotMoved { .. }
                | Report::Bypass { .. }
                | Report::MoveFailed(_)
                | Report::CannotOpen { .. }
                | Report::StreamMoved { .. }
                | Report::Stalled(_)
                | Report::DeviceLost
                | Report::JournalError(_)
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::audio::virtual_mic::SOURCE;
        use crate::journal::format_utc;
        let choose = "choose \"Hold Guard Microphone\" in";
        match self {
            Report::VirtualMic { reused } => write!(
                f,
                "virtual microphone \"Hold Guard Microphone\" ({SOURCE}) {}",
                if *reused { "reused" } else { "created" }
            ),
            Report::VirtualMicRemoved => write!(f, "virtual microphone removed"),
            Report::Devices(i) => write!(
                f,
                "microphone {}, far end {}, output {}",
                i.mic, i.far, i.out
            ),
            Report::DevicesChanged(i) => write!(
                f,
                "now using microphone {}, far end {}, output {}",
                i.mic, i.far, i.out
            ),
            Report::JournalRecovered { end, closed_by } => write!(
                f,
                "journal: closed an interval left open at {} ({closed_by})",
                format_utc(*end)
            ),
            Report::FarEnd {
                playback: Some((app, sink)),
                ..
            } => write!(
                f,
                "far end: {app}'s own playback (on {sink}), not everything on the speakers"
            ),
            Report::FarEnd {
                playback: None,
                far,
            } => write!(
                f,
                "far end: everything on {far} (no softphone playback found)"
            ),
            Report::FarEndRefused { why, far } => write!(
                f,
                "cannot listen to the softphone's playback alone ({why}); listening to everything on {far}"
            ),
            Report::Moved { app } => write!(
                f,
                "{app} recorded your microphone directly: moved onto Hold Guard Microphone"
            ),
            Report::NotMoved { app, source } => write!(
                f,
                "{app} could not be moved onto Hold Guard Microphone (it records {source} now); {choose} {app}"
            ),
            Report::Bypass { app } => write!(
                f,
                "{app} records your microphone directly — Hold Guard cannot mute it; {choose} {app}"
            ),
            Report::MoveFailed(e) | Report::JournalError(e) | Report::Stalled(e) => {
                write!(f, "{e}")
            }
            Report::Standby => write!(
                f,
                "standby: no app records from Hold Guard Microphone, audio devices released"
            ),
            Report::Guarding => write!(f, "an app records from Hold Guard Microphone: guarding"),
            Report::CannotOpen { why, retry } => write!(
                f,
                "cannot open the audio streams ({why}); retrying in {:.1} s",
                retry.as_secs_f64()
            ),
            Report::StreamMoved { to } => write!(
                f,
                "the sound server moved a recording of ours to {to} (its device went away); reconnecting"
            ),
            Report::DeviceLost => write!(
                f,
                "an audio device went away; reconnecting (the guard keeps its state)"
            ),
            Report::NormalPriority => write!(
                f,
                "warning: the audio threads run at normal priority (real-time scheduling was refused); on a busy machine the microphone may drop out. Allow it with an rtprio limit (e.g. the `audio` group in /etc/security/limits.d) or rtkit"
            ),
            Report::Changed { at, muted, reason } => write!(
                f,
                "{}  {} ({})",
                format_utc(*at),
                if *muted { "muted" } else { "open" },
                reason.describe()
            ),
            Report::Announcement { at } => write!(
                f,
                "{}  announcement recognised, kept muted",
                format_utc(*at)
            ),
            Report::Figures(s) | Report::Summary(s) => write!(f, "{s}"),
        }
    }
}

/// Prints a report as `holdguard run` does: problems on stderr after "holdguard: ", the rest on
/// stdout unless `problems_only`. A closed stdout or stderr (the reader went away) must not bring
/// the guard down, so write errors are ignored instead of panicking like `println!`.
pub fn print(r: &Report, problems_only: bool) {
    use std::io::Write as _;
    if r.is_problem() {
        let _ = writeln!(std::io::stderr(), "holdguard: {r}");
    } else if !problems_only {
        let _ = writeln!(std::io::stdout(), "{r}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_the_ones_the_user_must_act_on() {
        let ids = Ids {
            mic: "pipewire:mic".into(),
            far: "pipewire:sink.monitor".into(),
            out: "pipewire:holdguard_sink".into(),
        };
        assert!(!Report::Devices(ids.clone()).is_problem());
        assert!(Report::DevicesChanged(ids).is_problem());
        assert!(Report::Bypass {
            app: "baresip".into()
        }
        .is_problem());
        assert!(!Report::Moved {
            app: "baresip".into()
        }
        .is_problem());
        assert!(!Report::Standby.is_problem());
        let changed = Report::Changed {
            at: 0.0,
            muted: true,
            reason: Reason::HoldMusic,
        };
        assert!(!changed.is_problem());
        assert_eq!(
            changed.to_string(),
            "1970-01-01 00:00:00  muted (hold music)"
        );
    }
}
