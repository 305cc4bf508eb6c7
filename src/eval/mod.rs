//! Scoring the engine against a labelled corpus: the `eval` command.
//!
//! Runs `analyze` on every labelled call of a folder, computes the metrics of
//! `shared/corpus/score.py` per call and pooled, and checks them against a gate file of thresholds.

pub mod labels;
pub mod score;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analyze::analyze;
use crate::guard::GuardConfig;
use labels::{load_dir, CallLabels};
use score::{score_one, Raw, Summary};

/// The result of one evaluation run.
#[derive(Debug, Serialize)]
pub struct Report {
    pub aggregate: Summary,
    pub scenarios: std::collections::BTreeMap<String, Summary>,
    /// The calls of each hard case pooled (a call may count for several).
    pub hard_cases: std::collections::BTreeMap<String, Summary>,
    pub missing_results: Vec<String>,
    pub miss_after_s: f64,
    /// Muted intervals per call (not printed in the table; written with `--out`).
    #[serde(skip)]
    pub muted: Vec<(String, Vec<[f64; 2]>)>,
    /// Seconds of audio evaluated.
    #[serde(skip)]
    pub audio_seconds: f64,
}

/// Runs the engine on every call of `dir`.
pub fn evaluate(dir: &Path, cfg: &GuardConfig, miss_after: f64) -> anyhow::Result<Report> {
    let calls = load_dir(dir)?;
    let mut results = Vec::new();
    let mut audio_seconds = 0.0;
    for c in calls {
        let a = analyze(&c.far_path, c.mic_path.as_deref(), cfg)?;
        audio_seconds += a.duration;
        results.push((c.labels, a.muted()));
    }
    Ok(Report::build(results, miss_after, audio_seconds))
}

impl Report {
    /// Scores each call's muted intervals against its labels, and pools them.
    pub fn build(
        results: Vec<(CallLabels, Vec<[f64; 2]>)>,
        miss_after: f64,
        audio_seconds: f64,
    ) -> Self {
        let mut total = Raw::default();
        let mut scenarios = std::collections::BTreeMap::new();
        let mut cases: std::collections::BTreeMap<String, Raw> = Default::default();
        let mut muted_all = Vec::new();
        for (labels, muted) in results {
            let raw = score_one(&labels, &muted, miss_after);
            total.add(&raw);
            for case in &labels.hard_cases {
                cases.entry(case.clone()).or_default().add(&raw);
            }
            scenarios.insert(labels.name.clone(), Summary::of(&raw));
            muted_all.push((labels.name, muted));
        }
        Report {
            aggregate: Summary::of(&total),
            scenarios,
            hard_cases: cases
                .iter()
                .map(|(k, r)| (k.clone(), Summary::of(r)))
                .collect(),
            missing_results: Vec::new(),
            miss_after_s: miss_after,
            muted: muted_all,
            audio_seconds,
        }
    }
}

fn fmt(v: Option<f64>, w: usize, p: usize) -> String {
    match v {
        None => format!("{:>w$}", "-"),
        Some(v) => format!("{v:w$.p$}"),
    }
}

fn row(name: &str, d: &Summary) -> String {
    let name: String = name.chars().take(34).collect();
    format!(
        "{name:34} {} {} {} {} {:5} {:5} {} {} {} {:5} {} {} {}",
        fmt(d.hold_coverage, 6, 3),
        fmt(Some(d.hold_exposure_s), 7, 1),
        fmt(d.hold_detect_latency_s.median, 7, 2),
        fmt(d.hold_detect_latency_s.p95, 7, 2),
        d.hold_misses,
        d.false_unmutes,
        fmt(d.unmute_latency_s.median, 7, 2),
        fmt(d.unmute_latency_s.p95, 7, 2),
        fmt(d.unmute_latency_s.max, 7, 2),
        d.unmute_misses,
        fmt(Some(d.live_false_mute_s), 8, 1),
        fmt(Some(d.user_speech_lost_s), 6, 1),
        fmt(Some(d.leaked_private_speech_s), 6, 1),
    )
}

