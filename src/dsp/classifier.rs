//! The far-end classifier: features in, class probabilities out.
//!
//! Tiny neural networks over the [`Features`] vector — [`ENSEMBLE`] of them, each one hidden layer of
//! [`HIDDEN`] tanh units and about 400 weights — learned from the dev corpus by `holdguard train`
//! (which writes `model.rs`) and checked in as constants; their probabilities are averaged. They
//! are small on purpose: a handful of level-free features and a smooth boundary generalise to
//! voices, music and codecs the corpus does not have; the guard's timing rules do the rest. There
//! are four because one network's slips (half a second of a voice heard as music) depend on its
//! random start, and the average of four starts slips less on calls none of them has seen.

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

/// Hidden units of each network.
pub const HIDDEN: usize = 16;
/// Networks in the ensemble (see `holdguard train`).
pub const ENSEMBLE: usize = 4;

/// One network of the ensemble: a hidden layer over the standardised features, then the classes.
pub struct Net {
    /// Hidden layer: a weight per standardised input, then the bias.
    pub w1: [[f32; N_FEATURES + 1]; HIDDEN],
    /// Output layer: a weight per hidden unit, then the bias.
    pub w2: [[f32; HIDDEN + 1]; N_CLASSES],
}

impl Net {
    /// Hidden activations and output logits for standardised features.
    pub fn forward(&self, z: &[f32; N_FEATURES]) -> ([f32; HIDDEN], [f32; N_CLASSES]) {
        let mut h = [0.0f32; HIDDEN];
        for (hj, w) in h.iter_mut().zip(&self.w1) {
            let mut acc = w[N_FEATURES];
            for i in 0..N_FEATURES {
                acc += w[i] * z[i];
            }
            *hj = tanh(acc);
        }
        let mut o = [0.0f32; N_CLASSES];
        for (oc, w) in o.iter_mut().zip(&self.w2) {
            let mut acc = w[HIDDEN];
            for j in 0..HIDDEN {
                acc += w[j] * h[j];
            }
            *oc = acc;
        }
        (h, o)
    }
}

/// The learned classifier: one standardisation of the features (the training data's mean and
/// spread, shared by every member), then networks that differ only in their random start.
pub struct Ensemble {
    pub mean: [f32; N_FEATURES],
    pub scale: [f32; N_FEATURES],
    pub nets: [Net; ENSEMBLE],
}

/// Raw features scaled by the training data's `mean` and spread, as the networks see them (the
/// trainer scales its data with the same function).
pub fn standardise(
    x: &[f32; N_FEATURES],
    mean: &[f32; N_FEATURES],
    scale: &[f32; N_FEATURES],
) -> [f32; N_FEATURES] {
    std::array::from_fn(|i| (x[i] - mean[i]) / scale[i])
}

impl Ensemble {
    /// Class probabilities for raw features: the members' probabilities averaged.
    pub fn probs(&self, x: &[f32; N_FEATURES]) -> Probs {
        let z = standardise(x, &self.mean, &self.scale);
        let mut p = [0.0; N_CLASSES];
        for net in &self.nets {
            for (a, b) in p.iter_mut().zip(softmax(net.forward(&z).1).0) {
                *a += b / ENSEMBLE as f32;
            }
        }
        Probs(p)
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
    model::MODEL.probs(&f.vector())
}

#[cfg(test)]
mod tests {
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
