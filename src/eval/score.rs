//! The corpus metrics, computed exactly as `shared/corpus/score.py` computes them.
//!
//! Interval helpers, per-call raw sums, and the summary (coverage, percentiles, rounding). Keep this
//! file in step with the reference scorer: `eval` and `score.py` must print the same numbers.

use serde::Serialize;

use super::labels::CallLabels;

const EPS: f64 = 1e-6;

type Iv = Vec<[f64; 2]>;

fn merge(iv: &[[f64; 2]]) -> Iv {
    let mut v: Iv = iv.iter().filter(|[a, b]| b > a).copied().collect();
    v.sort_by(|x, y| x[0].total_cmp(&y[0]).then(x[1].total_cmp(&y[1])));
    let mut out: Iv = Vec::new();
    for [a, b] in v {
        match out.last_mut() {
            Some(last) if a <= last[1] + EPS => last[1] = last[1].max(b),
            _ => out.push([a, b]),
        }
    }
    out
}

fn clip(iv: &[[f64; 2]], a: f64, b: f64) -> Iv {
    iv.iter()
        .filter(|[x, y]| y.min(b) > x.max(a))
        .map(|[x, y]| [x.max(a), y.min(b)])
        .collect()
}

fn length(iv: &[[f64; 2]]) -> f64 {
    iv.iter().map(|[a, b]| b - a).sum()
}

fn intersect(a: &[[f64; 2]], b: &[[f64; 2]]) -> Iv {
    let (a, b) = (merge(a), merge(b));
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (lo, hi) = (a[i][0].max(b[j][0]), a[i][1].min(b[j][1]));
        if hi > lo {
            out.push([lo, hi]);
        }
        if a[i][1] < b[j][1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn complement(iv: &[[f64; 2]], a: f64, b: f64) -> Iv {
    let mut out = Vec::new();
    let mut t = a;
    for [x, y] in merge(&clip(iv, a, b)) {
        if x > t {
            out.push([t, x]);
        }
        t = t.max(y);
    }
    if b > t {
        out.push([t, b]);
    }
    out
}

fn muted_at(muted: &[[f64; 2]], t: f64) -> bool {
    muted.iter().any(|[a, b]| *a <= t + EPS && t < b - EPS)
}

fn pct(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let k = (v.len() - 1) as f64 * q / 100.0;
    let f = k as usize;
    let c = (f + 1).min(v.len() - 1);
    Some(v[f] + (v[c] - v[f]) * (k - f as f64))
}

/// Raw sums for one call (or many, added up).
#[derive(Clone, Debug, Default)]
pub struct Raw {
    pub hold_s: f64,
    pub hold_muted_s: f64,
    pub hold_exposure_s: f64,
    pub det_lat: Vec<f64>,
    pub hold_misses: u32,
    pub false_unmutes: u32,
    pub unm_lat: Vec<f64>,
    /// The same latencies split by how the agent came back (when the labels say): the music
    /// stopped first, or the agent spoke over full or fading music.
    pub unm_lat_abrupt: Vec<f64>,
    pub unm_lat_over: Vec<f64>,
    pub unmute_misses: u32,
    pub live_false_mute_s: f64,
    pub user_speech_lost_s: f64,
    pub leaked_private_speech_s: f64,
    pub holds: u32,
    pub onsets: u32,
}

impl Raw {
    /// Adds another call's sums.
    pub fn add(&mut self, o: &Raw) {
        self.hold_s += o.hold_s;
        self.hold_muted_s += o.hold_muted_s;
        self.hold_exposure_s += o.hold_exposure_s;
        self.det_lat.extend(&o.det_lat);
        self.hold_misses += o.hold_misses;
        self.false_unmutes += o.false_unmutes;
        self.unm_lat.extend(&o.unm_lat);
        self.unm_lat_abrupt.extend(&o.unm_lat_abrupt);
        self.unm_lat_over.extend(&o.unm_lat_over);
        self.unmute_misses += o.unmute_misses;
        self.live_false_mute_s += o.live_false_mute_s;
        self.user_speech_lost_s += o.user_speech_lost_s;
        self.leaked_private_speech_s += o.leaked_private_speech_s;
        self.holds += o.holds;
        self.onsets += o.onsets;
    }
}

/// Scores the muted intervals of one call against its labels.
pub fn score_one(lab: &CallLabels, muted: &[[f64; 2]], miss_after: f64) -> Raw {
    let dur = lab.duration;
    let muted = merge(&clip(muted, 0.0, dur));
    let us = merge(&lab.user_speech);
    let mut r = Raw {
        holds: lab.expect.mute.len() as u32,
        onsets: lab.expect.open.len() as u32,
        ..Default::default()
    };
    for &[a, b] in &lab.expect.mute {
        let m = clip(&muted, a, b);
        r.hold_s += b - a;
        r.hold_muted_s += length(&m);
        r.hold_exposure_s += (b - a) - length(&m);
        if m.is_empty() {
            r.hold_misses += 1;
        } else {
            let first = if muted_at(&muted, a) { a } else { m[0][0] };
            r.det_lat.push(first - a);
            r.false_unmutes += m
                .iter()
                .filter(|[_, y]| first - EPS <= *y && *y < b - 1e-3)
                .count() as u32;
        }
        r.leaked_private_speech_s +=
            length(&intersect(&clip(&us, a, b), &complement(&muted, a, b)));
    }
    for &[a, b] in &lab.expect.open {
        let reopen = if !muted_at(&muted, a) {
            a
        } else {
            muted
                .iter()
                .find(|[x, y]| *x <= a + EPS && *y > a)
                .map(|[_, y]| *y)
                .unwrap_or(a)
        };
        let lat = reopen - a;
        let excl_end = if reopen >= b - EPS || lat > miss_after {
            r.unmute_misses += 1;
            b.min(a + miss_after)
        } else {
            r.unm_lat.push(lat);
            match lab.return_kind(a) {
                Some("abrupt") => r.unm_lat_abrupt.push(lat),
                Some("fade" | "over") => r.unm_lat_over.push(lat),
                _ => {}
            }
            reopen
        };
        r.live_false_mute_s += length(&clip(&muted, excl_end, b));
        r.user_speech_lost_s += length(&intersect(&clip(&us, a, b), &clip(&muted, a, b)));
    }
    r
}

/// Latency percentiles as the scorer reports them.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Latency {
    pub median: Option<f64>,
    pub p95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    pub n: usize,
}

/// The metrics of one call or of the whole set.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub hold_coverage: Option<f64>,
    pub hold_exposure_s: f64,
    pub hold_detect_latency_s: Latency,
    pub hold_misses: u32,
    pub false_unmutes: u32,
    pub unmute_latency_s: Latency,
    /// Reopen latency where the music stopped before the agent spoke.
    pub unmute_latency_abrupt_s: Latency,
    /// Reopen latency where the agent spoke over full or fading music.
    pub unmute_latency_over_music_s: Latency,
    pub unmute_misses: u32,
    pub live_false_mute_s: f64,
    pub user_speech_lost_s: f64,
    pub leaked_private_speech_s: f64,
    pub holds: u32,
    pub agent_onsets: u32,
}