impl Report {
    /// The table `score.py` prints.
    pub fn table(&self) -> String {
        let hdr = format!(
            "{:34} {:>6} {:>7} {:>7} {:>7} {:>5} {:>5} {:>7} {:>7} {:>7} {:>5} {:>8} {:>6} {:>6}",
            "scenario",
            "cover",
            "expo_s",
            "det_med",
            "det_p95",
            "hmiss",
            "f_unm",
            "unm_med",
            "unm_p95",
            "unm_max",
            "umiss",
            "livefm_s",
            "lost_s",
            "leak_s"
        );
        let rule = "-".repeat(hdr.len());
        let mut s = format!("{hdr}\n{rule}\n");
        for (n, d) in &self.scenarios {
            s += &row(n, d);
            s.push('\n');
        }
        s += &rule;
        s.push('\n');
        s += &row(
            &format!(
                "AGGREGATE ({} scen, {} holds)",
                self.scenarios.len(),
                self.aggregate.holds
            ),
            &self.aggregate,
        );
        s.push('\n');
        if !self.hard_cases.is_empty() {
            s += &format!("\nby hard case (calls pooled)\n{rule}\n");
            for (n, d) in &self.hard_cases {
                s += &row(n, d);
                s.push('\n');
            }
            s += &rule;
            s.push('\n');
        }
        s += &self.latency_line();
        s.push('\n');
        s
    }

    /// Reopen latency split by how the agent came back, as one line.
    pub fn latency_line(&self) -> String {
        let part = |name: &str, l: &score::Latency| match (l.median, l.p95, l.max) {
            (Some(m), Some(p), Some(x)) => {
                format!(
                    "{name} ({}): median {m:.2} s, p95 {p:.2} s, max {x:.2} s",
                    l.n
                )
            }
            _ => format!("{name}: none"),
        };
        format!(
            "reopen latency: {}; {}",
            part("abrupt returns", &self.aggregate.unmute_latency_abrupt_s),
            part(
                "agent over fading or full music",
                &self.aggregate.unmute_latency_over_music_s
            )
        )
    }

    /// Writes `NAME.muted.json` for every call, for `score.py`.
    pub fn write_results(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, muted) in &self.muted {
            let p: PathBuf = dir.join(format!("{name}.muted.json"));
            std::fs::write(
                &p,
                serde_json::to_string(&serde_json::json!({ "muted": muted }))?,
            )?;
        }
        Ok(())
    }
}

/// One gate line: metric name, its value, lower and upper bound.
type Check<'a> = (&'a str, Option<f64>, Option<f64>, Option<f64>);

/// Thresholds on the aggregate metrics (`tests/dev-gate.toml`). Absent keys are not checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    pub hold_coverage_min: Option<f64>,
    pub hold_exposure_s_max: Option<f64>,
    pub hold_misses_max: Option<u32>,
    pub false_unmutes_max: Option<u32>,
    pub unmute_latency_p95_s_max: Option<f64>,
    /// Reopen p95 over abrupt returns (the music stops, then the agent speaks).
    pub unmute_latency_abrupt_p95_s_max: Option<f64>,
    /// Reopen p95 where the agent speaks over fading or full music.
    pub unmute_latency_over_music_p95_s_max: Option<f64>,
    pub unmute_misses_max: Option<u32>,
    pub live_false_mute_s_max: Option<f64>,
    pub user_speech_lost_s_max: Option<f64>,
    pub leaked_private_speech_s_max: Option<f64>,
    pub eval_seconds_max: Option<f64>,
}

