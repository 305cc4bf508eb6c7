//! The `holdguard` command line: wires the library's rooms to subcommands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use std::io::Write as _;

use holdguard::analyze::{analyze, analyze_traced, class_name, Analysis};
use holdguard::eval::{evaluate, Gate};
use holdguard::guard::{Event, GuardConfig};

#[derive(Parser)]
#[command(
    name = "holdguard",
    version,
    about = "Mutes your microphone while a call is on hold."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the hold detector over a call recording and print the muted intervals.
    Analyze {
        /// Far-end recording (what the caller heard): WAV, FLAC, MP3 or Ogg, 8–192 kHz.
        far: PathBuf,
        /// The caller's own microphone recording, if there is one.
        #[arg(long)]
        mic: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Write one CSV line per 16 ms hop (t, level, class probabilities, mic, muted) here.
        #[arg(long, hide = true)]
        trace: Option<PathBuf>,
    },
    /// Score the detector on a labelled corpus folder (NAME.json + NAME.far.flac + NAME.mic.flac).
    Eval {
        dir: PathBuf,
        /// Print JSON (the same shape as score.py --json).
        #[arg(long)]
        json: bool,
        /// Exit non-zero when an aggregate metric misses a threshold in this TOML file.
        #[arg(long)]
        gate: Option<PathBuf>,
        /// Also write NAME.muted.json files here, for the reference scorer.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Unmute latency above this counts as a miss (seconds).
        #[arg(long, default_value_t = 10.0)]
        miss_after: f64,
    },
    /// Refit the classifier on a labelled corpus and print the new src/dsp/model.rs.
    #[command(hide = true)]
    Train {
        dir: PathBuf,
        /// Instead of training, write every hop's features as CSV to this file.
        #[arg(long)]
        dump: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("holdguard: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let cfg = GuardConfig::default();
    match cli.cmd {
        Cmd::Analyze {
            far,
            mic,
            json,
            trace,
        } => {
            let a = match trace {
                Some(p) => {
                    let mut w = std::io::BufWriter::new(std::fs::File::create(&p)?);
                    writeln!(
                        w,
                        "t,level_db,silence,tone,music,speech,speech_over_music,mic,muted"
                    )?;
                    analyze_traced(&far, mic.as_deref(), &cfg, Some(&mut w))?
                }
                None => analyze(&far, mic.as_deref(), &cfg)?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&analysis_json(&a))?);
            } else {
                print!("{}", analysis_text(&far, &a));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Eval {
            dir,
            json,
            gate,
            out,
            miss_after,
        } => {
            let gate = gate.as_deref().map(Gate::load).transpose()?;
            let started = Instant::now();
            let report = evaluate(&dir, &cfg, miss_after)?;
            let secs = started.elapsed().as_secs_f64();
            if let Some(out) = &out {
                report.write_results(out)?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.table());
                println!(
                    "{:.1} min of audio in {secs:.2} s ({:.0}x real time)",
                    report.audio_seconds / 60.0,
                    report.audio_seconds / secs
                );
            }
            if let Some(g) = gate {
                let fails = g.failures(&report.aggregate, secs);
                if !fails.is_empty() {
                    for f in &fails {
                        eprintln!("gate: {f}");
                    }
                    eprintln!("gate: FAILED ({} of the thresholds missed)", fails.len());
                    return Ok(ExitCode::from(1));
                }
                eprintln!("gate: passed");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Train {
            dir,
            dump: Some(csv),
        } => {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&csv)?);
            holdguard::train::dump(&dir, &mut w)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Train { dir, dump: None } => {
            print!("{}", holdguard::train::train(&dir)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn analysis_json(a: &Analysis) -> serde_json::Value {
    let mut events: Vec<serde_json::Value> = Vec::new();
    for tr in &a.transitions {
        events.push(serde_json::json!({
            "t": (tr.t * 1000.0).round() / 1000.0,
            "kind": if tr.muted { "mute" } else { "unmute" },
            "reason": tr.reason,
        }));
    }
    for ev in &a.events {
        let mut v = serde_json::to_value(ev).unwrap_or_default();
        if let Some(t) = v.get_mut("t") {
            *t = serde_json::json!((t.as_f64().unwrap_or(0.0) * 1000.0).round() / 1000.0);
        }
        events.push(v);
    }
    events.sort_by(|x, y| {
        x["t"]
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&y["t"].as_f64().unwrap_or(0.0))
    });
    let muted_s: f64 = a.intervals().iter().map(|i| i.end - i.start).sum();
    let classes: serde_json::Map<String, serde_json::Value> = a
        .class_seconds
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                class_name(i).to_string(),
                serde_json::json!((s * 10.0).round() / 10.0),
            )
        })
        .collect();
    serde_json::json!({
        "muted": a.muted(),
        "intervals": a.intervals(),
        "events": events,
        "summary": {
            "duration_s": (a.duration * 1000.0).round() / 1000.0,
            "muted_s": (muted_s * 1000.0).round() / 1000.0,
            "far_rate": a.far_rate,
            "mic_rate": a.mic_rate,
            "far_classes_s": classes,
        },
    })
}

fn analysis_text(far: &std::path::Path, a: &Analysis) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let mic = a
        .mic_rate
        .map(|r| format!(", microphone {r} Hz"))
        .unwrap_or_else(|| ", no microphone track".into());
    let _ = writeln!(
        s,
        "{}: {:.1} s, far end {} Hz{mic}",
        far.display(),
        a.duration,
        a.far_rate
    );
    let iv = a.intervals();
    let _ = writeln!(s, "\nmuted intervals:");
    if iv.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for i in &iv {
        let _ = writeln!(
            s,
            "  {:>8} – {:>8}  {:>6.1} s  {}",
            clock(i.start),
            clock(i.end),
            i.end - i.start,
            i.reason.describe()
        );
    }
    let _ = writeln!(s, "\nevents:");
    let mut lines: Vec<(f64, String)> = a
        .transitions
        .iter()
        .map(|t| {
            (
                t.t,
                format!(
                    "{} ({})",
                    if t.muted { "mute" } else { "unmute" },
                    t.reason.describe()
                ),
            )
        })
        .collect();
    for e in &a.events {
        match *e {
            Event::HoldMusicStarted { t } => lines.push((t, "hold music begins".into())),
            Event::EntryAnnouncement { t } => lines.push((
                t,
                "speech at the start of the hold kept muted (queue greeting)".into(),
            )),
            Event::AnnouncementRecognised { t, ber } => lines.push((
                t,
                format!(
                    "announcement recognised as a repeat (print distance {ber:.2}), kept muted"
                ),
            )),
        }
    }
    lines.sort_by(|x, y| x.0.total_cmp(&y.0));
    for (t, l) in &lines {
        let _ = writeln!(s, "  {:>8}  {l}", clock(*t));
    }
    let muted: f64 = iv.iter().map(|i| i.end - i.start).sum();
    let share = if a.duration > 0.0 {
        100.0 * muted / a.duration
    } else {
        0.0
    };
    let _ = writeln!(
        s,
        "\nsummary: muted {muted:.1} s of {:.1} s ({share:.0} %) in {} interval{}",
        a.duration,
        iv.len(),
        if iv.len() == 1 { "" } else { "s" }
    );
    let classes: Vec<String> = a
        .class_seconds
        .iter()
        .enumerate()
        .filter(|(_, s)| **s >= 0.05)
        .map(|(i, s)| format!("{} {:.0} s", class_name(i).replace('_', " "), s))
        .collect();
    let _ = writeln!(s, "far end heard: {}", classes.join(", "));
    s
}

fn clock(t: f64) -> String {
    let m = (t / 60.0).floor();
    format!("{}:{:04.1}", m as u64, t - m * 60.0)
}
