//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use holdguard::engine::{Engine, Hop, Sink};
use holdguard::guard::{Event, GuardConfig, Transition};
use holdguard::source::AudioSource;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The running guard's `status --json`, if one answers.
pub fn status() -> Option<serde_json::Value> {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_holdguard"))
        .args(["status", "--json"])
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| serde_json::from_slice(&o.stdout).ok())
        .flatten()
}

/// Decodes a whole (small) file into memory.
pub fn decode(path: &Path) -> (Vec<f32>, u32) {
    let mut src = AudioSource::open(path).expect("fixture opens");
    let mut out = Vec::new();
    while src.read_into(&mut out).expect("fixture decodes") {}
    (out, src.rate())
}

/// Records everything the engine reports.
#[derive(Default)]
pub struct Record {
    pub hops: Vec<Hop>,
    pub transitions: Vec<Transition>,
    pub events: Vec<Event>,
}

impl Sink for Record {
    fn hop(&mut self, hop: &Hop) {
        self.hops.push(*hop);
    }
    fn transition(&mut self, tr: &Transition) {
        self.transitions.push(*tr);
    }
    fn event(&mut self, ev: &Event) {
        self.events.push(*ev);
    }
}

/// Runs the engine on in-memory far (and optional mic) samples, fed in blocks of `block` samples.
pub fn run_blocks(far: &[f32], far_rate: u32, mic: Option<(&[f32], u32)>, block: usize) -> Record {
    let mut rec = Record::default();
    let mut engine = Engine::new(far_rate, mic.map(|m| m.1), GuardConfig::default());
    let far_secs = far.len() as f64 / far_rate as f64;
    let n_blocks = far.len().div_ceil(block);
    for i in 0..n_blocks {
        let chunk = &far[i * block..((i + 1) * block).min(far.len())];
        engine.push_far(chunk, &mut rec);
        if let Some((m, rate)) = mic {
            // Keep the microphone in step with the far end, in its own block size.
            let upto =
                ((((i + 1) * block) as f64 / far_rate as f64).min(far_secs) * rate as f64) as usize;
            let from = ((((i * block) as f64) / far_rate as f64) * rate as f64) as usize;
            engine.push_mic(&m[from.min(m.len())..upto.min(m.len())], &mut rec);
        }
    }
    engine.finish(&mut rec);
    rec
}

/// Muted seconds within [a, b) given a transition list that starts open.
pub fn muted_within(trs: &[Transition], end: f64, a: f64, b: f64) -> f64 {
    let mut total = 0.0;
    let mut since: Option<f64> = None;
    let mut close = |s: f64, e: f64| total += (e.min(b) - s.max(a)).max(0.0);
    for tr in trs {
        match (tr.muted, since) {
            (true, None) => since = Some(tr.t),
            (false, Some(s)) => {
                close(s, tr.t);
                since = None;
            }
            _ => {}
        }
    }
    if let Some(s) = since {
        close(s, end);
    }
    total
}