impl Gate {
    /// Reads a gate file; errors name the file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))
    }

    /// Every threshold that the aggregate misses, as one line each.
    pub fn failures(&self, a: &Summary, eval_seconds: f64) -> Vec<String> {
        let count = |v: u32| Some(v as f64);
        let limit = |v: Option<u32>| v.map(f64::from);
        // (metric, value, lower bound, upper bound); a missing value fails a lower bound only.
        let checks: [Check; 12] = [
            (
                "hold_coverage",
                a.hold_coverage,
                self.hold_coverage_min,
                None,
            ),
            (
                "hold_exposure_s",
                Some(a.hold_exposure_s),
                None,
                self.hold_exposure_s_max,
            ),
            (
                "hold_misses",
                count(a.hold_misses),
                None,
                limit(self.hold_misses_max),
            ),
            (
                "false_unmutes",
                count(a.false_unmutes),
                None,
                limit(self.false_unmutes_max),
            ),
            (
                "unmute_latency_s.p95",
                a.unmute_latency_s.p95,
                None,
                self.unmute_latency_p95_s_max,
            ),
            (
                "unmute_latency_abrupt_s.p95",
                a.unmute_latency_abrupt_s.p95,
                None,
                self.unmute_latency_abrupt_p95_s_max,
            ),
            (
                "unmute_latency_over_music_s.p95",
                a.unmute_latency_over_music_s.p95,
                None,
                self.unmute_latency_over_music_p95_s_max,
            ),
            (
                "unmute_misses",
                count(a.unmute_misses),
                None,
                limit(self.unmute_misses_max),
            ),
            (
                "live_false_mute_s",
                Some(a.live_false_mute_s),
                None,
                self.live_false_mute_s_max,
            ),
            (
                "user_speech_lost_s",
                Some(a.user_speech_lost_s),
                None,
                self.user_speech_lost_s_max,
            ),
            (
                "leaked_private_speech_s",
                Some(a.leaked_private_speech_s),
                None,
                self.leaked_private_speech_s_max,
            ),
            (
                "eval seconds",
                Some(eval_seconds),
                None,
                self.eval_seconds_max,
            ),
        ];
        let mut out = Vec::new();
        for (name, value, min, max) in checks {
            if let Some(l) = min {
                match value {
                    Some(v) if v >= l => {}
                    v => out.push(format!(
                        "{name} = {} is below {l}",
                        v.map_or("none".into(), |v| v.to_string())
                    )),
                }
            }
            if let (Some(l), Some(v)) = (max, value) {
                if v > l {
                    out.push(format!("{name} = {v} is above {l}"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use score::{Raw, Summary};

    #[test]
    fn gate_reports_each_missed_threshold() {
        let mut raw = Raw {
            hold_s: 100.0,
            hold_muted_s: 90.0,
            false_unmutes: 3,
            ..Default::default()
        };
        raw.unm_lat = vec![0.2, 0.3];
        let a = Summary::of(&raw);
        let gate: Gate = toml::from_str("hold_coverage_min = 0.97\nfalse_unmutes_max = 2\nunmute_latency_p95_s_max = 1.0\neval_seconds_max = 10.0").unwrap();
        let f = gate.failures(&a, 12.0);
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(
            f[0].starts_with("hold_coverage = 0.9 is below 0.97"),
            "{f:?}"
        );
        assert!(f.iter().any(|l| l.starts_with("false_unmutes = 3")));
        assert!(f.iter().any(|l| l.starts_with("eval seconds = 12")));
        assert!(gate.failures(&a, 1.0).len() == 2);
    }

    #[test]
    fn gate_holds_abrupt_and_over_music_returns_to_their_own_lines() {
        let raw = Raw {
            unm_lat_abrupt: vec![0.2, 0.6],
            unm_lat_over: vec![1.0, 1.5],
            ..Default::default()
        };
        let a = Summary::of(&raw);
        let gate: Gate = toml::from_str(
            "unmute_latency_abrupt_p95_s_max = 0.5\nunmute_latency_over_music_p95_s_max = 2.0",
        )
        .unwrap();
        let f = gate.failures(&a, 1.0);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].starts_with("unmute_latency_abrupt_s.p95 = 0.58 is above 0.5"),
            "{f:?}"
        );
    }
}