fn r3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl Summary {
    /// Summarises raw sums, rounded to milliseconds like the scorer.
    pub fn of(r: &Raw) -> Self {
        let o3 = |v: Option<f64>| v.map(r3);
        let latency = |v: &[f64]| Latency {
            median: o3(pct(v, 50.0)),
            p95: o3(pct(v, 95.0)),
            max: o3(v.iter().cloned().reduce(f64::max)),
            n: v.len(),
        };
        Summary {
            hold_coverage: (r.hold_s > 0.0).then(|| r3(r.hold_muted_s / r.hold_s)),
            hold_exposure_s: r3(r.hold_exposure_s),
            hold_detect_latency_s: Latency {
                median: o3(pct(&r.det_lat, 50.0)),
                p95: o3(pct(&r.det_lat, 95.0)),
                max: None,
                n: r.det_lat.len(),
            },
            hold_misses: r.hold_misses,
            false_unmutes: r.false_unmutes,
            unmute_latency_s: latency(&r.unm_lat),
            unmute_latency_abrupt_s: latency(&r.unm_lat_abrupt),
            unmute_latency_over_music_s: latency(&r.unm_lat_over),
            unmute_misses: r.unmute_misses,
            live_false_mute_s: r3(r.live_false_mute_s),
            user_speech_lost_s: r3(r.user_speech_lost_s),
            leaked_private_speech_s: r3(r.leaked_private_speech_s),
            holds: r.holds,
            agent_onsets: r.onsets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_algebra() {
        assert_eq!(
            merge(&[[3.0, 4.0], [1.0, 2.0], [2.0, 3.5]]),
            vec![[1.0, 4.0]]
        );
        assert_eq!(
            complement(&[[1.0, 2.0]], 0.0, 3.0),
            vec![[0.0, 1.0], [2.0, 3.0]]
        );
        assert_eq!(intersect(&[[0.0, 2.0]], &[[1.0, 3.0]]), vec![[1.0, 2.0]]);
        assert_eq!(pct(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.5));
    }
}
