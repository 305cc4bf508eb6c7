//! What the far end's recent hops say, measured once per hop for the policy to read: short
//! histories of per-hop flags (speech, clean speech, music, silence), the music measure over the
//! confirmation windows, fast averages of the class probabilities, the line's loudness and the
//! music bed's usual level, the prints of the last hops, and when each kind of sound was last
//! present. Nothing here decides anything; the rules in `rules` do.

use crate::dsp::class::Class;
use crate::dsp::fingerprint::MAX_QUERY;

use super::rules::{GuardConfig, Input};
use super::tuning::{Hops, Tuning};

/// Short history of per-hop flags, as a bit ring.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Bits(u128);

impl Bits {
    pub(super) fn push(&mut self, b: bool) {
        self.0 = (self.0 << 1) | b as u128;
    }
    pub(super) fn count(&self, n: u32) -> u32 {
        let mask = if n >= 128 {
            u128::MAX
        } else {
            (1u128 << n) - 1
        };
        (self.0 & mask).count_ones()
    }
}

/// What one hop added: whether it sounded like speech, whether far-end speech is present, and
/// whether the classifier heard it as neither silence nor a network tone.
pub(super) struct Heard {
    pub speechy: bool,
    pub far_speech: bool,
    pub sounding: bool,
}

/// The far end's recent hops, as the rules read them.
pub(super) struct Evidence {
    pub hops_seen: u64,
    /// The far end has sounded at least once: before that there is no call to be on hold in.
    pub heard_far: bool,
    /// Hops the classifier called speech, with or without music under it.
    pub speech_bits: Bits,
    /// Hops of speech without music under it.
    pub clean_bits: Bits,
    /// Hops the classifier called clearly music.
    pub music_bits: Bits,
    /// Hops the classifier called silence.
    pub silence_bits: Bits,
    /// Hops the classifier called music, however quiet (a ducked bed may sit under the floor).
    pub bed_bits: Bits,
    /// Hops where the far end sounded: neither silence nor a network tone.
    sound_bits: Bits,
    /// Hops in a row the classifier has heard clear music.
    pub music_run: u32,
    /// Music measure of the last `mid_talk_factor * music_len` hops (ring): the confirmation
    /// window is its newest `music_len`, the mid-conversation window all of it.
    music: Vec<f32>,
    pub music_len: usize,
    music_pos: usize,
    /// Sums of the confirmation window and of the whole ring.
    music_sum: f32,
    music_long_sum: f32,
    /// Fast average of the plain-music probability (about 150 ms).
    pub music_fast: f32,
    /// `music_fast` as it was before the current run of far-end speech began: the bed the speech
    /// came over, not the speech itself partly heard as music.
    pub bed: f32,
    /// The same for clean speech.
    pub speech_fast: f32,
    /// Linear band power of the last [`Tuning::loud_s`] (ring, indexed by hop).
    power: Vec<f32>,
    /// Short loudness (dB, mean power over [`Tuning::loud_s`]) of the last
    /// [`Tuning::loud_history_s`] (ring, indexed by hop).
    loudness: Vec<f32>,
    /// The music bed's usual short loudness on this hold (dB), when there is one.
    bed_db: Option<f32>,
    /// Silence hops in a row, and whether music played just before them.
    silent_run: u32,
    music_before_silence: bool,
    /// When the last short hole in the music ended.
    last_dropout_end: f64,
    /// Prints of the last hops (ring) and whether each sounded like speech.
    recent: [(u16, bool); MAX_QUERY],
    recent_pos: usize,
    /// When far-end speech was last present.
    pub last_far_speech: f64,
    /// When clean far-end speech (no music under it) was last present.
    pub last_clean_speech: f64,
    /// When the far end was last talking: [`Tuning::talk_s`] of clean speech within a second.
    pub last_talk: f64,
    /// When music was last clearly present.
    pub last_music: f64,
    /// When the far end last sounded (anything but silence and tones, clicks aside).
    pub last_sound: f64,
    /// The bed ducked in the second before the current run of far-end speech began.
    voice_ducked: bool,
    /// The current run of far-end speech came as the bed ducked for it: the music played on under
    /// its usual level up to the voice, with no silence between.
    pub voice_into_duck: bool,
    /// The current run of far-end speech came out of a short hole in the music.
    pub voice_after_dropout: bool,
}

