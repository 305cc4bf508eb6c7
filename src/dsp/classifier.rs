//! The far-end classifier: features in, class probabilities out.
//!
//! A small ensemble of multilayer perceptrons ([`net`](super::net)) over the [`Features`] vector
//! (tanh hidden layers, softmax out; the shape is whatever [`Model`] the trainer wrote, today
//! 24 → 32 → 16 → 5, four members) whose probabilities are averaged. `holdguard train` fits them on the generated corpora
//! and writes `model.rs`, so the weights are plain constants: no runtime, no files, no downloads.
//! The inputs are level-free spectral and temporal-context features, which is what lets unseen
//! voices, music and codecs land on the right side; the guard's timing rules absorb the odd slip.
//! More than one member because a single network's slips depend on its random start, and the
//! average of several starts slips less on sources none of them has heard (measured with
//! source-disjoint cross-validation, `holdguard crossval`).

use super::class::{Class, Probs, N_CLASSES};
use super::features::{Features, FLOOR_DB, TONE_HOPS};
use super::model;
use super::net::Model;

/// Classifies one hop with the checked-in model.
pub fn classify(f: &Features) -> Probs {
    classify_with(&model::MODEL, f)
}

/// Classifies one hop with `model`: the rules for digital silence and network tones, then the
/// networks.
pub fn classify_with(model: &Model, f: &Features) -> Probs {
    if f.level_db <= FLOOR_DB + 1.0 {
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
}
