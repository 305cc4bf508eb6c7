//! The command line on good and bad input: one clear line naming the file, exit code 2, no panic.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::fixture;

fn holdguard(args: &[&str]) -> (i32, String, String) {
    // The log and letters speak local time: pinned, so the figures below do not depend on the
    // machine's zone.
    holdguard_in("UTC", args)
}

fn holdguard_in(tz: &str, args: &[&str]) -> (i32, String, String) {
    // English, whatever the machine's locale and the user's own settings say.
    holdguard_lang(tz, "C.UTF-8", args)
}

fn holdguard_lang(tz: &str, lang: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_holdguard"))
        .args(args)
        .env("TZ", tz)
        .env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("holdguard-cli-no-config"),
        )
        .output()
        .expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("holdguard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A mono WAV header: `format` 1 (integer PCM) or 3 (float), `bits` per sample, `data` bytes to
/// follow.
fn wav_header(rate: u32, format: u16, bits: u16, data: u32) -> Vec<u8> {
    let bytes = bits / 8;
    let mut v = Vec::new();
    v.extend(b"RIFF");
    v.extend((36 + data).to_le_bytes());
    v.extend(b"WAVEfmt ");
    v.extend(16u32.to_le_bytes());
    v.extend(format.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend(rate.to_le_bytes());
    v.extend((rate * bytes as u32).to_le_bytes());
    v.extend(bytes.to_le_bytes());
    v.extend(bits.to_le_bytes());
    v.extend(b"data");
    v.extend(data.to_le_bytes());
    v
}

/// A 16-bit mono WAV header for `frames` frames at `rate`, followed by that many zero frames.
fn wav(rate: u32, frames: u32, format: u16) -> Vec<u8> {
    let mut v = wav_header(rate, format, 16, frames * 2);
    v.extend(std::iter::repeat_n(0u8, frames as usize * 2));
    v
}

/// A 32-bit float mono WAV of `samples` at `rate`.
fn float_wav(rate: u32, samples: &[f32]) -> Vec<u8> {
    let mut v = wav_header(rate, 3, 32, samples.len() as u32 * 4);
    for s in samples {
        v.extend(s.to_le_bytes());
    }
    v
}

fn assert_bad(path: &Path, what: &str) {
    let p = path.to_str().unwrap();
    let (code, stdout, stderr) = holdguard(&["analyze", p]);
    assert_eq!(code, 2, "{what}: exit code; stderr: {stderr}");
    assert!(stdout.is_empty(), "{what}: nothing on stdout");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line, got {stderr:?}");
    assert!(lines[0].contains(p), "{what}: names the file: {stderr:?}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[test]
fn bad_inputs_get_one_line_and_exit_2() {
    assert_bad(&tmp("missing.wav"), "missing file");

    let text = tmp("notes.wav");
    std::fs::write(&text, "this is not audio\n".repeat(50)).unwrap();
    assert_bad(&text, "not audio");

    let truncated = tmp("truncated.wav");
    std::fs::write(&truncated, &wav(16_000, 100, 1)[..20]).unwrap();
    assert_bad(&truncated, "truncated header");

    let empty = tmp("empty.wav");
    std::fs::write(&empty, wav(16_000, 0, 1)).unwrap();
    assert_bad(&empty, "zero samples");

    let unsupported = tmp("mpeg-in-riff.wav");
    std::fs::write(&unsupported, wav(16_000, 1000, 0x0050)).unwrap();
    assert_bad(&unsupported, "unsupported codec");

    // 0 Hz trips an assertion inside the WAV reader: contained, and reported like the others.
    for rate in [0, 1, 4_000, 1_000_000] {
        let absurd = tmp(&format!("rate-{rate}.wav"));
        std::fs::write(&absurd, wav(rate, 1000, 1)).unwrap();
        assert_bad(&absurd, "absurd sample rate");
    }

    let dir = tmp("a-folder.wav");
    std::fs::create_dir_all(&dir).unwrap();
    assert_bad(&dir, "a directory");
}

#[test]
fn malformed_wav_headers_are_refused_in_one_line_or_read_as_far_as_they_go() {
    // A second of 16 kHz silence, then one header field overwritten (offset, bytes).
    let patched = |name: &str, at: usize, bytes: &[u8], extra: &[u8]| {
        let mut v = wav(16_000, 16_000, 1);
        v[at..at + bytes.len()].copy_from_slice(bytes);
        v.extend(extra);
        let path = tmp(&format!("{name}.wav"));
        std::fs::write(&path, v).unwrap();
        path
    };
    let refused = [
        ("rate-4-GHz", 24, 4_000_000_000u32.to_le_bytes().to_vec()),
        ("no-channels", 22, 0u16.to_le_bytes().to_vec()),
        ("65535-channels", 22, 65535u16.to_le_bytes().to_vec()),
        ("0-bits", 34, 0u16.to_le_bytes().to_vec()),
        ("7-bits", 34, 7u16.to_le_bytes().to_vec()),
        ("block-align-0", 32, 0u16.to_le_bytes().to_vec()),
    ];
    for (name, at, bytes) in refused {
        assert_bad(&patched(name, at, &bytes, &[]), name);
    }
    // A data length past the end of the file, or an odd byte after the last frame: the audio
    // that is there is analysed, as a media player would play it.
    let past_end = patched("data-past-end", 40, &320_000u32.to_le_bytes(), &[]);
    let mut v = std::fs::read(&past_end).unwrap();
    v[4..8].copy_from_slice(&(36 + 320_000u32).to_le_bytes()); // a 10 s file cut after 1 s
    std::fs::write(&past_end, v).unwrap();
    let readable = [
        past_end,
        patched("odd-data", 40, &32_001u32.to_le_bytes(), &[7]),
    ];
    for path in readable {
        let (code, stdout, stderr) = holdguard(&["analyze", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {stderr}", path.display());
        assert!(stdout.contains("1.0 s"), "{}: {stdout}", path.display());
        // Nothing muted is 0, not the "-0.0 s (-0 %)" an empty float sum prints.
        assert!(
            stdout.contains("muted 0.0 s of"),
            "{}: {stdout}",
            path.display()
        );
    }
}

#[test]
fn samples_that_are_not_numbers_are_heard_as_silence() {
    // A corrupt float recording: a tone with stretches of NaN and infinities, far end and mic.
    for rate in [8_000u32, 16_000, 48_000] {
        let samples: Vec<f32> = (0..rate * 3)
            .map(|i| match (i / (rate / 4)) % 4 {
                1 => f32::NAN,
                3 if i % 2 == 0 => f32::INFINITY,
                _ => 0.3 * (i as f32 * 0.3).sin(),
            })
            .collect();
        let path = tmp(&format!("nan-{rate}.wav"));
        std::fs::write(&path, float_wav(rate, &samples)).unwrap();
        let p = path.to_str().unwrap();
        let (code, stdout, stderr) = holdguard(&["analyze", p, "--mic", p, "--json"]);
        assert_eq!(code, 0, "rate {rate}: {stderr}");
        assert!(stdout.contains("\"muted\""), "rate {rate}: {stdout}");
    }
}

#[test]
fn a_bad_microphone_file_is_named() {
    let far = fixture("silent_hold_agent.far.flac");
    let mic = tmp("no-such-mic.flac");
    let (code, _, stderr) = holdguard(&[
        "analyze",
        far.to_str().unwrap(),
        "--mic",
        mic.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no-such-mic.flac") && stderr.lines().count() == 1,
        "{stderr}"
    );
}

#[test]
fn eval_on_a_folder_without_labels_fails_clearly() {
    let dir = tmp("empty-corpus");
    std::fs::create_dir_all(&dir).unwrap();
    let (code, _, stderr) = holdguard(&["eval", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no labelled calls"), "{stderr}");
    let (code, _, stderr) = holdguard(&["eval", tmp("nowhere").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nowhere"), "{stderr}");
}

#[test]
fn analyze_json_has_the_scorer_shape() {
    let far = fixture("hold_repeat_agent.far.flac");
    let mic = fixture("hold_repeat_agent.mic.flac");
    let (code, stdout, stderr) = holdguard(&[
        "analyze",
        far.to_str().unwrap(),
        "--mic",
        mic.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let muted = v["muted"].as_array().unwrap();
    assert!(!muted.is_empty());
    for m in muted {
        let (a, b) = (m[0].as_f64().unwrap(), m[1].as_f64().unwrap());
        assert!(a < b);
    }
    let intervals = v["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), muted.len());
    assert_eq!(intervals[0]["reason"], "hold_music");
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "announcement_recognised"));
}

#[test]
fn analyze_text_lists_intervals_with_reasons() {
    let far = fixture("silent_hold_agent.far.flac");
    let (code, stdout, _) = holdguard(&["analyze", far.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("muted intervals:") && stdout.contains("silent hold"),
        "{stdout}"
    );
}

#[test]
fn gate_files_are_checked() {
    let bad = tmp("bad-gate.toml");
    std::fs::write(&bad, "hold_coverage_minimum = 0.9\n").unwrap();
    let (code, _, stderr) = holdguard(&["eval", "tests/fixtures", "--gate", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bad-gate.toml") && stderr.contains("hold_coverage_minimum"),
        "{stderr}"
    );
}

#[test]
fn log_groups_by_call_filters_and_exports() {
    let journal = tmp("journal.jsonl");
    std::fs::write(
        &journal,
        concat!(
            "{\"type\":\"open\",\"call\":\"a\",\"start\":1795824000.0,\"reason\":\"hold_music\"}\n",
            "{\"type\":\"close\",\"call\":\"a\",\"start\":1795824000.0,\"end\":1795824600.0,\"reason\":\"hold_music\",\"closed_by\":\"agent_speech\"}\n",
            "not json at all\n",
            "{\"type\":\"close\",\"call\":\"a\",\"start\":1795825000.0,\"end\":1795825060.0,\"reason\":\"manual_mute\",\"closed_by\":\"manual_unmute\"}\n",
            "{\"type\":\"close\",\"call\":\"b\",\"start\":1795910400.0,\"end\":1795910520.0,\"reason\":\"silent_hold\",\"closed_by\":\"agent_speech\"}\n",
        ),
    )
    .unwrap();
    let j = journal.to_str().unwrap();
    let (code, out, err) = holdguard(&["log", "--journal", j]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("line 3"), "corrupt line reported: {err}");
    assert!(
        out.contains("on hold 10:00, muted 11:00 in 2 intervals"),
        "{out}"
    );
    assert!(
        out.contains("total: 2 calls, on hold 12:00, microphone muted 13:00"),
        "{out}"
    );
    let (_, out, _) = holdguard(&["log", "--journal", j, "--since", "2026-11-29"]);
    assert!(
        out.contains("total: 1 call,") && !out.contains("(a)"),
        "{out}"
    );
    let (_, out, _) = holdguard(&["log", "--journal", j, "--csv"]);
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(out.starts_with("call,company,number,note,start,end,duration_s,reason,closed_by\na,,,,2026-11-28T00:00:00+00:00,2026-11-28T00:10:00+00:00,600.0,hold_music,agent_speech"), "{out}");
    let (_, out, _) = holdguard(&["log", "--journal", j, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["total"]["muted_s"], 780.0);
    let (code, _, err) = holdguard(&["log", "--journal", j, "--since", "28/11/2026"]);
    assert_eq!(code, 2);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn config_names_bad_settings_and_keeps_the_rest() {
    let file = tmp("settings.toml");
    std::fs::write(
        &file,
        "alert = false\nvolume = 11\n[guard]\nsilent_hold_delay_s = \"soon\"\n",
    )
    .unwrap();
    let (code, out, err) = holdguard(&["config", "--file", file.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        err.contains("`volume`") && err.contains("`guard.silent_hold_delay_s`"),
        "{err}"
    );
    assert!(
        out.contains("alert = false") && out.contains("silent_hold_delay_s = 5.0"),
        "{out}"
    );
}

#[test]
fn remote_commands_without_a_running_guard_say_how_to_start_it() {
    let dir = tmp("remote");
    std::fs::create_dir_all(&dir).unwrap();
    for cmd in [&["status"][..], &["toggle"], &["mute"], &["show", "log"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_holdguard"))
            .args(cmd)
            .env("XDG_RUNTIME_DIR", &dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("not running") && err.contains("start it with `holdguard`"),
            "{err}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_holdguard"))
        .args(["show", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_named_call_gets_letters_that_the_log_remembers() {
    let dir = tmp("rights");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("journal.jsonl");
    std::fs::write(
        &journal,
        concat!(
            "{\"type\":\"close\",\"call\":\"2026-11-28-09-00-00\",\"start\":1795856410.0,\"end\":1795857010.0,\"reason\":\"hold_music\",\"closed_by\":\"agent_speech\"}\n",
            "{\"type\":\"close\",\"call\":\"2026-11-27-09-00-00\",\"start\":1795770010.0,\"end\":1795770070.0,\"reason\":\"silent_hold\",\"closed_by\":\"agent_speech\"}\n",
        ),
    )
    .unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[you]\nname = \"Anna de Vries\"\naddress = \"Keizersgracht 1\\n1015 AA Amsterdam\"\n",
    )
    .unwrap();
    let (j, c) = (journal.to_str().unwrap(), config.to_str().unwrap());
    let ams = |args: &[&str]| holdguard_in("Europe/Amsterdam", args);
    let (code, out, err) = ams(&[
        "label",
        "last",
        "--journal",
        j,
        "--company",
        "Bank, \"Zoë\"",
        "--number",
        "+31 20 555 0000",
        "--note",
        "first line\nsecond",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("call 2026-11-28-09-00-00"), "{out}");
    let (_, out, _) = ams(&["log", "--journal", j]);
    assert!(out.contains("Times in Europe/Amsterdam."), "{out}");
    assert!(
        out.contains("call 2026-11-28 10:00 Bank, \"Zoë\", +31 20 555 0000 (2026-11-28-09-00-00)"),
        "{out}"
    );
    assert!(out.contains("  note: first line second\n"), "{out}");
    assert!(out.contains("  10:00:10 – 10:10:10"), "{out}");
    // A letter dated long ago: its deadline has passed whatever day the test runs.
    let (code, out, err) = ams(&[
        "letter",
        "last",
        "--kind",
        "access",
        "--lang",
        "nl",
        "--date",
        "2020-01-31",
        "--journal",
        j,
        "--config",
        c,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.starts_with("Onderwerp: Inzageverzoek"), "{out}");
    assert!(
        out.contains("Anna de Vries\nKeizersgracht 1\n1015 AA Amsterdam\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "Op 28 november 2026 om 10:00 (Europe/Amsterdam) heb ik u gebeld op +31 20 555 0000."
        ),
        "{out}"
    );
    assert!(out.contains("uiterlijk op 29 februari 2020"), "{out}");
    let (_, out, _) = ams(&["log", "--journal", j]);
    assert!(
        out.contains("letter: access (nl) of 2020-01-31, answer was due 2020-02-29: passed"),
        "{out}"
    );
    let (_, out, _) = ams(&["log", "--journal", j, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let call = &v["calls"][0];
    assert_eq!(call["company"], "Bank, \"Zoë\"");
    assert_eq!(call["letters"][0]["date"], "2020-01-31");
    assert_eq!(call["intervals"][0]["start"], "2026-11-28T10:00:10+01:00");
    let (code, out, err) = ams(&[
        "letter",
        "2026-11-28-09-00-00",
        "--kind",
        "complaint",
        "--lang",
        "en",
        "--date",
        "2020-03-10",
        "--journal",
        j,
        "--config",
        c,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "On 31 January 2020 I sent Bank, \"Zoë\" an access request under article 15 GDPR."
        ),
        "{out}"
    );
    assert!(out.contains("by 29 February 2020"), "{out}");
    // Bad input: one line each, exit 2, and the labels stay.
    for (args, says) in [
        (
            &["letter", "nosuch", "--kind", "access"][..],
            "no call nosuch",
        ),
        (
            &["letter", "last", "--kind", "access", "--date", "31-01-2020"],
            "YYYY-MM-DD",
        ),
        (
            &["letter", "2026-11-27-09-00-00", "--kind", "complaint"],
            "--kind access",
        ),
        (&["label", "nosuch", "--note", "x"], "`holdguard log` lists"),
    ] {
        let mut a = args.to_vec();
        a.extend(["--journal", j]);
        let (code, _, err) = ams(&a);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // A Dutch user reads the log in Dutch.
    let (_, out, _) = holdguard_lang("Europe/Amsterdam", "nl_NL.UTF-8", &["log", "--journal", j]);
    assert!(out.contains("Tijden in Europe/Amsterdam."), "{out}");
    assert!(
        out.contains("totaal: 2 gesprekken, 11:00 in de wacht"),
        "{out}"
    );
    assert!(out.contains("wachtmuziek → medewerker spreekt"), "{out}");
    let labels = dir.join("labels.json");
    let kept = std::fs::read_to_string(&labels).unwrap();
    assert!(kept.contains("2020-03-10"), "{kept}");
    // A damaged labels file: the log still shows, saving a label refuses to overwrite it.
    std::fs::write(&labels, "{ torn").unwrap();
    let (code, out, err) = ams(&["log", "--journal", j]);
    assert_eq!(code, 0);
    assert!(
        err.contains("not a labels file") && out.contains("total: 2 calls"),
        "{err}{out}"
    );
    let (code, _, err) = ams(&["label", "last", "--note", "x", "--journal", j]);
    assert_eq!(code, 2);
    assert!(err.contains("move it away"), "{err}");
    assert_eq!(std::fs::read_to_string(&labels).unwrap(), "{ torn");
}

#[test]
fn analyze_uses_the_users_guard_settings() {
    let far = fixture("silent_hold_agent.far.flac");
    let far = far.to_str().unwrap();
    let start = |out: &str| -> String {
        out.lines()
            .skip_while(|l| !l.starts_with("muted intervals"))
            .nth(1)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let (code, plain, err) = holdguard(&["analyze", far]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "the defaults need no note: {err}");
    let config = tmp("slow-silent-hold.toml");
    std::fs::write(&config, "[guard]\nsilent_hold_delay_s = 20\n").unwrap();
    let (code, slow, err) = holdguard(&["analyze", far, "--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("with the guard settings of"), "{err}");
    // The silent hold mutes 15 s later with a 20-s delay than with the default 5 s.
    let secs = |l: String| -> f64 {
        let (m, s) = l
            .split_whitespace()
            .next()
            .unwrap()
            .split_once(':')
            .unwrap();
        m.parse::<f64>().unwrap() * 60.0 + s.parse::<f64>().unwrap()
    };
    let (a, b) = (secs(start(&plain)), secs(start(&slow)));
    assert!((b - a - 15.0).abs() < 0.5, "muted at {a} s, then {b} s");
}

#[test]
fn guard_timings_to_try_are_checked_like_the_settings() {
    let dir = fixture("silent_hold_agent.far.flac");
    let dir = dir.parent().unwrap().to_str().unwrap().to_string();
    for (text, what) in [
        ("music_share = 5.0\n", "`guard.music_share` = 5 is outside"),
        (
            "silent_hold_delay_s = 8\nsilnt = 1\n",
            "unknown setting `guard.silnt`",
        ),
        (
            "music_share = \"high\"\n",
            "`guard.music_share` must be a float",
        ),
        ("silent_hold_delay_s = \n", "not valid TOML"),
    ] {
        let file = tmp("guard-try.toml");
        std::fs::write(&file, text).unwrap();
        let (code, _, err) = holdguard(&["eval", &dir, "--guard", file.to_str().unwrap()]);
        assert_eq!(code, 2, "{text:?}: {err}");
        assert!(err.contains(what), "{text:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