impl Evidence {
    pub fn new(cfg: &GuardConfig, tune: &Tuning, n: &Hops, hop_s: f64) -> Self {
        let music_len = ((cfg.music_confirm_s / hop_s).round() as usize).max(1);
        Self {
            hops_seen: 0,
            heard_far: false,
            speech_bits: Bits::default(),
            clean_bits: Bits::default(),
            music_bits: Bits::default(),
            silence_bits: Bits::default(),
            bed_bits: Bits::default(),
            sound_bits: Bits::default(),
            music_run: 0,
            music: vec![0.0; tune.mid_talk_factor * music_len],
            music_len,
            music_pos: 0,
            music_sum: 0.0,
            music_long_sum: 0.0,
            music_fast: 0.0,
            bed: 0.0,
            speech_fast: 0.0,
            power: vec![0.0; n.loud],
            loudness: vec![f32::MIN; n.loud_history],
            bed_db: None,
            silent_run: 0,
            music_before_silence: false,
            last_dropout_end: f64::NEG_INFINITY,
            recent: [(0, false); MAX_QUERY],
            recent_pos: 0,
            last_far_speech: f64::NEG_INFINITY,
            last_clean_speech: f64::NEG_INFINITY,
            last_talk: f64::NEG_INFINITY,
            last_music: f64::NEG_INFINITY,
            last_sound: f64::NEG_INFINITY,
            voice_ducked: true,
            voice_into_duck: false,
            voice_after_dropout: false,
        }
    }

    /// Takes in one hop.
    pub fn observe(&mut self, x: &Input, tune: &Tuning, n: &Hops) -> Heard {
        self.hops_seen += 1;
        let t = x.t;
        self.heard_far |= x.far_active;
        let speechy = x.far_active && x.probs.speech() > tune.speech_p;
        self.speech_bits.push(speechy);
        self.clean_bits
            .push(speechy && x.probs.get(Class::Speech) > x.probs.get(Class::SpeechOverMusic));
        let music_hop = x.far_active && x.probs.get(Class::Music) >= tune.music_p;
        self.music_bits.push(music_hop);
        self.music_run = if music_hop { self.music_run + 1 } else { 0 };
        let silent = x.probs.get(Class::Silence) > tune.silence_p;
        if silent {
            if self.silent_run == 0 {
                self.music_before_silence =
                    self.music_bits.count(n.music_before_gap) >= n.music_before_gap_need;
            }
            self.silent_run = self.silent_run.saturating_add(1);
        } else {
            if self.silent_run > 0 && self.silent_run <= n.dropout && self.music_before_silence {
                self.last_dropout_end = t;
            }
            self.silent_run = 0;
        }
        self.silence_bits.push(silent);
        self.bed_bits
            .push(x.probs.get(Class::Music) >= tune.music_p);
        let music_now = x.probs.get(Class::Music)
            + tune.over_music_as_music * x.probs.get(Class::SpeechOverMusic);
        let ring = self.music.len();
        self.music_sum += music_now - self.music[(self.music_pos + ring - self.music_len) % ring];
        self.music_long_sum += music_now - self.music[self.music_pos];
        self.music[self.music_pos] = music_now;
        self.music_pos = (self.music_pos + 1) % ring;
        self.music_fast += n.fast * (x.probs.get(Class::Music) - self.music_fast);
        if !speechy {
            self.bed = self.music_fast;
        }
        self.speech_fast += n.fast * (x.probs.get(Class::Speech) - self.speech_fast);
        let loud_n = self.power.len() as u64;
        self.power[(self.hops_seen % loud_n) as usize] = 10f32.powf(x.level_db.max(-100.0) / 10.0);
        // Summed afresh each hop: a running sum would drift over a day in the tray.
        let mean_power = self.power.iter().sum::<f32>() / loud_n as f32;
        let loud = 10.0 * mean_power.max(1e-10).log10();
        let history = self.loudness.len() as u64;
        self.loudness[(self.hops_seen % history) as usize] = loud;
        if !speechy && x.probs.get(Class::Music) >= tune.music_p && self.hops_seen >= loud_n {
            // About three seconds of memory: the level the music usually plays at.
            let b = self.bed_db.get_or_insert(loud);
            *b += n.bed * (loud - *b);
        }
        // Only speech is asked about: the music loop repeats too, and an agent talking over it must
        // not be mistaken for a recording. The memory keeps every sounding hop, so a recording
        // whose first words were not yet heard as speech still matches its repeat.
        self.recent[self.recent_pos] = (x.print, speechy);
        self.recent_pos = (self.recent_pos + 1) % MAX_QUERY;

        // Far-end speech "present": a share of a short look-back, so clicks do not count.
        let far_speech = self.speech_bits.count(n.presence) >= n.presence_need;
        if far_speech && self.last_far_speech < t - tune.voice_gap_s {
            // A voice begins: did the music make room for it? Judged once for the whole run, since
            // an announcement's bed stays ducked and what came before it soon leaves the window.
            self.voice_ducked = self.ducked_before(tune);
            // Into a duck, not after a stop: music held half of the last second, and the line did
            // not fall silent before the voice (a hold that stops leaves a gap before the agent
            // speaks). A pause of a second or less inside the voice keeps its first words'
            // verdict, either way: once the silence before an agent has left the window, a
            // syllable heard as music would otherwise make them look like a ducked recording.
            if t - self.last_far_speech > tune.held_gap_s {
                self.voice_into_duck = self.ducked_just_before(tune, n)
                    && self.bed_bits.count(n.window) >= n.bed_share
                    && self.silence_bits.count(n.gap_window) <= n.gap_silence_max;
            }
            self.voice_after_dropout = t - self.last_dropout_end <= tune.dropout_lead_s;
        }
        if far_speech {
            self.last_far_speech = t;
        }
        if self.clean_bits.count(n.presence) >= n.presence_need {
            self.last_clean_speech = t;
        }
        if self.clean_bits.count(n.window) >= n.talk {
            self.last_talk = t;
        }
        if self.music_bits.count(n.music_presence) >= n.music_presence_need {
            self.last_music = t;
        }
        let sounding = x.probs.get(Class::Silence) + x.probs.get(Class::Tone) < tune.sounding_p;
        self.sound_bits.push(x.far_active && sounding);
        if self.sound_bits.count(n.presence) >= n.presence_need {
            self.last_sound = t;
        }
        Heard {
            speechy,
            far_speech,
            sounding,
        }
    }

