//! Reproduces the classifier weights in `src/dsp/model.rs` from a labelled corpus.
//!
//! `holdguard train ../shared/corpus/dev > src/dsp/model.rs` runs every far track through the same
//! feature extractor the engine uses, labels each hop from the segment list, and fits a class-balanced
//! multinomial logistic regression by full-batch gradient descent (Adam, L2). Deterministic: the same
//! corpus gives the same file.

use std::fmt::Write as _;
use std::path::Path;

use crate::dsp::classifier::N_CLASSES;
use crate::dsp::features::{FeatureExtractor, Features, ANALYSIS_RATE, FEATURE_NAMES, HOP_SECONDS, N_FEATURES};
use crate::dsp::resample::StreamResampler;
use crate::eval::labels::load_dir;
use crate::source::{AudioSource, SourceError};

/// Far-end features of a whole file, hop by hop (used by the trainer and by `analyze --dump`).
pub fn file_features(path: &Path) -> Result<Vec<Features>, SourceError> {
    let mut src = AudioSource::open(path)?;
    let mut rs = StreamResampler::new(src.rate(), ANALYSIS_RATE);
    let mut fx = FeatureExtractor::new();
    let (mut raw, mut res, mut out) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        raw.clear();
        let more = src.read_into(&mut raw)?;
        rs.process(&raw, &mut res);
        if !more {
            rs.flush(&mut res);
        }
        fx.push(&res, |f| out.push(*f));
        res.clear();
        if !more {
            return Ok(out);
        }
    }
}

/// Fits the model on every call in `dir` and returns the Rust source of `model.rs`.
pub fn train(dir: &Path) -> anyhow::Result<String> {
    let calls = load_dir(dir)?;
    let mut xs: Vec<[f32; N_FEATURES]> = Vec::new();
    let mut ys: Vec<usize> = Vec::new();
    for c in &calls {
        for (i, f) in file_features(&c.far_path)?.iter().enumerate() {
            let t = (i as f64 + 0.5) * HOP_SECONDS;
            if f.level_db <= crate::dsp::features::FLOOR_DB + 1.0 {
                continue; // classified by rule, not by the model
            }
            xs.push(f.vector());
            ys.push(c.labels.truth_at(t, f.active) as usize);
        }
    }
    let n = xs.len() as f32;
    let mut mean = [0.0f32; N_FEATURES];
    let mut scale = [0.0f32; N_FEATURES];
    for x in &xs {
        for i in 0..N_FEATURES {
            mean[i] += x[i] / n;
        }
    }
    for x in &xs {
        for i in 0..N_FEATURES {
            scale[i] += (x[i] - mean[i]).powi(2) / n;
        }
    }
    for s in scale.iter_mut() {
        *s = s.sqrt().max(1e-3);
    }
    let z: Vec<[f32; N_FEATURES]> =
        xs.iter().map(|x| std::array::from_fn(|i| (x[i] - mean[i]) / scale[i])).collect();
    let mut count = [0.0f32; N_CLASSES];
    for &y in &ys {
        count[y] += 1.0;
    }
    let class_w: [f32; N_CLASSES] = std::array::from_fn(|c| if count[c] > 0.0 { n / (N_CLASSES as f32 * count[c]) } else { 0.0 });
    let total_w: f32 = ys.iter().map(|&y| class_w[y]).sum();

    const D: usize = N_FEATURES + 1;
    let mut w = [[0.0f32; D]; N_CLASSES];
    let (mut m1, mut m2) = ([[0.0f32; D]; N_CLASSES], [[0.0f32; D]; N_CLASSES]);
    let (lr, b1, b2, l2) = (0.05f32, 0.9f32, 0.999f32, 1e-3f32);
    let mut loss = 0.0;
    for step in 1..=600 {
        let mut g = [[0.0f32; D]; N_CLASSES];
        loss = 0.0;
        for (x, &y) in z.iter().zip(&ys) {
            let mut s = [0.0f32; N_CLASSES];
            for c in 0..N_CLASSES {
                s[c] = w[c][N_FEATURES] + (0..N_FEATURES).map(|i| w[c][i] * x[i]).sum::<f32>();
            }
            let mx = s.iter().cloned().fold(f32::MIN, f32::max);
            let sum: f32 = s.iter().map(|v| (v - mx).exp()).sum();
            let cw = class_w[y];
            loss -= cw * ((s[y] - mx) - sum.ln());
            for c in 0..N_CLASSES {
                let p = (s[c] - mx).exp() / sum;
                let e = cw * (p - if c == y { 1.0 } else { 0.0 });
                for i in 0..N_FEATURES {
                    g[c][i] += e * x[i];
                }
                g[c][N_FEATURES] += e;
            }
        }
        for c in 0..N_CLASSES {
            for i in 0..D {
                let gi = g[c][i] / total_w + if i < N_FEATURES { l2 * w[c][i] } else { 0.0 };
                m1[c][i] = b1 * m1[c][i] + (1.0 - b1) * gi;
                m2[c][i] = b2 * m2[c][i] + (1.0 - b2) * gi * gi;
                let mh = m1[c][i] / (1.0 - b1.powi(step));
                let vh = m2[c][i] / (1.0 - b2.powi(step));
                w[c][i] -= lr * mh / (vh.sqrt() + 1e-8);
            }
        }
    }
    loss /= total_w;

    let mut s = String::new();
    writeln!(s, "//! Classifier weights, written by `holdguard train {}` — do not edit by hand.", dir.display())?;
    writeln!(s, "//!")?;
    writeln!(s, "//! {} hops from {} calls; final class-balanced log loss {loss:.4}.", xs.len(), calls.len())?;
    writeln!(s, "//! Inputs, in order: {}.", FEATURE_NAMES.join(", "))?;
    writeln!(s, "//! Classes, in order: silence, tone, music, speech, speech over music.")?;
    writeln!(s)?;
    writeln!(s, "use super::classifier::N_CLASSES;")?;
    writeln!(s, "use super::features::N_FEATURES;")?;
    writeln!(s)?;
    writeln!(s, "/// Mean of each input over the training hops.")?;
    writeln!(s, "pub const MEAN: [f32; N_FEATURES] = {};", fmt_row(&mean))?;
    writeln!(s, "/// Standard deviation of each input over the training hops.")?;
    writeln!(s, "pub const SCALE: [f32; N_FEATURES] = {};", fmt_row(&scale))?;
    writeln!(s, "/// One row per class: a weight per standardised input, then the bias.")?;
    writeln!(s, "pub const WEIGHTS: [[f32; N_FEATURES + 1]; N_CLASSES] = [")?;
    for row in &w {
        writeln!(s, "    {},", fmt_row(row))?;
    }
    writeln!(s, "];")?;
    Ok(s)
}

fn fmt_row(v: &[f32]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    format!("[{}]", items.join(", "))
}
