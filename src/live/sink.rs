//! What the guard's decisions do live: the journal's calls and intervals, the status the
//! window and tray read, and the requests they send. The wall clock is passed in (`clock`), so
//! the call bookkeeping is tested below with a made-up one.

use std::sync::atomic::Ordering;

use crate::audio::pipe::Shared;
use crate::control::{Controller, Request, Slot, SLOT_S};
use crate::dsp::class::Class;
use crate::engine::{Engine, Hop, Sink};
use crate::guard::{Event, Transition};
use crate::journal::Journal;

use super::report::Report;

/// A call's id in the journal: when it began, in UTC, without spaces or colons.
pub(super) fn call_id(start: f64) -> String {
    crate::journal::format_utc(start).replace([' ', ':'], "-")
}

/// Reports from the engine thread: journal, pipe flag, status, console.
pub(super) struct LiveSink<'a> {
    pub(super) shared: &'a Shared,
    pub(super) ctl: &'a Controller,
    pub(super) journal: Option<&'a mut Journal>,
    pub(super) call: String,
    /// Class counts of the timeline slot being filled, and its end (engine seconds).
    pub(super) slot: ([u16; crate::dsp::class::N_CLASSES], f64, bool, bool),
    pub(super) far_db: f32,
    pub(super) say: &'a dyn Fn(Report),
    /// The wall clock, Unix seconds (`now_unix` live).
    pub(super) clock: &'a dyn Fn() -> f64,
    /// Since when (Unix seconds) the far end has carried no audio at all.
    pub(super) silent_since: Option<f64>,
    /// No call audio for [`NO_CALL_S`]: the call has ended (or not begun).
    pub(super) no_call: bool,
    /// A silent-hold interval not journaled yet: it only counts if the line comes back.
    pub(super) deferred: Option<(f64, &'static str)>,
    /// When (engine seconds) the user last spoke into a muted microphone, and whether the status
    /// says so now.
    pub(super) muted_speech: (f64, bool),
}

/// How long "you're muted" stays up after the user's last muted word: long enough to read, and
/// no flicker between words.
pub(super) const MUTED_SPEECH_HOLD_S: f64 = 1.5;

/// Below this the far end carries no audio at all (not even comfort noise): nothing is playing.
pub(super) const NO_AUDIO_DB: f32 = -90.0;
/// After this long without any far-end audio the call is taken as over, for the journal.
pub(super) const NO_CALL_S: f64 = 60.0;

impl LiveSink<'_> {
    /// Closes the interval still open, if any, where the call ended.
    pub(super) fn end_call(&mut self, at: f64) {
        if self.journal.as_deref().is_some_and(|j| j.is_open()) {
            self.journal_close(at, "call ended");
        }
    }

    /// Forgets the line's history: the next audio belongs to a new call.
    pub(super) fn new_call(&mut self) {
        self.call = call_id((self.clock)());
        self.silent_since = None;
        self.no_call = false;
        self.deferred = None;
        self.far_db = -100.0;
    }

    pub(super) fn journal_open(&mut self, start: f64, reason: &str) {
        if let Some(j) = self.journal.as_deref_mut() {
            if let Err(e) = j.open_interval(&self.call, start, reason) {
                (self.say)(Report::JournalError(e.to_string()));
            }
        }
    }

    pub(super) fn journal_close(&mut self, end: f64, closed_by: &str) {
        if let Some(j) = self.journal.as_deref_mut() {
            if let Err(e) = j.close_interval(end, closed_by) {
                (self.say)(Report::JournalError(e.to_string()));
            }
        }
    }

    /// Keeps the journal about calls: a silent hold that begins on a line carrying no audio at
    /// all is journaled only once the line sounds again (a hung-up softphone plays nothing, and
    /// the hours until the next call are not time on hold); after [`NO_CALL_S`] of no audio an
    /// open interval is closed where the audio stopped. The microphone itself stays muted.
    pub(super) fn watch_line(&mut self, level_db: f32) {
        let now = (self.clock)();
        if level_db <= NO_AUDIO_DB {
            let since = *self.silent_since.get_or_insert(now);
            if !self.no_call && now - since >= NO_CALL_S {
                self.no_call = true;
                self.deferred = None;
                self.end_call(since);
                self.ctl.update(|s| s.no_call = true);
            }
        } else {
            self.silent_since = None;
            if self.no_call {
                self.no_call = false;
                self.call = call_id(now);
                self.ctl.update(|s| s.no_call = false);
            }
            if let Some((start, reason)) = self.deferred.take() {
                self.journal_open(start, reason);
            }
        }
    }
}

