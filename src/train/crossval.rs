//! Leave-sources-out cross-validation: how the training carries over to calls whose music and
//! voices it has never heard.
//!
//! The calls are split into folds. For each fold a classifier is trained on the other calls, but
//! only on hops whose sound (their whole feature context) contains none of the recordings played
//! in the fold: no music track and no speaker of a test call reaches the training, even where
//! another call shares them (the generated corpora reuse tracks and voices across calls, so
//! splitting by call alone would let the model hear them). The fold's calls are then decided by
//! the same guard `analyze` runs, on the features computed once, and scored as `eval` scores
//! them. Folds are chosen from the labels' source lists so that the held-out recordings take as
//! little speech and music from the training as possible; every call is scored exactly once per
//! draw. Because held-out scores swing with the networks' random starts, the whole procedure runs
//! for several draws, and the mean over draws is the estimate.

use std::path::{Path, PathBuf};

use crate::analyze::Analysis;
use crate::dsp::class::{Class, Probs, N_CLASSES};
use crate::dsp::classifier::classify_with;
use crate::dsp::net::Model;
use crate::engine::{Decider, FarHop, Sink};
use crate::eval::Report;
use crate::guard::{Event, GuardConfig, Transition};

use super::data::{parallel_map, CallData, Corpus, SourceSet};
use super::fit::{fit, Design};
use super::training_set;

/// How to cross-validate.
#[derive(Clone, Debug)]
pub struct Options {
    pub folds: usize,
    pub draws: Vec<u64>,
    pub design: Design,
    pub guard: GuardConfig,
    pub miss_after: f64,
    /// Where held-out probabilities are kept per draw: replayed when every held-out call of the
    /// draw has them, written otherwise. Lets a guard change be scored on held-out classifier
    /// output in seconds; stale after any change to the features or the training.
    pub probs: Option<PathBuf>,
}

/// One draw's held-out results.
pub struct DrawReport {
    pub draw: u64,
    pub report: Report,
    /// Training hops per fold.
    pub train_hops: Vec<usize>,
    /// Held-out hops by reference class (rows) and the model's likeliest class (columns).
    pub confusion: [[u64; N_CLASSES]; N_CLASSES],
    /// What the guard decided on each call, in corpus order.
    pub analyses: Vec<Analysis>,
}

/// The folds: `fold[c]` for every call, and the recordings each fold holds out.
#[derive(Clone, Debug)]
pub struct Folds {
    pub fold: Vec<usize>,
    pub held_out: Vec<SourceSet>,
}

/// Hops of one call by the recordings they hear: (heard, decided hops, speech hops).
fn hop_classes(c: &CallData) -> Vec<(SourceSet, u32, u32)> {
    let mut out: Vec<(SourceSet, u32, u32)> = Vec::new();
    for (truth, &heard) in c.truth.iter().zip(&c.heard) {
        let Some(y) = truth else { continue };
        let speech = (*y == Class::Speech as u8 || *y == Class::SpeechOverMusic as u8) as u32;
        match out.iter_mut().find(|e| e.0 == heard) {
            Some(e) => {
                e.1 += 1;
                e.2 += speech;
            }
            None => out.push((heard, 1, speech)),
        }
    }
    out
}

/// A call that is only trained on, never held out (its fold matches none).
pub const TRAIN_ONLY: usize = usize::MAX;

