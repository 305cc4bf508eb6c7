//! The classifier's networks: standardisation, the layers and their arithmetic, shared by the
//! product, the trainer and the cross-validation so that all three get the same bits.

use super::class::{Probs, N_CLASSES};
use super::features::{sum_zip, N_FEATURES};

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
    sum_zip(a, b, |x, y| x * y)
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
