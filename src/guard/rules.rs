use serde::{Deserialize, Serialize};

use crate::dsp::class::{Class, Probs};
use crate::dsp::fingerprint::{repeat_threshold, PrintStore, MAX_QUERY};

use super::evidence::{Evidence, Heard};
use super::tuning::{Hops, Tuning, TUNING};
use super::turns::Turns;

/// Tunable timings of the policy. Defaults are what the README documents.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GuardConfig {
    /// Seconds of far-end silence (and no user speech) before a silent hold mutes.
    pub silent_hold_delay_s: f64,
    /// Seconds of music looked at before muting.
    pub music_confirm_s: f64,
    /// Share of those seconds that must be music (0–1): lower mutes sooner, higher is safer.
    pub music_share: f32,
    /// Far-end speech that starts this soon after a hold began is taken as the queue's greeting.
    pub entry_window_s: f64,
    /// Seconds of speech needed before reopening.
    pub reopen_speech_s: f64,
    /// Longest wait for a fingerprint verdict when the speech is over a music bed (seconds).
    pub over_music_wait_s: f64,
    /// How far below chance (in spreads) a fingerprint distance must be to count as a repeat.
    pub repeat_z: f32,
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
            over_music_wait_s: 1.5,
            repeat_z: 7.0,
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
    /// The user and the far end took turns: a live conversation.
    Conversation,
    /// The user muted by hand.
    ManualMute,
    /// The user unmuted by hand.
    ManualUnmute,
    /// The user paused guarding.
    Paused,
    /// The user resumed guarding; the automatic state applies again.
    Resumed,
    /// The user holds the push-to-talk shortcut: open while it is held.
    PushToTalk,
}

impl Reason {
    /// The name used in JSON output and the journal (the serde name).
    pub fn key(self) -> &'static str {
        match self {
            Reason::HoldMusic => "hold_music",
            Reason::SilentHold => "silent_hold",
            Reason::AgentSpeech => "agent_speech",
            Reason::Conversation => "conversation",
            Reason::ManualMute => "manual_mute",
            Reason::ManualUnmute => "manual_unmute",
            Reason::Paused => "paused",
            Reason::Resumed => "resumed",
            Reason::PushToTalk => "push_to_talk",
        }
    }

    /// Human wording for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::HoldMusic => "hold music",
            Reason::SilentHold => "silent hold",
            Reason::AgentSpeech => "agent speech",
            Reason::Conversation => "conversation",
            Reason::ManualMute => "manual mute",
            Reason::ManualUnmute => "manual unmute",
            Reason::Paused => "paused",
            Reason::Resumed => "resumed",
            Reason::PushToTalk => "push-to-talk",
        }
    }

    /// Whether this reason reopens because a live person is back on the far end.
    pub fn is_live_return(self) -> bool {
        matches!(self, Reason::AgentSpeech | Reason::Conversation)
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
    /// A silent hold turned into a music hold (the interval's reason becomes hold music).
    HoldMusicStarted { t: f64 },
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

/// What decides the output at the moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Automatic, open: live conversation.
    Live,
    /// Automatic, muted: the call is on hold (hold music or silent hold).
    Hold(Reason),
    /// Muted by hand.
    ManualMute,
    /// Opened by hand; automatic muting waits for the next hold.
    ManualUnmute,
    /// Guarding paused: open.
    Paused,
    /// Open while the user holds the push-to-talk shortcut.
    PushToTalk,
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
    /// The push-to-talk shortcut went down: open until it comes up, whatever else holds.
    TalkStart,
    /// The push-to-talk shortcut came up: back to what held before (a hold that began meanwhile
    /// mutes at once).
    TalkEnd,
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
    /// Band level of the far-end hop (dBFS).
    pub level_db: f32,
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

/// Who the far-end speech heard on hold is, as far as the guard can tell this hop.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Verdict {
    /// No voice to judge.
    NoVoice,
    /// The voice already judged a recording goes on.
    Held,
    /// The queue's greeting at the start of a music hold.
    Greeting,
    /// A repeat of something heard during this hold (the bit error rate of the best match).
    Repeat { ber: f32 },
    /// Not decided yet: speech over music waiting for its print or for the music to go.
    Wait,
    /// A live agent; `bare_bed` when the voice came over a bed that did not duck for it.
    Agent { bare_bed: bool },
}