/// Splits the `scored` calls into `k` folds of (nearly) equal size whose held-out recordings
/// leave the most training behind: the larger of the smallest share of speech hops and the
/// smallest share of all hops any fold keeps (speech counts more: voices are few and shared).
/// The other calls are [`TRAIN_ONLY`]. A local search from fixed random starts, so the split
/// depends only on the labels.
pub fn make_folds(corpus: &Corpus, k: usize, scored: &[bool]) -> Folds {
    let idx: Vec<usize> = (0..corpus.calls.len())
        .filter(|&c| scored[c] && corpus.calls[c].copy_of.is_none())
        .collect();
    let n = idx.len();
    let k = k.clamp(2, n.max(2));
    // Speed-perturbed copies go where their call goes and do not weigh on the split, so the
    // folds are the same with and without them.
    let classes: Vec<Vec<(SourceSet, u32, u32)>> = corpus
        .calls
        .iter()
        .map(|c| match c.copy_of {
            Some(_) => Vec::new(),
            None => hop_classes(c),
        })
        .collect();
    let total: f64 = classes
        .iter()
        .flatten()
        .map(|e| e.1 as f64)
        .sum::<f64>()
        .max(1.0);
    let speech: f64 = classes
        .iter()
        .flatten()
        .map(|e| e.2 as f64)
        .sum::<f64>()
        .max(1.0);
    let held = |a: &[usize]| -> Vec<SourceSet> {
        let mut h = vec![SourceSet::EMPTY; k];
        for (c, &f) in a.iter().enumerate() {
            if f != TRAIN_ONLY {
                h[f] |= corpus.calls[c].sources;
            }
        }
        h
    };
    let value = |a: &[usize]| -> f64 {
        let h = held(a);
        let (mut min_all, mut min_speech) = (f64::MAX, f64::MAX);
        for (f, &hf) in h.iter().enumerate() {
            let (mut all, mut sp) = (0u64, 0u64);
            for (c, cl) in classes.iter().enumerate() {
                if a[c] == f {
                    continue;
                }
                for &(heard, hops, s) in cl {
                    if !heard.overlaps(&hf) {
                        all += hops as u64;
                        sp += s as u64;
                    }
                }
            }
            min_all = min_all.min(all as f64 / total);
            min_speech = min_speech.min(sp as f64 / speech);
        }
        min_speech + 0.3 * min_all
    };
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut best: Option<(f64, Vec<usize>)> = None;
    for _ in 0..6 {
        let mut a = vec![TRAIN_ONLY; corpus.calls.len()];
        let mut order: Vec<usize> = (0..n).map(|i| i % k).collect();
        for i in (1..n).rev() {
            order.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        for (&c, f) in idx.iter().zip(order) {
            a[c] = f;
        }
        let mut v = value(&a);
        for _ in 0..800 {
            let (i, j) = (
                idx[(next() % n as u64) as usize],
                idx[(next() % n as u64) as usize],
            );
            if a[i] == a[j] {
                continue;
            }
            a.swap(i, j);
            let nv = value(&a);
            if nv >= v {
                v = nv;
            } else {
                a.swap(i, j);
            }
        }
        if best.as_ref().is_none_or(|(bv, _)| v > *bv) {
            best = Some((v, a));
        }
    }
    let fold = best.map(|(_, a)| a).unwrap_or_default();
    Folds {
        held_out: held(&fold),
        fold,
    }
}

/// Collects what the guard decided for one call.
struct Collect<'a>(&'a mut Analysis);

impl Sink for Collect<'_> {
    fn transition(&mut self, tr: &Transition) {
        self.0.transitions.push(*tr);
    }
    fn event(&mut self, ev: &Event) {
        self.0.events.push(*ev);
    }
}

/// Held-out hops of one call by reference and decided class.
fn confusion(c: &CallData, probs: &[Probs]) -> [[u64; N_CLASSES]; N_CLASSES] {
    let mut m = [[0u64; N_CLASSES]; N_CLASSES];
    for (p, t) in probs.iter().zip(&c.truth) {
        if let Some(y) = t {
            m[*y as usize][p.best() as usize] += 1;
        }
    }
    m
}

/// A confusion matrix as text, each row in percent of its class.
pub fn confusion_text(m: &[[u64; N_CLASSES]; N_CLASSES]) -> String {
    let mut s = format!("{:>18}", "heard as →");
    for c in Class::ALL {
        s += &format!(" {:>17}", c.name());
    }
    s.push('\n');
    for (i, row) in m.iter().enumerate() {
        let n = row.iter().sum::<u64>().max(1) as f64;
        s += &format!("{:>18}", Class::ALL[i].name());
        for v in row {
            s += &format!(" {:>16.1}%", 100.0 * *v as f64 / n);
        }
        s.push('\n');
    }
    s
}

/// Decides one analysed call with `model`, as `analyze` would.
pub fn decide(c: &CallData, model: &Model, cfg: &GuardConfig) -> Analysis {
    decide_probs(c, &probs_of(c, model), cfg)
}

