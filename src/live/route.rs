//! Listening to the call, not the desk: which applications record the microphone directly,
//! moving them onto Hold Guard Microphone, and capturing the far end from the playback streams
//! of the application that records it.

use crate::audio::virtual_mic::CallPlayback;
use crate::control::Controller;

use super::devices::node_name;
use super::report::Report;

/// Which far end the guard listens to: the softphone's own playback (the application recording
/// the virtual microphone plays the call), found afresh twice a second, or the far device.
pub(super) struct Listen {
    pub(super) enabled: bool,
    pub(super) call: Option<CallPlayback>,
    /// The server could not record one stream alone: the far device from then on.
    pub(super) refused: bool,
}

impl Listen {
    /// Looks for the call's playback again; true when the far end to record has changed.
    pub(super) fn refresh(
        &mut self,
        server: &mut crate::audio::virtual_mic::Server,
        far_id: &str,
        ctl: &Controller,
        say: &dyn Fn(Report),
    ) -> bool {
        if !self.enabled || self.refused {
            return false;
        }
        let Ok(want) = server.call_playback() else {
            return false;
        };
        if want.as_ref().map(|c| c.index) == self.call.as_ref().map(|c| c.index) {
            return false;
        }
        let far = match &want {
            Some(c) => format!("{}'s playback on {}", c.app, c.sink),
            None => far_id.to_string(),
        };
        say(Report::FarEnd {
            playback: want.as_ref().map(|c| (c.app.clone(), c.sink.clone())),
            far: far_id.to_string(),
        });
        ctl.update(|s| s.far = far);
        self.call = want;
        true
    }

    /// The server would not record the call's playback alone.
    pub(super) fn refuse(
        &mut self,
        why: &str,
        far_id: &str,
        ctl: &Controller,
        say: &dyn Fn(Report),
    ) {
        say(Report::FarEndRefused {
            why: why.to_string(),
            far: far_id.to_string(),
        });
        self.refused = true;
        self.call = None;
        ctl.update(|s| s.far = far_id.to_string());
    }
}

/// Keeps every recording of the guarded microphone going through the guard. A softphone left on
/// the physical microphone (never switched, or moved back after a device change) sends
/// everything the guard mutes: such a recording is moved onto the virtual microphone, or, when
/// the user said to leave them (`route_recorders = false`), named in the status and the log so
/// the window and tray can say so.
#[derive(Default)]
pub(super) struct Router {
    pub(super) leave: bool,
    /// Streams already moved or reported (the server's indices).
    pub(super) told: std::collections::HashSet<u32>,
    /// Streams moved onto the virtual microphone, to see that they stay there.
    pub(super) moved: std::collections::HashSet<u32>,
    /// The applications going around the guard now, as last published.
    pub(super) bypass: Vec<String>,
}

/// Marks a stream index in `Router::told` as reported for having left the virtual microphone
/// (server indices are far below it).
pub(super) const MOVED_AWAY: u32 = 1 << 31;

/// Recordings of `mic_id`'s device by other applications.
pub(super) fn on_microphone<'a>(
    apps: &'a [crate::audio::virtual_mic::AppRecording],
    mic_id: &str,
) -> Vec<&'a crate::audio::virtual_mic::AppRecording> {
    let node = node_name(mic_id);
    // A PipeWire id names the node; the PulseAudio protocol calls a sink's recording side
    // `NODE.monitor`.
    apps.iter()
        .filter(|a| a.source == node || a.source.strip_suffix(".monitor") == Some(node))
        .collect()
}

impl Router {
    pub(super) fn new(leave: bool) -> Self {
        Self {
            leave,
            ..Self::default()
        }
    }

    /// Moves (or reports) the recordings of the microphone in `rec`; publishes who goes around.
    pub(super) fn check(
        &mut self,
        rec: &crate::audio::virtual_mic::Recordings,
        mic_id: &str,
        server: &mut crate::audio::virtual_mic::Server,
        ctl: &Controller,
        say: &dyn Fn(Report),
    ) {
        let mut bypass = Vec::new();
        // A move the server accepted can still land elsewhere: PipeWire's session manager links a
        // stream it cannot link to the target to the default source instead.
        self.moved
            .retain(|i| rec.apps.iter().any(|a| a.index == *i));
        for a in rec.apps.iter().filter(|a| self.moved.contains(&a.index)) {
            if a.source != crate::audio::virtual_mic::SOURCE {
                if self.told.insert(a.index | MOVED_AWAY) {
                    say(Report::NotMoved {
                        app: a.app.clone(),
                        source: a.source.clone(),
                    });
                }
                bypass.push(a.app.clone());
            }
        }
        for a in on_microphone(&rec.apps, mic_id) {
            let first = self.told.insert(a.index);
            if !self.leave && !self.moved.contains(&a.index) {
                match server.move_to_virtual_mic(a.index) {
                    Ok(()) => {
                        say(Report::Moved { app: a.app.clone() });
                        self.moved.insert(a.index);
                        continue;
                    }
                    Err(e) if first => say(Report::MoveFailed(e.to_string())),
                    Err(_) => {}
                }
            }
            if first {
                say(Report::Bypass { app: a.app.clone() });
            }
            bypass.push(a.app.clone());
        }
        bypass.sort();
        bypass.dedup();
        if bypass != self.bypass {
            self.bypass = bypass.clone();
            ctl.update(|s| s.bypass = bypass);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_of_the_microphone_are_told_apart_from_the_rest() {
        use crate::audio::virtual_mic::AppRecording;
        let rec = |index, source: &str| AppRecording {
            index,
            app: format!("app{index}"),
            source: source.into(),
        };
        let apps = [
            rec(1, "alsa_input.usb-mic"),
            rec(2, "holdguard_mic"),
            rec(3, "sink_b.monitor"),
            rec(4, "alsa_input.usb-mic-2"),
        ];
        let on = |id| -> Vec<u32> { on_microphone(&apps, id).iter().map(|a| a.index).collect() };
        assert_eq!(on("pipewire:alsa_input.usb-mic"), [1]);
        assert_eq!(on("pulseaudio:alsa_input.usb-mic"), [1]);
        // A sink standing in for the microphone is recorded through its monitor.
        assert_eq!(on("pipewire:sink_b"), [3]);
        assert_eq!(on("pulseaudio:sink_b.monitor"), [3]);
        assert!(on("pipewire:holdguard").is_empty());
    }
}
