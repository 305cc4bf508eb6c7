//! End-to-end tests of `holdguard run` against a real sound server.
//!
//! Ignored by default: they need a PipeWire or PulseAudio server with two null sinks, `sink_a` (the
//! phone's speaker: the far end plays there) and `sink_b` (standing for the microphone), plus
//! `paplay` and `parec`. `scripts/test.sh` (the README's test command) starts such a server inside
//! `scripts/session.sh` and runs them with `cargo test --release --test live -- --ignored
//! --test-threads 1`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// A child process that is stopped when dropped: a failing assertion unwinds through it, so a
/// guard or player of one test never outlives it into the next (whose stream counts it would
/// spoil).
struct Kid(Child);

impl std::ops::Deref for Kid {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Kid {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            // SIGINT first: the guard then removes its virtual microphone and ends its journal.
            let _ = Command::new("kill")
                .args(["-INT", &self.0.id().to_string()])
                .status();
            let t = std::time::Instant::now();
            while matches!(self.0.try_wait(), Ok(None)) {
                if t.elapsed() > std::time::Duration::from_secs(5) {
                    let _ = self.0.kill();
                    let _ = self.0.wait();
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
}
use std::time::{Duration, Instant};

use common::{fixture, status};
use holdguard::analyze::analyze;
use holdguard::guard::GuardConfig;
use realfft::RealFftPlanner;

const RATE: usize = 48_000;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_holdguard")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("holdguard-live-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn pactl_list(what: &str) -> String {
    let out = Command::new("pactl")
        .args(["list", "short", what])
        .output()
        .expect("pactl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sources() -> String {
    pactl_list("sources")
}

fn modules() -> String {
    pactl_list("modules")
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !ok() {
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Opens the gate for good (`holdguard pause`) once the control socket answers: in the tests that
/// measure the pipe, the far end is silent, which the guard would take for a hold.
fn open_the_gate_for_good() {
    wait_for("the control socket", Duration::from_secs(10), || {
        Command::new(bin())
            .arg("pause")
            .output()
            .is_ok_and(|o| o.status.success())
    });
}

/// Busy loops that load the cores (`HOLDGUARD_BUSY` of them, two by default) until dropped.
struct Load(Vec<Child>);

impl Load {
    fn start() -> Self {
        let n: usize = std::env::var("HOLDGUARD_BUSY")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2);
        Load(
            (0..n)
                .map(|_| {
                    Command::new("sh")
                        .args(["-c", "while :; do :; done"])
                        .spawn()
                        .unwrap()
                })
                .collect(),
        )
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for b in &mut self.0 {
            let _ = b.kill();
            let _ = b.wait();
        }
    }
}

/// A number in the guard's closing `audio:` line: the one after `label`.
fn guard_count(last: &str, label: &str, log: &str) -> u64 {
    let at = last
        .find(label)
        .unwrap_or_else(|| panic!("no `{label}` in the guard's closing line: {log}"));
    last[at + label.len()..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn start_guard(dir: &Path, far_sink: &str, seconds: f64) -> Kid {
    start_guard_with_mic(dir, &dev("sink_b"), far_sink, seconds)
}

fn start_guard_with_mic(dir: &Path, mic: &str, far_sink: &str, seconds: f64) -> Kid {
    // No softphone records the virtual microphone in these tests: without this the guard would
    // release the devices after 10 s (standby has its own test).
    start_guard_opts(dir, mic, far_sink, seconds, &["--keep-devices-open"])
}

fn start_guard_opts(dir: &Path, mic: &str, far_sink: &str, seconds: f64, extra: &[&str]) -> Kid {
    // The tests' own reference recordings of the microphone stay where they are (the test of
    // moving such recordings builds its own command).
    guard_command(dir, mic, far_sink, seconds, extra)
        .arg("--leave-recorders")
        .spawn()
        .map(Kid)
        .expect("holdguard runs")
}

fn guard_command(dir: &Path, mic: &str, far_sink: &str, seconds: f64, extra: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args([
        "run",
        "--mic",
        mic,
        "--far",
        &dev(far_sink),
        "--seconds",
        &seconds.to_string(),
        // Pipe figures every 5 s in the log: when a test fails, it shows when the ring ran dry.
        "--stats",
        "5",
    ])
    .args(extra)
    .arg("--journal")
    .arg(dir.join("journal.jsonl"))
    .arg("--config")
    .arg(dir.join("no-config.toml"))
    .stdout(std::fs::File::create(dir.join("guard.log")).unwrap())
    .stderr(std::fs::File::create(dir.join("guard.err")).unwrap());
    c
}

/// The cpal id of a server node, for the host the binary will pick.
fn dev(node: &str) -> String {
    let out = Command::new(bin()).arg("devices").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.starts_with("host: PipeWire") {
        format!("pipewire:{node}")
    } else {
        format!("pulseaudio:{node}.monitor")
    }
}

fn record(device: &str, path: &Path) -> Kid {
    Command::new("parec")
        .args([
            "--device",
            device,
            "--latency-msec=20",
            "--rate=48000",
            "--channels=1",
            "--format=float32le",
        ])
        .arg(path)
        .spawn()
        .map(Kid)
        .expect("parec runs")
}

fn play(sink: &str, file: &Path) -> Kid {
    Command::new("paplay")
        .args(["--device", sink])
        .arg(file)
        .spawn()
        .map(Kid)
        .expect("paplay runs")
}

fn stop(mut c: Kid) {
    let _ = Command::new("kill")
        .args(["-INT", &c.id().to_string()])
        .status();
    let _ = c.wait();
}

fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Lag (in samples) of `b` relative to `a` maximising their cross-correlation, within ±max.
fn best_lag(a: &[f32], b: &[f32], max: usize) -> i64 {
    let corr = cross(a, b);
    let n = corr.len();
    let mut best = (0i64, f32::MIN);
    for lag in -(max as i64)..=(max as i64) {
        let v = corr[lag.rem_euclid(n as i64) as usize];
        if v > best.1 {
            best = (lag, v);
        }
    }
    best.0
}

/// The highest normalised correlation of `a` with any stretch of `b` as long as it: a window
/// compared after its own alignment (raw cross-correlation would favour louder stretches).
fn best_match(a: &[f32], b: &[f32]) -> f64 {
    let corr = cross(a, b);
    let ea: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum();
    let mut eb: f64 = b[..a.len()].iter().map(|x| (*x as f64).powi(2)).sum();
    let mut best = f64::MIN;
    for k in 0..=b.len() - a.len() {
        if k > 0 {
            eb += (b[k + a.len() - 1] as f64).powi(2) - (b[k - 1] as f64).powi(2);
        }
        best = best.max(corr[k] as f64 / (ea * eb.max(0.0)).sqrt().max(1e-12));
    }
    best
}

/// Cross-correlation of `a` with `b` at every lag (index k: `b` shifted by k; negative lags
/// wrap around to the end).
fn cross(a: &[f32], b: &[f32]) -> Vec<f32> {
    let n = (a.len() + b.len()).next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let spec = |x: &[f32]| {
        let mut buf = vec![0.0f32; n];
        buf[..x.len()].copy_from_slice(x);
        let mut out = fwd.make_output_vec();
        fwd.process(&mut buf, &mut out).unwrap();
        out
    };
    let (sa, sb) = (spec(a), spec(b));
    let mut prod: Vec<_> = sa.iter().zip(&sb).map(|(x, y)| x.conj() * y).collect();
    let mut corr = vec![0.0f32; n];
    inv.process(&mut prod, &mut corr).unwrap();
    // realfft's inverse is unnormalised.
    corr.iter_mut().for_each(|c| *c /= n as f32);
    corr
}

#[test]
#[ignore]
fn live_guard_mutes_holds_and_passes_live_speech() {
    let dir = tmpdir("e2e");
    let far = fixture("hold_repeat_agent.far.flac");
    let mic = fixture("hold_repeat_agent.mic.flac");
    let expected = analyze(&far, Some(&mic), &GuardConfig::default()).unwrap();
    let guard = start_guard(&dir, "sink_a", 100.0);
    wait_for("the virtual microphone", Duration::from_secs(10), || {
        sources().contains("holdguard_mic")
    });
    std::thread::sleep(Duration::from_secs(1));
    let rec_out = record("holdguard_mic", &dir.join("out.raw"));
    let rec_ref = record("sink_b.monitor", &dir.join("ref.raw"));
    std::thread::sleep(Duration::from_secs(3));
    let (mut pf, mut pm) = (play("sink_a", &far), play("sink_b", &mic));
    pf.wait().unwrap();
    pm.wait().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    stop(rec_out);
    stop(rec_ref);
    stop(guard);
    let out = read_f32(&dir.join("out.raw"));
    let reference = read_f32(&dir.join("ref.raw"));
    assert!(
        out.len() > RATE * 70 && reference.len() > RATE * 70,
        "recordings too short"
    );

    // Where the microphone file starts in the reference recording.
    let (mic_samples, mic_rate) = common::decode(&mic);
    assert_eq!(mic_rate, 16_000);
    let mic48: Vec<f32> = mic_samples.iter().flat_map(|&s| [s, s, s]).collect();
    let start_ref = best_lag(&mic48, &reference, RATE * 10);
    // And the lag of our output against the reference (our pipeline's delay + recorder offsets),
    // measured in the first live stretch after the agent is back.
    let live_from = ((expected.intervals().last().unwrap().end + 1.0) * RATE as f64) as usize
        + start_ref as usize;
    let seg =
        |x: &[f32], from: usize| x[from.min(x.len())..(from + RATE * 10).min(x.len())].to_vec();
    let lag = best_lag(&seg(&reference, live_from), &seg(&out, live_from), RATE / 2);
    eprintln!("alignment: mic file starts at {start_ref} in the reference, output lags {lag}");
    let at = |t: f64| (t * RATE as f64) as i64 + start_ref + lag;

    // Live spans: the output is the microphone. Compared in 20 ms windows where the user is heard
    // (within 40 dB of the loudest), each aligned on its own (±125 ms): the recorders may skip a
    // block under load, the pipe grows its cushion (up to 100 ms) when the server stalls and gives
    // back excess across room tone, any of which would shift one long comparison. A server stall
    // while the user speaks leaves a hole of missing samples that spoils the window around it, so
    // one in ten may miss; windows short enough to keep that to one or two per stall, long enough
    // (several pitch periods) that a wrong or filtered signal cannot reach 0.99. Shortfalls are
    // checked in the log instead.
    let (a, b) = (
        at(expected.intervals().last().unwrap().end + 1.0),
        at(expected.duration - 1.0),
    );
    let (a, b) = (a as usize, (b as usize).min(out.len()));
    let win = RATE / 50;
    let rms = |r: &[f32]| (r.iter().map(|x| x * x).sum::<f32>() / r.len() as f32).sqrt();
    let windows: Vec<usize> = (a..b.saturating_sub(RATE)).step_by(win).collect();
    let loudest = windows
        .iter()
        .map(|&w| rms(&reference[w - lag as usize..w - lag as usize + win]))
        .fold(0.0f32, f32::max);
    let mut scores = Vec::new();
    for &w in &windows {
        let r = &reference[w - lag as usize..w - lag as usize + win];
        if rms(r) < loudest / 100.0 {
            continue;
        }
        let reach = RATE / 8;
        scores.push(best_match(r, &out[w - reach..w + win + reach]));
    }
    let good = scores.iter().filter(|c| **c >= 0.99).count();
    eprintln!(
        "live speech: {good} of {} windows of 20 ms match at ≥ 0.99",
        scores.len()
    );
    let log = std::fs::read_to_string(dir.join("guard.log")).unwrap();
    assert!(
        scores.len() >= 40 && good * 10 >= scores.len() * 9,
        "live correlation per 20 ms ({good} of {} ≥ 0.99): {scores:.3?}\n{log}",
        scores.len()
    );
    // Samples the output had to invent are allowed only where the sound server did not deliver
    // the microphone's blocks in time (it stalls now and then on a busy two-core machine).
    let short = |from: &str| -> u64 {
        let rest = &log[log
            .find(from)
            .unwrap_or_else(|| panic!("no `{from}`: {log}"))
            + from.len()..];
        rest.split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        short("; output "),
        short("samples short ("),
        "the pipe ran dry by itself: {log}"
    );
    assert!(log.contains("), 0 dropped"), "the ring overflowed: {log}");

    // Hold spans: digital silence, where analyze says muted (±0.3 s at the edges).
    for iv in expected.intervals() {
        let (a, b) = (at(iv.start + 0.3), at(iv.end - 0.3));
        let span = &out[a as usize..b as usize];
        let loud: Vec<usize> = (0..span.len()).filter(|&i| span[i] != 0.0).collect();
        // Where they are says what went wrong: at the start a late mute, in the middle a false
        // reopening, spread thin a gate that leaks.
        let secs = |i: usize| iv.start + 0.3 + i as f64 / RATE as f64;
        assert!(
            loud.is_empty(),
            "{} non-zero samples in the hold {:.1}–{:.1}, from {:.2} s to {:.2} s\n{log}",
            loud.len(),
            iv.start,
            iv.end,
            secs(loud[0]),
            secs(*loud.last().unwrap()),
        );
    }

    // The journal holds the same intervals.
    let journal = holdguard::journal::read(&dir.join("journal.jsonl")).unwrap();
    let got: Vec<f64> = journal
        .intervals
        .iter()
        .map(|i| i.duration())
        .filter(|d| *d > 1.0)
        .collect();
    let want: Vec<f64> = expected
        .intervals()
        .iter()
        .map(|i| i.end - i.start)
        .collect();
    assert_eq!(got.len(), want.len(), "journal {got:?} vs analyze {want:?}");
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 0.6, "journal {got:?} vs analyze {want:?}");
    }
    assert!(
        !modules().contains("holdguard_"),
        "virtual microphone removed on exit"
    );
}

fn load_sink(name: &str) -> u32 {
    let out = Command::new("pactl")
        .args([
            "load-module",
            "module-null-sink",
            &format!("sink_name={name}"),
            "rate=48000",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("module index")
}

#[test]
#[ignore]
fn kill_9_mid_hold_is_recovered_and_the_virtual_mic_is_not_duplicated() {
    let dir = tmpdir("kill");
    let far = fixture("hold_repeat_agent.far.flac");
    let mut guard = start_guard(&dir, "sink_a", 120.0);
    wait_for("the virtual microphone", Duration::from_secs(10), || {
        sources().contains("holdguard_mic")
    });
    let mut player = play("sink_a", &far);
    // The hold music starts 3.7 s in; muted by about 5 s; heartbeats every 5 s.
    std::thread::sleep(Duration::from_secs(18));
    let killed_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    guard.kill().unwrap();
    guard.wait().unwrap();
    let _ = player.kill();
    let _ = player.wait();
    assert!(
        modules().contains("holdguard_sink"),
        "the modules outlive a kill -9"
    );

    let mut again = start_guard(&dir, "sink_a", 3.0);
    wait_for("the restarted guard", Duration::from_secs(10), || {
        std::fs::read_to_string(dir.join("guard.log")).is_ok_and(|l| l.contains("microphone"))
    });
    let listed = modules();
    assert_eq!(
        listed
            .matches("module-null-sink\tsink_name=holdguard_sink")
            .count(),
        1,
        "{listed}"
    );
    assert_eq!(
        listed.matches("source_name=holdguard_mic").count(),
        1,
        "{listed}"
    );
    again.wait().unwrap();
    let log = std::fs::read_to_string(dir.join("guard.log")).unwrap();
    assert!(log.contains("reused"), "{log}");
    let journal = holdguard::journal::read(&dir.join("journal.jsonl")).unwrap();
    let lost: Vec<_> = journal
        .intervals
        .iter()
        .filter(|i| i.closed_by == "ended unexpectedly")
        .collect();
    assert_eq!(lost.len(), 1, "{:?}", journal.intervals);
    assert!(
        lost[0].duration() > 5.0,
        "closed at the last heartbeat: {:?}",
        lost[0]
    );
    assert!(
        killed_at - lost[0].end <= 6.0,
        "heartbeat within 5 s of the kill: {:?}",
        lost[0]
    );
    assert!(!modules().contains("holdguard_"), "removed on a clean exit");
}

#[test]
#[ignore]
fn losing_the_far_end_mid_call_does_not_crash_and_it_recovers() {
    let dir = tmpdir("unplug");
    let far = fixture("hold_repeat_agent.far.flac");
    let module = load_sink("sink_c");
    let mut guard = start_guard(&dir, "sink_c", 40.0);
    wait_for("the virtual microphone", Duration::from_secs(10), || {
        sources().contains("holdguard_mic")
    });
    let mut player = play("sink_c", &far);
    std::thread::sleep(Duration::from_secs(12));
    let _ = player.kill();
    let _ = player.wait();
    let log = std::fs::read_to_string(dir.join("guard.log")).unwrap();
    assert!(log.contains("muted (hold music)"), "{log}");
    // The phone's speaker disappears mid-hold.
    Command::new("pactl")
        .args(["unload-module", &module.to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        guard.try_wait().unwrap().is_none(),
        "still running without a far end"
    );
    let module = load_sink("sink_c");
    let err = dir.join("guard.err");
    // PipeWire ends the stream; PulseAudio moves it to the default source without a word,
    // which the guard must notice as well.
    wait_for("a reconnection", Duration::from_secs(10), || {
        std::fs::read_to_string(&err).is_ok_and(|e| e.contains("reconnecting"))
    });
    wait_for(
        "the far end back on sink_c",
        Duration::from_secs(10),
        recording_sink_c,
    );
    std::thread::sleep(Duration::from_secs(4));
    let before = std::fs::read_to_string(&err)
        .unwrap()
        .matches("cannot open")
        .count();
    std::thread::sleep(Duration::from_secs(3));
    let after = std::fs::read_to_string(&err)
        .unwrap()
        .matches("cannot open")
        .count();
    assert_eq!(before, after, "streams open again once the sink is back");
    let status = guard.wait().unwrap();
    assert!(
        status.success(),
        "clean exit: {}",
        std::fs::read_to_string(&err).unwrap()
    );
    let journal = holdguard::journal::read(&dir.join("journal.jsonl")).unwrap();
    assert!(
        journal.intervals.iter().any(|i| i.reason == "hold_music"),
        "{:?}",
        journal.intervals
    );
    Command::new("pactl")
        .args(["unload-module", &module.to_string()])
        .status()
        .ok();
}

/// Something records from `sink_c.monitor` (only the guard does in that test).
fn recording_sink_c() -> bool {
    let Some(idx) = sources()
        .lines()
        .find(|l| l.split('\t').nth(1) == Some("sink_c.monitor"))
        .and_then(|l| l.split('\t').next().map(str::to_owned))
    else {
        return false;
    };
    pactl_list("source-outputs")
        .lines()
        .any(|l| l.split('\t').nth(1) == Some(idx.as_str()))
}

/// Stops or starts the test's sound server (PipeWire with WirePlumber and pipewire-pulse, or
/// PulseAudio; and their bus) with the script scripts/session.sh started it with, null sinks
/// included.
fn restart_server(phase: &str) {
    let script = std::env::var_os("HOLDGUARD_AUDIO_SCRIPT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/audio-pipewire.sh"),
        PathBuf::from,
    );
    let ok = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' {phase} >/dev/null 2>&1",
            script.display()
        ))
        .status()
        .unwrap()
        .success();
    assert!(ok, "{} {phase}", script.display());
}

#[test]
#[ignore = "needs the sound server scripts/session.sh starts"]
fn an_audio_server_restart_recreates_the_virtual_mic_and_streams_within_3_s() {
    let dir = tmpdir("restart");
    let mut guard = start_guard(&dir, "sink_a", 45.0);
    wait_for("the virtual microphone", Duration::from_secs(10), || {
        sources().contains("holdguard_mic")
    });
    std::thread::sleep(Duration::from_secs(2));
    restart_server("stop");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        guard.try_wait().unwrap().is_none(),
        "the guard survives its sound server"
    );
    restart_server("start");
    let up = Instant::now();
    wait_for(
        "the virtual microphone again",
        Duration::from_secs(3),
        || sources().contains("holdguard_mic"),
    );
    let recreated = up.elapsed().as_secs_f64();
    // Streams flow again: a tone into the microphone comes out of the virtual microphone.
    let tone = dir.join("tone.wav");
    {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&tone, spec).unwrap();
        for i in 0..48_000 * 4 {
            let v = (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 48_000.0).sin();
            w.write_sample((v * 8000.0) as i16).unwrap();
        }
        w.finalize().unwrap();
    }
    let rec = dir.join("after.raw");
    let mut found = 0.0f32;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(8) && found < 0.05 {
        let r = record("holdguard_mic", &rec);
        let mut p = play("sink_b", &tone);
        std::thread::sleep(Duration::from_secs(3));
        stop(r);
        let _ = p.kill();
        let _ = p.wait();
        let x = read_f32(&rec);
        found = (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt();
    }
    let streams = up.elapsed().as_secs_f64();
    assert!(
        found >= 0.05,
        "no microphone audio after the restart (RMS {found})"
    );
    let ours = modules()
        .lines()
        .filter(|l| l.contains("holdguard"))
        .count();
    assert_eq!(
        ours,
        2,
        "one null sink and one remap source:\n{}",
        modules()
    );
    println!(
        "server restart: virtual microphone back {recreated:.2} s after the server, microphone audio through it within {streams:.1} s"
    );
    let status = guard.wait().unwrap();
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(dir.join("guard.err")).unwrap()
    );
}

#[test]
#[ignore = "needs the sound server scripts/session.sh starts"]
fn a_lost_microphone_falls_back_to_the_default_and_returns() {
    let dir = tmpdir("micloss");
    let module = load_sink("sink_m");
    let mic = dev("sink_m");
    let mut guard = start_guard_with_mic(&dir, &mic, "sink_a", 40.0);
    wait_for("the virtual microphone", Duration::from_secs(10), || {
        sources().contains("holdguard_mic")
    });
    std::thread::sleep(Duration::from_secs(2));
    // The microphone is unplugged.
    Command::new("pactl")
        .args(["unload-module", &module.to_string()])
        .status()
        .unwrap();
    let err = dir.join("guard.err");
    let log = || std::fs::read_to_string(&err).unwrap_or_default();
    wait_for(
        "the fallback to the default microphone",
        Duration::from_secs(10),
        || {
            log().contains("now using microphone")
                && !log().contains(&format!("now using microphone {mic},"))
        },
    );
    assert!(guard.try_wait().unwrap().is_none(), "still guarding");
    // It comes back: the guard returns to it.
    let module = load_sink("sink_m");
    wait_for(
        "the return to the chosen microphone",
        Duration::from_secs(15),
        || log().contains(&format!("now using microphone {mic},")),
    );
    let status = guard.wait().unwrap();
    assert!(status.success(), "{}", log());
    Command::new("pactl")
        .args(["unload-module", &module.to_string()])
        .status()
        .ok();
}

/// Streams the guard itself has open at the sound server (not parec's or paplay's).
fn guard_streams() -> usize {
    ["source-outputs", "sink-inputs"]
        .iter()
        .map(|what| {
            let out = Command::new("pactl")
                .args(["list", what])
                .output()
                .expect("pactl runs");
            // The guard's streams: PipeWire's host names its nodes, cpal's PulseAudio host its
            // client, and on PulseAudio the recordings are the guard's own ("Hold Guard").
            let text = String::from_utf8_lossy(&out.stdout);
            text.split("\n\n")
                .filter(|block| {
                    [
                        "node.name = \"holdguard\"",
                        "application.name = \"cpal-pulseaudio-",
                        "application.name = \"Hold Guard\"",
                    ]
                    .iter()
                    .any(|m| block.contains(m))
                })
                .count()
        })
        .sum()
}

#[test]
#[ignore = "needs the sound server scripts/session.sh starts"]
fn with_no_app_on_the_virtual_mic_the_devices_are_released_until_one_records() {
    let dir = tmpdir("standby");
    let mic = play("sink_b", &fixture("hold_repeat_agent.mic.flac"));
    let guard = start_guard_opts(&dir, &dev("sink_b"), "sink_a", 40.0, &[]);
    let log = || {
        ["guard.log", "guard.err"]
            .map(|f| std::fs::read_to_string(dir.join(f)).unwrap_or_default())
            .concat()
    };
    wait_for("the guard's three streams", Duration::from_secs(10), || {
        guard_streams() == 3
    });
    // A pause outlasts the call that standby ends.
    assert!(Command::new(bin()).arg("pause").status().unwrap().success());
    // Nothing records "Hold Guard Microphone": after 10 s the devices are let go.
    wait_for("standby", Duration::from_secs(20), || guard_streams() == 0);
    assert_eq!(status().unwrap_or_default()["standby"], true, "{}", log());
    assert_eq!(status().unwrap_or_default()["state"], "paused");
    assert!(Command::new(bin())
        .arg("resume")
        .status()
        .unwrap()
        .success());
    assert_eq!(status().unwrap_or_default()["state"], "live");

    // A softphone starts recording it: the streams come back at once, and the microphone passes.
    let out = dir.join("out.raw");
    let rec = record("holdguard_mic", &out);
    let back = Instant::now();
    wait_for("the streams to reopen", Duration::from_secs(3), || {
        guard_streams() == 3
    });
    println!(
        "streams back {:.2} s after a recorder appeared",
        back.elapsed().as_secs_f64()
    );
    assert_eq!(status().unwrap_or_default()["standby"], false);
    // Judge the recorder's own audio, however late and however raggedly the server starts it:
    // the graph can take the reopened streams in over a few hundred milliseconds, so wait for a
    // whole second of sound at the recording's end rather than a second after its first sample.
    let last_second_sound = |got: &[f32]| {
        got[got.len().saturating_sub(RATE)..]
            .iter()
            .filter(|v| **v != 0.0)
            .count()
    };
    let read = || {
        if out.exists() {
            read_f32(&out)
        } else {
            Vec::new()
        }
    };
    let deadline = Duration::from_secs(8);
    loop {
        let got = read();
        if (got.len() >= RATE && last_second_sound(&got) > 40_000) || back.elapsed() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let passing = back.elapsed();
    stop(rec);
    let got = read_f32(&out);
    let first = got.iter().position(|v| *v != 0.0);
    println!(
        "the recorder's first sound {} into its recording ({:.2} s long); a whole second of \
         sound {:.2} s after the recorder appeared",
        first.map_or("never".into(), |i| format!(
            "{:.2} s",
            i as f64 / RATE as f64
        )),
        got.len() as f64 / RATE as f64,
        passing.as_secs_f64()
    );
    // Where the recording is silent says whether the server started it late or the pipe dropped.
    let gaps: Vec<String> = silences(&got, RATE / 100)
        .into_iter()
        .map(|(at, len)| {
            format!(
                "{:.2} s for {:.0} ms",
                at as f64 / RATE as f64,
                len as f64 * 1000.0 / RATE as f64
            )
        })
        .collect();
    println!("silences of 10 ms or more in the recording: {gaps:?}");
    let sound = last_second_sound(&got);
    assert!(
        sound > 40_000,
        "the microphone does not pass after standby: {sound} of {} samples of the recording's last \
         second are sound, {:.2} s after the recorder appeared\n{}",
        got.len().min(RATE),
        passing.as_secs_f64(),
        log()
    );
    stop(guard);
    stop(mic);
    let log = log();
    assert!(
        !log.contains("went away"),
        "standby is no lost device:\n{log}"
    );
    assert!(log.contains("standby: no app records"), "{log}");
}

/// A sawtooth that tells every sample apart: a recording of it shows where samples went missing
/// or were inserted, to the sample.
const RAMP_PERIOD: usize = 4800;
const RAMP_SPAN: f32 = 0.8;

fn ramp(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| -RAMP_SPAN / 2.0 + RAMP_SPAN * (i % RAMP_PERIOD) as f32 / RAMP_PERIOD as f32)
        .collect()
}

/// Breaks in a recording of [`ramp`] (scaled by the sound server by some gain): runs of samples
/// that do not follow the ramp, each counted once, and the samples the ramp lost (+) or gained
/// (−) across them, in all and as (seconds, samples) pairs.
fn ramp_breaks(rec: &[f32]) -> (usize, i64, Vec<f64>, usize) {
    let diffs: Vec<f32> = rec.windows(2).map(|w| w[1] - w[0]).collect();
    let mut steps: Vec<f32> = diffs.iter().copied().filter(|d| *d > 0.0).collect();
    steps.sort_by(f32::total_cmp);
    let step = steps[steps.len() / 2];
    let gain = step * RAMP_PERIOD as f32 / RAMP_SPAN;
    let index = |y: f32| ((y / gain + RAMP_SPAN / 2.0) / RAMP_SPAN * RAMP_PERIOD as f32) as f64;
    // The ramp's stretch of the recording: from its first step to its last.
    let ok = |d: f32| (d - step).abs() < step * 0.01 || (d - step + RAMP_SPAN * gain).abs() < step;
    let first = diffs.iter().position(|d| ok(*d)).unwrap();
    let last = diffs.iter().rposition(|d| ok(*d)).unwrap();
    let (mut breaks, mut net, mut at) = (0, 0i64, Vec::new());
    let mut k = first;
    while k < last {
        if ok(diffs[k]) {
            k += 1;
            continue;
        }
        // A break: skip to where the ramp resumes (two good steps in a row).
        let from = k;
        while k < last && !(ok(diffs[k]) && ok(diffs[k + 1])) {
            k += 1;
        }
        let jump = index(rec[k]) - index(rec[from]);
        let len = (k - from) as f64;
        let p = RAMP_PERIOD as f64;
        let lost =
            ((jump - len).rem_euclid(p) + p / 2.0).rem_euclid(p).round() as i64 - p as i64 / 2;
        // Reading a few hundred ppm slower or faster (the pipe's clock steering) interpolates
        // across the ramp's wrap: a sample or two off the ramp, a sample dropped or repeated
        // smoothly, no cut.
        if lost.abs() <= 2 && len <= 3.0 {
            continue;
        }
        net += lost;
        breaks += 1;
        at.push((from as f64 / RATE as f64 * 100.0).round() / 100.0);
        at.push(lost as f64);
    }
    (breaks, net, at, first)
}

#[test]
fn ramp_breaks_finds_lost_and_inserted_samples() {
    let mut rec = vec![0.0f32; 1000];
    let r: Vec<f32> = ramp(48_000).iter().map(|x| x * 0.5).collect();
    rec.extend_from_slice(&r[..10_000]);
    rec.extend_from_slice(&r[10_300..20_000]); // 300 lost
    rec.extend_from_slice(&[0.0; 200]); // 200 of silence inserted
    rec.extend_from_slice(&r[20_000..]);
    rec.extend_from_slice(&[0.0; 500]);
    let (breaks, net, at, first) = ramp_breaks(&rec);
    assert_eq!((breaks, first), (2, 1000), "{at:?}");
    assert!((net - 100).abs() <= 2, "{net}");
}

/// What a softphone recording Hold Guard Microphone receives: every sample the microphone gave,
/// in order, with the gate open, while two busy processes load the machine, as a recorder of the
/// raw microphone does; and what the guard counts covers every break the recorder saw.
/// On PipeWire (see docs/audio.md).
#[test]
#[ignore = "needs the sound server scripts/session.sh starts"]
fn a_recorder_of_the_virtual_microphone_gets_every_sample() {
    let secs: f64 = std::env::var("HOLDGUARD_LOSSLESS_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40.0);
    if dev("sink_b").starts_with("pulseaudio:") {
        // PulseAudio's null sinks are not sample-exact (platform notes: a new recorder loses its
        // first second or two, timing drifts), so a ramp cannot be followed sample by sample.
        eprintln!("skipped on PulseAudio: its recordings cannot be compared sample by sample");
        return;
    }
    let dir = tmpdir("lossless");
    let wav = dir.join("ramp.wav");
    write_wav_f32(&wav, &ramp((secs * RATE as f64) as usize));
    let period: Vec<String> = std::env::var("HOLDGUARD_PERIOD")
        .map(|p| vec!["--period".into(), p])
        .unwrap_or_default();
    let mut extra = vec!["--keep-devices-open"];
    extra.extend(period.iter().map(String::as_str));
    let guard = start_guard_opts(&dir, &dev("sink_b"), "sink_a", secs + 20.0, &extra);
    wait_for("the virtual microphone", Duration::from_secs(10), || {
        sources().contains("holdguard_mic")
    });
    open_the_gate_for_good();
    let busy = Load::start();
    // The same recorder on the microphone itself: what a softphone without Hold Guard would get
    // on this machine at this moment (the recorders and the player are ordinary processes that
    // the load delays too).
    let rec = record("holdguard_mic", &dir.join("out.raw"));
    let rec_ref = record("sink_b.monitor", &dir.join("ref.raw"));
    std::thread::sleep(Duration::from_secs(2));
    let mut p = play("sink_b", &wav);
    p.wait().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    stop(rec);
    stop(rec_ref);
    drop(busy);
    stop(guard);
    let log = std::fs::read_to_string(dir.join("guard.log")).unwrap();
    let out = read_f32(&dir.join("out.raw"));
    let (breaks, net, at, _) = ramp_breaks(&out);
    let (ref_breaks, ref_net, ref_at, _) = ramp_breaks(&read_f32(&dir.join("ref.raw")));
    let last = log.lines().rfind(|l| l.starts_with("audio:")).unwrap_or("");
    let count = |label: &str| guard_count(last, label, &log);
    let (short, mic_missed, out_missed) = (
        count("output"),
        count("cycles missed: microphone"),
        count("samples, output"),
    );
    eprintln!(
        "lossless: {:.0} s of ramp, {breaks} breaks (s, samples lost) {at:.2?}, net {net} samples; the microphone itself: {ref_breaks} breaks {ref_at:.2?}, net {ref_net}; guard: {short} short, cycles missed mic {mic_missed} out {out_missed}\n{last}",
        out.len() as f64 / RATE as f64
    );
    assert!(
        breaks == 0 || short + mic_missed + out_missed > 0,
        "the recorder saw {breaks} breaks that the guard did not count\n{log}"
    );
    // Breaks the microphone's own recording shows too are the machine's, not the guard's.
    assert!(
        breaks <= ref_breaks + 1,
        "{breaks} breaks in {secs} s, {ref_breaks} on the microphone itself\n{log}"
    );
}

/// A PulseAudio server that stalls longer than our playback's buffer plays silence in our place
/// when it resumes (the prebuffering waits for us instead of dropping): the softphone hears a
/// gap that no callback of ours sees. The guard counts it from where the server says it plays,
/// and this test holds that count to the silence a recorder of the virtual microphone hears.
#[test]
#[ignore = "needs the sound server scripts/session.sh starts"]
fn a_gap_the_sound_server_plays_in_our_place_is_counted() {
    if dev("sink_b").starts_with("pipewire:") {
        // A stalled PipeWire stops the whole graph, the recorder's clock included: its cycles
        // skip ahead for every stream, which `cycles missed` counts, and no silence is inserted.
        eprintln!("skipped on PipeWire: a stalled graph inserts no silence to compare");
        return;
    }
    let dir = tmpdir("server-gap");
    let wav = dir.join("tone.wav");
    let tone: Vec<f32> = (0..30 * RATE)
        .map(|i| 0.3 * (std::f32::consts::TAU * 440.0 * i as f32 / RATE as f32).sin())
        .collect();
    write_wav_f32(&wav, &tone);
    let mic = play("sink_b", &wav);
    let guard = start_guard_opts(
        &dir,
        &dev("sink_b"),
        "sink_a",
        30.0,
        &["--keep-devices-open"],
    );
    wait_for("the virtual microphone", Duration::from_secs(10), || {
        sources().contains("holdguard_mic")
    });
    open_the_gate_for_good();
    let out = dir.join("out.raw");
    let rec = record("holdguard_mic", &out);
    std::thread::sleep(Duration::from_secs(3));
    let server = Command::new("pgrep")
        .args(["-x", "pulseaudio"])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&server.stdout).trim().to_string();
    assert!(!pid.is_empty(), "no pulseaudio process to stall");
    let signal = |sig: &str| {
        assert!(Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success());
    };
    // Three stalls of 0.1 s: longer than the 43 ms our playback keeps at the server.
    for _ in 0..3 {
        signal("-STOP");
        std::thread::sleep(Duration::from_millis(100));
        signal("-CONT");
        std::thread::sleep(Duration::from_secs(2));
    }
    stop(rec);
    stop(guard);
    stop(mic);
    let log = std::fs::read_to_string(dir.join("guard.log")).unwrap();
    let last = log.lines().rfind(|l| l.starts_with("audio:")).unwrap_or("");
    let count = |label: &str| guard_count(last, label, &log);
    let counted = count("output") + count("samples, output");
    // Silence inside the tone, from its first sound to its last: what the softphone lost.
    let got = read_f32(&out);
    let first = got.iter().position(|v| *v != 0.0).unwrap_or(got.len());
    let end = got.iter().rposition(|v| *v != 0.0).unwrap_or(0);
    // A sine's own zero crossings are single samples.
    let heard: Vec<usize> = silences(got.get(first..end).unwrap_or(&[]), 8)
        .into_iter()
        .map(|(_, len)| len)
        .collect();
    let total: usize = heard.iter().sum();
    eprintln!("silences the recorder heard: {heard:?} ({total} samples); the guard counted {counted}\n{last}");
    assert!(
        heard.len() >= 3 && total >= 3 * RATE / 50,
        "the stalls made no gaps to measure: {heard:?}\n{log}"
    );
    let off = (counted as f64 - total as f64).abs();
    assert!(
        off <= 0.05 * total as f64 + (RATE / 100) as f64,
        "the guard counted {counted} samples of the {total} the recorder lost\n{log}"
    );
}

/// A microphone that is not there is an error at start, not a silent substitute (the default
/// source may be the call's own output); and the far end's own output is never the microphone.
#[test]
#[ignore = "needs the sound server scripts/session.sh starts"]
fn a_microphone_that_is_missing_or_is_the_far_end_is_refused() {
    let dir = tmpdir("badmic");
    for (mic, says) in [
        (format!("{}_gone", dev("sink_b")), "not found"),
        (dev("sink_a"), "is what the far end plays to"),
    ] {
        let out = Command::new(bin())
            .args([
                "run",
                "--mic",
                &mic,
                "--far",
                &dev("sink_a"),
                "--seconds",
                "5",
            ])
            .arg("--config")
            .arg(dir.join("no-config.toml"))
            .arg("--journal")
            .arg(dir.join("journal.jsonl"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{mic}: {err}");
        assert!(
            err.contains(says) && err.trim().lines().count() == 1,
            "{mic}: {err}"
        );
    }
    assert!(
        !modules().contains("holdguard_"),
        "no virtual microphone left behind"
    );
}

/// An application left on the physical microphone goes around the guard: by default it is moved
/// onto Hold Guard Microphone (and stays there); told to leave it, the guard names it in its
/// status. The microphone is a real source here (a remap of sink_b's monitor): a recording of a
/// sink's monitor cannot be moved onto a source under PipeWire.
#[test]
#[ignore = "needs the sound server scripts/session.sh starts"]
fn an_app_recording_the_microphone_directly_is_moved_onto_the_guard() {
    // The source parec records, from `pactl list source-outputs` ("Source: N" comes before the
    // stream's properties).
    let parec_on = |name: &str| -> bool {
        let out = Command::new("pactl")
            .args(["list", "source-outputs"])
            .output()
            .unwrap();
        let index = pactl_list("sources")
            .lines()
            .find(|l| l.split('\t').nth(1) == Some(name))
            .and_then(|l| l.split('\t').next().map(str::to_string));
        let Some(index) = index else { return false };
        String::from_utf8_lossy(&out.stdout)
            .split("Source Output #")
            .any(|o| {
                o.contains("application.name = \"parec\"")
                    && o.lines().any(|l| l.trim() == format!("Source: {index}"))
            })
    };
    let module = Command::new("pactl")
        .args([
            "load-module",
            "module-remap-source",
            "master=sink_b.monitor",
            "source_name=test_mic",
            "source_properties=device.description=TestMic",
        ])
        .output()
        .unwrap();
    assert!(module.status.success(), "a test microphone is made");
    let module = String::from_utf8_lossy(&module.stdout).trim().to_string();
    wait_for("the test microphone", Duration::from_secs(5), || {
        sources().contains("test_mic")
    });
    let mic = if dev("x").starts_with("pipewire:") {
        "pipewire:test_mic"
    } else {
        "pulseaudio:test_mic"
    };
    for leave in [false, true] {
        let dir = tmpdir(if leave { "leave" } else { "route" });
        let mut extra = vec!["--keep-devices-open"];
        if leave {
            extra.push("--leave-recorders");
        }
        let guard = guard_command(&dir, mic, "sink_a", 20.0, &extra)
            .spawn()
            .map(Kid)
            .expect("holdguard runs");
        wait_for("the virtual microphone", Duration::from_secs(10), || {
            sources().contains("holdguard_mic")
        });
        // The "softphone" records the microphone itself.
        let t0 = Instant::now();
        let app = record("test_mic", &dir.join("app.raw"));
        if leave {
            wait_for("the status to name it", Duration::from_secs(5), || {
                let out = Command::new(bin()).arg("status").output().unwrap();
                String::from_utf8_lossy(&out.stdout).contains("records your microphone directly")
            });
            assert!(parec_on("test_mic"), "left where it was");
        } else {
            wait_for("the recording to be moved", Duration::from_secs(5), || {
                parec_on("holdguard_mic")
            });
            eprintln!(
                "moved onto the guard {:.2} s after it started",
                t0.elapsed().as_secs_f64()
            );
            std::thread::sleep(Duration::from_secs(2));
            assert!(parec_on("holdguard_mic"), "stays moved");
        }
        stop(app);
        stop(guard);
        let out = std::fs::read_to_string(dir.join("guard.log")).unwrap()
            + &std::fs::read_to_string(dir.join("guard.err")).unwrap();
        assert!(
            out.contains("records your microphone directly") == leave
                && out.contains("moved onto Hold Guard Microphone") != leave
                && !out.contains("could not be moved"),
            "{out}"
        );
    }
    let _ = Command::new("pactl")
        .args(["unload-module", &module])
        .status();
}

/// Writes `x` (mono) as a 16-bit WAV.
fn write_wav(path: &Path, x: &[f32], rate: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in x {
        w.write_sample((v * 32767.0).round() as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// Mono 32-bit float at the guard's rate: every sample as it is (a ramp must stay sample-exact).
fn write_wav_f32(path: &Path, x: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE as u32,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in x {
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
}

/// Runs of exact zeros of at least `min` samples in a recording, as (start, length).
fn silences(got: &[f32], min: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < got.len() {
        let len = got[at..].iter().take_while(|v| **v == 0.0).count();
        if len >= min {
            out.push((at, len));
        }
        at += len.max(1);
    }
    out
}

/// RMS of a raw float32 recording.
fn rms_of(path: &Path) -> f32 {
    let b = std::fs::read(path).unwrap();
    let x: Vec<f32> = b
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

/// Speaking into a muted microphone is shown within half a second and nothing is sent;
/// push-to-talk opens the microphone while held, over a manual mute, and returns to it.
#[test]
#[ignore = "needs the sound server scripts/session.sh starts"]
fn muted_speech_is_shown_and_push_to_talk_opens_while_held() {
    let dir = tmpdir("talk");
    let guard = start_guard_opts(
        &dir,
        &dev("sink_b"),
        "sink_a",
        40.0,
        &["--keep-devices-open"],
    );
    wait_for("the guard", Duration::from_secs(10), || {
        status().is_some_and(|s| s["state"] == "live")
    });
    let remote = |what: &[&str]| {
        let t = Instant::now();
        let o = Command::new(bin()).args(what).output().unwrap();
        assert!(
            o.status.success(),
            "{what:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        t.elapsed().as_secs_f64()
    };
    remote(&["mute"]);

    // The user's first words in a real microphone track, half a second after the clip starts.
    let mic = fixture("hold_repeat_agent.mic.flac");
    let active = holdguard::train::file_activity(&mic).unwrap();
    let hop = holdguard::dsp::frame::HOP_SECONDS;
    let first = active
        .windows(5)
        .position(|w| w.iter().all(|&a| a))
        .expect("the fixture has speech");
    let (x, rate) = common::decode(&mic);
    let r = rate as usize;
    let from = ((first as f64 * hop - 0.5).max(0.0) * r as f64) as usize;
    let lead = first as f64 * hop - from as f64 / r as f64;
    let clip = dir.join("words.wav");
    write_wav(&clip, &x[from..(from + 4 * r).min(x.len())], rate);
    let heard = dir.join("muted.raw");
    let phone = record("holdguard_mic", &heard);
    let t0 = Instant::now();
    let mut player = play("sink_b", &clip);
    wait_for("the muted-speech cue", Duration::from_secs(5), || {
        status().is_some_and(|s| s["speaking_muted"] == true)
    });
    let cue = t0.elapsed().as_secs_f64() - lead;
    eprintln!("muted-speech cue {cue:.2} s after the first word (paplay's start included)");
    let _ = player.wait();
    stop(phone);
    // Loose: paplay's own start and the server's buffering are in the figure, and a busy CI
    // machine has shown 1.9 s on PulseAudio (0.16 s PipeWire, 0.70 s PulseAudio when idle).
    assert!(cue < 3.0, "cue after {cue:.2} s");
    let sent = rms_of(&heard);
    assert!(
        sent < 1e-3,
        "muted speech reached the softphone (RMS {sent})"
    );
    wait_for("the cue to clear", Duration::from_secs(5), || {
        status().is_some_and(|s| s["speaking_muted"] == false)
    });

    // Push-to-talk over the manual mute: a steady tone on the microphone gets through only
    // while it is held.
    let tone: Vec<f32> = (0..8 * RATE)
        .map(|i| 0.2 * (i as f32 * 300.0 * std::f32::consts::TAU / RATE as f32).sin())
        .collect();
    let tone_file = dir.join("tone.wav");
    write_wav(&tone_file, &tone, RATE as u32);
    let mut player = play("sink_b", &tone_file);
    // A recording of Hold Guard Microphone across the press: how long after the command the
    // tone comes through. The recorder's first sample was taken after it was started and its
    // last before it was stopped, so the tone's first sample bounds that time from both sides.
    let through = dir.join("through.raw");
    let started = Instant::now();
    let phone = record("holdguard_mic", &through);
    std::thread::sleep(Duration::from_millis(500));
    let pressed = Instant::now();
    let took = remote(&["talk", "start"]);
    assert_eq!(status().unwrap()["state"], "push_to_talk");
    std::thread::sleep(Duration::from_millis(300));
    let stopped = Instant::now();
    stop(phone);
    let x = read_f32(&through);
    let onset = x
        .iter()
        .position(|v| v.abs() > 0.02)
        .expect("the tone came through while push-to-talk was held");
    let secs = |n: usize| n as f64 / RATE as f64;
    // Seconds from the press to `t` (negative before it).
    let after = |t: Instant| {
        t.saturating_duration_since(pressed).as_secs_f64()
            - pressed.saturating_duration_since(t).as_secs_f64()
    };
    let (least, most) = (
        after(started) + secs(onset),
        after(stopped) - secs(x.len() - onset),
    );
    // (The least is below zero when the recorder took longer to start than the tone to come.)
    eprintln!(
        "push-to-talk: the tone came through {:.0}–{:.0} ms after `holdguard talk start`",
        least.max(0.0) * 1e3,
        most * 1e3
    );
    // The gate opens as the engine takes the command (checked every few milliseconds) and the
    // pipe's latency follows; a quarter of a second would clip a word.
    assert!(least < 0.25, "push-to-talk opened {least:.3} s late");
    let open = dir.join("open.raw");
    let phone = record("holdguard_mic", &open);
    std::thread::sleep(Duration::from_millis(1500));
    stop(phone);
    remote(&["talk", "end"]);
    assert_eq!(status().unwrap()["state"], "manual_mute");
    std::thread::sleep(Duration::from_millis(300));
    let closed = dir.join("closed.raw");
    let phone = record("holdguard_mic", &closed);
    std::thread::sleep(Duration::from_millis(1500));
    stop(phone);
    let _ = player.kill();
    let _ = player.wait();
    stop(guard);
    let (o, c) = (rms_of(&open), rms_of(&closed));
    eprintln!("push-to-talk: command applied in {took:.3} s; RMS held {o:.3}, released {c:.5}");
    assert!(o > 0.05, "push-to-talk let too little through (RMS {o})");
    assert!(c < 1e-3, "released, the tone still got through (RMS {c})");
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("push_to_talk"), "{journal}");
}

/// The far end is the softphone's own playback: a music player on the same speakers beside a
/// live call does not mute it. Control: told to listen to the whole output (`--far`), the same
/// desk mutes.
#[test]
#[ignore = "needs the sound server scripts/session.sh starts"]
fn a_music_player_beside_the_call_does_not_mute_it() {
    let dir = tmpdir("player");
    // The "player": hold music with its announcement, cut from a real hold.
    let (music, rate) = common::decode(&fixture("hold_repeat_agent.far.flac"));
    let r = rate as usize;
    let player_file = dir.join("player.wav");
    write_wav(&player_file, &music[10 * r..60 * r], rate);
    // The call: 21 s of two live agents talking (the ends of two fixtures, at 16 kHz).
    assert_eq!(rate, 8000, "the fixture's rate");
    let first: Vec<f32> = music[(69.5 * 8000.0) as usize..]
        .windows(2)
        .flat_map(|w| [w[0], 0.5 * (w[0] + w[1])])
        .collect();
    let (second, rate2) = common::decode(&fixture("silent_hold_agent.far.flac"));
    assert_eq!(rate2, 16000, "the fixture's rate");
    let talk: Vec<f32> = first
        .into_iter()
        .chain(second[64 * 16000..].iter().copied())
        .collect();
    let call = dir.join("call.wav");
    write_wav(&call, &talk, 16000);
    let mut held = Vec::new();
    for whole_desk in [false, true] {
        let sub = dir.join(if whole_desk { "desk" } else { "call" });
        std::fs::create_dir_all(&sub).unwrap();
        let mut cmd = Command::new(bin());
        cmd.args([
            "run",
            "--mic",
            &dev("sink_b"),
            "--seconds",
            "40",
            "--keep-devices-open",
        ])
        .arg("--journal")
        .arg(sub.join("journal.jsonl"))
        .arg("--config")
        .arg(sub.join("no-config.toml"))
        .stdout(std::fs::File::create(sub.join("guard.log")).unwrap())
        .stderr(std::fs::File::create(sub.join("guard.err")).unwrap());
        if whole_desk {
            cmd.args(["--far", &dev("sink_a")]);
        }
        let guard = cmd.spawn().map(Kid).expect("holdguard runs");
        wait_for("the guard", Duration::from_secs(10), || {
            status().is_some_and(|s| s["state"] == "live")
        });
        let softphone_mic = Command::new("parec")
            .args(["--client-name=softphone", "--device=holdguard_mic"])
            .arg(sub.join("sent.raw"))
            .spawn()
            .map(Kid)
            .unwrap();
        let softphone_out = Command::new("paplay")
            .args(["--client-name=softphone", "--device=sink_a"])
            .arg(&call)
            .spawn()
            .map(Kid)
            .unwrap();
        std::thread::sleep(Duration::from_secs(2));
        let player = Command::new("paplay")
            .args(["--client-name=player", "--device=sink_a"])
            .arg(&player_file)
            .spawn()
            .map(Kid)
            .unwrap();
        // While the call plays (it ends 21.5 s after it started).
        let mut muted_s = 0.0;
        let mut far = String::new();
        let mut states = String::new();
        for _ in 0..36 {
            std::thread::sleep(Duration::from_millis(500));
            if let Some(s) = status() {
                far = s["far"].as_str().unwrap_or("").to_string();
                states.push(if s["state"] == "live" { '.' } else { 'M' });
                if s["state"] != "live" {
                    muted_s += 0.5;
                }
            }
        }
        for c in [player, softphone_out, softphone_mic] {
            stop(c);
        }
        stop(guard);
        eprintln!(
            "{}: muted {muted_s:.1} s of 18 s with the player on ({states}); far end {far:?}",
            if whole_desk {
                "whole output"
            } else {
                "softphone's playback"
            }
        );
        if !whole_desk {
            assert!(far.contains("softphone"), "listening to {far:?}");
        }
        // Muting for the call's own silence (the pause between the two agents) is the guard's
        // business; muting for the player's music is not.
        let journal = std::fs::read_to_string(sub.join("journal.jsonl")).unwrap_or_default();
        held.push((muted_s, journal.contains("hold_music")));
    }
    assert!(!held[0].1, "the player's music muted the call");
    assert!(held[0].0 <= 1.0, "muted {} s", held[0].0);
    assert!(
        held[1].1 && held[1].0 >= 5.0,
        "control: the whole output with the player did not mute for music, so this test proves nothing"
    );
}

/// Sends one command to a baresip `ctrl_tcp` socket (netstring-framed JSON).
fn baresip_command(port: u16, command: &str, params: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("baresip's ctrl_tcp");
    let m = serde_json::json!({"command": command, "params": params, "token": "t"}).to_string();
    write!(s, "{}:{m},", m.len()).unwrap();
    s
}

/// A baresip instance with the configuration directory `dir/name` (see [`baresip_dir`]), its log
/// in `dir/name.log`.
fn baresip(dir: &Path, name: &str) -> Kid {
    Command::new("baresip")
        .arg("-f")
        .arg(dir.join(name))
        .stdout(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(Kid)
        .unwrap()
}

/// Dials `uri` from the baresip whose control socket is `port` and waits for the call to be
/// answered; returns the control connection, whose events go on arriving.
fn dial(port: u16, uri: &str) -> std::net::TcpStream {
    let mut events = baresip_command(port, "dial", uri);
    events
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut seen = String::new();
    wait_for("the call to be answered", Duration::from_secs(10), || {
        use std::io::Read;
        let mut b = [0u8; 4096];
        if let Ok(n) = events.read(&mut b) {
            seen.push_str(&String::from_utf8_lossy(&b[..n]));
        }
        seen.contains("CALL_ESTABLISHED")
    });
    events
}

/// What a baresip "company" received from the caller: sndfile's `-dec` file in `rec`, 8 kHz.
fn company_recording(rec: &Path) -> Vec<f32> {
    let got = std::fs::read_dir(rec)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .expect("the company recorded the call");
    let (got, got_rate) = common::decode(&got);
    assert_eq!(got_rate, 8000);
    got
}

/// baresip's `audio_player` line for a "company": what it receives goes into an audio bridge
/// with no source on its other side, which nothing plays (its recording is sndfile's, taken
/// as the audio is decoded). A real company is on another machine; ALSA's `null` device, used
/// before, has no clock, and the player thread writing to it spun: two such companies took
/// nearly a core each, a load on the user's machine no real call puts there.
const COMPANY_PLAYER: &str = "audio_player aubridge,company";

/// Writes a baresip configuration directory for one instance.
fn baresip_dir(dir: &Path, sip: u16, rtp: u16, ctrl: u16, audio: &str, account: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let config = format!(
        "poll_method epoll\nsip_listen 127.0.0.1:{sip}\nnet_interface 127.0.0.1\n\
         rtp_ports {rtp}-{}\n{audio}\nctrl_tcp_listen 127.0.0.1:{ctrl}\n\
         module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\n\
         module alsa.so\nmodule aubridge.so\nmodule sndfile.so\nmodule_app account.so\n\
         module_app menu.so\n\
         module_app ctrl_tcp.so\n",
        rtp + 99
    );
    std::fs::write(dir.join("config"), config).unwrap();
    std::fs::write(dir.join("accounts"), format!("{account}\n")).unwrap();
}

/// Mean energy of `x` over [a, b) seconds at `rate`.
fn energy(x: &[f32], rate: f64, a: f64, b: f64) -> f64 {
    let (i, j) = ((a * rate) as usize, ((b * rate) as usize).min(x.len()));
    if i >= j {
        return 0.0;
    }
    x[i..j].iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / (j - i) as f64
}

/// Correlation of two equal-length signals.
fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let dot = |x: &[f32], y: &[f32]| {
        x.iter()
            .zip(y)
            .map(|(p, q)| f64::from(*p) * f64::from(*q))
            .sum::<f64>()
    };
    dot(a, b) / (dot(a, a) * dot(b, b)).sqrt().max(1e-12)
}

/// A real SIP softphone (baresip, G.711 µ-law on loopback) calls a "company" that auto-answers,
/// plays a labelled hold call and records what it receives, as a call centre does. The user's
/// softphone starts on the physical microphone: the guard moves it onto Hold Guard Microphone
/// and listens to the softphone's own playback. On the company's recording: no private talk
/// inside the hold, an answer the user gives on hold with push-to-talk held (a voice menu's
/// "billing"), and the user's answers to the agent present and intact.
#[test]
#[ignore = "needs the sound server scripts/session.sh starts, and baresip (scripts/setup.sh)"]
fn a_company_recording_a_real_softphone_call_hears_no_private_talk_on_hold() {
    let dir = tmpdir("baresip");
    assert!(
        Command::new("baresip").arg("-h").output().is_ok(),
        "baresip is not installed: run scripts/setup.sh"
    );
    let (far, far_rate) = common::decode(&fixture("hold_repeat_agent.far.flac"));
    assert_eq!(far_rate, 8000, "the fixture's rate");
    write_wav(&dir.join("far8k.wav"), &far, 8000);
    // What the guard decides on this call offline: the hold and the agent's return.
    let offline = analyze(
        &fixture("hold_repeat_agent.far.flac"),
        Some(&fixture("hold_repeat_agent.mic.flac")),
        &GuardConfig::default(),
    )
    .unwrap();
    let muted: Vec<(f64, f64)> = offline
        .intervals()
        .iter()
        .map(|i| (i.start, i.end))
        .collect();
    assert_eq!(muted.len(), 1, "the fixture has one hold: {muted:?}");
    let (hold_start, reopen) = muted[0];
    // A voice menu's answer ("billing"), or a quick word to the queue, given on hold with
    // push-to-talk held: the user's last answer to the agent, said once more into the quiet room
    // 20 s into the hold, the shortcut pressed before the first word and released after the last.
    let active = holdguard::train::file_activity(&fixture("hold_repeat_agent.mic.flac")).unwrap();
    let hop = holdguard::dsp::frame::HOP_SECONDS;
    let mut runs: Vec<(f64, f64)> = Vec::new();
    for (i, _) in active.iter().enumerate().filter(|(_, a)| **a) {
        let t = i as f64 * hop;
        match runs.last_mut() {
            Some(r) if t - r.1 < 0.3 => r.1 = t + hop,
            _ => runs.push((t, t + hop)),
        }
    }
    let last = *runs.last().expect("the fixture has user talk");
    let (room_pcm, room_rate) = common::decode(&fixture("hold_repeat_agent.mic.flac"));
    let clip =
        &room_pcm[(last.0 * room_rate as f64) as usize..(last.1 * room_rate as f64) as usize];
    write_wav(&dir.join("menu.wav"), clip, room_rate);
    let menu = (hold_start + 20.0, hold_start + 20.0 + (last.1 - last.0));
    assert!(
        runs.iter()
            .all(|r| r.1 < menu.0 - 3.0 || r.0 > menu.1 + 3.0),
        "the room is quiet around the menu answer: {runs:?}"
    );
    let ptt = (menu.0 - 0.6, menu.1 + 0.6);

    // The physical microphone: a real source (sink_b's monitor, remapped).
    let module = Command::new("pactl")
        .args([
            "load-module",
            "module-remap-source",
            "master=sink_b.monitor",
            "source_name=desk_mic",
            "source_properties=device.description=DeskMic",
        ])
        .output()
        .unwrap();
    assert!(module.status.success(), "a desk microphone is made");
    let module = String::from_utf8_lossy(&module.stdout).trim().to_string();
    let rec = dir.join("rec");
    std::fs::create_dir_all(&rec).unwrap();
    baresip_dir(
        &dir.join("company"),
        5070,
        10100,
        4445,
        &format!(
            "audio_source aufile,{}\n{}\nsnd_path {}",
            dir.join("far8k.wav").display(),
            COMPANY_PLAYER,
            rec.display()
        ),
        "<sip:company@127.0.0.1:5070>;answermode=auto;audio_codecs=PCMU;regint=0",
    );
    baresip_dir(
        &dir.join("user"),
        5060,
        10200,
        4444,
        &format!(
            "audio_source alsa,pulse:desk_mic\naudio_player alsa,pulse:sink_a\nsnd_path {}",
            dir.join("user").display()
        ),
        "<sip:user@127.0.0.1:5060>;audio_codecs=PCMU;regint=0",
    );
    let mic = if dev("x").starts_with("pipewire:") {
        "pipewire:desk_mic"
    } else {
        "pulseaudio:desk_mic"
    };
    let guard = Command::new(bin())
        .args(["run", "--mic", mic, "--seconds", "150", "--stats", "5"])
        .arg("--journal")
        .arg(dir.join("journal.jsonl"))
        .arg("--config")
        .arg(dir.join("no-config.toml"))
        .stdout(std::fs::File::create(dir.join("guard.log")).unwrap())
        .stderr(std::fs::File::create(dir.join("guard.err")).unwrap())
        .spawn()
        .map(Kid)
        .unwrap();
    wait_for("the virtual microphone", Duration::from_secs(10), || {
        sources().contains("holdguard_mic")
    });
    let (company, user) = (baresip(&dir, "company"), baresip(&dir, "user"));
    let mut ctl = None;
    wait_for("baresip's control sockets", Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", 4445)).is_ok()
            && std::net::TcpStream::connect(("127.0.0.1", 4444)).is_ok()
    });
    let dialled = Instant::now();
    let events = dial(4444, "sip:company@127.0.0.1:5070");
    // The user's room: the call's microphone track, from the moment the company answers.
    let room = play("sink_b", &fixture("hold_repeat_agent.mic.flac"));
    let room_start = Instant::now();
    let menu_wav = dir.join("menu.wav");
    let presser = std::thread::spawn(move || {
        let at = |t: f64| {
            std::thread::sleep(Duration::from_secs_f64(t).saturating_sub(room_start.elapsed()))
        };
        let talk = |edge: &str| {
            let ok = Command::new(bin())
                .args(["talk", edge])
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "holdguard talk {edge} failed");
        };
        at(ptt.0);
        talk("start");
        at(menu.0);
        let mut said = play("sink_b", &menu_wav);
        at(ptt.1);
        talk("end");
        let _ = said.wait();
    });
    let moved = wait_moved(&dir);
    eprintln!(
        "softphone on the desk microphone -> through Hold Guard: {:.2} s after dialling",
        moved.map_or(f64::NAN, |t| (t - dialled).as_secs_f64())
    );
    ctl.replace(events);
    std::thread::sleep(Duration::from_secs_f64(far.len() as f64 / 8000.0 + 1.0));
    presser
        .join()
        .expect("push-to-talk was pressed and released");
    let _ = baresip_command(4444, "hangup", "");
    std::thread::sleep(Duration::from_secs(1));
    for c in [room, user, company] {
        stop(c);
    }
    stop(guard);
    let _ = Command::new("pactl")
        .args(["unload-module", &module])
        .status();
    let log = std::fs::read_to_string(dir.join("guard.log")).unwrap();
    assert!(
        moved.is_some(),
        "the softphone was not moved onto the guard:\n{log}"
    );
    assert!(
        log.contains("own playback"),
        "the guard did not listen to the softphone's playback:\n{log}"
    );

    // The company's recording of the caller (sndfile's "-dec" file: what it received).
    let got = company_recording(&rec);
    // The microphone track at 8 kHz, lined up with the recording by its energy envelope.
    let (mic, mic_rate) = common::decode(&fixture("hold_repeat_agent.mic.flac"));
    let mut rs = holdguard::dsp::resample::StreamResampler::new(mic_rate, 8000);
    let mut mic8 = Vec::new();
    rs.process(&mic, &mut mic8);
    rs.flush(&mut mic8);
    let env = |x: &[f32]| -> Vec<f64> {
        x.chunks(80)
            .map(|c| c.iter().map(|v| f64::from(*v).powi(2)).sum())
            .collect()
    };
    let (eg, em) = (env(&got), env(&mic8));
    // Either way: a softphone slow to start sending (PulseAudio) misses the room's first
    // second or two, and then the recording starts later in the room's time.
    let score = |l: i64| -> f64 {
        let (m, g) = if l >= 0 {
            (&em[..], &eg[l as usize..])
        } else {
            (&em[(-l) as usize..], &eg[..])
        };
        m.iter().zip(g).map(|(m, g)| m.sqrt() * g.sqrt()).sum()
    };
    let lag = (-300i64..300)
        .max_by(|&a, &b| score(a).total_cmp(&score(b)))
        .unwrap();
    // Both on the room's clock from here: `got[i]` is what the company heard of `mic8[i]`.
    let padded: Vec<f32>;
    let got: &[f32] = if lag >= 0 {
        &got[(lag as usize * 80).min(got.len())..]
    } else {
        padded = [vec![0.0f32; (-lag) as usize * 80], got].concat();
        &padded
    };
    eprintln!(
        "the company's recording lags the room by {:.2} s",
        lag as f64 / 100.0
    );

    // Private talk inside the hold (with 1 s margins for the guard's decisions) is not sent.
    let talk = |from: f64, to: f64| -> Vec<f64> {
        active
            .iter()
            .enumerate()
            .filter(|(i, &a)| a && (*i as f64 * hop) >= from && (*i as f64 * hop) < to)
            .map(|(i, _)| i as f64 * hop)
            .collect()
    };
    let private = talk(hold_start + 2.0, reopen - 1.0);
    assert!(
        private.len() as f64 * hop > 2.0,
        "the fixture has private talk on hold"
    );
    let (sent, said) = private.iter().fold((0.0, 0.0), |(s, m), &t| {
        (
            s + energy(got, 8000.0, t, t + hop),
            m + energy(&mic8, 8000.0, t, t + hop),
        )
    });
    let leak_db = 10.0 * (sent / said.max(1e-12)).log10();
    eprintln!(
        "private talk on hold: {:.1} s, reached the company at {leak_db:.1} dB",
        private.len() as f64 * hop
    );
    assert!(
        leak_db < -30.0,
        "private talk reached the company at {leak_db:.1} dB"
    );

    // What the user said with push-to-talk held reached the company: its loudness there against
    // the clip's own (paplay starts it a little late: the window allows half a second).
    let mut rs = holdguard::dsp::resample::StreamResampler::new(room_rate, 8000);
    let mut clip8 = Vec::new();
    rs.process(clip, &mut clip8);
    rs.flush(&mut clip8);
    let span = menu.1 - menu.0;
    let sent = energy(got, 8000.0, menu.0 - 0.1, menu.1 + 0.5) * (span + 0.6);
    let spoken = energy(&clip8, 8000.0, 0.0, span) * span;
    let ptt_db = 10.0 * (sent / spoken.max(1e-12)).log10();
    let before = energy(got, 8000.0, ptt.0 - 3.0, ptt.0 - 0.5);
    let before_db = 10.0 * (before * span / spoken.max(1e-12)).log10();
    eprintln!(
        "push-to-talk held {:.1}-{:.1} s on hold: the {span:.1}-s answer reached the company at \
         {ptt_db:.1} dB (the hold before it: {before_db:.1} dB)",
        ptt.0, ptt.1
    );
    assert!(
        ptt_db > -6.0 && before_db < -30.0,
        "push-to-talk on hold: the answer reached the company at {ptt_db:.1} dB, the muted \
         hold before it at {before_db:.1} dB"
    );
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap_or_default();
    assert!(
        journal.contains("push_to_talk"),
        "the journal does not keep the push-to-talk:\n{journal}"
    );

    // The user's answers after the agent is back: present and intact, window by window.
    let answers = talk(reopen + 1.5, far.len() as f64 / 8000.0 - 0.5);
    assert!(
        answers.len() as f64 * hop > 1.0,
        "the fixture has the user answering the agent"
    );
    // To the sample, on the answers (the envelope lines up to 10 ms).
    let (a0, b0) = (
        (answers[0] * 8000.0) as usize,
        ((answers[answers.len() - 1] + hop) * 8000.0) as usize,
    );
    let b0 = b0.min(mic8.len()).min(got.len().saturating_sub(200));
    let fine = (0..400usize)
        .max_by(|&x, &y| {
            let c = |l: usize| correlation(&got[a0 + l - 200..b0 + l - 200], &mic8[a0..b0]);
            c(x).total_cmp(&c(y))
        })
        .unwrap();
    eprintln!("fine alignment {} samples", fine as i64 - 200);
    let got = &got[fine.saturating_sub(200)..];
    let mic8 = &mic8[200usize.saturating_sub(fine)..];
    const SHIFT: usize = 2400;
    // Windows of up to 0.4 s inside runs of speech (a pause is room noise: nothing to compare).
    let mut runs: Vec<Vec<f64>> = Vec::new();
    for &t in &answers {
        match runs.last_mut() {
            Some(r) if t - r[r.len() - 1] < 1.5 * hop && r.len() < 25 => r.push(t),
            _ => runs.push(vec![t]),
        }
    }
    let mut worst: f64 = 1.0;
    let mut windows = 0;
    for w in &runs {
        let (a, b) = (
            ((w[0]) * 8000.0) as usize,
            ((w[w.len() - 1] + hop) * 8000.0) as usize,
        );
        if b + SHIFT > got.len() || b > mic8.len() || b - a < 800 {
            continue;
        }
        // Each window lined up on its own: on PulseAudio the pipe sheds and holds room tone to
        // keep its cushion, which moves later speech by up to a few hundred ms (never inside it).
        let c = (0..=2 * SHIFT)
            .filter(|l| a + l >= SHIFT && b + l <= got.len() + SHIFT)
            .map(|l| correlation(&got[a + l - SHIFT..b + l - SHIFT], &mic8[a..b]))
            .fold(f64::MIN, f64::max);
        eprintln!(
            "  answer window {:.2}-{:.2} s: correlation {c:.3}",
            a as f64 / 8000.0,
            b as f64 / 8000.0
        );
        worst = worst.min(c);
        windows += 1;
    }
    let (sent, said) = answers.iter().fold((0.0, 0.0), |(s, m), &t| {
        (
            s + energy(got, 8000.0, t - 0.3, t + hop + 0.3),
            m + energy(mic8, 8000.0, t - 0.3, t + hop + 0.3),
        )
    });
    let level_db = 10.0 * (sent / said.max(1e-12)).log10();
    eprintln!(
        "the user's answers: {:.1} s at {level_db:.1} dB; {windows} windows, worst correlation {worst:.3}",
        answers.len() as f64 * hop
    );
    assert!(
        level_db > -10.0,
        "the user's answers did not reach the company ({level_db:.1} dB)"
    );
    // PulseAudio's pipe keeps its cushion by shedding or holding room tone, and a window that
    // straddles such a step lines up worse: the worst window measured 0.877-0.964 there (0.978
    // on PipeWire). Whole answers lost or scrambled, as before the pipe followed the server's
    // blocks, gave 0.06-0.14. Closing the gap on PulseAudio is open in issue 19.
    let floor = if dev("x").starts_with("pipewire:") {
        0.95
    } else {
        0.8
    };
    assert!(
        windows > 0 && worst >= floor,
        "answers damaged: worst correlation {worst:.3} (floor {floor})"
    );
}

/// When the guard's log says it moved a recording onto Hold Guard Microphone (polled for 10 s).
fn wait_moved(dir: &Path) -> Option<Instant> {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        let log = std::fs::read_to_string(dir.join("guard.log")).unwrap_or_default();
        if log.contains("moved onto Hold Guard Microphone") {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// A long call through a real softphone: the user talks without a pause (band-limited noise, which
/// lines up to the sample through G.711) into the room while both cores are busy; one softphone
/// records Hold Guard Microphone, a second one the raw microphone at the same time (what a
/// softphone without Hold Guard would get on this machine at this moment), and each sends G.711
/// to a "company" of its own that records what it receives. Every 0.1 s of both recordings is
/// lined up against what was said; a cut — audio lost or inserted anywhere on the way — moves
/// the alignment. The guard is paused (the gate open for good), so what is measured is the pipe,
/// not the detector. `HOLDGUARD_SIP_S` sets the length (30 s by default; the README's figure is
/// 1800).
#[test]
#[ignore = "needs the sound server scripts/session.sh starts, and baresip (scripts/setup.sh)"]
fn a_long_softphone_call_reaches_the_company_without_a_cut() {
    let secs: f64 = std::env::var("HOLDGUARD_SIP_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30.0);
    let dir = tmpdir("sip-long");
    // The user's voice: noise shaped to the telephone band, so G.711 keeps it and nothing the
    // softphone's resampler drops decides the alignment.
    let said = telephone_noise((secs * 8000.0) as usize);
    let mut up = holdguard::dsp::resample::StreamResampler::new(8000, RATE as u32);
    let mut said48 = Vec::new();
    up.process(&said, &mut said48);
    up.flush(&mut said48);
    write_wav(&dir.join("voice.wav"), &said48, RATE as u32);
    // The companies send a quiet line for as long as the call lasts.
    write_wav(
        &dir.join("quiet.wav"),
        &vec![0.0; ((secs + 30.0) * 8000.0) as usize],
        8000,
    );
    // (name, what its softphone records, SIP / RTP / control ports of the user and the company)
    let raw_mic = "sink_b.monitor";
    let pairs = [
        (
            "guarded",
            "holdguard_mic",
            (5062, 10400, 4446),
            (5072, 10300, 4447),
        ),
        ("raw", raw_mic, (5066, 10600, 4448), (5076, 10500, 4449)),
    ];
    for (name, source, (u_sip, u_rtp, u_ctl), (c_sip, c_rtp, c_ctl)) in pairs {
        let rec = dir.join(format!("rec-{name}"));
        std::fs::create_dir_all(&rec).unwrap();
        baresip_dir(
            &dir.join(format!("company-{name}")),
            c_sip,
            c_rtp,
            c_ctl,
            &format!(
                "audio_source aufile,{}\n{}\nsnd_path {}",
                dir.join("quiet.wav").display(),
                COMPANY_PLAYER,
                rec.display()
            ),
            &format!("<sip:company@127.0.0.1:{c_sip}>;answermode=auto;audio_codecs=PCMU;regint=0"),
        );
        baresip_dir(
            &dir.join(format!("user-{name}")),
            u_sip,
            u_rtp,
            u_ctl,
            &format!(
                "audio_source alsa,pulse:{source}\naudio_player alsa,pulse:sink_a\nsnd_path {}",
                dir.join(format!("user-{name}")).display()
            ),
            &format!("<sip:user@127.0.0.1:{u_sip}>;audio_codecs=PCMU;regint=0"),
        );
    }
    let guard = start_guard_opts(
        &dir,
        &dev("sink_b"),
        "sink_a",
        secs + 60.0,
        &["--keep-devices-open"],
    );
    wait_for("the virtual microphone", Duration::from_secs(10), || {
        sources().contains("holdguard_mic")
    });
    open_the_gate_for_good();
    let mut agents = Vec::new();
    let mut calls = Vec::new();
    for (name, _, (_, _, u_ctl), (c_sip, _, c_ctl)) in pairs {
        agents.push(baresip(&dir, &format!("company-{name}")));
        agents.push(baresip(&dir, &format!("user-{name}")));
        wait_for("baresip's control sockets", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", c_ctl)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", u_ctl)).is_ok()
        });
        let events = dial(u_ctl, &format!("sip:company@127.0.0.1:{c_sip}"));
        calls.push(events);
    }
    let busy = Load::start();
    std::thread::sleep(Duration::from_secs(1));
    let mut voice = play("sink_b", &dir.join("voice.wav"));
    voice.0.wait().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    drop(busy);
    for (_, _, (_, _, u_ctl), _) in pairs {
        let _ = baresip_command(u_ctl, "hangup", "");
    }
    std::thread::sleep(Duration::from_secs(1));
    drop(calls);
    for a in agents {
        stop(a);
    }
    stop(guard);
    let log = std::fs::read_to_string(dir.join("guard.log")).unwrap();
    let mut tracks = Vec::new();
    for (name, ..) in pairs {
        let got = company_recording(&dir.join(format!("rec-{name}")));
        let track = follow(&got, &said);
        eprintln!(
            "{secs:.0}-s call through a softphone on the {}: {:.1} s of the user's voice lined \
             up in {} windows, {} cuts ({} samples net), drift {:.1} samples, {} windows below \
             0.8 correlation, worst {:.3}",
            if name == "raw" {
                "raw microphone"
            } else {
                "virtual microphone"
            },
            track.covered as f64 / 8000.0,
            track.windows,
            track.cuts.len(),
            track.net,
            track.drift,
            track.poor,
            track.worst,
        );
        for (at, by) in track.cuts.iter().take(20) {
            eprintln!(
                "  cut at {:.2} s of the voice: {by:+} samples",
                *at as f64 / 8000.0
            );
        }
        tracks.push((name, track));
    }
    let last = log.lines().rfind(|l| l.starts_with("audio:")).unwrap_or("");
    eprintln!("guard: {last}");
    // Both softphones are measured before either is judged, so a failure shows what the raw
    // microphone's softphone got under the same load.
    for (name, track) in &tracks {
        assert!(
            track.covered as f64 > 0.9 * said.len() as f64,
            "the {name} company heard only {:.1} s of {secs:.0} s",
            track.covered as f64 / 8000.0
        );
    }
    // What the guard counted of audio it lost, inserted or never got (its closing line).
    let count = |label: &str| guard_count(last, label, &log);
    let counted = count("output") + count("cycles missed: microphone") + count("samples, output");
    // A cut the raw microphone's softphone has too is the machine's (the graph skipped a cycle for
    // everyone under the load). The guard never makes one it did not count: the issue this test
    // comes from was a loss the guard's counters never saw (a skipped graph cycle on PipeWire; on
    // PulseAudio a late answer that the server bridges with a pause, which
    // `audio::pulse_playback` now counts). On PipeWire it may add at most one of its own in a
    // run, as in the recorder test. PulseAudio's main thread runs at normal priority and hands
    // both our streams their data: under this load it made the guard's path 0 to 4 short cuts
    // per call (0 to 5 before the pause meter and the larger cushion), always counted; a bound
    // on their number would test the machine's scheduler, not the guard.
    let (guarded, raw) = (&tracks[0].1, &tracks[1].1);
    if dev("x").starts_with("pipewire:") {
        assert!(
            guarded.cuts.len() <= raw.cuts.len() + 1,
            "the guard cut the user's voice: {} cuts through it, {} on the raw microphone",
            guarded.cuts.len(),
            raw.cuts.len(),
        );
    }
    assert!(
        guarded.cuts.len() <= raw.cuts.len() || counted > 0,
        "the company heard {} cuts through the guard that its counters never saw: {last}",
        guarded.cuts.len()
    );
}

/// White noise at 8 kHz through a band-pass (300–1500 Hz, two biquads) at about −20 dBFS: a voice
/// stand-in every 0.1 s of which has one clear correlation peak. The upper edge is kept low so a
/// recording that is off by a fraction of a sample (the softphone resamples from 48 kHz) still
/// correlates at 0.9 or better.
fn telephone_noise(n: usize) -> Vec<f32> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut white = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    };
    // RBJ cookbook biquads, Q = 0.707.
    let biquad = |f0: f32, high: bool| {
        let w = std::f32::consts::TAU * f0 / 8000.0;
        let (s, c) = w.sin_cos();
        let alpha = s / (2.0 * std::f32::consts::FRAC_1_SQRT_2);
        let (b0, b1) = if high {
            ((1.0 + c) / 2.0, -(1.0 + c))
        } else {
            ((1.0 - c) / 2.0, 1.0 - c)
        };
        let a0 = 1.0 + alpha;
        [b0 / a0, b1 / a0, b0 / a0, -2.0 * c / a0, (1.0 - alpha) / a0]
    };
    let stages = [biquad(300.0, true), biquad(1500.0, false)];
    let mut state = [[0.0f32; 4]; 2];
    (0..n)
        .map(|_| {
            let mut x = white();
            for (k, st) in stages.iter().zip(state.iter_mut()) {
                let y = k[0] * x + k[1] * st[0] + k[2] * st[1] - k[3] * st[2] - k[4] * st[3];
                *st = [x, st[0], y, st[2]];
                x = y;
            }
            x * 0.4
        })
        .collect()
}

/// The cut finder itself, on a made-up recording: late, with a lost block, an inserted gap, a
/// lost stretch longer than its near search and quantisation noise; it must find every cut where
/// it is, and nothing else.
#[test]
fn following_a_recording_finds_every_cut_and_only_those() {
    let said = telephone_noise(8 * 8000);
    let mut got = vec![0.0f32; 2_345];
    got.extend_from_slice(&said[..3 * 8000]);
    got.extend_from_slice(&said[3 * 8000 + 21..5 * 8000]);
    got.extend(std::iter::repeat_n(0.0, 160));
    got.extend_from_slice(&said[5 * 8000..6 * 8000 + 400]);
    // A big one, beyond the near search: 0.4 s lost.
    got.extend_from_slice(&said[6 * 8000 + 3600..]);
    for (i, g) in got.iter_mut().enumerate() {
        *g = (*g * 128.0).round() / 128.0 + if i % 3 == 0 { 0.001 } else { -0.0005 };
    }
    let t = follow(&got, &said);
    let at: Vec<(f64, i64)> = t
        .cuts
        .iter()
        .map(|(i, by)| (*i as f64 / 8000.0, *by))
        .collect();
    assert_eq!(at.len(), 3, "{at:?}");
    assert!((at[0].0 - 3.0).abs() <= 0.1 && at[0].1 == -21, "{at:?}");
    assert!((at[1].0 - 5.0).abs() <= 0.1 && at[1].1 == 160, "{at:?}");
    assert!((at[2].0 - 6.5).abs() <= 0.1 && at[2].1 == -3200, "{at:?}");
    assert_eq!(t.net, -3061);
    // The windows that straddle a cut match only in part, the lost ones not at all; all the
    // others line up.
    assert!(
        t.poor <= 7 && t.covered >= 7 * 8000 - 3200,
        "{} poor, {} covered",
        t.poor,
        t.covered
    );
}

/// How a recording lines up with what was said, 0.1 s at a time.
struct Track {
    /// Samples of `said` found in the recording.
    covered: usize,
    windows: usize,
    /// Where in `said` the alignment moved, and by how many samples (+: audio inserted).
    cuts: Vec<(usize, i64)>,
    net: i64,
    /// Samples the alignment slid by, cuts aside.
    drift: f64,
    /// Windows that line up at under 0.8 anywhere near the last alignment.
    poor: usize,
    worst: f64,
}

/// Follows `got` (a recording) against `said`: the first window of `said` with a clear peak in the
/// first ten seconds of `got` gives the start, and from then on each 0.1-s window is looked for
/// within ±25 ms of where the last one was found, to a fraction of a sample (a parabola through
/// the peak). The alignment jumping by 1.5 samples or more from one window to the next is a cut;
/// a slow slide (two clocks that disagree, as PulseAudio's null sinks do) is drift, not a cut.
fn follow(got: &[f32], said: &[f32]) -> Track {
    const W: usize = 800;
    const NEAR: i64 = 200;
    const FAR: i64 = 8000;
    let mut t = Track {
        covered: 0,
        windows: 0,
        cuts: Vec::new(),
        net: 0,
        drift: 0.0,
        poor: 0,
        worst: 1.0,
    };
    let at = |i: usize, lag: i64| -> Option<f64> {
        let g = i as i64 + lag;
        (g >= 0 && g as usize + W <= got.len())
            .then(|| correlation(&got[g as usize..g as usize + W], &said[i..i + W]))
    };
    let peak = |i: usize, lags: std::ops::RangeInclusive<i64>| -> Option<(f64, f64)> {
        let (l, c) = lags
            .filter_map(|l| at(i, l).map(|c| (l, c)))
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        let (a, b) = (at(i, l - 1).unwrap_or(c), at(i, l + 1).unwrap_or(c));
        let curve = a - 2.0 * c + b;
        let frac = if curve < 0.0 {
            0.5 * (a - b) / curve
        } else {
            0.0
        };
        Some((l as f64 + frac.clamp(-0.5, 0.5), c))
    };
    let mut found = None;
    for i in (0..said.len().saturating_sub(W)).step_by(W).take(50) {
        let far = (10 * 8000i64).min(got.len() as i64);
        if let Some((l, c)) = peak(i, -(i as i64)..=far - i as i64) {
            if c > 0.8 {
                found = Some((i, l));
                break;
            }
        }
    }
    let Some((start, first)) = found else {
        return t;
    };
    let mut lag = first;
    for i in (start..said.len().saturating_sub(W)).step_by(W) {
        let near = lag.round() as i64;
        let Some((mut l, mut c)) = peak(i, near - NEAR..=near + NEAR) else {
            break;
        };
        if c < 0.8 {
            // Lost near the last alignment: a jump bigger than the near search (a block the
            // server dropped or held back) or silence. Looking a second either way finds the
            // voice again after a big cut instead of losing the rest of the call.
            if let Some((far_l, far_c)) = peak(i, near - FAR..=near + FAR) {
                if far_c >= 0.8 {
                    (l, c) = (far_l, far_c);
                }
            }
        }
        t.windows += 1;
        t.worst = t.worst.min(c);
        if c < 0.8 {
            t.poor += 1;
            continue;
        }
        t.covered += W;
        if (l - lag).abs() >= 1.5 {
            let by = (l - lag).round() as i64;
            t.cuts.push((i, by));
            t.net += by;
        }
        lag = l;
    }
    t.drift = lag - first - t.net as f64;
    t
}
