//! Running the engine over recordings: the `analyze` command.
//!
//! The far-end file (and the microphone file, if given) are decoded packet by packet and fed to the
//! engine in step, so memory does not grow with the length of the call.

use std::path::Path;

use serde::Serialize;

use crate::dsp::class::{Class, N_CLASSES};
use crate::engine::{Engine, Hop, Sink};
use crate::guard::{Event, GuardConfig, Reason, Transition};
use crate::source::{AudioSource, SourceError};

/// A muted stretch with the reason it began.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    pub start: f64,
    pub end: f64,
    pub reason: Reason,
}

/// Everything `analyze` found in one call.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Length of the far-end recording, seconds.
    pub duration: f64,
    pub far_rate: u32,
    pub mic_rate: Option<u32>,
    pub transitions: Vec<Transition>,
    pub events: Vec<Event>,
    /// Seconds the far end spent in each class.
    pub class_seconds: [f64; N_CLASSES],
}

impl Analysis {
    /// Muted intervals, closed at the end of the recording if still open. A silent hold that
    /// turned into music is reported as a music hold.
    pub fn intervals(&self) -> Vec<Interval> {
        let mut out = Vec::new();
        let mut open: Option<(f64, Reason)> = None;
        let became_music = |a: f64, b: f64| {
            self.events
                .iter()
                .any(|e| matches!(e, Event::HoldMusicStarted { t } if *t >= a && *t <= b))
        };
        let reason = |s: f64, e: f64, r: Reason| {
            if r == Reason::SilentHold && became_music(s, e) {
                Reason::HoldMusic
            } else {
                r
            }
        };
        for tr in &self.transitions {
            match (tr.muted, open) {
                (true, None) => open = Some((tr.t, tr.reason)),
                (false, Some((s, r))) => {
                    out.push(Interval {
                        start: s,
                        end: tr.t,
                        reason: reason(s, tr.t, r),
                    });
                    open = None;
                }
                _ => {}
            }
        }
        if let Some((s, r)) = open {
            if self.duration > s {
                out.push(Interval {
                    start: s,
                    end: self.duration,
                    reason: reason(s, self.duration, r),
                });
            }
        }
        out
    }

    /// `[[start, end], ...]` as the corpus scorer reads it.
    pub fn muted(&self) -> Vec<[f64; 2]> {
        self.intervals()
            .iter()
            .map(|i| [round3(i.start), round3(i.end)])
            .collect()
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

struct Collect<'a, 'w> {
    a: &'a mut Analysis,
    trace: Option<&'w mut dyn std::io::Write>,
}

impl Sink for Collect<'_, '_> {
    fn hop(&mut self, hop: &Hop) {
        if let Some(w) = self.trace.as_mut() {
            let p = hop.probs.0;
            let _ = writeln!(
                w,
                "{:.3},{:.1},{:.2},{:.2},{:.2},{:.2},{:.2},{},{}",
                hop.t,
                hop.level_db,
                p[0],
                p[1],
                p[2],
                p[3],
                p[4],
                hop.mic_active as u8,
                hop.muted as u8
            );
        }
        self.a.class_seconds[hop.class as usize] += crate::dsp::frame::HOP_SECONDS;
    }
    fn transition(&mut self, tr: &Transition) {
        self.a.transitions.push(*tr);
    }
    fn event(&mut self, ev: &Event) {
        self.a.events.push(*ev);
    }
}

/// Runs the engine over a far-end recording and, optionally, the user's microphone recording.
pub fn analyze(far: &Path, mic: Option<&Path>, cfg: &GuardConfig) -> Result<Analysis, SourceError> {
    analyze_traced(far, mic, cfg, None)
}

/// [`analyze`], also writing one CSV line per hop (time, level, class probabilities, microphone
/// activity, muted) to `trace`.
pub fn analyze_traced(
    far: &Path,
    mic: Option<&Path>,
    cfg: &GuardConfig,
    trace: Option<&mut dyn std::io::Write>,
) -> Result<Analysis, SourceError> {
    let mut far_src = AudioSource::open(far)?;
    let mut mic_src = mic.map(AudioSource::open).transpose()?;
    let mut analysis = Analysis {
        far_rate: far_src.rate(),
        mic_rate: mic_src.as_ref().map(|m| m.rate()),
        ..Default::default()
    };
    let mut engine = Engine::new(
        far_src.rate(),
        mic_src.as_ref().map(|m| m.rate()),
        cfg.clone(),
    );
    let mut sink = Collect {
        a: &mut analysis,
        trace,
    };
    let (mut far_buf, mut mic_buf) = (Vec::with_capacity(8192), Vec::with_capacity(8192));
    let (mut far_secs, mut mic_secs) = (0.0f64, 0.0f64);
    let mut far_more = true;
    let mut mic_more = mic_src.is_some();
    while far_more {
        // Keep the microphone a little ahead of the far end so hops are decided as they arrive.
        while mic_more && mic_secs <= far_secs + 0.1 {
            let m = mic_src.as_mut().expect("mic_more implies a source");
            mic_buf.clear();
            mic_more = m.read_into(&mut mic_buf)?;
            mic_secs += mic_buf.len() as f64 / m.rate() as f64;
            engine.push_mic(&mic_buf, &mut sink);
        }
        far_buf.clear();
        far_more = far_src.read_into(&mut far_buf)?;
        far_secs += far_buf.len() as f64 / far_src.rate() as f64;
        engine.push_far(&far_buf, &mut sink);
    }
    engine.finish(&mut sink);
    analysis.duration = far_secs;
    Ok(analysis)
}

/// Wording of a class for reports.
pub fn class_name(i: usize) -> &'static str {
    Class::ALL[i].name()
}
