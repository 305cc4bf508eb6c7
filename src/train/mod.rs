//! Reproducing the classifier weights in `src/dsp/model.rs` from labelled corpora, and
//! measuring how well that training carries over to calls it has not heard.
//!
//! `holdguard train DIR... > src/dsp/model.rs` runs every far track through the engine's feature
//! extractor, labels each hop from the segment list and fits the networks of `dsp::classifier`
//! (`fit`). Deterministic: the same corpora give the same file, bit for bit. `holdguard crossval
//! DIR...` (`crossval`) scores the same training on calls whose music and voices it never heard.

pub mod crossval;
pub mod data;
pub mod fit;

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::dsp::features::{FEATURE_NAMES, N_FEATURES};
use crate::dsp::frame::HOP_SECONDS;
use data::Corpus;
pub use data::{file_activity, file_features};
use fit::{Design, Trained};

/// Writes every hop's features and reference class as CSV (for looking at the data).
pub fn dump(dirs: &[PathBuf], out: &mut impl std::io::Write) -> anyhow::Result<()> {
    let corpus = Corpus::load(dirs)?;
    write!(out, "call,t,truth,heard,print,active")?;
    for n in FEATURE_NAMES {
        write!(out, ",{n}")?;
    }
    writeln!(out)?;
    for c in &corpus.calls {
        for (i, f) in c.far.iter().enumerate() {
            let t = (i as f64 + 1.0) * HOP_SECONDS;
            let truth = c.truth[i].map_or(String::new(), |y| y.to_string());
            let heard = corpus.names(c.heard[i]).join(" ");
            write!(
                out,
                "{},{t:.3},{truth},{heard},{},{}",
                c.labels.name, f.print, f.active as u8
            )?;
            for v in f.vector() {
                write!(out, ",{v:.4}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

/// The training hops of `corpus`: every decided hop of the calls `use_call` accepts whose
/// sound `use_hop` accepts (the cross-validation leaves out what its test calls play).
pub fn training_set(
    corpus: &Corpus,
    use_call: impl Fn(usize) -> bool,
    use_hop: impl Fn(data::SourceSet) -> bool,
) -> (Vec<[f32; N_FEATURES]>, Vec<u8>) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (ci, c) in corpus.calls.iter().enumerate() {
        if !use_call(ci) {
            continue;
        }
        for ((f, truth), &heard) in c.far.iter().zip(&c.truth).zip(&c.heard) {
            if let Some(y) = truth {
                if use_hop(heard) {
                    xs.push(f.vector());
                    ys.push(*y);
                }
            }
        }
    }
    (xs, ys)
}

/// The set whose calls CI holds without generating any (`shared/corpus/dev`): `train --check`
/// refits on it alone to tell whether the trainer still makes the weights it made.
pub const FIRST_SET: &str = "dev";

/// FNV-1a, 64 bits: a digest that is the same on every machine.
struct Digest(u64);

impl Digest {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= x as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn floats(&mut self, v: &[f32]) {
        for x in v {
            self.bytes(&x.to_bits().to_le_bytes());
        }
    }
}

/// What one call gives the trainer, in a form that survives another machine: the number of
/// hops, how many of them each class holds, and the mean of each model input. A corpus generated
/// on another CPU or with other library versions differs from the original by a few LSB in some
/// tracks (the generator's README says so), which changes [`call_digest`] but none of these
/// beyond [`SAME_MEAN`]; another clip, label or feature change moves them far more.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSummary {
    pub hops: u32,
    /// Hops per reference class (`Class` order), the undecided ones last.
    pub classes: [u32; 6],
    pub means: [f32; N_FEATURES],
}

/// How far (in the model's standardised units) a mean input may move between machines and still
/// be the same data. LSB-level differences move them by 1e-4 or less.
pub const SAME_MEAN: f32 = 0.005;

/// How many hops may change class between machines (a hop at the edge of digital silence).
pub const SAME_CLASSES: u32 = 2;

impl CallSummary {
    pub fn of(c: &data::CallData) -> Self {
        let mut classes = [0u32; 6];
        let mut sums = [0f64; N_FEATURES];
        for (f, t) in c.far.iter().zip(&c.truth) {
            classes[t.map_or(5, usize::from).min(5)] += 1;
            for (s, v) in sums.iter_mut().zip(f.vector()) {
                *s += f64::from(v);
            }
        }
        let n = c.far.len().max(1) as f64;
        Self {
            hops: c.far.len() as u32,
            classes,
            means: std::array::from_fn(|i| (sums[i] / n) as f32),
        }
    }

    /// Why `self` (recorded) and `got` are not the same data, if they are not. `scale` is the
    /// model's spread of each input.
    pub fn differs(&self, got: &Self, scale: &[f32]) -> Option<String> {
        if self.hops != got.hops {
            return Some(format!("{} hops, {} recorded", got.hops, self.hops));
        }
        let moved: u32 = self
            .classes
            .iter()
            .zip(&got.classes)
            .map(|(a, b)| a.abs_diff(*b))
            .sum::<u32>()
            / 2;
        if moved > SAME_CLASSES {
            return Some(format!("{moved} hops changed class"));
        }
        let (i, d) = self
            .means
            .iter()
            .zip(&got.means)
            .zip(scale)
            .map(|((a, b), s)| (a - b).abs() / s.max(1e-6))
            .enumerate()
            .fold((0, 0f32), |m, (i, d)| if d > m.1 { (i, d) } else { m });
        (d > SAME_MEAN).then(|| {
            format!(
                "mean {} moved by {d:.4} of its spread (more than {SAME_MEAN})",
                FEATURE_NAMES[i]
            )
        })
    }
}

/// Digest of what one call gives the trainer: every hop's model inputs and reference class.
pub fn call_digest(c: &data::CallData) -> u64 {
    let mut d = Digest::new();
    for (f, t) in c.far.iter().zip(&c.truth) {
        d.bytes(&[t.unwrap_or(u8::MAX)]);
        d.floats(&f.vector());
    }
    d.0
}

/// Digest of a classifier's shape and weights.
pub fn model_digest(m: &crate::dsp::net::Model) -> u64 {
    let mut d = Digest::new();
    for &x in m.dims {
        d.bytes(&(x as u64).to_le_bytes());
    }
    d.floats(m.mean);
    d.floats(m.scale);
    for w in m.members {
        d.floats(w);
    }
    d.0
}

/// The set a call belongs to, from its labels (or its name's prefix).
/// The corpus set a call belongs to (`dev`, `train`, `extra`…), from its labels or name.
pub fn set_of(c: &data::CallData) -> &str {
    c.labels
        .set
        .as_deref()
        .unwrap_or_else(|| c.labels.name.split('_').next().unwrap_or(""))
}

/// Fits the checked-in design to every hop of the calls `use_call` accepts.
fn fit_calls(corpus: &Corpus, use_call: impl Fn(usize) -> bool, draw: u64) -> Trained {
    let (xs, ys) = training_set(corpus, use_call, |_| true);
    fit::fit(&xs, &ys, &Design::default(), draw)
}

/// Fits the model on every call in `dirs` and returns the Rust source of `model.rs`. `draw`
/// picks the networks' random starts and batch order; draw 0 gives the checked-in weights.
pub fn train(dirs: &[PathBuf], draw: u64) -> anyhow::Result<String> {
    let corpus = Corpus::load(dirs)?;
    let trained = fit_calls(&corpus, |_| true, draw);
    let first = fit_calls(&corpus, |c| set_of(&corpus.calls[c]) == FIRST_SET, draw);
    let first_digest = first.with_model(model_digest);
    let sets: Vec<String> = dirs
        .iter()
        .map(|d| {
            d.file_name().map_or(d.display().to_string(), |n| {
                n.to_string_lossy().into_owned()
            })
        })
        .collect();
    source(&trained, &corpus, &sets.join(" "), draw, first_digest)
}

/// Checks that `dirs` hold the data the checked-in weights were fitted on, and that this trainer
/// still fits them: every call's hops must match the digest `model.rs` recorded for it; given all
/// the calls, the weights are fitted again and compared; given a part that includes the
/// [`FIRST_SET`], that set's weights are. Returns what was checked.
pub fn check(dirs: &[PathBuf]) -> anyhow::Result<String> {
    use crate::dsp::model::{FIRST_SET_WEIGHTS, MODEL, TRAINED_ON};
    let corpus = Corpus::load(dirs)?;
    let (mut bad, mut close) = (Vec::new(), 0);
    for c in &corpus.calls {
        let name = c.labels.name.as_str();
        let Some(rec) = TRAINED_ON.iter().find(|r| r.name == name) else {
            bad.push(format!(
                "{name}: not a call the checked-in weights were fitted on"
            ));
            continue;
        };
        if rec.digest == call_digest(c) {
            continue;
        }
        let recorded = CallSummary {
            hops: rec.hops,
            classes: rec.classes,
            means: rec.means,
        };
        match recorded.differs(&CallSummary::of(c), MODEL.scale) {
            // Not bit for bit, yet the same clips and labels: generated on another CPU or with
            // other library versions.
            None => close += 1,
            Some(why) => bad.push(format!(
                "{name}: not the data the checked-in weights were fitted on ({why}: features, \
                 labels or the generated audio changed)"
            )),
        }
    }
    if !bad.is_empty() {
        anyhow::bail!(
            "{}\nretrain with `bash scripts/train.sh` and commit src/dsp/model.rs",
            bad.join("\n")
        );
    }
    let all = TRAINED_ON.len() == corpus.calls.len();
    let (what, got, want) = if all {
        let t = fit_calls(&corpus, |_| true, 0);
        (
            "all the".to_string(),
            t.with_model(model_digest),
            model_digest(&MODEL),
        )
    } else {
        let expected = TRAINED_ON.iter().filter(|r| r.set == FIRST_SET).count();
        let have = corpus
            .calls
            .iter()
            .filter(|c| set_of(c) == FIRST_SET)
            .count();
        if have != expected {
            anyhow::bail!(
                "give all {expected} calls of the {FIRST_SET} set (found {have}), or every call \
                 the weights were fitted on"
            );
        }
        let t = fit_calls(&corpus, |c| set_of(&corpus.calls[c]) == FIRST_SET, 0);
        (
            format!("the {FIRST_SET}"),
            t.with_model(model_digest),
            FIRST_SET_WEIGHTS,
        )
    };
    if got != want {
        anyhow::bail!(
            "the trainer no longer fits the recorded weights to {what} calls: \
             retrain with `bash scripts/train.sh` and commit src/dsp/model.rs"
        );
    }
    let exact = corpus.calls.len() - close;
    let how = if close == 0 {
        "bit for bit".to_string()
    } else {
        format!(
            "{exact} bit for bit, {close} within LSB-level differences (generated on another \
             CPU or with other library versions)"
        )
    };
    Ok(format!(
        "{} of {} training calls match the data the weights were fitted on ({how}); refitting \
         {what} calls gives the recorded weights",
        corpus.calls.len(),
        TRAINED_ON.len()
    ))
}

/// The Rust source of `model.rs` for a fitted classifier.
fn source(
    t: &Trained,
    corpus: &Corpus,
    sets: &str,
    draw: u64,
    first_digest: u64,
) -> anyhow::Result<String> {
    let calls = corpus.calls.len();
    let mut s = String::new();
    let seed_arg = if draw == 0 {
        String::new()
    } else {
        format!(" --seed {draw}")
    };
    writeln!(
        s,
        "//! Classifier weights, written by `holdguard train {sets}{seed_arg}` (`bash scripts/train.sh`) — do not edit by hand."
    )?;
    writeln!(s, "//!")?;
    writeln!(
        s,
        "//! {} hops from {calls} calls; final class-weighted log loss {:.4}.",
        t.hops, t.loss
    )?;
    writeln!(s, "//! Inputs, in order: {}.", FEATURE_NAMES.join(", "))?;
    writeln!(
        s,
        "//! Classes, in order: silence, tone, music, speech, speech over music."
    )?;
    writeln!(s)?;
    writeln!(s, "use super::net::{{Model, TrainedCall}};")?;
    writeln!(s)?;
    writeln!(
        s,
        "/// The checked-in classifier: {} networks of layers {:?} whose outputs are averaged.",
        t.members.len(),
        t.dims
    )?;
    writeln!(s, "#[rustfmt::skip]")?;
    writeln!(
        s,
        "#[allow(clippy::approx_constant)] // learned numbers that happen to look like pi/6"
    )?;
    writeln!(s, "pub static MODEL: Model = Model {{")?;
    writeln!(s, "    dims: &{:?},", t.dims)?;
    writeln!(s, "    mean: &{},", fmt_row(&t.mean))?;
    writeln!(s, "    scale: &{},", fmt_row(&t.scale))?;
    writeln!(s, "    members: &[")?;
    for m in &t.members {
        writeln!(s, "        &[")?;
        let mut rest = m.as_slice();
        for d in t.dims.windows(2) {
            for _ in 0..d[1] {
                let (row, r) = rest.split_at(d[0] + 1);
                writeln!(s, "            {}", fmt_items(row))?;
                rest = r;
            }
        }
        writeln!(s, "        ],")?;
    }
    writeln!(s, "    ],")?;
    writeln!(s, "}};")?;
    writeln!(s)?;
    writeln!(
        s,
        "/// The calls the weights were fitted on, so `holdguard train --check` can tell the data apart."
    )?;
    writeln!(s, "#[rustfmt::skip]")?;
    writeln!(
        s,
        "#[allow(clippy::excessive_precision)] // printed to 6 places; compared to within 5e-3"
    )?;
    writeln!(s, "pub static TRAINED_ON: &[TrainedCall] = &[")?;
    for c in &corpus.calls {
        let sum = CallSummary::of(c);
        writeln!(
            s,
            "    TrainedCall {{ name: {:?}, set: {:?}, digest: {:#018x}, hops: {}, classes: {:?},",
            c.labels.name,
            set_of(c),
            call_digest(c),
            sum.hops,
            sum.classes
        )?;
        let means: Vec<String> = sum.means.iter().map(|x| format!("{x:.6}")).collect();
        writeln!(s, "        means: [{}] }},", means.join(", "))?;
    }
    writeln!(s, "];")?;
    writeln!(s)?;
    writeln!(
        s,
        "/// Digest of the weights the same training fits to the `{FIRST_SET}` calls alone."
    )?;
    writeln!(
        s,
        "pub const FIRST_SET_WEIGHTS: u64 = {first_digest:#018x};"
    )?;
    Ok(s)
}

fn fmt_items(v: &[f32]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    format!("{},", items.join(", "))
}

fn fmt_row(v: &[f32]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    format!("[{}]", items.join(", "))
}
