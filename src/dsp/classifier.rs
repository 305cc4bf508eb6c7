//! The far-end classifier: features in, class probabilities out.
//!
//! A small ensemble of multilayer perceptrons over the [`Features`] vector (tanh hidden layers,
//! softmax out; the shape is whatever [`Model`] the trainer wrote, today 24 → 32 → 16 → 5, four
//! members) whose probabilities are averaged. `holdguard train` fits them on the generated corpora
//! and writes `model.rs`, so the weights are plain constants: no runtime, no files, no downloads.
//! The inputs are level-free spectral and temporal-context features, which is what lets unseen
//! voices, music and codecs land on the right side; the guard's timing rules absorb the odd slip.
//! More than one member because a single network's slips depend on its random start, and the
//! average of several starts slips less on sources none of them has heard (measured with
//! source-disjoint cross-validation, `holdguard crossval`).

use crate::dsp::features::{Features, N_FEATURES};
use crate::dsp::model;

/// What the far end is playing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Line silence or comfort noise.
    Silence,
    /// Call-progress tones: ringback, busy, DTMF, SIT, recording beeps.
    Tone,
    /// Music on its own.
    Music,
    /// Speech on its own.
    Speech,
    /// Speech over a music bed.
    SpeechOverMusic,
}

/// Number of classes.
pub const N_CLASSES: usize = 5;

impl Class {
    /// All classes, in model output order.
    pub const ALL: [Class; N_CLASSES] = [
        Class::Silence,
        Class::Tone,
        Class::Music,
        Class::Speech,
        Class::SpeechOverMusic,
    ];

    /// Index in the model output.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Short name for logs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::Silence => "silence",
            Class::Tone => "tone",
            Class::Music => "music",
            Class::Speech => "speech",
            Class::SpeechOverMusic => "speech_over_music",
        }
    }
}

/// Class probabilities for one hop.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Probs(pub [f32; N_CLASSES]);

impl Probs {
    /// Probability of one class.
    pub fn get(&self, c: Class) -> f32 {
        self.0[c.index()]
    }
    /// The most likely class.
    pub fn best(&self) -> Class {
        let mut best = 0;
        for i in 1..N_CLASSES {
            if self.0[i] > self.0[best] {
                best = i;
            }
        }
        Class::ALL[best]
    }
    /// Probability that someone is speaking, with or without music.
    pub fn speech(&self) -> f32 {
        self.get(Class::Speech) + self.get(Class::SpeechOverMusic)
    }
}

/// Hops of steady pure lines that make a call-progress tone (64 ms on top of the 64 ms frame: a
/// dialled DTMF digit of 100 ms qualifies, the 40 ms minimum of the standard does not).
pub const TONE_HOPS: usize = 4;

/// The widest layer a model may have (the inference keeps activations on the stack).
pub const MAX_WIDTH: usize = 64;

/// A learned classifier: one standardisation of the features (the training data's mean and
/// spread), then members — small networks that differ only in their random start — whose
/// probabilities are averaged. The checked-in one is `model::MODEL`; the trainer and the
/// cross-validation build others at run time and classify with the same code.
#[derive(Clone, Copy, Debug)]
pub struct Model<'a> {
    /// Layer widths from the inputs to the classes, e.g. `[N_FEATURES, 32, N_CLASSES]`.
    pub dims: &'a [usize],
    pub mean: &'a [f32],
    pub scale: &'a [f32],
    /// Each member's weights: layer after layer, each row-major `[out][in + 1]` with the bias
    /// last. Hidden layers are tanh, the last layer gives logits.
    pub members: &'a [&'a [f32]],
}

/// One call a model was fitted on, as `holdguard train` records it beside the weights: the
/// exact digest of its hops and a summary that another machine's LSB-level differences leave
/// alone (`train::CallSummary`), so `train --check` can tell the same data from other data.
#[derive(Clone, Copy, Debug)]
pub struct TrainedCall {
    pub name: &'static str,
    pub set: &'static str,
    pub digest: u64,
    pub hops: u32,
    pub classes: [u32; 6],
    pub means: [f32; N_FEATURES],
}

/// Raw features scaled by the training data's `mean` and spread, as the networks see them (the
/// trainer scales its data with the same function).
pub fn standardise(x: &[f32; N_FEATURES], mean: &[f32], scale: &[f32]) -> [f32; N_FEATURES] {
    std::array::from_fn(|i| (x[i] - mean[i]) / scale[i])
}

