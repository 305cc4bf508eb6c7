//! No panic on any input: real inputs mutated by the thousand and fed to the code that reads
//! them — the audio decoder front end (and, for some, the whole analysis), the settings file,
//! the journal, the call labels, and the control socket's request reader.
//!
//! It runs with the other tests: a deterministic mutation harness, a fixed seed, byte flips,
//! boundary values, cuts, repeats and insertions over real files, through the same checks as the
//! coverage-guided fuzz targets (`fuzz/checks.rs`, run by `scripts/fuzz.sh`), and a replay of
//! every input those ever failed on (`fuzz/findings/`). A panic names the input kind, the
//! iteration and the seed, and writes the input to a file, so it can become a finding.
//! `HOLDGUARD_MUTATIONS=N` runs N per kind instead of the default.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../fuzz/checks.rs"]
mod checks;

/// xorshift64*: enough randomness for mutations, and the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four mutations of `seed`.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len().max(1));
        match rng.below(6) {
            0 if !v.is_empty() => v[at] ^= 1 << rng.below(8),
            1 if !v.is_empty() => v[at] = [0, 0xff, 0x7f, 0x80, b'"', b'\n'][rng.below(6)],
            2 => v.truncate(at),
            3 if !v.is_empty() => {
                let len = rng.below(64).min(v.len() - at);
                let chunk = v[at..at + len].to_vec();
                v.splice(at..at, chunk);
            }
            4 => {
                let bytes: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
                v.splice(at.min(v.len())..at.min(v.len()), bytes);
            }
            _ if v.len() >= 4 => {
                // A 32-bit field set to a boundary: lengths, rates and counts live in these.
                let at = at.min(v.len() - 4);
                let x: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 65_535, 192_001][rng.below(6)];
                v[at..at + 4].copy_from_slice(&x.to_le_bytes());
            }
            _ => v.push(rng.next() as u8),
        }
    }
    v
}