/// The model's probabilities for every hop of a call.
fn probs_of(c: &CallData, model: &Model) -> Vec<Probs> {
    c.far.iter().map(|f| classify_with(model, f)).collect()
}

/// Decides one analysed call from its hops' probabilities.
fn decide_probs(c: &CallData, probs: &[Probs], cfg: &GuardConfig) -> Analysis {
    let mut a = Analysis {
        duration: c.duration,
        ..Default::default()
    };
    let mut decider = Decider::new(cfg.clone());
    let mut sink = Collect(&mut a);
    for (i, (f, p)) in c.far.iter().zip(probs).enumerate() {
        let hop = FarHop::new(f, *p);
        let mic = c.mic.get(i).copied().unwrap_or(false);
        decider.step(&hop, mic, &mut sink);
    }
    a
}

/// Probabilities as little-endian f32s, one class after another per hop.
fn write_probs(path: &Path, probs: &[Probs]) -> std::io::Result<()> {
    let bytes: Vec<u8> = probs
        .iter()
        .flat_map(|p| p.0)
        .flat_map(f32::to_le_bytes)
        .collect();
    std::fs::write(path, bytes)
}

/// Reads what [`write_probs`] wrote for a call of `hops` hops; `None` when absent or another size.
fn read_probs(path: &Path, hops: usize) -> Option<Vec<Probs>> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() != hops * N_CLASSES * 4 {
        return None;
    }
    let vals: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Some(
        vals.chunks_exact(N_CLASSES)
            .map(|v| Probs(std::array::from_fn(|i| v[i])))
            .collect(),
    )
}

/// Runs the cross-validation; one report per draw.
pub fn crossval(corpus: &Corpus, folds: &Folds, opts: &Options) -> Vec<DrawReport> {
    let k = folds.held_out.len();
    let mut out = Vec::new();
    for &draw in &opts.draws {
        let mut analyses: Vec<Option<Analysis>> = vec![None; corpus.calls.len()];
        let mut train_hops = Vec::new();
        let mut conf = [[0u64; N_CLASSES]; N_CLASSES];
        let cache = opts.probs.as_ref().map(|d| d.join(format!("draw{draw}")));
        let cached = |c: usize| {
            let call = &corpus.calls[c];
            let dir = cache.as_ref()?;
            read_probs(
                &dir.join(format!("{}.probs", call.labels.name)),
                call.far.len(),
            )
        };
        let replay: Option<Vec<(usize, Vec<Probs>)>> = (0..corpus.calls.len())
            .filter(|&c| folds.fold[c] != TRAIN_ONLY)
            .map(|c| cached(c).map(|p| (c, p)))
            .collect();
        let mut held_out = Vec::new();
        if let Some(all) = replay.filter(|_| cache.is_some()) {
            held_out = all;
        } else {
            for f in 0..k {
                let h = folds.held_out[f];
                let home = |c: usize| corpus.calls[c].copy_of.unwrap_or(c);
                let (xs, ys) = training_set(
                    corpus,
                    |c| folds.fold[home(c)] != f,
                    |heard| !heard.overlaps(&h),
                );
                train_hops.push(xs.len());
                let trained = fit(&xs, &ys, &opts.design, draw);
                let test: Vec<usize> = (0..corpus.calls.len())
                    .filter(|&c| folds.fold[c] == f)
                    .collect();
                let probs =
                    trained.with_model(|m| parallel_map(&test, |&c| probs_of(&corpus.calls[c], m)));
                held_out.extend(test.into_iter().zip(probs));
            }
            if let Some(dir) = &cache {
                let saved = std::fs::create_dir_all(dir).and_then(|_| {
                    held_out.iter().try_for_each(|(c, p)| {
                        let name = &corpus.calls[*c].labels.name;
                        write_probs(&dir.join(format!("{name}.probs")), p)
                    })
                });
                if let Err(e) = saved {
                    eprintln!(
                        "crossval: cannot keep the probabilities in {}: {e}",
                        dir.display()
                    );
                }
            }
        }
        let decided = parallel_map(&held_out, |(c, p)| {
            let call = &corpus.calls[*c];
            (decide_probs(call, p, &opts.guard), confusion(call, p))
        });
        for ((c, _), (a, cm)) in held_out.iter().zip(decided) {
            analyses[*c] = Some(a);
            for (a, b) in conf.iter_mut().flatten().zip(cm.iter().flatten()) {
                *a += b;
            }
        }
        let analyses: Vec<Analysis> = analyses
            .into_iter()
            .map(|a| a.unwrap_or_default())
            .collect();
        let scored = |c: &usize| folds.fold[*c] != TRAIN_ONLY;
        let results = (0..corpus.calls.len())
            .filter(scored)
            .map(|c| (corpus.calls[c].labels.clone(), analyses[c].muted()))
            .collect();
        let seconds = (0..corpus.calls.len())
            .filter(scored)
            .map(|c| corpus.calls[c].duration)
            .sum();
        out.push(DrawReport {
            analyses,
            draw,
            report: Report::build(results, opts.miss_after, seconds),
            train_hops,
            confusion: conf,
        });
    }
    out
}