/// Far-end speech heard while muted, waiting for a verdict.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    start: f64,
    first_hop: u64,
    hops: u32,
    over_music: u32,
    /// The voice came over a bed that did not make room for it.
    bare_bed: bool,
    /// The voice came the moment a ducked bed made room for it: a recorded announcement's mix.
    into_duck: bool,
    /// The voice came out of a short hole in the music: perhaps the music itself after lost
    /// packets, heard as speech until its context has refilled.
    after_dropout: bool,
}

/// The policy. See the module docs for the rules.
pub struct Guard {
    cfg: GuardConfig,
    tune: Tuning,
    /// The tuning's durations in hops of `hop_s`.
    n: Hops,
    hop_s: f64,
    auto: Auto,
    manual: Option<Manual>,
    /// The push-to-talk shortcut is held.
    talking: bool,
    muted: bool,
    last_auto_change: f64,
    /// Far-end speech hops in the first [`Tuning::return_check_s`] after the last reopening.
    return_speech_hops: u32,
    last_mic: f64,
    store: PrintStore,
    /// Prints of the last [`Tuning::lead_in_s`] while live: the loop's first announcement often
    /// plays just before the guard is sure it is a hold, and its repeat must still be recognised.
    /// Kept only when no conversation took place in that time.
    lead_in: std::collections::VecDeque<(u16, bool)>,
    /// Far-end speech judged not to be the agent, and when it was last heard.
    held_until: Option<f64>,
    cand: Option<Candidate>,
    /// Start of the current music hold, kept across a brief reopening.
    episode: Option<f64>,
    /// Speech early in this hold is probably the queue's greeting (see `judge_speech`).
    greeting_expected: bool,
    last_reopen: f64,
    /// The last reopening was for a voice over a bed that did not duck for it.
    reopened_over_bed: bool,
    /// Turn-taking between the user and the far end.
    turns: Turns,
    /// When the far end last answered the user back.
    last_exchange: f64,
    /// Mistaken reopenings in this hold: each one the music took back within
    /// [`Tuning::flap_s`] makes the next reopening wait for a longer run of speech.
    flaps: u32,
    /// Why the output last opened automatically.
    last_reopen_reason: Reason,
    /// The far end is answering the user back: its turn does not mute.
    answering: bool,
    /// What the far end's recent hops say.
    ev: Evidence,
}

impl Guard {
    /// A guard that starts live (microphone open) at time zero; `hop_s` is the input spacing.
    pub fn new(cfg: GuardConfig, hop_s: f64) -> Self {
        Self::with_tuning(cfg, TUNING, hop_s)
    }

    /// The same with the policy's own tuning replaced (for experiments and tests).
    pub fn with_tuning(cfg: GuardConfig, tune: Tuning, hop_s: f64) -> Self {
        let memory = ((cfg.memory_s / hop_s) as usize).max(MAX_QUERY * 4);
        let n = Hops::new(&tune, hop_s);
        Self {
            hop_s,
            auto: Auto::Live,
            manual: None,
            talking: false,
            muted: false,
            last_auto_change: f64::NEG_INFINITY,
            return_speech_hops: 0,
            last_mic: f64::NEG_INFINITY,
            store: PrintStore::new(memory),
            lead_in: std::collections::VecDeque::with_capacity(
                (tune.lead_in_s / hop_s) as usize + 1,
            ),
            held_until: None,
            cand: None,
            episode: None,
            greeting_expected: false,
            last_reopen: f64::NEG_INFINITY,
            reopened_over_bed: false,
            turns: Turns::new(&tune, &n, hop_s),
            ev: Evidence::new(&cfg, &tune, &n, hop_s),
            last_exchange: f64::NEG_INFINITY,
            flaps: 0,
            last_reopen_reason: Reason::AgentSpeech,
            answering: false,
            cfg,
            tune,
            n,
        }
    }

    /// Whether the microphone is muted now.
    pub fn muted(&self) -> bool {
        self.muted
    }

