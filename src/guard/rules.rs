use serde::{Deserialize, Serialize};

use crate::dsp::classifier::{Class, Probs};
use crate::dsp::fingerprint::{PrintStore, QUERY};

/// Tunable timings of the policy. Defaults are what the README documents.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GuardConfig {
    /// Seconds of far-end silence (and no user speech) before a silent hold mutes.
    pub silent_hold_delay_s: f64,
    /// Seconds of music needed before muting.
    pub music_confirm_s: f64,
    /// Share of those seconds that must be music (0–1): lower mutes sooner, higher is safer.
    pub music_share: f32,
    /// Far-end speech that starts this soon after a hold began is taken as the queue's greeting.
    pub entry_window_s: f64,
    /// Seconds of speech needed before reopening.
    pub reopen_speech_s: f64,
    /// Largest fingerprint bit-error rate that counts as "heard before" (0.5 is chance).
    pub repeat_max_ber: f32,
    /// No two automatic changes closer together than this (seconds).
    pub min_dwell_s: f64,
    /// Seconds of hold audio whose fingerprints are kept (memory only).
    pub memory_s: f64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            silent_hold_delay_s: 5.0,
            music_confirm_s: 0.8,
            music_share: 0.6,
            entry_window_s: 12.0,
            reopen_speech_s: 0.2,
            repeat_max_ber: 0.30,
            min_dwell_s: 0.5,
            memory_s: 1800.0,
        }
    }
}

/// Why the output changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Music on the far end: the call is on hold.
    HoldMusic,
    /// Long silence or comfort noise on both sides: silent hold.
    SilentHold,
    /// A live agent started speaking.
    AgentSpeech,
    /// The user muted by hand.
    ManualMute,
    /// The user unmuted by hand.
    ManualUnmute,
    /// The user paused guarding.
    Paused,
    /// The user resumed guarding; the automatic state applies again.
    Resumed,
}

impl Reason {
    /// Human wording for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::HoldMusic => "hold music",
            Reason::SilentHold => "silent hold",
            Reason::AgentSpeech => "agent speech",
            Reason::ManualMute => "manual mute",
            Reason::ManualUnmute => "manual unmute",
            Reason::Paused => "paused",
            Reason::Resumed => "resumed",
        }
    }
}

/// Something the guard noticed without changing the output.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Far-end speech at the start of a hold, kept muted as the queue's greeting.
    EntryAnnouncement { t: f64 },
    /// Far-end speech recognised as a repeat of something heard during this hold.
    AnnouncementRecognised { t: f64, ber: f32 },
}

/// A change of the output.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Seconds on the caller's timeline.
    pub t: f64,
    /// The new output state.
    pub muted: bool,
    pub reason: Reason,
}

/// A manual command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Mute,
    Unmute,
    Toggle,
    Pause,
    Resume,
}