impl Sink for LiveSink<'_> {
    fn hop(&mut self, hop: &Hop) {
        // Call boundaries: a minute with no far-end audio at all (`watch_line`), or standby.
        // Quiet alone is no boundary: a long silent hold with faint comfort noise is one call.
        self.watch_line(hop.level_db);
        self.far_db = hop.level_db;
        let (counts, end, muted, mic) = &mut self.slot;
        counts[hop.class.index()] += 1;
        *muted |= hop.muted;
        *mic |= hop.mic_active;
        // The user talking into a muted microphone is told, never unmuted: the guard may be
        // right (private talk on hold) and only the user knows.
        if hop.muted && hop.mic_active {
            self.muted_speech.0 = hop.t;
        }
        let speaking = hop.muted && hop.t - self.muted_speech.0 < MUTED_SPEECH_HOLD_S;
        if speaking != self.muted_speech.1 {
            self.muted_speech.1 = speaking;
            self.ctl.update(|s| s.speaking_muted = speaking);
        }
        if hop.t >= *end {
            let best = (0..counts.len()).max_by_key(|&k| counts[k]).unwrap_or(0);
            self.ctl.push_slot(Slot {
                class: Class::ALL[best],
                muted: *muted,
                mic_active: *mic,
            });
            *counts = Default::default();
            *end = hop.t + SLOT_S;
            *muted = false;
            *mic = false;
        }
    }
    fn transition(&mut self, tr: &Transition) {
        self.shared.muted.store(tr.muted, Ordering::Relaxed);
        let now = (self.clock)();
        (self.say)(Report::Changed {
            at: now,
            muted: tr.muted,
            reason: tr.reason,
        });
        self.ctl.update(|s| {
            s.reason = Some(tr.reason.key().to_string());
            s.since = now;
            // Both mean someone live is back on the line: the user wants to hear about it.
            if !tr.muted && tr.reason.is_live_return() {
                s.agent_back += 1;
            }
        });
        if tr.muted {
            self.deferred = None;
            if tr.reason == crate::guard::Reason::SilentHold && self.silent_since.is_some() {
                self.deferred = Some((now, tr.reason.key()));
            } else {
                self.journal_open(now, tr.reason.key());
            }
        } else {
            if let Some((start, reason)) = self.deferred.take() {
                self.journal_open(start, reason);
            }
            self.journal_close(now, tr.reason.key());
        }
    }
    fn event(&mut self, ev: &Event) {
        if let Event::AnnouncementRecognised { .. } = ev {
            (self.say)(Report::Announcement { at: (self.clock)() });
        }
    }
}

/// Applies what the window, tray, hotkey or socket asked for.
pub(super) fn serve_requests(ctl: &Controller, engine: &mut Engine, sink: &mut LiveSink) {
    for (req, reply) in ctl.take_requests() {
        let error = match req {
            Request::Command(c) => {
                engine.command(c, sink);
                // The caller reads the status as soon as this is marked applied.
                ctl.update(|s| s.follow(engine.mode()));
                None
            }
            Request::Delete(which) => match sink.journal.as_deref_mut() {
                Some(j) => j.delete(&which).err().map(|e| e.to_string()),
                None => Some("this guard keeps no journal".into()),
            },
        };
        reply.send(error);
    }
}

/// RMS level of `x` in dBFS (−100 for nothing).
pub(super) fn level_db(x: &[f32]) -> f32 {
    if x.is_empty() {
        return -100.0;
    }
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    (10.0 * (ms + 1e-10).log10()).max(-100.0)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::guard::Reason;

    fn hop(t: f64, level_db: f32, muted: bool) -> Hop {
        Hop {
            t,
            class: Class::Silence,
            probs: Default::default(),
            level_db,
            mic_active: false,
            muted,
        }
    }

    #[test]
    fn a_silent_hold_on_a_dead_line_is_journaled_only_if_the_line_comes_back() {
        let dir = std::env::temp_dir().join(format!("hg-sink-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("journal.jsonl");
        let (mut journal, _) = Journal::open(&path).unwrap();
        let shared = Shared::default();
        let ctl = Controller::new();
        let now = Cell::new(1_000_000.0);
        let clock = || now.get();
        let say = |_: Report| {};
        let mut sink = LiveSink {
            shared: &shared,
            ctl: &ctl,
            journal: Some(&mut journal),
            call: call_id(now.get()),
            slot: (Default::default(), SLOT_S, false, false),
            far_db: -100.0,
            say: &say,
            clock: &clock,
            silent_since: None,
            no_call: false,
            deferred: None,
            muted_speech: (f64::NEG_INFINITY, false),
        };
        let first_call = sink.call.clone();
        // A hold with music, then the softphone hangs up: nothing at all on the line.
        sink.transition(&Transition {
            t: 0.0,
            muted: true,
            reason: Reason::HoldMusic,
        });
        now.set(now.get() + 30.0);
        sink.hop(&hop(30.0, -40.0, true));
        let hung_up = now.get();
        for k in 1..=70 {
            now.set(hung_up + k as f64);
            sink.hop(&hop(30.0 + k as f64, -120.0, true));
        }
        // A minute later the call is over: the open interval ends where the audio stopped.
        assert!(sink.no_call && ctl.status().no_call);
        // A silent hold that begins on the dead line waits: the hours until the next call are
        // no time on hold.
        sink.transition(&Transition {
            t: 100.0,
            muted: false,
            reason: Reason::Conversation,
        });
        let silent_from = now.get();
        sink.transition(&Transition {
            t: 101.0,
            muted: true,
            reason: Reason::SilentHold,
        });
        assert!(sink.deferred.is_some());
        // The line sounds again: a new call, and the silent hold counts from when it began.
        now.set(now.get() + 600.0);
        sink.hop(&hop(700.0, -50.0, true));
        assert!(!sink.no_call && sink.call != first_call);
        now.set(now.get() + 10.0);
        sink.transition(&Transition {
            t: 710.0,
            muted: false,
            reason: Reason::AgentSpeech,
        });
        drop(sink);
        drop(journal);
        let got = crate::journal::read(&path).unwrap().intervals;
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            (got[0].call.as_str(), got[0].end),
            (first_call.as_str(), hung_up + 1.0)
        );
        assert_eq!(got[0].closed_by, "call ended");
        assert_eq!(
            (got[1].start, got[1].reason.as_str()),
            (silent_from, "silent_hold")
        );
        assert_eq!(got[1].end, now.get());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