fn runs(default: usize) -> usize {
    std::env::var("HOLDGUARD_MUTATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn dir(kind: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hg-mut-{kind}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Feeds `n` mutations of each seed to `check`; a panic keeps the input and fails the test.
fn hammer(kind: &str, seeds: &[Vec<u8>], n: usize, mut check: impl FnMut(&[u8], usize)) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ kind.len() as u64);
    for i in 0..n {
        let input = mutate(&seeds[i % seeds.len()], &mut rng);
        if catch_unwind(AssertUnwindSafe(|| check(&input, i))).is_err() {
            let keep = std::env::temp_dir().join(format!("holdguard-crash-{kind}-{i}.bin"));
            std::fs::write(&keep, &input).unwrap();
            panic!("{kind}: input {i} panicked; kept in {}", keep.display());
        }
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// A mono 16-bit WAV of `frames` frames of a tone at `rate`.
fn wav(rate: u32, frames: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(b"RIFF");
    v.extend((36 + frames * 2).to_le_bytes());
    v.extend(b"WAVEfmt ");
    v.extend(16u32.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend(rate.to_le_bytes());
    v.extend((rate * 2).to_le_bytes());
    v.extend(2u16.to_le_bytes());
    v.extend(16u16.to_le_bytes());
    v.extend(b"data");
    v.extend((frames * 2).to_le_bytes());
    for i in 0..frames {
        v.extend((((i as f32 * 0.2).sin() * 8000.0) as i16).to_le_bytes());
    }
    v
}

#[test]
fn mutated_audio_files_are_refused_or_read_never_a_panic() {
    let d = dir("audio");
    // The head of a real FLAC call (its stream info and first frames), and small WAVs.
    let mut flac = fixture("silent_hold_agent.far.flac");
    flac.truncate(12_000);
    let seeds = vec![flac, wav(8_000, 4_000), wav(48_000, 4_000)];
    let (mut opened, mut samples) = (0usize, 0usize);
    let n = runs(1_500);
    hammer("audio", &seeds, n, |input, _| {
        if let Some(s) = checks::audio(input, &d) {
            opened += 1;
            samples += s;
        }
    });
    eprintln!("audio: {n} inputs, {opened} opened, {samples} samples decoded");
    // The mutations must leave most inputs readable, or only the front door is tested.
    assert!(opened > n / 4, "{opened} of {n} opened");
}

#[test]
fn mutated_settings_files_load_with_warnings_never_a_panic() {
    let d = dir("config");
    let full = toml::to_string(&holdguard::config::Config::default()).unwrap();
    let seeds = vec![
        full.into_bytes(),
        b"language = \"nl\"\n[you]\nname = \"Zo\xc3\xab\"\naddress = \"a\\nb\"\n[guard]\nsilent_hold_delay_s = 5.0\n"
            .to_vec(),
    ];
    let (n, mut loaded) = (runs(3_000), 0usize);
    hammer("config", &seeds, n, |input, _| {
        loaded += usize::from(checks::settings(input, &d));
    });
    eprintln!("config: {n} inputs, {loaded} loaded");
    // Most mutations break the TOML itself (refused as a whole, with the defaults kept).
    assert!(loaded > n / 50, "{loaded} of {n} loaded");
}

#[test]
fn mutated_journals_and_labels_read_with_warnings_never_a_panic() {
    let d = dir("journal");
    let journal = concat!(
        "{\"type\":\"open\",\"call\":\"2026-11-28-09-00-00\",\"start\":1795856410.0,\"reason\":\"hold_music\"}\n",
        "{\"type\":\"close\",\"call\":\"2026-11-28-09-00-00\",\"start\":1795856410.0,\"end\":1795857010.0,\"reason\":\"hold_music\",\"closed_by\":\"agent_speech\"}\n",
        "{\"type\":\"close\",\"call\":\"x\",\"start\":1e308,\"end\":-1e308,\"reason\":\"manual_mute\",\"closed_by\":\"manual_unmute\"}\n",
    );
    let labels = r#"{"calls": {"2026-11-28-09-00-00": {"company": "Bank \"Zoë\"", "number": "+31", "note": "a\nb", "letters": [{"kind": "access", "lang": "nl", "date": "2026-02-31"}]}}}"#;
    let (n, mut intervals, mut letters) = (runs(3_000), 0usize, 0usize);
    hammer(
        "journal",
        &[journal.as_bytes().to_vec(), labels.as_bytes().to_vec()],
        n,
        |input, _| {
            let (i, l) = checks::journal(input, &d);
            intervals += i;
            letters += l;
        },
    );
    eprintln!("journal: {n} inputs, {intervals} intervals read, {letters} letters drafted");
    assert!(
        intervals > n / 4 && letters > n / 4,
        "{intervals} {letters}"
    );
}

/// Every input the coverage-guided fuzzer ever failed on (`scripts/fuzz.sh`), kept in
/// `fuzz/findings/TARGET/`, goes through its target's check again: each was a bug, fixed where it
/// was, and must stay fixed.
#[test]
fn what_the_fuzzer_found_stays_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/findings");
    let mut replayed = 0;
    for target in ["audio", "settings", "journal", "control"] {
        let d = dir(&format!("findings-{target}"));
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let input = std::fs::read(&path).unwrap();
            let ok = catch_unwind(AssertUnwindSafe(|| match target {
                "audio" => drop(checks::audio(&input, &d)),
                "settings" => drop(checks::settings(&input, &d)),
                "journal" => drop(checks::journal(&input, &d)),
                _ => checks::control(&input),
            }));
            assert!(ok.is_ok(), "{} panics again", path.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no findings under {}", root.display());
}

#[cfg(unix)]
#[test]
fn mutated_control_requests_get_an_answer_never_a_panic() {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixStream;
    let d = dir("socket");
    let ctl = holdguard::control::Controller::new();
    // A stand-in for the guard thread, so commands are applied and answered.
    let c = ctl.clone();
    let guard = std::thread::spawn(move || {
        while !c.stopping() {
            for (_, reply) in c.take_requests() {
                reply.send(None);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    let path = d.join("control.sock");
    let server = holdguard::control::serve(&path, ctl.clone()).unwrap();
    let seeds: Vec<Vec<u8>> = ["status\n", "show letter\n", "talk start\n", "mute\n"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    hammer("socket", &seeds, runs(400), |input, _| {
        let mut conn = UnixStream::connect(&path).unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let _ = conn.write_all(input);
        let _ = conn.shutdown(std::net::Shutdown::Write);
        let mut reply = String::new();
        let _ = BufReader::new(&conn).read_line(&mut reply);
    });
    // Still serving after all that.
    let status = holdguard::control::request(&path, "status").unwrap();
    assert_eq!(status.pid, std::process::id());
    ctl.stop();
    drop(server);
    guard.join().unwrap();
}