/// Scores the calls with one model for all (the checked-in one, in-sample), through the same
/// path as the cross-validation: it must agree with `eval` to the millisecond.
pub fn in_sample(corpus: &Corpus, model: &Model, opts: &Options) -> Report {
    let idx: Vec<usize> = (0..corpus.calls.len()).collect();
    let muted = parallel_map(&idx, |&c| {
        decide(&corpus.calls[c], model, &opts.guard).muted()
    });
    let results = corpus
        .calls
        .iter()
        .zip(muted)
        .map(|(c, m)| (c.labels.clone(), m))
        .collect();
    let seconds = corpus.calls.iter().map(|c| c.duration).sum();
    Report::build(results, opts.miss_after, seconds)
}

/// The figures of one held-out report that the README quotes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Figures {
    pub coverage: f64,
    pub exposure_s: f64,
    pub false_reopenings: f64,
    pub reopenings_per_hold: f64,
    pub hold_misses: f64,
    pub reopen_median: f64,
    pub reopen_p95: f64,
    pub reopen_max: f64,
    pub abrupt_p95: f64,
    pub over_p95: f64,
    pub unmute_misses: f64,
    pub live_false_mute_s: f64,
    pub lost_s: f64,
    pub leak_s: f64,
}

impl Figures {
    /// The aggregate of one report.
    pub fn of(r: &Report) -> Self {
        let a = &r.aggregate;
        let z = |v: Option<f64>| v.unwrap_or(f64::NAN);
        Self {
            coverage: z(a.hold_coverage),
            exposure_s: a.hold_exposure_s,
            false_reopenings: a.false_unmutes as f64,
            reopenings_per_hold: a.false_unmutes as f64 / a.holds.max(1) as f64,
            hold_misses: a.hold_misses as f64,
            reopen_median: z(a.unmute_latency_s.median),
            reopen_p95: z(a.unmute_latency_s.p95),
            reopen_max: z(a.unmute_latency_s.max),
            abrupt_p95: z(a.unmute_latency_abrupt_s.p95),
            over_p95: z(a.unmute_latency_over_music_s.p95),
            unmute_misses: a.unmute_misses as f64,
            live_false_mute_s: a.live_false_mute_s,
            lost_s: a.user_speech_lost_s,
            leak_s: a.leaked_private_speech_s,
        }
    }

    /// The mean of several (each field averaged).
    pub fn mean(all: &[Figures]) -> Self {
        let n = all.len().max(1) as f64;
        let m = |f: fn(&Figures) -> f64| all.iter().map(f).sum::<f64>() / n;
        Self {
            coverage: m(|f| f.coverage),
            exposure_s: m(|f| f.exposure_s),
            false_reopenings: m(|f| f.false_reopenings),
            reopenings_per_hold: m(|f| f.reopenings_per_hold),
            hold_misses: m(|f| f.hold_misses),
            reopen_median: m(|f| f.reopen_median),
            reopen_p95: m(|f| f.reopen_p95),
            reopen_max: m(|f| f.reopen_max),
            abrupt_p95: m(|f| f.abrupt_p95),
            over_p95: m(|f| f.over_p95),
            unmute_misses: m(|f| f.unmute_misses),
            live_false_mute_s: m(|f| f.live_false_mute_s),
            lost_s: m(|f| f.lost_s),
            leak_s: m(|f| f.leak_s),
        }
    }

