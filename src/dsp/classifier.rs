//! The far-end classifier: features in, class probabilities out.
//!
//! A multinomial logistic regression over the [`Features`] vector: 85 weights, learned from the dev
//! corpus by `holdguard train` (which writes `model.rs`) and checked in as constants. It is small on
//! purpose: a handful of level-free features and a linear boundary generalise to voices, music and
//! codecs the corpus does not have; the guard's timing rules do the rest.

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
    pub const ALL: [Class; N_CLASSES] = [Class::Silence, Class::Tone, Class::Music, Class::Speech, Class::SpeechOverMusic];

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

/// Softmax of a linear model over standardised inputs.
pub fn linear_softmax(
    x: &[f32; N_FEATURES],
    mean: &[f32; N_FEATURES],
    scale: &[f32; N_FEATURES],
    weights: &[[f32; N_FEATURES + 1]; N_CLASSES],
) -> Probs {
    let mut z = [0.0f32; N_CLASSES];
    for (zc, w) in z.iter_mut().zip(weights) {
        let mut acc = w[N_FEATURES];
        for i in 0..N_FEATURES {
            acc += w[i] * (x[i] - mean[i]) / scale[i];
        }
        *zc = acc;
    }
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
    linear_softmax(&f.vector(), &model::MEAN, &model::SCALE, &model::WEIGHTS)
}
