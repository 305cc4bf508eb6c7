//! A labelled corpus as the trainer sees it: every call's far-end features, microphone flags,
//! reference classes and the recordings heard in each hop, computed once.
//!
//! The features come from the same extractor the engine runs, and the microphone flags from the
//! same voice-activity detector, so a model scored here on these hops decides exactly what
//! `analyze` would.

use std::path::{Path, PathBuf};

use crate::dsp::activity::VoiceActivity;
use crate::dsp::features::TONE_HOPS;
use crate::dsp::features::{FeatureExtractor, Features, CONTEXT_SECONDS, FLOOR_DB};
use crate::dsp::frame::{ANALYSIS_RATE, HOP_SECONDS};
use crate::dsp::resample::StreamResampler;
use crate::eval::labels::{load_dir, CallLabels};
use crate::source::{AudioSource, SourceError};

/// Most distinct recordings (music tracks and speakers) a corpus may name: one bit each.
pub const MAX_SOURCES: usize = 256;

/// A set of recordings, one bit per entry of [`Corpus::sources`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceSet([u64; MAX_SOURCES / 64]);

impl SourceSet {
    pub const EMPTY: Self = Self([0; MAX_SOURCES / 64]);

    /// The set of recording `i` alone.
    pub fn one(i: usize) -> Self {
        let mut s = Self::EMPTY;
        s.0[i / 64] = 1 << (i % 64);
        s
    }

    /// A set from the low bits of `bits` (for tests and small corpora).
    pub fn from_bits(bits: u64) -> Self {
        let mut s = Self::EMPTY;
        s.0[0] = bits;
        s
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    pub fn contains(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }

    /// Whether the two sets share a recording.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.0.iter().zip(&other.0).any(|(a, b)| a & b != 0)
    }
}

impl std::ops::BitOr for SourceSet {
    type Output = Self;
    fn bitor(mut self, rhs: Self) -> Self {
        self |= rhs;
        self
    }
}

impl std::ops::BitOrAssign for SourceSet {
    fn bitor_assign(&mut self, rhs: Self) {
        for (a, b) in self.0.iter_mut().zip(rhs.0) {
            *a |= b;
        }
    }
}

impl std::ops::BitAnd for SourceSet {
    type Output = Self;
    fn bitand(mut self, rhs: Self) -> Self {
        for (a, b) in self.0.iter_mut().zip(rhs.0) {
            *a &= b;
        }
        self
    }
}

/// One labelled call, analysed.
pub struct CallData {
    pub labels: CallLabels,
    /// The far-end recording.
    pub far_path: PathBuf,
    /// Far-end features, one per hop.
    pub far: Vec<Features>,
    /// Length of the far-end recording (seconds), as `analyze` counts it.
    pub duration: f64,
    /// Whether the user spoke in each hop (empty without a microphone track).
    pub mic: Vec<bool>,
    /// Reference class of each hop (`Class` order), or `None` for a hop the model never decides
    /// (digital silence and network tones are classified by rule) or that is left out of
    /// training (steady lines at other frequencies: a held vowel, a flute note).
    pub truth: Vec<Option<u8>>,
    /// The recordings whose sound reaches each hop's features (its whole context window).
    pub heard: Vec<SourceSet>,
    /// Every recording on the call's far end.
    pub sources: SourceSet,
    /// For a speed-perturbed copy made for training (see [`Corpus::load_with`]), the index of
    /// the call it was made from; `None` for the call as recorded.
    pub copy_of: Option<usize>,
}

impl CallData {
    /// A call's hops with their reference classes and the recordings they hear (bits of
    /// `sources`, the corpus's names); `speed` is how many times as fast as recorded the features
    /// heard it (hop times scale by it).
    fn new(
        labels: CallLabels,
        far_path: PathBuf,
        far: Vec<Features>,
        duration: f64,
        mic: Vec<bool>,
        speed: f64,
        sources: &[String],
    ) -> Self {
        let spans: Vec<(f64, f64, SourceSet)> = labels
            .segments
            .iter()
            .map(|s| {
                let set = labels
                    .segment_sources(s)
                    .iter()
                    .filter_map(|n| sources.iter().position(|k| k == n))
                    .fold(SourceSet::EMPTY, |m, i| m | SourceSet::one(i));
                (s.start, s.end, set)
            })
            .filter(|&(_, _, set)| !set.is_empty())
            .collect();
        let mut truth = Vec::with_capacity(far.len());
        let mut heard = Vec::with_capacity(far.len());
        for (i, f) in far.iter().enumerate() {
            let t = (i as f64 + 1.0) * HOP_SECONDS * speed;
            truth.push((!left_out(f)).then(|| labels.truth_at(t, f.active) as u8));
            heard.push(
                spans
                    .iter()
                    .filter(|&&(a, b, _)| {
                        a < t + HEARD_AFTER_S * speed && b > t - HEARD_BEFORE_S * speed
                    })
                    .fold(SourceSet::EMPTY, |m, &(_, _, set)| m | set),
            );
        }
        let sources = spans
            .iter()
            .fold(SourceSet::EMPTY, |m, &(_, _, set)| m | set);
        Self {
            labels,
            far_path,
            far,
            duration,
            mic,
            truth,
            heard,
            sources,
            copy_of: None,
        }
    }
}

/// Every call of one or more corpus folders.
pub struct Corpus {
    pub calls: Vec<CallData>,
    /// Names of the recordings (`music:ID`, `voice:PERSON`), indexed by bit.
    pub sources: Vec<String>,
}

