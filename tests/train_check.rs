//! `train --check` tells the same training data generated on another machine (a few LSB apart)
//! from other data, on a real dev call.

mod common;

use std::path::{Path, PathBuf};

use common::decode;
use holdguard::dsp::model::MODEL;
use holdguard::train::data::Corpus;
use holdguard::train::{call_digest, CallSummary};

const CALL: &str = "dev_01_music_basic";

fn dev() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/dev")
}

/// A one-call corpus in `dir` whose far track is `far` (16-bit WAV at `rate`).
fn corpus_with(dir: &Path, far: &[f32], rate: u32) -> Corpus {
    std::fs::create_dir_all(dir).unwrap();
    let mut labels: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dev().join(format!("{CALL}.json"))).unwrap())
            .unwrap();
    labels["far"] = "far.wav".into();
    labels["mic"] = serde_json::Value::Null;
    std::fs::write(dir.join(format!("{CALL}.json")), labels.to_string()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(dir.join("far.wav"), spec).unwrap();
    for &x in far {
        w.write_sample((x * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    Corpus::load(&[dir.to_path_buf()]).unwrap()
}

#[test]
fn lsb_level_differences_are_the_same_data_and_another_clip_is_not() {
    if !dev().join(format!("{CALL}.json")).exists() {
        eprintln!("skipped: ../shared/corpus/dev is not beside the repository");
        return;
    }
    let (far, rate) = decode(&dev().join(format!("{CALL}.far.flac")));
    let tmp = std::env::temp_dir().join(format!("holdguard-train-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let original = corpus_with(&tmp.join("a"), &far, rate);

    // Another machine: one sample in twenty a step of 1 LSB up or down (a fixed pattern). Digital
    // silence stays silent: rounding differences cannot make sound out of zeros.
    let lsb = 1.0 / 32768.0;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let nudged: Vec<f32> = far
        .iter()
        .map(|&x| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 40 {
                0 if x != 0.0 => x + lsb,
                1 if x != 0.0 => x - lsb,
                _ => x,
            }
        })
        .collect();
    let nudged = corpus_with(&tmp.join("b"), &nudged, rate);

    // Other data: ten seconds of the hold (from 40 s) replaced by the call's opening.
    let mut spliced = far.clone();
    let at = 40 * rate as usize;
    let len = 10 * rate as usize;
    spliced.copy_within(0..len, at);
    let spliced = corpus_with(&tmp.join("c"), &spliced, rate);
    let _ = std::fs::remove_dir_all(&tmp);

    let (a, b, c) = (&original.calls[0], &nudged.calls[0], &spliced.calls[0]);
    assert_ne!(
        call_digest(a),
        call_digest(b),
        "a 1-LSB change must be visible to the exact digest, or this test proves nothing"
    );
    let recorded = CallSummary::of(a);
    let got = CallSummary::of(b);
    assert_eq!(recorded.differs(&got, MODEL.scale), None);
    let moved = (recorded.means.iter().zip(&got.means).zip(MODEL.scale))
        .map(|((x, y), s)| (x - y).abs() / s)
        .fold(0f32, f32::max);
    eprintln!("1-LSB nudges moved the mean inputs by at most {moved:.6} of their spread");
    let why = recorded.differs(&CallSummary::of(c), MODEL.scale);
    assert!(why.is_some(), "a spliced clip passed as the same data");
    eprintln!("spliced: {}", why.unwrap());
}

/// `crossval --speeds`: a copy played 10 % faster has a tenth fewer hops, its labels follow it
/// (the same share of music, the hold's music starting a tenth earlier), and it is marked as a
/// copy of its call so the folds keep it with it.
#[test]
fn speed_perturbed_copies_keep_their_labels_in_step() {
    if !dev().join(format!("{CALL}.json")).exists() {
        eprintln!("skipped: ../shared/corpus/dev is not beside the repository");
        return;
    }
    let (far, rate) = decode(&dev().join(format!("{CALL}.far.flac")));
    let tmp = std::env::temp_dir().join(format!("holdguard-speeds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    corpus_with(&tmp, &far, rate);
    let corpus = Corpus::load_with(std::slice::from_ref(&tmp), &[1.1]).unwrap();
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(corpus.calls.len(), 2);
    let (a, b) = (&corpus.calls[0], &corpus.calls[1]);
    assert_eq!((a.copy_of, b.copy_of), (None, Some(0)));
    assert!(b.mic.is_empty(), "a copy is for training only");
    let expected = a.far.len() as f64 / 1.1;
    assert!(
        (b.far.len() as f64 - expected).abs() <= 2.0,
        "{} hops",
        b.far.len()
    );
    let music = |c: &holdguard::train::data::CallData| {
        let decided = c.truth.iter().flatten().count() as f64;
        let music = c.truth.iter().flatten().filter(|&&y| y == 2).count() as f64;
        (music / decided, c.truth.iter().position(|&y| y == Some(2)))
    };
    let ((share_a, first_a), (share_b, first_b)) = (music(a), music(b));
    assert!((share_a - share_b).abs() < 0.02, "{share_a} vs {share_b}");
    let (first_a, first_b) = (first_a.unwrap() as f64, first_b.unwrap() as f64);
    assert!(
        (first_a / 1.1 - first_b).abs() <= 6.0,
        "{first_a} vs {first_b}"
    );
    assert_eq!(a.sources, b.sources);
}
