//! Reproduces the classifier weights in `src/dsp/model.rs` from a labelled corpus.
//!
//! `holdguard train ../shared/corpus/dev > src/dsp/model.rs` runs every far track through the same
//! feature extractor the engine uses, labels each hop from the segment list, and fits the small
//! networks of `dsp::classifier` by mini-batch gradient descent (Adam, light L2, square-root class
//! balancing, Polyak-averaged weights), one per seed of the ensemble. Deterministic: fixed seeds, so
//! the same corpus gives the same file. `--seed N` trains another draw of the same ensemble (0, the
//! default, is the checked-in one): held-out scores swing with the draw, so `scripts/crossval.sh`
//! averages over several before a change is called better or worse.

use std::fmt::Write as _;
use std::path::Path;

use crate::dsp::classifier::{standardise, Ensemble, Net, ENSEMBLE, HIDDEN, N_CLASSES, TONE_HOPS};
use crate::dsp::features::{
    FeatureExtractor, Features, ANALYSIS_RATE, FEATURE_NAMES, HOP_SECONDS, N_FEATURES,
};
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

/// Writes every hop's features and reference class as CSV (for looking at the data).
pub fn dump(dir: &Path, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    write!(out, "call,t,truth,print,active")?;
    for n in FEATURE_NAMES {
        write!(out, ",{n}")?;
    }
    writeln!(out)?;
    for (ci, c) in load_dir(dir)?.iter().enumerate() {
        for (i, f) in file_features(&c.far_path)?.iter().enumerate() {
            let t = (i as f64 + 1.0) * HOP_SECONDS;
            let truth = c.labels.truth_at(t, f.active) as u8;
            write!(out, "{ci},{t:.3},{truth},{},{}", f.print, f.active as u8)?;
            for v in f.vector() {
                write!(out, ",{v:.4}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

/// Fits the model on every call in `dir` and returns the Rust source of `model.rs`. `draw` picks the
/// networks' random starts and batch order; draw 0 gives the checked-in weights.
pub fn train(dir: &Path, draw: u64) -> anyhow::Result<String> {
    let calls = load_dir(dir)?;
    let mut xs: Vec<[f32; N_FEATURES]> = Vec::new();
    let mut ys: Vec<usize> = Vec::new();
    for c in &calls {
        for (i, f) in file_features(&c.far_path)?.iter().enumerate() {
            let t = (i as f64 + 1.0) * HOP_SECONDS;
            // Left out: digital silence and network tones, classified by rule; and steady lines
            // at other frequencies (a held vowel, a flute note), a few percent of the hops and
            // ambiguous by nature. The model meets those at run time and judges them by their
            // other features, which on the dev calls it does better (fewer missed mutes, same
            // reopenings) than when they were fitted, or ruled tones as they once were.
            if f.level_db <= crate::dsp::features::FLOOR_DB + 1.0
                || f.lines_run as usize >= TONE_HOPS
            {
                continue;
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
    let mut count = [0.0f32; N_CLASSES];
    for &y in &ys {
        count[y] += 1.0;
    }
    // Square-root class balancing: rare classes (tones, speech over music) count more, without
    // letting a few hundred hops dominate.
    let class_w: [f32; N_CLASSES] = std::array::from_fn(|c| {
        if count[c] > 0.0 {
            (n / (N_CLASSES as f32 * count[c])).sqrt()
        } else {
            0.0
        }
    });

    // An ensemble of networks that differ only in their random start: one network's quirks (a
    // voice heard as music for half a second in one training, not in another) average out, and
    // the engine behaves the same on calls no network has seen.
    let zs: Vec<[f32; N_FEATURES]> = xs.iter().map(|x| standardise(x, &mean, &scale)).collect();
    let mut loss = 0.0;
    let nets: [Net; ENSEMBLE] = std::array::from_fn(|seed| {
        let (net, l) = fit(&zs, &ys, &class_w, seed as u64, draw);
        loss += l / ENSEMBLE as f32;
        net
    });
    let model = Ensemble { mean, scale, nets };

    let mut s = String::new();
    let seed_arg = if draw == 0 {
        String::new()
    } else {
        format!(" --seed {draw}")
    };
    writeln!(
        s,
        "//! Classifier weights, written by `holdguard train {}{seed_arg}` — do not edit by hand.",
        dir.display()
    )?;
    writeln!(s, "//!")?;
    writeln!(
        s,
        "//! {} hops from {} calls; final class-weighted log loss {loss:.4}.",
        xs.len(),
        calls.len()
    )?;
    writeln!(s, "//! Inputs, in order: {}.", FEATURE_NAMES.join(", "))?;
    writeln!(
        s,
        "//! Classes, in order: silence, tone, music, speech, speech over music."
    )?;
    writeln!(s)?;
    writeln!(s, "use super::classifier::{{Ensemble, Net}};")?;
    writeln!(s)?;
    writeln!(
        s,
        "/// The checked-in classifier: {ENSEMBLE} networks whose outputs are averaged."
    )?;
    writeln!(s, "#[rustfmt::skip]")?;
    writeln!(
        s,
        "#[allow(clippy::approx_constant)] // learned numbers that happen to look like pi/6"
    )?;
    writeln!(s, "pub const MODEL: Ensemble = Ensemble {{")?;
    writeln!(s, "    mean: {},", fmt_row(&model.mean))?;
    writeln!(s, "    scale: {},", fmt_row(&model.scale))?;
    writeln!(s, "    nets: [")?;
    for net in &model.nets {
        writeln!(s, "        Net {{")?;
        writeln!(s, "            w1: [")?;
        for row in &net.w1 {
            writeln!(s, "                {},", fmt_row(row))?;
        }
        writeln!(s, "            ],")?;
        writeln!(s, "            w2: [")?;
        for row in &net.w2 {
            writeln!(s, "                {},", fmt_row(row))?;
        }
        writeln!(s, "            ],")?;
        writeln!(s, "        }},")?;
    }
    writeln!(s, "    ],")?;
    writeln!(s, "}};")?;
    Ok(s)
}

/// Fits ensemble member `seed` of draw `draw` on standardised features; returns it and its final
/// weighted log loss.
fn fit(
    zs: &[[f32; N_FEATURES]],
    ys: &[usize],
    class_w: &[f32; N_CLASSES],
    seed: u64,
    draw: u64,
) -> (Net, f32) {
    // Member 0 of draw 0 keeps the seed the single model always had.
    let mut rng = 0x2545_f491_4f6c_dd1du64
        ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ draw.wrapping_mul(0x1234_5678_9abc_def1);
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut model = Net {
        w1: [[0.0; N_FEATURES + 1]; HIDDEN],
        w2: [[0.0; HIDDEN + 1]; N_CLASSES],
    };
    let mut uniform = |a: f32| ((next() >> 11) as f64 / (1u64 << 53) as f64) as f32 * 2.0 * a - a;
    let a1 = (6.0 / (N_FEATURES + HIDDEN) as f32).sqrt();
    let a2 = (6.0 / (HIDDEN + N_CLASSES) as f32).sqrt();
    for row in model.w1.iter_mut() {
        for w in row[..N_FEATURES].iter_mut() {
            *w = uniform(a1);
        }
    }
    for row in model.w2.iter_mut() {
        for w in row[..HIDDEN].iter_mut() {
            *w = uniform(a2);
        }
    }
    let mut opt1 = Adam::new(HIDDEN * (N_FEATURES + 1));
    let mut opt2 = Adam::new(N_CLASSES * (HIDDEN + 1));
    let mut avg = Net {
        w1: model.w1,
        w2: model.w2,
    };
    const AVG_RATE: f32 = 1e-3;
    let mut order: Vec<usize> = (0..zs.len()).collect();
    const BATCH: usize = 256;
    const EPOCHS: usize = 25;
    let mut loss = 0.0;
    for _ in 0..EPOCHS {
        for i in (1..order.len()).rev() {
            order.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        loss = 0.0;
        let mut wsum = 0.0;
        for batch in order.chunks(BATCH) {
            let mut g1 = vec![0.0f32; HIDDEN * (N_FEATURES + 1)];
            let mut g2 = vec![0.0f32; N_CLASSES * (HIDDEN + 1)];
            let mut bw = 0.0;
            for &k in batch {
                let (z, y) = (&zs[k], ys[k]);
                let cw = class_w[y];
                let (h, o) = model.forward(z);
                let p = crate::dsp::classifier::softmax(o).0;
                loss -= cw * p[y].max(1e-9).ln();
                wsum += cw;
                bw += cw;
                let mut dh = [0.0f32; HIDDEN];
                for c in 0..N_CLASSES {
                    let e = cw * (p[c] - if c == y { 1.0 } else { 0.0 });
                    for j in 0..HIDDEN {
                        g2[c * (HIDDEN + 1) + j] += e * h[j];
                        dh[j] += e * model.w2[c][j];
                    }
                    g2[c * (HIDDEN + 1) + HIDDEN] += e;
                }
                for j in 0..HIDDEN {
                    let d = dh[j] * (1.0 - h[j] * h[j]);
                    for i in 0..N_FEATURES {
                        g1[j * (N_FEATURES + 1) + i] += d * z[i];
                    }
                    g1[j * (N_FEATURES + 1) + N_FEATURES] += d;
                }
            }
            let w1: &mut [f32] = model.w1.as_flattened_mut();
            opt1.step(w1, &g1, bw);
            let w2: &mut [f32] = model.w2.as_flattened_mut();
            opt2.step(w2, &g2, bw);
            // Polyak averaging: the shipped weights are a running mean of the last few thousand
            // steps, so they do not depend on where the last mini-batch happened to land.
            for (a, w) in avg
                .w1
                .as_flattened_mut()
                .iter_mut()
                .zip(model.w1.as_flattened())
            {
                *a += (w - *a) * AVG_RATE;
            }
            for (a, w) in avg
                .w2
                .as_flattened_mut()
                .iter_mut()
                .zip(model.w2.as_flattened())
            {
                *a += (w - *a) * AVG_RATE;
            }
        }
        loss /= wsum;
    }
    (avg, loss)
}

/// Adam optimiser state for one weight array.
struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

impl Adam {
    fn new(n: usize) -> Self {
        Self {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }
    fn step(&mut self, w: &mut [f32], g: &[f32], batch_weight: f32) {
        let (lr, b1, b2, l2) = (0.003f32, 0.9f32, 0.999f32, 1e-4f32);
        self.t += 1;
        for i in 0..w.len() {
            let gi = g[i] / batch_weight.max(1e-6) + l2 * w[i];
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * gi;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * gi * gi;
            let mh = self.m[i] / (1.0 - b1.powi(self.t));
            let vh = self.v[i] / (1.0 - b2.powi(self.t));
            w[i] -= lr * mh / (vh.sqrt() + 1e-8);
        }
    }
}

fn fmt_row(v: &[f32]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small labelled set of standardised features, two classes apart.
    fn toy() -> (Vec<[f32; N_FEATURES]>, Vec<usize>) {
        let (mut zs, mut ys) = (Vec::new(), Vec::new());
        for i in 0..400 {
            let y = if i % 2 == 0 { 2 } else { 3 };
            let sign = if y == 2 { 1.0 } else { -1.0 };
            zs.push(std::array::from_fn(|k| {
                sign + 0.3 * (((i * 31 + k * 17) % 13) as f32 / 13.0 - 0.5)
            }));
            ys.push(y);
        }
        (zs, ys)
    }

    #[test]
    fn a_draw_is_reproducible_and_draws_differ() {
        let (zs, ys) = toy();
        let w = [1.0; N_CLASSES];
        let (a, _) = fit(&zs, &ys, &w, 1, 0);
        let (b, _) = fit(&zs, &ys, &w, 1, 0);
        let (c, _) = fit(&zs, &ys, &w, 1, 7);
        assert_eq!(a.w1, b.w1);
        assert_eq!(a.w2, b.w2);
        assert_ne!(a.w1, c.w1);
        assert_ne!(a.w2, c.w2);
    }
}