/// Weights a model with these layer widths has per member.
pub fn weights_for(dims: &[usize]) -> usize {
    dims.windows(2).map(|d| d[1] * (d[0] + 1)).sum()
}

/// Σ a[i]·b[i] in eight lanes (vectorised; the order is fixed, so training, cross-validation and
/// the product get the same bits).
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    crate::dsp::features::sum_zip(a, b, |x, y| x * y)
}

/// One layer: `out[j] = w[j]·input + bias[j]`, through tanh unless it is the output layer.
#[inline]
pub fn layer(w: &[f32], input: &[f32], out: &mut [f32], hidden: bool) {
    let n = input.len();
    for (o, row) in out.iter_mut().zip(w.chunks_exact(n + 1)) {
        let acc = dot(&row[..n], input) + row[n];
        *o = if hidden { tanh(acc) } else { acc };
    }
}

impl Model<'_> {
    /// Logits of one member for standardised features.
    pub fn logits(&self, member: &[f32], z: &[f32; N_FEATURES]) -> [f32; N_CLASSES] {
        let mut a = [0.0f32; MAX_WIDTH];
        let mut b = [0.0f32; MAX_WIDTH];
        a[..N_FEATURES].copy_from_slice(z);
        let mut w = member;
        let layers = self.dims.len() - 1;
        for (l, d) in self.dims.windows(2).enumerate() {
            let (wl, rest) = w.split_at(d[1] * (d[0] + 1));
            layer(wl, &a[..d[0]], &mut b[..d[1]], l + 1 < layers);
            std::mem::swap(&mut a, &mut b);
            w = rest;
        }
        std::array::from_fn(|c| a[c])
    }

    /// Class probabilities for raw features: the members' probabilities averaged.
    pub fn probs(&self, x: &[f32; N_FEATURES]) -> Probs {
        let z = standardise(x, self.mean, self.scale);
        let mut p = [0.0; N_CLASSES];
        let k = self.members.len() as f32;
        for m in self.members {
            for (a, b) in p.iter_mut().zip(softmax(self.logits(m, &z)).0) {
                *a += b / k;
            }
        }
        Probs(p)
    }

    /// Whether the shapes fit together (checked by a test for the checked-in model).
    pub fn is_consistent(&self) -> bool {
        self.dims.first() == Some(&N_FEATURES)
            && self.dims.last() == Some(&N_CLASSES)
            && self.dims.iter().all(|&d| d <= MAX_WIDTH)
            && self.mean.len() == N_FEATURES
            && self.scale.len() == N_FEATURES
            && !self.members.is_empty()
            && self
                .members
                .iter()
                .all(|m| m.len() == weights_for(self.dims))
    }
}

/// tanh through one `exp`: several times faster than `f32::tanh` (which goes through `expm1`),
/// and within 1e-7 of it, far below what the learned weights resolve.
#[inline]
fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
}

/// Softmax of logits.
pub fn softmax(mut z: [f32; N_CLASSES]) -> Probs {
    let m = z.iter().cloned().fold(f32::MIN, f32::max);
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        sum += *v;
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
    Probs(z)
}

/// Classifies one hop with the checked-in model.
pub fn classify(f: &Features) -> Probs {
    classify_with(&model::MODEL, f)
}

/// Classifies one hop with `model`: the rules for digital silence and network tones, then the
/// networks.
pub fn classify_with(model: &Model, f: &Features) -> Probs {
    if f.level_db <= crate::dsp::features::FLOOR_DB + 1.0 {
        // Digital silence: nothing to measure, and the model never saw exact zeros.
        let mut p = [0.0; N_CLASSES];
        p[Class::Silence.index()] = 1.0;
        return Probs(p);
    }
    if f.tone_run as usize >= TONE_HOPS {
        // Steady pure lines: a network tone, whatever the model would say.
        let mut p = [0.0; N_CLASSES];
        p[Class::Tone.index()] = 1.0;
        return Probs(p);
    }
    model.probs(&f.vector())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_checked_in_model_fits_together() {
        assert!(super::model::MODEL.is_consistent());
    }

    #[test]
    fn fast_tanh_matches_the_library() {
        for i in -3000..=3000 {
            let x = i as f32 * 0.01;
            assert!((super::tanh(x) - x.tanh()).abs() < 1e-6, "{x}");
        }
        for x in [-1e6f32, -100.0, 100.0, 1e6] {
            assert_eq!(super::tanh(x), x.signum());
        }
    }
}
