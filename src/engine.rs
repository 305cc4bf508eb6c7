//! The detection engine: far end and microphone in, mute decisions out, hop by hop.
//!
//! It owns the resampler, feature extractor, classifier, voice-activity detector and guard, and
//! keeps the two inputs in step: a hop is decided only when both its far-end frame and its
//! microphone flag are in. The same engine runs on files (`analyze`) and on live audio.

use std::collections::VecDeque;

use crate::dsp::activity::VoiceActivity;
use crate::dsp::class::{Class, Probs};
use crate::dsp::classifier::classify;
use crate::dsp::features::{FeatureExtractor, Features};
use crate::dsp::frame::{ANALYSIS_RATE, HOP_SECONDS};
use crate::dsp::resample::StreamResampler;
use crate::guard::{Command, Event, Guard, GuardConfig, Input, Transition};

/// One decided hop, for timelines and meters.
#[derive(Clone, Copy, Debug)]
pub struct Hop {
    /// End of the hop, seconds from the start.
    pub t: f64,
    pub class: Class,
    pub probs: Probs,
    pub level_db: f32,
    pub mic_active: bool,
    pub muted: bool,
}

/// What the engine reports.
pub trait Sink {
    /// Every hop.
    fn hop(&mut self, _hop: &Hop) {}
    /// Every change of the mute state.
    fn transition(&mut self, tr: &Transition);
    /// What the guard noticed without changing state.
    fn event(&mut self, _ev: &Event) {}
}

/// What the guard needs of one classified far-end hop.
#[derive(Clone, Copy, Debug)]
pub struct FarHop {
    pub probs: Probs,
    pub active: bool,
    pub print: u16,
    pub level_db: f32,
}

impl FarHop {
    /// A hop's features with the class probabilities a model gave them.
    pub fn new(f: &Features, probs: Probs) -> Self {
        Self {
            probs,
            active: f.active,
            print: f.print,
            level_db: f.level_db,
        }
    }
}

/// The second half of the engine: classified far-end hops and microphone flags in, hop by hop,
/// into the guard. The trainer's cross-validation drives it directly with features it has
/// already computed, so it scores exactly what `analyze` would decide.
pub struct Decider {
    guard: Guard,
    hops: u64,
}

impl Decider {
    /// A guard that starts live at time zero.
    pub fn new(cfg: GuardConfig) -> Self {
        Self {
            guard: Guard::new(cfg, HOP_SECONDS),
            hops: 0,
        }
    }

    /// Seconds decided so far.
    pub fn now(&self) -> f64 {
        self.hops as f64 * HOP_SECONDS
    }

    /// Decides one hop.
    pub fn step(&mut self, f: &FarHop, mic_active: bool, sink: &mut impl Sink) {
        self.hops += 1;
        let t = self.now();
        let input = Input {
            t,
            probs: f.probs,
            far_active: f.active,
            print: f.print,
            mic_active,
            level_db: f.level_db,
        };
        if let Some(tr) = self.guard.step(&input, |e| sink.event(&e)) {
            sink.transition(&tr);
        }
        sink.hop(&Hop {
            t,
            class: f.probs.best(),
            probs: f.probs,
            level_db: f.level_db,
            mic_active,
            muted: self.guard.muted(),
        });
    }
}

/// Far end + microphone → guard.
pub struct Engine {
    resampler: StreamResampler,
    features: FeatureExtractor,
    resampled: Vec<f32>,
    far: VecDeque<FarHop>,
    mic: Option<(VoiceActivity, VecDeque<bool>)>,
    decider: Decider,
}

impl Engine {
    /// An engine for a far end at `far_rate` Hz and, if there is one, a microphone at `mic_rate`.
    pub fn new(far_rate: u32, mic_rate: Option<u32>, cfg: GuardConfig) -> Self {
        Self {
            resampler: StreamResampler::new(far_rate, ANALYSIS_RATE),
            features: FeatureExtractor::new(),
            resampled: Vec::with_capacity(4096),
            far: VecDeque::with_capacity(64),
            mic: mic_rate.map(|r| (VoiceActivity::new(r), VecDeque::with_capacity(64))),
            decider: Decider::new(cfg),
        }
    }

    /// Feeds far-end samples and decides every hop that is complete on both sides.
    pub fn push_far(&mut self, samples: &[f32], sink: &mut impl Sink) {
        self.resampler.process(samples, &mut self.resampled);
        self.analyse_far();
        self.decide(sink);
    }

    /// Feeds microphone samples and decides every hop that is complete on both sides.
    pub fn push_mic(&mut self, samples: &[f32], sink: &mut impl Sink) {
        if let Some((vad, queue)) = &mut self.mic {
            vad.push(samples, |a| queue.push_back(a));
        }
        self.decide(sink);
    }

    /// End of input: flushes the resampler and decides the remaining far-end hops (a microphone
    /// that ended early counts as silent).
    pub fn finish(&mut self, sink: &mut impl Sink) {
        self.resampler.flush(&mut self.resampled);
        self.analyse_far();
        if let Some((_, queue)) = &mut self.mic {
            while queue.len() < self.far.len() {
                queue.push_back(false);
            }
        }
        self.decide(sink);
    }

    /// Applies a manual command now (at the time of the last decided hop).
    pub fn command(&mut self, cmd: Command, sink: &mut impl Sink) {
        if let Some(tr) = self.decider.guard.command(cmd, self.now()) {
            sink.transition(&tr);
        }
    }

    /// Seconds decided so far.
    pub fn now(&self) -> f64 {
        self.decider.now()
    }

    /// Whether the microphone is muted now.
    pub fn muted(&self) -> bool {
        self.decider.guard.muted()
    }

    /// What decides the output now.
    pub fn mode(&self) -> crate::guard::Mode {
        self.decider.guard.mode()
    }

    fn analyse_far(&mut self) {
        let far = &mut self.far;
        self.features.push(&self.resampled, |f| {
            far.push_back(FarHop::new(f, classify(f)))
        });
        self.resampled.clear();
    }

    fn decide(&mut self, sink: &mut impl Sink) {
        loop {
            let mic_active = match &mut self.mic {
                Some((_, q)) if self.far.is_empty() || q.is_empty() => return,
                Some((_, q)) => q.pop_front().unwrap_or(false),
                None if self.far.is_empty() => return,
                None => false,
            };
            let Some(f) = self.far.pop_front() else {
                return;
            };
            self.decider.step(&f, mic_active, sink);
        }
    }
}
