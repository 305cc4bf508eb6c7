//! The `holdguard` command line: wires the library's rooms to subcommands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use std::io::Write as _;

use holdguard::analyze::{analyze, analyze_traced, class_name, Analysis};
use holdguard::eval::{evaluate, Gate};
use holdguard::guard::{Event, GuardConfig};
use holdguard::tr;

#[derive(Parser)]
#[command(
    name = "holdguard",
    version,
    about = "Mutes your microphone while a call is on hold."
)]
struct Cli {
    /// Without a command: start the desktop app (tray icon and window).
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// Start the desktop app hidden in the tray.
    #[arg(long)]
    hidden: bool,
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
        /// Settings file whose guard timings to use (default: your settings, as the live guard
        /// uses them).
        #[arg(long)]
        config: Option<PathBuf>,
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
        /// Policy timings to try instead of the defaults: a TOML file with the keys of the
        /// config's [guard] table (for tuning; the product reads them from its config).
        #[arg(long, hide = true)]
        guard: Option<PathBuf>,
    },
    /// Guard the microphone live: pass it through the virtual microphone "Hold Guard Microphone",
    /// muted while the call is on hold. Ctrl-C stops.
    Run(RunArgs),
    /// List the audio devices `run` can use.
    Devices,
    /// Toggle manual mute in the running Hold Guard (bind this to a desktop shortcut).
    Toggle,
    /// Mute the microphone by hand in the running Hold Guard.
    Mute,
    /// Unmute by hand; automatic muting waits for the next hold.
    Unmute,
    /// Pause guarding (microphone open) in the running Hold Guard.
    Pause,
    /// Resume guarding.
    Resume,
    /// Push-to-talk for desktops that bind keys themselves: `start` on key press opens the
    /// microphone whatever holds, `end` on release returns to it.
    Talk {
        #[arg(value_parser = ["start", "end"])]
        edge: String,
    },
    /// Bring the running Hold Guard's window forward (optionally at a page; `letter` opens the
    /// rights letters of the latest call).
    Show {
        #[arg(value_parser = ["guard", "log", "settings", "letter"])]
        page: Option<String>,
    },
    /// Show what the running Hold Guard is doing.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the muted intervals of past calls, grouped by call, with totals.
    Log {
        /// Only intervals that end on or after this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
        /// Print JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV (one row per interval).
        #[arg(long)]
        csv: bool,
        /// Journal file (default: the platform data folder).
        #[arg(long)]
        journal: Option<PathBuf>,
    },
    /// Name a call in the log: the company, the number or address it was made to, a note (an
    /// empty value clears it). Prints the call's label.
    Label {
        /// The call's id as `holdguard log` shows it, or `last`.
        call: String,
        #[arg(long)]
        company: Option<String>,
        /// The phone number or address the call was made to.
        #[arg(long)]
        number: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Journal file (default: the platform data folder); the labels live beside it.
        #[arg(long)]
        journal: Option<PathBuf>,
    },
    /// Draft a GDPR letter about a call (access, erasure, objection, or a complaint to the
    /// Autoriteit Persoonsgegevens) and print it. Nothing is sent.
    Letter {
        /// The call's id as `holdguard log` shows it, or `last`.
        call: String,
        #[arg(long, value_enum)]
        kind: holdguard::rights::Kind,
        /// Language (default: from LANG).
        #[arg(long, value_enum)]
        lang: Option<holdguard::rights::Lang>,
        /// The recipient's address (e-mail or postal) to put at the head of the letter.
        #[arg(long)]
        to: Option<String>,
        /// The letter's date, YYYY-MM-DD (default: today); the answer deadline counts from it.
        #[arg(long)]
        date: Option<String>,
        /// Journal file (default: the platform data folder).
        #[arg(long)]
        journal: Option<PathBuf>,
        /// Settings file with your name and address (default: the platform config folder).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Show the settings in force, where they are read from, and any problem with them.
    Config {
        /// Settings file (default: the platform config folder).
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Refit the classifier on labelled corpus folders and print the new src/dsp/model.rs.
    #[command(hide = true)]
    Train {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Instead of training, write every hop's features as CSV to this file.
        #[arg(long)]
        dump: Option<PathBuf>,
        /// Another draw of the networks' random starts (0 gives the checked-in weights).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Instead of training, check that these folders hold the data the checked-in weights
        /// were fitted on and that the trainer still fits them (all calls, or a part with dev).
        #[arg(long, conflicts_with_all = ["dump", "seed"])]
        check: bool,
    },
    /// Held-out estimate: train on some calls, score the others, with no music track or voice
    /// of a scored call in the training.
    #[command(hide = true)]
    Crossval {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Number of folds.
        #[arg(long, default_value_t = 8)]
        folds: usize,
        /// Draws of the networks' random starts to average over (comma-separated).
        #[arg(long, default_value = "0,1,2", value_delimiter = ',')]
        draws: Vec<u64>,
        /// Print every call's row for each draw.
        #[arg(long)]
        calls: bool,
        /// Score the checked-in model on every call instead (in-sample; agrees with `eval`).
        #[arg(long)]
        in_sample: bool,
        /// Hidden layer widths to try instead of the checked-in design (comma-separated).
        #[arg(long, value_delimiter = ',')]
        hidden: Option<Vec<usize>>,
        /// Networks per model to try instead of the checked-in design.
        #[arg(long)]
        members: Option<usize>,
        /// Training passes to try instead of the checked-in design.
        #[arg(long)]
        epochs: Option<usize>,
        /// Speed-perturbed copies of every call to train on as well (comma-separated speeds,
        /// e.g. 0.9,1.1); held-out calls are scored as recorded.
        #[arg(long, value_delimiter = ',')]
        speeds: Vec<f64>,
        /// Print what the guard decided on the calls whose names contain this, with their labels.
        #[arg(long)]
        trace: Option<String>,
        /// Policy timings to try instead of the defaults (as `eval --guard`).
        #[arg(long)]
        guard: Option<PathBuf>,
        /// Hold out and score only the calls of these sets (comma-separated, e.g. dev,train);
        /// the others are always trained on, minus the hops that hear a held-out recording.
        #[arg(long, value_delimiter = ',')]
        score: Option<Vec<String>>,
        /// Keep each draw's held-out probabilities here and replay them when present, to score
        /// guard changes without retraining (delete the folder after changing the classifier).
        #[arg(long)]
        probs: Option<PathBuf>,
        /// Write each draw's NAME.muted.json (for score.py) and NAME.analysis.json here, in a
        /// folder per draw.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The options of `holdguard run`.
#[derive(clap::Args)]
struct RunArgs {
    /// Microphone to guard (an id from `holdguard devices`; default: the default input).
    #[arg(long)]
    mic: Option<String>,
    /// Far end to listen to (default: what plays to the default output).
    #[arg(long)]
    far: Option<String>,
    /// Existing output device to play the guarded microphone into, instead of creating the
    /// virtual microphone (a virtual cable on Windows, BlackHole on macOS).
    #[arg(long)]
    out: Option<String>,
    /// Journal file (default: the platform data folder).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Settings file (default: the platform config folder).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Keep the devices open while no application records from Hold Guard Microphone
    /// (by default they are released after 10 s of that, and reopened when one starts).
    #[arg(long)]
    keep_devices_open: bool,
    /// Leave applications that record the microphone directly where they are, and only say
    /// which ones go around the guard (by default they are moved onto Hold Guard Microphone).
    #[arg(long)]
    leave_recorders: bool,
    /// Stop after this many seconds.
    #[arg(long, hide = true)]
    seconds: Option<f64>,
    /// Print pipe latency, underruns and memory every this many seconds.
    #[arg(long, hide = true)]
    stats: Option<f64>,
    /// Frames per callback to ask PipeWire for (measurements; default 512).
    #[arg(long, hide = true, value_parser = clap::value_parser!(u32).range(32..=8192))]
    period: Option<u32>,
}

fn main() -> ExitCode {
    holdguard::audio::priority::prefer_realtime_pipewire_client();
    #[cfg(all(unix, feature = "desktop"))]
    holdguard::audio::virtual_mic::export_cookie_path();
    let cli = Cli::parse();
    // Reports speak the language of the settings (warnings about the file come with the
    // commands that use it).
    if let Some((cfg, _)) =
        holdguard::config::default_path().and_then(|p| holdguard::config::load(&p).ok())
    {
        holdguard::i18n::set(holdguard::i18n::Lang::from_setting(&cfg.language));
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("holdguard: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(unix)]
fn remote(line: &str, json: bool) -> anyhow::Result<ExitCode> {
    let status = holdguard::control::request(&holdguard::control::socket_path(), line)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        println!("{}", status.line(holdguard::control::now_unix()));
    }
    Ok(ExitCode::SUCCESS)
}

/// The window (and tray) of the desktop app.
#[cfg(all(unix, feature = "desktop"))]
fn window(hidden: bool) -> anyhow::Result<ExitCode> {
    holdguard::ui::run_app(holdguard::ui::AppOptions {
        hidden,
        ..Default::default()
    })
}

/// `holdguard run`: the live guard, with the control socket the other commands talk to.
#[cfg(all(unix, feature = "desktop"))]
fn run_guard(args: RunArgs) -> anyhow::Result<ExitCode> {
    let RunArgs {
        mic,
        far,
        out,
        journal,
        config,
        keep_devices_open,
        leave_recorders,
        seconds,
        stats,
        period,
    } = args;
    // The settings, and the flags over them.
    let saved = holdguard::live::RunOptions::from_config(&settings(config)?.0);
    let opts = holdguard::live::RunOptions {
        mic: mic.or(saved.mic.clone()),
        far: far.or(saved.far.clone()),
        out: out.or(saved.out.clone()),
        journal,
        duration: seconds.map(std::time::Duration::from_secs_f64),
        stats_every: stats.map(std::time::Duration::from_secs_f64),
        period,
        keep_devices_open: keep_devices_open || saved.keep_devices_open,
        leave_recorders: leave_recorders || saved.leave_recorders,
        ..saved
    };
    // One guard per user: a second one would share (and on exit remove) the virtual
    // microphone.
    let _lock = holdguard::control::single_instance()?;
    let ctl = holdguard::control::Controller::new();
    {
        let ctl = ctl.clone();
        ctrlc::set_handler(move || ctl.stop())?;
    }
    let _socket = holdguard::control::serve(&holdguard::control::socket_path(), ctl.clone())
        .map_err(|e| anyhow::anyhow!("cannot open the control socket: {e}"))?;
    holdguard::live::run(opts, &ctl, &|r| holdguard::live::print_report(&r, false))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(all(unix, feature = "desktop"))]
fn list_devices() -> anyhow::Result<ExitCode> {
    let (host, devices) = holdguard::live::list_devices()?;
    println!("host: {host}");
    for d in devices {
        println!("{}\t{}\t{}", d.id, d.kinds(), d.description);
    }
    Ok(ExitCode::SUCCESS)
}

// The live guard, the window and the commands that steer them speak to the sound server and to
// each other over Unix sockets; elsewhere only the offline commands exist, and these say so.
#[cfg(not(all(unix, feature = "desktop")))]
fn desktop_only() -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "the live guard and its window need Linux (PipeWire or PulseAudio) and a build with the \
         `desktop` feature; this one runs `analyze`, `eval`, `log`, `label`, `letter` and `config`"
    )
}
#[cfg(not(all(unix, feature = "desktop")))]
fn window(_hidden: bool) -> anyhow::Result<ExitCode> {
    desktop_only()
}
#[cfg(not(all(unix, feature = "desktop")))]
fn run_guard(_args: RunArgs) -> anyhow::Result<ExitCode> {
    desktop_only()
}
#[cfg(not(all(unix, feature = "desktop")))]
fn list_devices() -> anyhow::Result<ExitCode> {
    desktop_only()
}
#[cfg(not(unix))]
fn remote(_line: &str, _json: bool) -> anyhow::Result<ExitCode> {
    desktop_only()
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let cfg = GuardConfig::default();
    let Some(cmd) = cli.cmd else {
        return window(cli.hidden);
    };
    match cmd {
        Cmd::Toggle => remote("toggle", false),
        Cmd::Mute => remote("mute", false),
        Cmd::Unmute => remote("unmute", false),
        Cmd::Pause => remote("pause", false),
        Cmd::Resume => remote("resume", false),
        Cmd::Talk { edge } => remote(&format!("talk {edge}"), false),
        Cmd::Status { json } => remote("status", json),
        Cmd::Show { page } => match page {
            Some(p) => remote(&format!("show {p}"), false),
            None => remote("show", false),
        },
        Cmd::Analyze {
            far,
            mic,
            json,
            trace,
            config,
        } => {
            let cfg = user_guard(config)?;
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
            guard,
        } => {
            let gate = gate.as_deref().map(Gate::load).transpose()?;
            let cfg = match guard {
                Some(path) => guard_file(&path)?,
                None => cfg,
            };
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
        Cmd::Run(args) => run_guard(args),
        Cmd::Devices => list_devices(),
        Cmd::Log {
            since,
            json,
            csv,
            journal,
        } => {
            let path = journal_path(journal)?;
            let since =
                match since {
                    Some(s) => Some(holdguard::journal::parse_date(&s).ok_or_else(|| {
                        anyhow::anyhow!("--since {s}: not a date; use YYYY-MM-DD")
                    })?),
                    None => None,
                };
            let (contents, labels) = read_log(&path)?;
            let kept: Vec<_> = contents
                .intervals
                .into_iter()
                .filter(|i| since.is_none_or(|s| i.end >= s))
                .collect();
            let tz = holdguard::journal::local_zone();
            print!("{}", log_report(&path, &kept, &labels, &tz, json, csv)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Label {
            call,
            company,
            number,
            note,
            journal,
        } => {
            let path = journal_path(journal)?;
            let (contents, _) = read_log(&path)?;
            let call = find_call(&path, &contents, &call)?;
            let label = holdguard::journal::Labels::update(
                &holdguard::journal::labels::path_for(&path),
                &call.id,
                |l| {
                    for (field, value) in [
                        (&mut l.company, company),
                        (&mut l.number, number),
                        (&mut l.note, note),
                    ] {
                        if let Some(v) = value {
                            *field = v.trim().to_string();
                        }
                    }
                },
            )?;
            println!("{}", tr!("cli-label-call", id = call.id.as_str()));
            for (name, v) in [
                ("company", &label.company),
                ("number", &label.number),
                ("note", &label.note),
            ] {
                println!("  {name}: {v}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Letter {
            call,
            kind,
            lang,
            to,
            date,
            journal,
            config,
        } => {
            let path = journal_path(journal)?;
            let (contents, labels) = read_log(&path)?;
            let call = find_call(&path, &contents, &call)?;
            let you = settings(config)?.0.you;
            let tz = holdguard::journal::local_zone();
            let date = match date {
                Some(d) => d
                    .parse::<jiff::civil::Date>()
                    .map_err(|_| anyhow::anyhow!("--date {d}: not a date; use YYYY-MM-DD"))?,
                None => jiff::Zoned::now().with_time_zone(tz.clone()).date(),
            };
            let lang = lang.unwrap_or_else(holdguard::i18n::current);
            let label = labels.get(&call.id);
            if kind == holdguard::rights::Kind::Complaint {
                if let Some((_, sent)) = holdguard::rights::last_request(&label) {
                    let due = holdguard::rights::deadline(sent)?;
                    if date <= due {
                        eprintln!(
                            "holdguard: {}",
                            tr!(
                                "cli-letter-early",
                                due = due.to_string(),
                                sent = sent.to_string()
                            )
                        );
                    }
                }
            }
            let letter = holdguard::rights::draft(&holdguard::rights::Request {
                kind,
                lang,
                call: &call,
                label: &label,
                you: &you,
                to: to.as_deref(),
                date,
                tz: &tz,
            })?;
            // Remembered before printing: the log shows which letters were made, and by when
            // the company must answer.
            holdguard::journal::Labels::update(
                &holdguard::journal::labels::path_for(&path),
                &call.id,
                |l| {
                    l.letters.push(holdguard::journal::labels::Made {
                        kind: kind.name().into(),
                        lang: lang.code().into(),
                        date: date.to_string(),
                    })
                },
            )?;
            if you.name.trim().is_empty() || you.address.trim().is_empty() {
                eprintln!("holdguard: {}", tr!("cli-letter-you-missing"));
            }
            print!("{}", letter.text(lang));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Config { file } => {
            let path = file
                .or_else(holdguard::config::default_path)
                .ok_or_else(|| {
                    anyhow::anyhow!("no home folder to find the settings in; pass --file FILE")
                })?;
            let (cfg, warnings) = holdguard::config::load(&path)?;
            for w in &warnings {
                eprintln!("holdguard: {w}");
            }
            let exists = if path.exists() {
                ""
            } else {
                " (not there: defaults in force)"
            };
            println!("# {}{exists}", path.display());
            print!("{}", toml::to_string_pretty(&cfg)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Train {
            dirs,
            dump: Some(csv),
            ..
        } => {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&csv)?);
            holdguard::train::dump(&dirs, &mut w)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Train {
            dirs, check: true, ..
        } => {
            println!("{}", holdguard::train::check(&dirs)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Train {
            dirs,
            dump: None,
            seed,
            ..
        } => {
            print!("{}", holdguard::train::train(&dirs, seed)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Crossval {
            dirs,
            folds,
            draws,
            calls,
            in_sample,
            hidden,
            members,
            epochs,
            speeds,
            trace,
            guard,
            score,
            probs,
            out,
        } => {
            let cfg = match guard {
                Some(path) => guard_file(&path)?,
                None => cfg,
            };
            use holdguard::train::crossval as cv;
            let started = Instant::now();
            if let Some(s) = speeds.iter().find(|s| !(0.5..=2.0).contains(*s)) {
                anyhow::bail!("--speeds {s}: a speed must lie between 0.5 and 2");
            }
            let corpus = holdguard::train::data::Corpus::load_with(&dirs, &speeds)?;
            eprintln!(
                "{} calls analysed in {:.1} s",
                corpus.calls.len(),
                started.elapsed().as_secs_f64()
            );
            let mut design = holdguard::train::fit::Design::default();
            design.hidden = hidden.unwrap_or(design.hidden);
            design.members = members.unwrap_or(design.members);
            design.epochs = epochs.unwrap_or(design.epochs);
            let opts = cv::Options {
                folds,
                draws,
                design,
                guard: cfg,
                miss_after: 10.0,
                probs,
            };
            if in_sample {
                let r = cv::in_sample(&corpus, &holdguard::dsp::model::MODEL, &opts);
                print!("{}", r.table());
                return Ok(ExitCode::SUCCESS);
            }
            let scored: Vec<bool> = corpus
                .calls
                .iter()
                .map(|c| {
                    c.copy_of.is_none()
                        && score
                            .as_ref()
                            .is_none_or(|s| s.iter().any(|s| s == holdguard::train::set_of(c)))
                })
                .collect();
            if !scored.iter().any(|&s| s) {
                anyhow::bail!("--score names no set of the given calls");
            }
            let f = cv::make_folds(&corpus, opts.folds, &scored);
            let reports = cv::crossval(&corpus, &f, &opts);
            if let Some(first) = reports.first() {
                print!("{}", cv::folds_text(&corpus, &f, &first.train_hops));
            }
            let mut figures = Vec::new();
            for r in &reports {
                if let Some(dir) = &out {
                    let dir = dir.join(format!("draw{}", r.draw));
                    r.report.write_results(&dir)?;
                    for (c, a) in corpus
                        .calls
                        .iter()
                        .zip(&r.analyses)
                        .zip(&scored)
                        .filter(|x| *x.1)
                        .map(|x| x.0)
                    {
                        let p = dir.join(format!("{}.analysis.json", c.labels.name));
                        std::fs::write(&p, serde_json::to_string(&analysis_json(a))?)?;
                    }
                }
                if calls {
                    print!("{}", r.report.table());
                }
                if let Some(name) = &trace {
                    for (c, a) in corpus.calls.iter().zip(&r.analyses) {
                        if c.labels.name.contains(name.as_str()) {
                            print!("{}", analysis_text(std::path::Path::new(&c.labels.name), a));
                            println!("labels: {}", label_text(&c.labels));
                        }
                    }
                }
                let fig = cv::Figures::of(&r.report);
                print!("{}", cv::confusion_text(&r.confusion));
                println!("held out, draw {}: {}", r.draw, fig.line());
                figures.push(fig);
            }
            if figures.len() > 1 {
                println!(
                    "held out, mean of {} draws: {}",
                    figures.len(),
                    cv::Figures::mean(&figures).line()
                );
            }
            eprintln!("{:.0} s in all", started.elapsed().as_secs_f64());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Policy timings from a TOML file with the keys of the config's `[guard]` table.
/// Policy timings to try (`eval --guard`, `crossval --guard`): checked as the settings file's
/// `[guard]` table is, but a value that would be ignored is an error, since a tuning run on
/// the defaults by mistake looks like a result.
fn guard_file(path: &std::path::Path) -> anyhow::Result<GuardConfig> {
    let (guard, warnings) = holdguard::config::load_guard(path)?;
    match warnings.first() {
        Some(w) => {
            let w = w
                .split("; using")
                .next()
                .unwrap_or(w)
                .trim_end_matches(" ignored");
            anyhow::bail!("{w}: fix the file (a tuning run takes no value it would have to ignore)")
        }
        None => Ok(guard),
    }
}

/// The timings of the user's settings (or of `--config FILE`): what their guard would do.
fn user_guard(config: Option<PathBuf>) -> anyhow::Result<GuardConfig> {
    let (c, path) = settings(config)?;
    if let Some(path) = path.filter(|_| c.guard != GuardConfig::default()) {
        eprintln!(
            "holdguard: with the guard settings of {} (not the defaults)",
            path.display()
        );
    }
    Ok(c.guard)
}

/// The settings in `config`, or the user's (the defaults without a home folder), and the file
/// they came from; what the file had to ignore is said on stderr.
fn settings(
    config: Option<PathBuf>,
) -> anyhow::Result<(holdguard::config::Config, Option<PathBuf>)> {
    let Some(path) = config.or_else(holdguard::config::default_path) else {
        return Ok(Default::default());
    };
    let (c, warnings) = holdguard::config::load(&path)?;
    for w in &warnings {
        eprintln!("holdguard: {w}");
    }
    Ok((c, Some(path)))
}

fn hms(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The journal at `journal`, or the default one.
fn journal_path(journal: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    journal
        .or_else(holdguard::journal::default_path)
        .ok_or_else(|| {
            anyhow::anyhow!("no home folder to find the journal in; pass --journal FILE")
        })
}

/// The journal and its call labels; what could not be read is said once on stderr.
fn read_log(
    path: &std::path::Path,
) -> anyhow::Result<(holdguard::journal::Contents, holdguard::journal::Labels)> {
    let contents = holdguard::journal::read(path)?;
    for w in &contents.warnings {
        eprintln!("holdguard: {}: {w}", path.display());
    }
    let (labels, warning) =
        holdguard::journal::Labels::read(&holdguard::journal::labels::path_for(path))?;
    if let Some(w) = warning {
        eprintln!("holdguard: {w}");
    }
    Ok((contents, labels))
}

/// A call of the journal by id, or the latest for `last`.
fn find_call(
    path: &std::path::Path,
    contents: &holdguard::journal::Contents,
    id: &str,
) -> anyhow::Result<holdguard::rights::Call> {
    let calls = holdguard::journal::by_call(&contents.intervals);
    let start = |c: &(String, Vec<&holdguard::journal::Interval>)| {
        holdguard::journal::call_start(&c.0).unwrap_or(c.1[0].start)
    };
    let found = if id == "last" {
        calls.iter().max_by(|a, b| start(a).total_cmp(&start(b)))
    } else {
        calls.iter().find(|(c, _)| c == id)
    };
    found
        .and_then(|(c, v)| {
            holdguard::rights::Call::new(c, v.iter().map(|i| (*i).clone()).collect())
        })
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no call {id} in {}; `holdguard log` lists the calls",
                path.display()
            )
        })
}

fn log_report(
    path: &std::path::Path,
    intervals: &[holdguard::journal::Interval],
    labels: &holdguard::journal::Labels,
    tz: &jiff::tz::TimeZone,
    json: bool,
    csv: bool,
) -> anyhow::Result<String> {
    use holdguard::journal::{by_call, format_local, zoned};
    use std::fmt::Write;
    let calls = by_call(intervals);
    let hold = |v: &[&holdguard::journal::Interval]| {
        v.iter()
            .filter(|i| i.is_hold())
            .map(|i| i.duration())
            .sum::<f64>()
    };
    let muted = |v: &[&holdguard::journal::Interval]| v.iter().map(|i| i.duration()).sum::<f64>();
    let all: Vec<&holdguard::journal::Interval> = intervals.iter().collect();
    let today = jiff::Zoned::now().with_time_zone(tz.clone()).date();
    let mut s = String::new();
    if csv {
        s.push_str(&holdguard::journal::to_csv(&all, labels, tz));
    } else if json {
        writeln!(
            s,
            "{}",
            serde_json::to_string_pretty(&holdguard::journal::to_json(&all, labels, tz))?
        )?;
    } else if calls.is_empty() {
        writeln!(
            s,
            "{}",
            tr!("cli-log-empty", path = path.display().to_string())
        )?;
    } else {
        let zone = tz.iana_name().unwrap_or("UTC");
        writeln!(s, "{}", tr!("cli-log-zone", zone = zone))?;
        for (call, v) in &calls {
            let start = holdguard::journal::call_start(call).unwrap_or(v[0].start);
            let l = labels.get(call);
            // One line, whatever the user typed: newlines in a note would break the layout.
            let one = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
            let name = [one(&l.company), one(&l.number)]
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let line = tr!(
                "cli-log-call",
                time = format_local(start, tz)[..16].to_string(),
                name = if name.is_empty() {
                    String::new()
                } else {
                    format!(" {name}")
                },
                id = call.as_str(),
                hold = hms(hold(v)),
                muted = hms(muted(v)),
                intervals = tr!("log-intervals", n = v.len())
            );
            writeln!(s, "{line}")?;
            if !l.note.trim().is_empty() {
                writeln!(s, "  {}", tr!("cli-log-note", note = one(&l.note)))?;
            }
            for i in v {
                writeln!(
                    s,
                    "  {} – {}  {:>7}  {} → {}",
                    zoned(i.start, tz).strftime("%H:%M:%S"),
                    zoned(i.end, tz).strftime("%H:%M:%S"),
                    hms(i.duration()),
                    holdguard::i18n::reason(&i.reason),
                    holdguard::i18n::reason(&i.closed_by)
                )?;
            }
            for m in &l.letters {
                let due = holdguard::rights::answer_due(m);
                let (kind, lang, date) = (m.kind.as_str(), m.lang.as_str(), m.date.as_str());
                let line = match due {
                    Some(d) if d < today => tr!(
                        "cli-log-letter-passed",
                        kind = kind,
                        lang = lang,
                        date = date,
                        due = d.to_string()
                    ),
                    Some(d) => tr!(
                        "cli-log-letter-due",
                        kind = kind,
                        lang = lang,
                        date = date,
                        due = d.to_string()
                    ),
                    None => tr!("cli-log-letter", kind = kind, lang = lang, date = date),
                };
                writeln!(s, "  {line}")?;
            }
        }
        let total = tr!(
            "cli-log-total",
            calls = tr!("log-calls", n = calls.len()),
            hold = hms(hold(&all)),
            muted = hms(muted(&all))
        );
        writeln!(s, "{total}")?;
    }
    Ok(s)
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

/// A call's labelled holds, agent onsets and user speech, on the clock `analyze` prints.
fn label_text(l: &holdguard::eval::labels::CallLabels) -> String {
    let spans = |v: &[[f64; 2]]| {
        v.iter()
            .map(|[a, b]| format!("{}–{}", clock(*a), clock(*b)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "hold {}; live {}; user speech {}",
        spans(&l.expect.mute),
        spans(&l.expect.open),
        spans(&l.user_speech)
    )
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
    // `+ 0.0`: an empty sum of floats is -0.0, which would print as "-0.0 s".
    let muted: f64 = iv.iter().map(|i| i.end - i.start).sum::<f64>() + 0.0;
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
