//! Fitting the classifier's networks to labelled hops.
//!
//! Plain mini-batch gradient descent (Adam, light L2, square-root class balancing, Polyak-averaged
//! weights), one network per member, each from its own random start. Deterministic: the same hops,
//! design and draw give the same bits on any machine with IEEE floats, whichever member finishes
//! first (members run on two threads, each with its own random stream).

use crate::dsp::class::N_CLASSES;
use crate::dsp::features::N_FEATURES;
use crate::dsp::net::{layer, softmax, standardise, weights_for, Model, MAX_WIDTH};

use super::data::parallel_map;

/// The shape of a classifier and how long to train it.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    /// Widths of the hidden layers.
    pub hidden: Vec<usize>,
    /// Networks averaged.
    pub members: usize,
    /// Passes over the training hops.
    pub epochs: usize,
}

impl Default for Design {
    /// The checked-in design.
    fn default() -> Self {
        Self {
            hidden: vec![32, 16],
            members: 4,
            epochs: 25,
        }
    }
}

impl Design {
    /// Layer widths from the inputs to the classes.
    pub fn dims(&self) -> Vec<usize> {
        let mut d = vec![N_FEATURES];
        d.extend(&self.hidden);
        d.push(N_CLASSES);
        d
    }
}

/// A fitted classifier, owned (the checked-in one is the same thing as constants).
#[derive(Clone, Debug)]
pub struct Trained {
    pub dims: Vec<usize>,
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    pub members: Vec<Vec<f32>>,
    /// Hops it was fitted on, and its final class-weighted log loss (mean over members).
    pub hops: usize,
    pub loss: f32,
}

impl Trained {
    /// Runs `f` with this classifier as a [`Model`].
    pub fn with_model<R>(&self, f: impl FnOnce(&Model) -> R) -> R {
        let members: Vec<&[f32]> = self.members.iter().map(|m| m.as_slice()).collect();
        f(&Model {
            dims: &self.dims,
            mean: &self.mean,
            scale: &self.scale,
            members: &members,
        })
    }
}

/// The value `model.rs` stores for `v`: four decimals, read back as Rust reads the literal. The
/// trainer hands out these values, so a model scored in memory is the model checked in.
pub fn stored(v: f32) -> f32 {
    format!("{v:.4}").parse().unwrap_or(v)
}

/// Fits a classifier to `xs` (raw feature vectors) labelled `ys` (`Class` order). `draw` picks
/// the members' random starts and batch order; draw 0 gives the checked-in weights.
pub fn fit(xs: &[[f32; N_FEATURES]], ys: &[u8], design: &Design, draw: u64) -> Trained {
    assert_eq!(xs.len(), ys.len());
    let n = xs.len().max(1) as f64;
    let mut mean = [0.0f64; N_FEATURES];
    for x in xs {
        for i in 0..N_FEATURES {
            mean[i] += x[i] as f64;
        }
    }
    let mean: Vec<f32> = mean.iter().map(|m| stored((m / n) as f32)).collect();
    let mut var = [0.0f64; N_FEATURES];
    for x in xs {
        for i in 0..N_FEATURES {
            var[i] += ((x[i] - mean[i]) as f64).powi(2);
        }
    }
    let scale: Vec<f32> = var
        .iter()
        .map(|v| stored(((v / n).sqrt() as f32).max(1e-3)))
        .collect();
    let mut count = [0.0f32; N_CLASSES];
    for &y in ys {
        count[y as usize] += 1.0;
    }
    // Square-root class balancing: rare classes (tones, speech over music) count more, without
    // letting a few hundred hops dominate.
    let class_w: [f32; N_CLASSES] = std::array::from_fn(|c| {
        if count[c] > 0.0 {
            (n as f32 / (N_CLASSES as f32 * count[c])).sqrt()
        } else {
            0.0
        }
    });
    let zs: Vec<[f32; N_FEATURES]> = xs.iter().map(|x| standardise(x, &mean, &scale)).collect();
    let dims = design.dims();
    let seeds: Vec<u64> = (0..design.members as u64).collect();
    let fitted = parallel_map(&seeds, |&seed| {
        fit_member(&zs, ys, &class_w, &dims, design.epochs, seed, draw)
    });
    let loss = fitted.iter().map(|(_, l)| l).sum::<f32>() / fitted.len().max(1) as f32;
    Trained {
        dims,
        mean,
        scale,
        members: fitted.into_iter().map(|(w, _)| w).collect(),
        hops: xs.len(),
        loss,
    }
}