/// Far-end features of a whole file, hop by hop, and its length in seconds.
pub fn file_features(path: &Path) -> Result<(Vec<Features>, f64), SourceError> {
    file_features_at(path, 1.0)
}

/// Far-end features of a file played `speed` times as fast (pitch and tempo together, as a tape
/// would): the recording is read as if its rate were `speed` times what it says. The length
/// returned is the recording's own.
pub fn file_features_at(path: &Path, speed: f64) -> Result<(Vec<Features>, f64), SourceError> {
    let mut src = AudioSource::open(path)?;
    let rate_in = (src.rate() as f64 * speed).round() as u32;
    let mut rs = StreamResampler::new(rate_in, ANALYSIS_RATE);
    let mut fx = FeatureExtractor::new();
    let (mut raw, mut res, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let mut seconds = 0.0;
    loop {
        raw.clear();
        let more = src.read_into(&mut raw)?;
        seconds += raw.len() as f64 / src.rate() as f64;
        rs.process(&raw, &mut res);
        if !more {
            rs.flush(&mut res);
        }
        fx.push(&res, |f| out.push(*f));
        res.clear();
        if !more {
            return Ok((out, seconds));
        }
    }
}

/// Microphone activity of a whole file, hop by hop.
pub fn file_activity(path: &Path) -> Result<Vec<bool>, SourceError> {
    let mut src = AudioSource::open(path)?;
    let mut vad = VoiceActivity::new(src.rate());
    let (mut raw, mut out) = (Vec::new(), Vec::new());
    loop {
        raw.clear();
        let more = src.read_into(&mut raw)?;
        vad.push(&raw, |a| out.push(a));
        if !more {
            return Ok(out);
        }
    }
}

/// Whether the model never decides this hop or the trainer leaves it out (see
/// [`CallData::truth`]).
pub fn left_out(f: &Features) -> bool {
    f.level_db <= FLOOR_DB + 1.0 || f.lines_run as usize >= TONE_HOPS
}

/// Seconds around a hop whose labelled sound counts as heard in it: the features' context
/// behind it, and a little either way for the resampler's delay and the labels' rounding.
const HEARD_BEFORE_S: f64 = CONTEXT_SECONDS + 0.1;
const HEARD_AFTER_S: f64 = 0.05;

impl Corpus {
    /// Reads and analyses every labelled call in `dirs` (two threads; the result does not depend
    /// on how the work was split).
    pub fn load(dirs: &[PathBuf]) -> anyhow::Result<Self> {
        let mut labelled = Vec::new();
        for d in dirs {
            labelled.extend(load_dir(d)?);
        }
        let mut sources: Vec<String> = Vec::new();
        for c in &labelled {
            for s in &c.labels.segments {
                for name in c.labels.segment_sources(s) {
                    if !sources.contains(&name) {
                        sources.push(name);
                    }
                }
            }
        }
        if sources.len() > MAX_SOURCES {
            anyhow::bail!(
                "the corpus names {} recordings; the trainer tells at most {MAX_SOURCES} apart",
                sources.len()
            );
        }
        type Analysed = anyhow::Result<((Vec<Features>, f64), Vec<bool>)>;
        let analysed: Vec<Analysed> = parallel_map(&labelled, |c| {
            let far = file_features(&c.far_path)?;
            let mic = match &c.mic_path {
                Some(p) => file_activity(p)?,
                None => Vec::new(),
            };
            Ok((far, mic))
        });
        let mut calls = Vec::with_capacity(labelled.len());
        for (c, a) in labelled.into_iter().zip(analysed) {
            let ((far, duration), mic) = a?;
            calls.push(CallData::new(
                c.labels, c.far_path, far, duration, mic, 1.0, &sources,
            ));
        }
        Ok(Self { calls, sources })
    }

    /// [`Corpus::load`], and for every `speeds` entry a copy of each call played that many times
    /// as fast, labelled the same (every time scaled). Speed perturbation (Ko et al., 2015, for
    /// speech recognition: 0.9 and 1.1) moves every voice's pitch and speaking rate and every
    /// track's key and tempo, so the networks meet more voices and tunes than the recordings hold.
    /// The copies have no microphone track: they are for training only.
    pub fn load_with(dirs: &[PathBuf], speeds: &[f64]) -> anyhow::Result<Self> {
        let mut corpus = Self::load(dirs)?;
        let originals = corpus.calls.len();
        let jobs: Vec<(usize, f64)> = speeds
            .iter()
            .filter(|&&s| s != 1.0)
            .flat_map(|&s| (0..originals).map(move |c| (c, s)))
            .collect();
        let calls = &corpus.calls;
        let copies = parallel_map(&jobs, |&(c, speed)| {
            file_features_at(&calls[c].far_path, speed)
        });
        for (&(c, speed), r) in jobs.iter().zip(copies) {
            let (far, duration) = r?;
            let labels = corpus.calls[c].labels.clone();
            let path = corpus.calls[c].far_path.clone();
            let mut copy = CallData::new(
                labels,
                path,
                far,
                duration / speed,
                Vec::new(),
                speed,
                &corpus.sources,
            );
            copy.copy_of = Some(c);
            corpus.calls.push(copy);
        }
        Ok(corpus)
    }

    /// Names of the recordings in a set.
    pub fn names(&self, set: SourceSet) -> Vec<&str> {
        (0..self.sources.len())
            .filter(|&i| set.contains(i))
            .map(|i| self.sources[i].as_str())
            .collect()
    }
}

/// `f` over every item on two threads, results in the items' order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 2);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let results = std::sync::Mutex::new(&mut out);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    out.into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}