/// One hop of observations.
#[derive(Clone, Copy, Debug, Default)]
pub struct Input {
    /// End of the hop, seconds.
    pub t: f64,
    /// Classifier output for the far end.
    pub probs: Probs,
    /// The far end carries sound above its noise floor.
    pub far_active: bool,
    /// Fingerprint of this far-end hop.
    pub print: u16,
    /// The user is speaking into the microphone.
    pub mic_active: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Auto {
    Live,
    Hold { since: f64, reason: Reason },
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Manual {
    Mute,
    Unmute,
    Pause,
}

/// A reopening followed by a new mute within this many seconds belongs to the same hold.
const EPISODE_GAP_S: f64 = 15.0;

/// A run of far-end speech heard while muted and judged not to be the agent.
#[derive(Clone, Copy, Debug)]
struct HeldRun {
    last_speech: f64,
}

/// Short history of per-hop flags, as a bit ring.
#[derive(Clone, Copy, Debug, Default)]
struct Bits(u64);

impl Bits {
    fn push(&mut self, b: bool) {
        self.0 = (self.0 << 1) | b as u64;
    }
    fn count(&self, n: u32) -> u32 {
        let mask = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        (self.0 & mask).count_ones()
    }
}

/// The policy. See the module docs for the rules.
pub struct Guard {
    cfg: GuardConfig,
    hop_s: f64,
    auto: Auto,
    manual: Option<Manual>,
    muted: bool,
    last_auto_change: f64,
    music: Vec<f32>,
    music_pos: usize,
    music_sum: f32,
    hops_seen: u64,
    speech_bits: Bits,
    last_far_speech: f64,
    last_mic: f64,
    store: PrintStore,
    recent: [(u16, bool); QUERY],
    /// When the current hold episode began (kept across a brief reopening).
    episode: Option<f64>,
    last_reopen: f64,
    recent_pos: usize,
    held: Option<HeldRun>,
    run_start_hops: u64,
}

impl Guard {
    /// A guard that starts live (microphone open) at time zero; `hop_s` is the input spacing.
    pub fn new(cfg: GuardConfig, hop_s: f64) -> Self {
        let music_len = ((cfg.music_confirm_s / hop_s).round() as usize).max(1);
        let memory = ((cfg.memory_s / hop_s) as usize).max(QUERY * 4);
        Self {
            hop_s,
            auto: Auto::Live,
            manual: None,
            muted: false,
            last_auto_change: f64::NEG_INFINITY,
            music: vec![0.0; music_len],
            music_pos: 0,
            music_sum: 0.0,
            hops_seen: 0,
            speech_bits: Bits::default(),
            last_far_speech: 0.0,
            last_mic: 0.0,
            store: PrintStore::new(memory),
            recent: [(0, false); QUERY],
            episode: None,
            last_reopen: f64::NEG_INFINITY,
            recent_pos: 0,
            held: None,
            run_start_hops: 0,
            cfg,
        }
    }

    /// Whether the microphone is muted now.
    pub fn muted(&self) -> bool {
        self.muted
    }

    /// The configuration in force.
    pub fn config(&self) -> &GuardConfig {
        &self.cfg
    }

    /// Applies a manual command at time `t`; returns the change of output, if any.
    pub fn command(&mut self, cmd: Command, t: f64) -> Option<Transition> {
        let cmd = match cmd {
            Command::Toggle if self.muted => Command::Unmute,
            Command::Toggle => Command::Mute,
            c => c,
        };
        let (manual, reason) = match cmd {
            Command::Mute => (Some(Manual::Mute), Reason::ManualMute),
            Command::Unmute => (Some(Manual::Unmute), Reason::ManualUnmute),
            Command::Pause => (Some(Manual::Pause), Reason::Paused),
            Command::Resume | Command::Toggle => (None, Reason::Resumed),
        };
        self.manual = manual;
        self.apply(t, reason)
    }

    fn auto_muted(&self) -> bool {
        matches!(self.auto, Auto::Hold { .. })
    }

    fn output(&self) -> bool {
        match self.manual {
            Some(Manual::Mute) => true,
            Some(Manual::Unmute) | Some(Manual::Pause) => false,
            None => self.auto_muted(),
        }
    }

    fn apply(&mut self, t: f64, reason: Reason) -> Option<Transition> {
        let out = self.output();
        if out == self.muted {
            return None;
        }
        self.muted = out;
        Some(Transition { t, muted: out, reason })
    }

    /// Feeds one hop. Returns the change of output, if any; `event` hears what the guard noticed.
    pub fn step(&mut self, x: &Input, mut event: impl FnMut(Event)) -> Option<Transition> {
        self.hops_seen += 1;
        let t = x.t;
        let speechy = x.far_active && x.probs.speech() > 0.5;
        self.speech_bits.push(speechy);
        let music_now = x.probs.get(Class::Music) + 0.5 * x.probs.get(Class::SpeechOverMusic);
        self.music_sum += music_now - self.music[self.music_pos];
        self.music[self.music_pos] = music_now;
        self.music_pos = (self.music_pos + 1) % self.music.len();
        self.recent[self.recent_pos] = (x.print, x.far_active);
        self.recent_pos = (self.recent_pos + 1) % QUERY;

        // Far-end speech "present": most of the last 8 hops, so clicks do not count.
        let far_speech = self.speech_bits.count(8) >= 4;
        if far_speech {
            self.last_far_speech = t;
        }
        if x.mic_active {
            self.last_mic = t;
        }
        let full = self.hops_seen as usize >= self.music.len();
        let music_share = self.music_sum / self.music.len() as f32;
        let can_change = t - self.last_auto_change >= self.cfg.min_dwell_s;

        let mut next = None;
        match self.auto {
            Auto::Live => {
                if full && music_share >= self.cfg.music_share && can_change {
                    next = Some((Auto::Hold { since: t, reason: Reason::HoldMusic }, Reason::HoldMusic));
                } else if t - self.last_far_speech.max(self.last_mic) >= self.cfg.silent_hold_delay_s && can_change {
                    next = Some((Auto::Hold { since: t, reason: Reason::SilentHold }, Reason::SilentHold));
                }
            }
            Auto::Hold { since, reason } => {
                self.store.push(x.print, x.far_active);
                // A held run (greeting or repeat) lasts until a second without speech.
                if let Some(h) = &mut self.held {
                    if far_speech {
                        h.last_speech = t;
                    } else if t - h.last_speech > 1.0 {
                        self.held = None;
                    }
                }
                if !far_speech {
                    self.run_start_hops = self.hops_seen;
                }
                let need = (self.cfg.reopen_speech_s / self.hop_s).round().max(1.0) as u32;
                let window = need + need / 2;
                let onset = self.speech_bits.count(window.min(64)) >= need;
                if onset && self.held.is_none() {
                    if t - since < self.cfg.entry_window_s {
                        event(Event::EntryAnnouncement { t });
                        self.held = Some(HeldRun { last_speech: t });
                    } else {
                        let run = (self.hops_seen - self.run_start_hops) as usize;
                        let query = self.query();
                        let ber = self.store.best_match(&query, run + QUERY);
                        if ber <= self.cfg.repeat_max_ber {
                            event(Event::AnnouncementRecognised { t, ber });
                            self.held = Some(HeldRun { last_speech: t });
                        } else if can_change {
                            next = Some((Auto::Live, Reason::AgentSpeech));
                        }
                    }
                }
                // Music taking over again while live is handled on the Live side; a silent hold
                // that turns into music keeps its start time but takes the better reason.
                // The queue's greeting follows the music's start, so the entry window restarts then.
                if next.is_none() && reason == Reason::SilentHold && full && music_share >= self.cfg.music_share {
                    self.auto = Auto::Hold { since: t, reason: Reason::HoldMusic };
                }
            }
        }
        if let Some((state, reason)) = next {
            let entering_hold = matches!(state, Auto::Hold { .. });
            self.auto = state;
            self.last_auto_change = t;
            self.held = None;
            if entering_hold {
                if self.manual == Some(Manual::Unmute) {
                    // A manual unmute lasts until the next hold begins.
                    self.manual = None;
                }
                self.run_start_hops = self.hops_seen;
                // Muting again soon after a reopening continues the same hold: its entry window
                // does not start over.
                let episode = match self.episode {
                    Some(e) if t - self.last_reopen < EPISODE_GAP_S => e,
                    _ => t,
                };
                self.episode = Some(episode);
                if let Auto::Hold { reason, .. } = self.auto {
                    self.auto = Auto::Hold { since: episode, reason };
                }
            } else {
                self.last_reopen = t;
            }
            return self.apply(t, reason);
        }
        None
    }

    fn query(&self) -> [(u16, bool); QUERY] {
        std::array::from_fn(|i| self.recent[(self.recent_pos + i) % QUERY])
    }
}