    /// One line, in the order of the README's held-out row.
    pub fn line(&self) -> String {
        format!(
            "coverage {:.3}, exposure {:.1} s, false reopenings {:.1} ({:.2} per hold), hold misses {:.1}, \
             reopen median/p95/max {:.2}/{:.2}/{:.2} s (p95 abrupt {:.2} s, over music {:.2} s), \
             unmute misses {:.1}, live false mute {:.1} s, user speech lost {:.2} s, leaked private speech {:.1} s",
            self.coverage,
            self.exposure_s,
            self.false_reopenings,
            self.reopenings_per_hold,
            self.hold_misses,
            self.reopen_median,
            self.reopen_p95,
            self.reopen_max,
            self.abrupt_p95,
            self.over_p95,
            self.unmute_misses,
            self.live_false_mute_s,
            self.lost_s,
            self.leak_s
        )
    }
}

/// The folds as text: each fold's calls, held-out recordings and training left.
pub fn folds_text(corpus: &Corpus, folds: &Folds, train_hops: &[usize]) -> String {
    let total: usize = corpus
        .calls
        .iter()
        .map(|c| c.truth.iter().flatten().count())
        .sum();
    let mut s = String::new();
    for (f, &h) in folds.held_out.iter().enumerate() {
        let calls = folds.fold.iter().filter(|&&x| x == f).count();
        let kept = train_hops.get(f).copied().unwrap_or(0);
        s += &format!(
            "fold {f}: {calls} calls; trained on {kept} hops ({:.0} % of all); holds out {}\n",
            100.0 * kept as f64 / total.max(1) as f64,
            corpus.names(h).join(" ")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::labels::CallLabels;

    /// A call that plays the recordings in `sources` (bits), each for 50 speech hops.
    fn call(name: &str, bits: u64) -> CallData {
        let sources = SourceSet::from_bits(bits);
        let labels: CallLabels = serde_json::from_str(&format!(
            r#"{{"name":"{name}","far":"f","duration":1.0,"expect":{{"mute":[],"open":[]}}}}"#
        ))
        .unwrap();
        let bits: Vec<SourceSet> = (0..64)
            .filter(|&b| sources.contains(b))
            .map(SourceSet::one)
            .collect();
        let heard: Vec<SourceSet> = bits.iter().flat_map(|&b| [b; 50]).collect();
        CallData {
            labels,
            far: vec![Default::default(); heard.len()],
            duration: 1.0,
            mic: Vec::new(),
            truth: vec![Some(Class::Speech as u8); heard.len()],
            heard,
            sources,
            far_path: "f".into(),
            copy_of: None,
        }
    }

    #[test]
    fn folds_hold_out_the_scored_calls_and_keep_the_rest_for_training() {
        // Recording 0 is shared by two scored calls; recordings 4 and 5 only by train-only calls.
        let calls = vec![
            call("a", 0b0001),
            call("b", 0b0011),
            call("c", 0b0100),
            call("d", 0b1000),
            call("e", 0b1_0000),
            call("f", 0b11_0001),
        ];
        let corpus = Corpus {
            calls,
            sources: (0..6).map(|i| format!("voice:{i}")).collect(),
        };
        let scored = [true, true, true, true, false, false];
        let f = make_folds(&corpus, 2, &scored);
        assert_eq!(f.held_out.len(), 2);
        assert_eq!(&f.fold[4..], &[TRAIN_ONLY, TRAIN_ONLY]);
        for c in 0..4 {
            let fold = f.fold[c];
            assert!(fold < 2, "{c} is in fold {fold}");
            assert_eq!(
                f.held_out[fold] & corpus.calls[c].sources,
                corpus.calls[c].sources
            );
        }
        // The two calls sharing recording 0 go together: apart, each fold would have to drop
        // the other's hops from its training.
        assert_eq!(f.fold[0], f.fold[1]);
        // Both folds get two calls, and only scored calls' recordings are held out.
        assert_eq!(f.fold.iter().filter(|&&x| x == 0).count(), 2);
        assert_eq!(f.held_out[0] | f.held_out[1], SourceSet::from_bits(0b1111));
    }
}
