//! The corpus label schema (`NAME.json`, see `shared/corpus/README.md`).
//!
//! Only the evaluator and the trainer read labels; the engine never sees them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One labelled call.
#[derive(Debug, Clone, Deserialize)]
pub struct CallLabels {
    pub name: String,
    /// The corpus set the call belongs to (`dev`, `train`, …), when the labels say.
    #[serde(default)]
    pub set: Option<String>,
    pub far: String,
    #[serde(default)]
    pub mic: Option<String>,
    pub duration: f64,
    pub expect: Expect,
    #[serde(default)]
    pub user_speech: Vec<[f64; 2]>,
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// How each hold was made (generator labels; absent in other corpora).
    #[serde(default)]
    pub holds: Vec<HoldInfo>,
    /// Who speaks on the far end (generator labels).
    #[serde(default)]
    pub voices: Option<Voices>,
    /// The hard cases this call was built around.
    #[serde(default)]
    pub hard_cases: Vec<String>,
}

/// One hold as the generator made it.
#[derive(Debug, Clone, Deserialize)]
pub struct HoldInfo {
    pub start: f64,
    #[serde(default)]
    pub agent_onset: Option<f64>,
    /// How the agent came back: `abrupt` (the music stopped), `fade` or `over` (the agent spoke
    /// over fading or full music).
    #[serde(default)]
    pub agent_return: Option<String>,
    /// A voice mixed into the music bed.
    #[serde(default)]
    pub vocals: Option<Vocals>,
}

/// A voice layer in the hold music.
#[derive(Debug, Clone, Deserialize)]
pub struct Vocals {
    pub voice: Voice,
}

/// The far end's speakers.
#[derive(Debug, Clone, Deserialize)]
pub struct Voices {
    pub announcer: Voice,
    pub agent: Voice,
}

/// One speaker: `talent` names the person (one talent may record several languages).
#[derive(Debug, Clone, Deserialize)]
pub struct Voice {
    pub id: String,
    #[serde(default)]
    pub talent: Option<String>,
}

impl Voice {
    /// The person behind the voice: the talent when the labels name one.
    pub fn person(&self) -> &str {
        self.talent.as_deref().unwrap_or(&self.id)
    }
}

/// Spans the guard must keep muted, open, or may do as it likes.
#[derive(Debug, Clone, Deserialize)]
pub struct Expect {
    pub mute: Vec<[f64; 2]>,
    pub open: Vec<[f64; 2]>,
    #[serde(default)]
    pub dont_care: Vec<[f64; 2]>,
}

/// One piece of the timeline.
#[derive(Debug, Clone, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub kind: String,
    #[serde(default)]
    pub track: Option<String>,
    #[serde(default)]
    pub over_music: Option<bool>,
    /// The music track of a `hold_music` segment.
    #[serde(default)]
    pub music: Option<String>,
    /// Set on a `hold_music` segment with a voice layer.
    #[serde(default)]
    pub vocals: Option<String>,
}

/// Errors reading a corpus folder.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("{path}: cannot read: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path}: not a corpus label file: {reason}")]
    Parse { path: PathBuf, reason: String },
    #[error("{path}: no labelled calls (NAME.json with an \"expect\" field) in this folder")]
    Empty { path: PathBuf },
}

/// A labelled call with the paths of its tracks.
#[derive(Debug, Clone)]
pub struct LabelledCall {
    pub labels: CallLabels,
    pub far_path: PathBuf,
    pub mic_path: Option<PathBuf>,
}

/// Reads every `*.json` with an `expect` field in `dir`, sorted by file name.
pub fn load_dir(dir: &Path) -> Result<Vec<LabelledCall>, LabelError> {
    let read = std::fs::read_dir(dir).map_err(|e| LabelError::Read {
        path: dir.into(),
        reason: e.to_string(),
    })?;
    let mut paths: Vec<PathBuf> = read
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("MANIFEST"))
        })
        .collect();
    paths.sort();
    let mut calls = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| LabelError::Read {
            path: p.clone(),
            reason: e.to_string(),
        })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| LabelError::Parse {
                path: p.clone(),
                reason: e.to_string(),
            })?;
        if value.get("expect").is_none() {
            continue;
        }
        let labels: CallLabels = serde_json::from_value(value).map_err(|e| LabelError::Parse {
            path: p.clone(),
            reason: e.to_string(),
        })?;
        let far_path = dir.join(&labels.far);
        let mic_path = labels.mic.as_ref().map(|m| dir.join(m));
        calls.push(LabelledCall {
            labels,
            far_path,
            mic_path,
        });
    }
    if calls.is_empty() {
        return Err(LabelError::Empty { path: dir.into() });
    }
    Ok(calls)
}

/// What the far end plays at one instant, as the classifier should name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    Silence,
    Tone,
    Music,
    Speech,
    SpeechOverMusic,
}

impl CallLabels {
    /// How the agent came back at the live span starting at `onset`, if the labels say.
    pub fn return_kind(&self, onset: f64) -> Option<&str> {
        self.holds
            .iter()
            .find(|h| h.agent_onset.is_some_and(|a| (a - onset).abs() < 1e-3))
            .and_then(|h| h.agent_return.as_deref())
    }

    /// The recordings heard in a far-end segment: `music:ID` for a hold's music, `voice:PERSON`
    /// for a speaker (the announcer for menus and announcements, the agent, a voice layer in the
    /// music). Empty for tones, silence and pauses, and for labels without source information.
    pub fn segment_sources(&self, s: &Segment) -> Vec<String> {
        let voice = |v: &Voice| format!("voice:{}", v.person());
        let mut out = Vec::new();
        match s.kind.as_str() {
            "hold_music" => {
                if let Some(m) = &s.music {
                    out.push(format!("music:{m}"));
                }
                if s.vocals.is_some() {
                    let hold = self
                        .holds
                        .iter()
                        .rev()
                        .find(|h| h.start <= s.start + 1e-3)
                        .and_then(|h| h.vocals.as_ref());
                    if let Some(v) = hold {
                        out.push(voice(&v.voice));
                    }
                }
            }
            "hold_announcement" | "ivr_menu" => {
                if let Some(v) = &self.voices {
                    out.push(voice(&v.announcer));
                }
            }
            "live_agent" => {
                if let Some(v) = &self.voices {
                    out.push(voice(&v.agent));
                }
            }
            _ => {}
        }
        out
    }

    /// The reference class at time `t`; `active` tells whether the frame carries sound, so that the
    /// off periods of a ringback cadence count as silence.
    pub fn truth_at(&self, t: f64, active: bool) -> Truth {
        let far = |s: &&Segment| s.track.as_deref() != Some("mic") && s.start <= t && t < s.end;
        let here: Vec<&Segment> = self.segments.iter().filter(far).collect();
        let has = |k: &str| here.iter().any(|s| s.kind == k);
        let music = has("hold_music");
        if let Some(a) = here.iter().find(|s| s.kind == "hold_announcement") {
            return if a.over_music == Some(true) || music {
                Truth::SpeechOverMusic
            } else {
                Truth::Speech
            };
        }
        if has("live_agent") {
            return if music {
                Truth::SpeechOverMusic
            } else {
                Truth::Speech
            };
        }
        if has("ivr_menu") {
            return Truth::Speech;
        }
        if music {
            return Truth::Music;
        }
        if has("ringback") && active {
            return Truth::Tone;
        }
        Truth::Silence
    }
}