    /// Mean music measure over the confirmation window, and over the whole ring (the longer
    /// window asked for mid-conversation). `None` until the confirmation window has filled.
    pub fn music_shares(&self) -> Option<(f32, f32)> {
        (self.hops_seen as usize >= self.music_len).then(|| {
            (
                self.music_sum / self.music_len as f32,
                self.music_long_sum / self.music.len() as f32,
            )
        })
    }

    /// The prints of the last [`MAX_QUERY`] hops, oldest first, with their speech flags.
    pub fn recent_prints(&self) -> [(u16, bool); MAX_QUERY] {
        std::array::from_fn(|i| self.recent[(self.recent_pos + i) % MAX_QUERY])
    }

    /// Whether the music dipped well under its usual level in the last second (or there is no
    /// music level to compare with).
    fn ducked_before(&self, tune: &Tuning) -> bool {
        let quietest = self.loudness.iter().fold(f32::MAX, |m, &l| m.min(l));
        self.bed_db.is_none_or(|bed| bed - quietest >= tune.duck_db)
    }

    /// Whether the bed sat well under its usual level in the quarter second before the voice
    /// (about 0.2–0.45 s before its run was confirmed): a duck that lasts up to the voice, not a
    /// quiet moment of the music somewhere in the last second.
    fn ducked_just_before(&self, tune: &Tuning, n: &Hops) -> bool {
        let history = self.loudness.len() as u64;
        let back = (self.hops_seen + history - n.duck_lead) % history;
        self.bed_db
            .is_some_and(|bed| bed - self.loudness[back as usize] >= tune.duck_db)
    }

    /// Whether the current far-end speech came over the music as a new source: the bed did not
    /// duck before it (an announcement's producer makes room for the voice; a live agent's line
    /// does not), and the voice lifts the level clearly above the bed.
    pub fn over_bare_bed(&self, tune: &Tuning) -> bool {
        let now = self.loudness[(self.hops_seen % self.loudness.len() as u64) as usize];
        !self.voice_ducked && self.bed_db.is_some_and(|bed| now - bed >= tune.rise_db)
    }
}