/// xorshift64: a small, fixed random stream.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, draw: u64) -> Self {
        Self(
            0x2545_f491_4f6c_dd1d
                ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                ^ draw.wrapping_mul(0x1234_5678_9abc_def1),
        )
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in (-a, a).
    fn uniform(&mut self, a: f32) -> f32 {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) as f32 * 2.0 * a - a
    }
}

/// Hops per gradient step.
const BATCH: usize = 256;
/// Weight of the newest weights in the running average that is shipped.
const AVG_RATE: f32 = 1e-3;

/// Fits member `seed` of draw `draw`; returns its weights (as stored) and final loss.
fn fit_member(
    zs: &[[f32; N_FEATURES]],
    ys: &[u8],
    class_w: &[f32; N_CLASSES],
    dims: &[usize],
    epochs: usize,
    seed: u64,
    draw: u64,
) -> (Vec<f32>, f32) {
    let mut rng = Rng::new(seed, draw);
    let mut w = vec![0.0f32; weights_for(dims)];
    let mut off = 0;
    for d in dims.windows(2) {
        // Glorot-uniform weights, zero biases.
        let a = (6.0 / (d[0] + d[1]) as f32).sqrt();
        for j in 0..d[1] {
            for i in 0..d[0] {
                w[off + j * (d[0] + 1) + i] = rng.uniform(a);
            }
        }
        off += d[1] * (d[0] + 1);
    }
    let mut avg = w.clone();
    let mut opt = Adam::new(w.len());
    let mut grad = vec![0.0f32; w.len()];
    let layers = dims.len() - 1;
    // Activations of every layer (the inputs first) and the back-propagated errors.
    let mut acts = vec![[0.0f32; MAX_WIDTH]; layers + 1];
    let mut delta = [0.0f32; MAX_WIDTH];
    let mut delta_prev = [0.0f32; MAX_WIDTH];
    let mut order: Vec<usize> = (0..zs.len()).collect();
    let mut loss = 0.0;
    let mut steps = 0u32;
    for _ in 0..epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        loss = 0.0;
        let mut wsum = 0.0;
        for batch in order.chunks(BATCH) {
            grad.fill(0.0);
            let mut bw = 0.0;
            for &k in batch {
                let y = ys[k] as usize;
                let cw = class_w[y];
                acts[0][..N_FEATURES].copy_from_slice(&zs[k]);
                let mut off = 0;
                for (l, d) in dims.windows(2).enumerate() {
                    let n = d[1] * (d[0] + 1);
                    let (input, output) = acts.split_at_mut(l + 1);
                    layer(
                        &w[off..off + n],
                        &input[l][..d[0]],
                        &mut output[0][..d[1]],
                        l + 1 < layers,
                    );
                    off += n;
                }
                let p = softmax(std::array::from_fn(|c| acts[layers][c])).0;
                loss -= cw * p[y].max(1e-9).ln();
                wsum += cw;
                bw += cw;
                for c in 0..N_CLASSES {
                    delta[c] = cw * (p[c] - if c == y { 1.0 } else { 0.0 });
                }
                // Back through the layers, last first.
                let mut end = w.len();
                for l in (0..layers).rev() {
                    let (n_in, n_out) = (dims[l], dims[l + 1]);
                    let start = end - n_out * (n_in + 1);
                    let input = &acts[l][..n_in];
                    for (j, &dj) in delta[..n_out].iter().enumerate() {
                        let row = start + j * (n_in + 1);
                        let g = &mut grad[row..row + n_in + 1];
                        for (gi, xi) in g.iter_mut().zip(input) {
                            *gi += dj * xi;
                        }
                        g[n_in] += dj;
                    }
                    if l > 0 {
                        delta_prev[..n_in].fill(0.0);
                        for (j, &dj) in delta[..n_out].iter().enumerate() {
                            let row = &w[start + j * (n_in + 1)..start + j * (n_in + 1) + n_in];
                            for (p, r) in delta_prev.iter_mut().zip(row) {
                                *p += r * dj;
                            }
                        }
                        for ((d, p), x) in delta.iter_mut().zip(&delta_prev[..n_in]).zip(input) {
                            // tanh' from the activation itself.
                            *d = p * (1.0 - x * x);
                        }
                    }
                    end = start;
                }
            }
            opt.step(&mut w, &grad, bw);
            // Polyak averaging: the shipped weights are a running mean of the last few thousand
            // steps, so they do not depend on where the last mini-batch happened to land.
            // A plain mean over the first steps, so a short training is averaged too.
            steps += 1;
            let rate = (1.0 / steps as f32).max(AVG_RATE);
            for (a, x) in avg.iter_mut().zip(&w) {
                *a += (x - *a) * rate;
            }
        }
        loss /= wsum.max(1e-9);
    }
    (avg.into_iter().map(stored).collect(), loss)
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
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        let inv_bw = 1.0 / batch_weight.max(1e-6);
        for i in 0..w.len() {
            let gi = g[i] * inv_bw + l2 * w[i];
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * gi;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * gi * gi;
            w[i] -= lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + 1e-8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small labelled set, two classes apart.
    fn toy() -> (Vec<[f32; N_FEATURES]>, Vec<u8>) {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for i in 0..600 {
            let y = if i % 2 == 0 { 2 } else { 3 };
            let sign = if y == 2 { 1.0 } else { -1.0 };
            xs.push(std::array::from_fn(|k| {
                sign + 0.3 * (((i * 31 + k * 17) % 13) as f32 / 13.0 - 0.5)
            }));
            ys.push(y);
        }
        (xs, ys)
    }

    #[test]
    fn a_draw_is_reproducible_and_draws_differ() {
        let (xs, ys) = toy();
        let design = Design {
            hidden: vec![8],
            members: 2,
            epochs: 3,
        };
        let a = fit(&xs, &ys, &design, 0);
        let b = fit(&xs, &ys, &design, 0);
        let c = fit(&xs, &ys, &design, 7);
        assert_eq!(a.members, b.members);
        assert_ne!(a.members, c.members);
        // Members differ from each other: each has its own start.
        assert_ne!(a.members[0], a.members[1]);
    }

    #[test]
    fn it_learns_the_toy_classes_with_one_or_two_hidden_layers() {
        let (xs, ys) = toy();
        for hidden in [vec![8], vec![8, 8]] {
            let design = Design {
                hidden,
                members: 1,
                epochs: 20,
            };
            let t = fit(&xs, &ys, &design, 0);
            let right = t.with_model(|m| {
                xs.iter()
                    .zip(&ys)
                    .filter(|(x, &y)| m.probs(x).best() as u8 == y)
                    .count()
            });
            assert_eq!(right, xs.len(), "{design:?}");
        }
    }

    #[test]
    fn stored_values_are_what_the_literal_reads_back_as() {
        for v in [0.123_456_78f32, -1.000_05, 3.0, 1e-6] {
            let s = stored(v);
            assert_eq!(s, format!("{s:.4}").parse::<f32>().unwrap());
            assert!((s - v).abs() <= 5e-5 + 1e-7);
        }
    }
}