    /// What the output follows now, for status displays.
    pub fn mode(&self) -> Mode {
        if self.talking {
            return Mode::PushToTalk;
        }
        match (self.manual, self.auto) {
            (Some(Manual::Mute), _) => Mode::ManualMute,
            (Some(Manual::Unmute), _) => Mode::ManualUnmute,
            (Some(Manual::Pause), _) => Mode::Paused,
            (None, Auto::Live) => Mode::Live,
            (None, Auto::Hold { reason, .. }) => Mode::Hold(reason),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &GuardConfig {
        &self.cfg
    }

    /// Applies a manual command at time `t`; returns the change of output, if any.
    pub fn command(&mut self, cmd: Command, t: f64) -> Option<Transition> {
        match cmd {
            Command::TalkStart => {
                self.talking = true;
                return self.apply(t, Reason::PushToTalk);
            }
            Command::TalkEnd => {
                self.talking = false;
                // Muted again for what held all along, with that reason.
                let reason = match (self.manual, self.auto) {
                    (Some(Manual::Mute), _) => Reason::ManualMute,
                    (None, Auto::Hold { reason, .. }) => reason,
                    _ => Reason::PushToTalk,
                };
                return self.apply(t, reason);
            }
            _ => {}
        }
        // What the user toggles is what they hear: open while talking.
        let cmd = match cmd {
            Command::Toggle if self.muted => Command::Unmute,
            Command::Toggle => Command::Mute,
            c => c,
        };
        let (manual, reason) = match cmd {
            Command::Mute => (Some(Manual::Mute), Reason::ManualMute),
            Command::Unmute => (Some(Manual::Unmute), Reason::ManualUnmute),
            Command::Pause => (Some(Manual::Pause), Reason::Paused),
            Command::Resume | Command::Toggle | Command::TalkStart | Command::TalkEnd => {
                (None, Reason::Resumed)
            }
        };
        self.manual = manual;
        self.apply(t, reason)
    }

    fn output(&self) -> bool {
        if self.talking {
            return false;
        }
        match self.manual {
            Some(Manual::Mute) => true,
            Some(Manual::Unmute) | Some(Manual::Pause) => false,
            None => matches!(self.auto, Auto::Hold { .. }),
        }
    }

    fn apply(&mut self, t: f64, reason: Reason) -> Option<Transition> {
        let out = self.output();
        if out == self.muted {
            return None;
        }
        self.muted = out;
        Some(Transition {
            t,
            muted: out,
            reason,
        })
    }

    /// Feeds one hop. Returns the change of output, if any; `event` hears what the guard noticed.
    pub fn step(&mut self, x: &Input, mut event: impl FnMut(Event)) -> Option<Transition> {
        let t = x.t;
        let Heard {
            speechy,
            far_speech,
            sounding,
        } = self.ev.observe(x, &self.tune, &self.n);

        // Turn-taking: the far end answering the user back.
        let exchange = self.turns.step(
            t,
            sounding,
            x.mic_active,
            x.probs.speech(),
            x.probs.get(Class::Music),
        );
        let conversation = exchange.is_some_and(|e| {
            let pair = e.t - self.last_exchange <= self.tune.exchanges_s;
            self.last_exchange = e.t;
            e.speechy || pair
        });
        // The far end's answer is a person's turn: nothing in it mutes, however much of it the
        // classifier hears as music, until the far end falls quiet.
        // Unless the "answer" turns into music that goes on without a break: a voice, even one
        // heard as music, pauses; hold music after "one moment, please" does not.
        if exchange.is_some() {
            self.answering = true;
        } else if self.answering
            && (self.ev.silence_bits.count(self.n.answer_end)
                >= self.n.answer_end - self.n.answer_end_slack
                || t - self.last_exchange > self.tune.answer_max_s
                || self.ev.music_run as f64 * self.hop_s >= self.tune.answer_music_s)
        {
            self.answering = false;
        }
        // The user's voice is a sign of a live call only while it takes part in the conversation:
        // a turn that starts soon after the far end spoke (an answer), or that carries on such a
        // turn. Talk that starts after a long far-end silence is private talk on hold.
        if x.mic_active {
            let answering = t - self.ev.last_far_speech < self.tune.answer_gap_s
                || t - self.last_mic < self.tune.turn_gap_s
                || self.turns.user_answering();
            if answering {
                self.last_mic = t;
            }
        }
        // An agent who came back over the music talks over it for a while: any speech of theirs,
        // not only clean speech, keeps the music from muting them again.
        let last_voice = if self.reopened_over_bed && t - self.last_reopen < self.tune.episode_gap_s
        {
            self.ev.last_far_speech
        } else {
            self.ev.last_clean_speech
        };
        // In the middle of a conversation, music must last twice as long: a voice (or the line
        // noise under the user's answer) heard as music for half a second must not mute a live
        // call. A hold begins after a pause, so it pays this only when its music starts within a
        // second of the last words: on the dev calls, 0.4 s more leak in one call.
        let mid_talk = t - self.ev.last_talk.max(self.last_mic) < self.tune.mid_talk_s;
        // A person who came back keeps the line: once the far end has backed a reopening with
        // a second of speech (or answered the user), music must for a while also dominate the
        // longer window and run a second without a break before it mutes again. A reopening
        // for a burst of "speech" in the music has no such second behind it, so the music takes
        // it back as fast as before. Every exchange with the user renews the while: a
        // conversation is the surest sign of a person there is.
        if matches!(self.auto, Auto::Live)
            && t - self.last_reopen <= self.tune.return_check_s
            && speechy
        {
            self.return_speech_hops += 1;
        }
        let returned = (t - self.last_reopen < self.tune.return_guard_s
            && (self.last_reopen_reason == Reason::Conversation
                || self.return_speech_hops as f64 * self.hop_s >= self.tune.return_speech_s))
            || t - self.last_exchange < self.tune.return_guard_s;
        let music_ready = self.ev.music_shares().is_some_and(|(short, long)| {
            short >= self.cfg.music_share
                && (!(mid_talk || returned) || long >= self.cfg.music_share)
        }) && (!returned
            || self.ev.music_run as f64 * self.hop_s >= self.tune.return_music_run_s)
            && t - last_voice >= self.tune.clear_of_speech_s;
        let can_change = t - self.last_auto_change >= self.cfg.min_dwell_s;

        if matches!(self.auto, Auto::Live) {
            if self.lead_in.len() as f64 * self.hop_s >= self.tune.lead_in_s {
                self.lead_in.pop_front();
            }
            self.lead_in.push_back((x.print, x.far_active));
        }
        let next = match self.auto {
            Auto::Live if music_ready && can_change && !self.answering => Some((
                Auto::Hold {
                    since: t,
                    reason: Reason::HoldMusic,
                },
                Reason::HoldMusic,
            )),
            Auto::Live
                if can_change
                    && self.ev.heard_far
                    && !self.answering
                    && self.ev.silence_bits.count(self.n.window) >= self.n.silent_hold_quiet
                    && t - self.ev.last_sound >= self.tune.silent_hold_still_s
                    && t - self
                        .ev
                        .last_far_speech
                        .max(self.last_mic)
                        .max(self.last_exchange)
                        .max(0.0)
                        >= self.cfg.silent_hold_delay_s =>
            {
                Some((
                    Auto::Hold {
                        since: t,
                        reason: Reason::SilentHold,
                    },
                    Reason::SilentHold,
                ))
            }
            Auto::Live => None,
            Auto::Hold { reason, .. } => {
                self.store.push(x.print, x.far_active);
                // Music after a silent stretch: the queue starts now, and so does its greeting.
                // Taken at the music's first fifth of a second, not once it is confirmed: queues
                // often speak (or sing) within the music's first second, and that must not pass
                // for an agent back after the silence. Not while speech is being judged: an agent
                // whose first words sound like music must not become a greeting.
                let music_starts = self.cand.is_none()
                    && self.ev.music_bits.count(self.n.window) >= self.n.music_start;
                if reason == Reason::SilentHold && (music_ready || music_starts) {
                    // Unless this silence only interrupted a music hold that reopened by mistake
                    // a moment ago: the same hold goes on, and its greeting is long past.
                    let since = self.continued_hold(t).unwrap_or(t);
                    self.auto = Auto::Hold {
                        since,
                        reason: Reason::HoldMusic,
                    };
                    self.episode = Some(since);
                    self.greeting_expected = true;
                    event(Event::HoldMusicStarted { t });
                }
                if conversation && can_change {
                    // The far end answered the user back: a person is on the line, whatever
                    // the classifier made of them.
                    Some((Auto::Live, Reason::Conversation))
                } else {
                    let verdict = self.judge_speech(x, t, far_speech);
                    self.act_on(verdict, t, can_change, &mut event)
                        .then_some((Auto::Live, Reason::AgentSpeech))
                }
            }
        };
        let (state, reason) = next?;
        self.last_auto_change = t;
        self.held_until = None;
        self.cand = None;
        match state {
            Auto::Hold { reason: r, .. } => {
                // Only when nobody was talking with the far end: a live agent's words are not a
                // recording, and must not be taken for one if they ever sound alike.
                let conversation = t - self.last_mic < self.tune.lead_in_s;
                for (p, a) in self.lead_in.drain(..) {
                    if !conversation {
                        self.store.push(p, a);
                    }
                }
                if self.manual == Some(Manual::Unmute) {
                    // A manual unmute lasts until the next hold begins.
                    self.manual = None;
                }
                // Music that takes back a reopening for speech within seconds: that reopening
                // was a mistake, and the next one in this hold needs more speech.
                if r == Reason::HoldMusic
                    && self.last_reopen_reason == Reason::AgentSpeech
                    && t - self.last_reopen < self.tune.flap_s
                {
                    self.flaps = (self.flaps + 1).min(self.tune.max_flaps);
                } else if self.continued_hold(t).is_none() {
                    self.flaps = 0;
                }
                // Muting for music again soon after a reopening continues the same hold: its entry
                // window does not start over.
                let since = match r {
                    Reason::HoldMusic => self.continued_hold(t).unwrap_or(t),
                    _ => t,
                };
                self.episode = match r {
                    Reason::HoldMusic => Some(since),
                    // A silence soon after a reopening may still be the music hold's.
                    _ => self.continued_hold(t),
                };
                self.greeting_expected = r == Reason::HoldMusic
                    || t - self.ev.last_far_speech > self.tune.no_conversation_s;
                self.auto = Auto::Hold { since, reason: r };
            }
            Auto::Live => {
                self.return_speech_hops = 0;
                self.last_reopen = t;
                self.last_reopen_reason = reason;
                if reason == Reason::Conversation {
                    self.flaps = 0;
                }
                self.auto = Auto::Live;
            }
        }
        self.apply(t, reason)
    }

    /// Start of the music hold that a mute at `t` continues: one that reopened less than
    /// [`Tuning::episode_gap_s`] ago is the same hold, whatever came between; and so is one whose
    /// reopening no conversation followed (the user and the far end never took turns since), however
    /// long ago: a person who came back talks with the user, a false alarm in the music does not.
    /// A new hold would expect a new queue greeting and hold a live agent for one.
    fn continued_hold(&self, t: f64) -> Option<f64> {
        let conversed = self.last_reopen_reason == Reason::Conversation
            || self.last_exchange >= self.last_reopen;
        self.episode
            .filter(|_| t - self.last_reopen < self.tune.episode_gap_s || !conversed)
    }

    /// What the verdict on the far end's speech does: a recording is held muted (with the event
    /// that says which), an agent reopens when the output may change. Returns true to reopen.
    fn act_on(
        &mut self,
        verdict: Verdict,
        t: f64,
        can_change: bool,
        event: &mut impl FnMut(Event),
    ) -> bool {
        match verdict {
            Verdict::Greeting | Verdict::Repeat { .. } => {
                event(match verdict {
                    Verdict::Repeat { ber } => Event::AnnouncementRecognised { t, ber },
                    _ => Event::EntryAnnouncement { t },
                });
                self.held_until = Some(t);
                self.cand = None;
                false
            }
            Verdict::Agent { bare_bed } if can_change => {
                self.reopened_over_bed = bare_bed;
                true
            }
            _ => false,
        }
    }

    /// While on hold: who is this far-end speech?
    fn judge_speech(&mut self, x: &Input, t: f64, far_speech: bool) -> Verdict {
        let Auto::Hold { since, .. } = self.auto else {
            return Verdict::NoVoice;
        };
        if let Some(until) = self.held_until {
            if far_speech {
                self.held_until = Some(t);
            } else if t - until > self.tune.held_gap_s {
                self.held_until = None;
            }
            return Verdict::Held;
        }
        let need =
            (self.cfg.reopen_speech_s / self.hop_s).round().max(1.0) as u32 * (1 + self.flaps);
        let window = ((need as f64 / self.tune.reopen_share) as u32).min(self.n.window);
        // The music must have gone, or clean speech must clearly outweigh it.
        // Speech after a silence had no music under it, however much of it sounds like music.
        let music_gone = self.ev.bed < self.tune.music_gone_p
            || self.ev.music_fast < self.tune.music_gone_p
            || self.ev.speech_fast > self.ev.music_fast + self.tune.speech_lead;
        let voiced = self.ev.speech_bits.count(window) >= need;
        let bare_bed = voiced && !music_gone && self.ev.over_bare_bed(&self.tune);
        let onset = voiced && (music_gone || bare_bed);
        let mut cand = match self.cand {
            Some(c) if far_speech || t - c.start < self.tune.candidate_grace_s => c,
            _ if onset => Candidate {
                start: t,
                first_hop: self.ev.hops_seen.saturating_sub(window as u64),
                hops: 0,
                over_music: 0,
                bare_bed,
                into_duck: self.ev.voice_into_duck,
                after_dropout: self.ev.voice_after_dropout,
            },
            _ => {
                self.cand = None;
                return Verdict::NoVoice;
            }
        };
        cand.hops += 1;
        if x.probs.get(Class::SpeechOverMusic) > x.probs.get(Class::Speech) {
            cand.over_music += 1;
        }
        self.cand = Some(cand);
        // Queues greet the caller right after the music starts, and a line that has been silent
        // since it was dialled is a queue too; but an agent back after a short silence must be
        // heard at once.
        // Unless the music is long gone and the user has answered the far end since: a recorded
        // greeting does not wait for the caller's reply, and a hold resumes its music.
        let conversing =
            t - self.ev.last_music >= self.tune.conversing_s && self.last_mic > self.ev.last_music;
        if self.greeting_expected && cand.start - since < self.cfg.entry_window_s && !conversing {
            return Verdict::Greeting;
        }
        let qlen =
            ((self.ev.hops_seen - cand.first_hop) as usize + self.n.query_lead).min(MAX_QUERY);
        let query = self.ev.recent_prints();
        let query = &query[MAX_QUERY - qlen..];
        let (ber, bits) = self.store.best_match(query, qlen + self.n.query_slack);
        if bits > 0 && ber <= repeat_threshold(bits, self.cfg.repeat_z) {
            return Verdict::Repeat { ber };
        }
        // Speech over a music bed may be a ducked announcement whose print needs longer to emerge.
        let over_music = cand.over_music * 2 > cand.hops;
        let waited = t - cand.start;
        // Speech over a music bed stays muted (a ducked announcement, or music heard as speech):
        // it reopens once clean speech stands on its own — the music stopped or faded under a
        // live agent — or, failing a verdict, after the longest wait.
        let clean = self.ev.clean_bits.count(window) >= need;
        let decided = if cand.into_duck {
            // A voice that comes as the music ducks for it is how a recorded announcement is
            // mixed; a live agent's line does not duck the hold music. Clean as it sounds over the
            // ducked bed, it gets the same time for its print to match as speech over music.
            waited >= self.cfg.over_music_wait_s
        } else if over_music {
            // Over a bed that did not duck for it, a voice is more likely an agent talking over
            // the hold than a recording: it waits only a short while for its print.
            clean || (waited >= self.tune.over_bed_wait_s && onset)
        } else if cand.after_dropout {
            // Music back from lost packets sounded like speech for up to 0.3 s on the dev calls
            // (once 0.8 s, to weights that had not heard that music); a voice that goes on for
            // twice the usual run is an agent who spoke right after the music stopped.
            waited >= self.cfg.reopen_speech_s && voiced
        } else {
            true
        };
        if decided {
            Verdict::Agent {
                bare_bed: cand.bare_bed,
            }
        } else {
            Verdict::Wait
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_keys_are_the_serde_names() {
        for r in [
            Reason::HoldMusic,
            Reason::SilentHold,
            Reason::AgentSpeech,
            Reason::Conversation,
            Reason::ManualMute,
            Reason::ManualUnmute,
            Reason::Paused,
            Reason::Resumed,
            Reason::PushToTalk,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.key());
        }
    }
}
