//! The live guard: `holdguard run`.
//!
//! Wires cpal streams to the real-time pipe and the engine. The microphone callback pushes into the
//! pipe (towards the virtual microphone) and into an analysis ring; the far-end callback pushes
//! into another ring; a named engine thread drains both, runs the same engine as `analyze`, sets the
//! pipe's atomic mute flag and writes the journal. All streams run mono at 48 kHz and let the sound
//! server convert, so the pipe never resamples. Stream errors make the supervisor rebuild the
//! streams (and the virtual microphone, if the server restarted) with a growing pause; the guard
//! keeps its state, so a hold stays muted through an outage.
//!
//! In here: `devices` finds the devices, `streams` builds the cpal streams and their callbacks,
//! `route` follows which applications record the microphone and play the call, `sink` turns the
//! guard's decisions into the journal and the status; this module's `guard_streams` supervises
//! them (standby, rebuilding after errors and device changes).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Split};
use ringbuf::HeapRb;

use crate::audio::pipe::{pipe, Shared};
use crate::control::{now_unix, Controller, SLOT_S};
use crate::engine::Engine;
use crate::guard::{Command, GuardConfig, Mode};
use crate::journal::Journal;

/// Prints a line of the guard's report. A closed stdout (the reader went away) must not bring the
/// guard down, so write errors are ignored instead of panicking like `println!`.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod devices;
mod route;
mod sink;
mod streams;

pub use devices::list_devices;
pub use streams::PERIOD;

use devices::{changed_devices, is_device, resolve};
use route::{Listen, Router};
use sink::{call_id, level_db, serve_requests, LiveSink};
use streams::{
    block_and_cushion, build_streams, far_input, far_writer, Ends, Rings, StreamErrors,
    STARTUP_CUSHION,
};

/// A capture stream silent this long is taken as lost.
const STALL: Duration = Duration::from_secs(2);

/// With no application recording from the virtual microphone for this long, the guard releases
/// the audio devices (standby): three streams' wake-ups are most of an idle guard's CPU, and a
/// tray app waits between calls far longer than it guards them.
pub const STANDBY_AFTER: Duration = Duration::from_secs(10);
/// How often the sound server is asked whether anything records from the virtual microphone.
const STANDBY_POLL: Duration = Duration::from_millis(500);

/// The rate every stream runs at.
pub const RATE: u32 = 48_000;

/// What `run` was asked to use.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub mic: Option<String>,
    pub far: Option<String>,
    pub out: Option<String>,
    pub journal: Option<std::path::PathBuf>,
    pub guard: GuardConfig,
    /// Stop after this long (tests and measurements).
    pub duration: Option<Duration>,
    /// Print nothing but problems (the desktop app shows the rest).
    pub quiet: bool,
    /// Print a line of pipe and memory figures this often (soak measurements).
    pub stats_every: Option<Duration>,
    /// Frames per callback to ask PipeWire for instead of [`PERIOD`] (measurements).
    pub period: Option<u32>,
    /// Keep the audio devices open while no application records from the virtual microphone
    /// (by default the guard releases them then: see [`STANDBY_AFTER`]).
    pub keep_devices_open: bool,
    /// Leave other applications that record the microphone directly where they are (by default
    /// they are moved onto the virtual microphone: see [`Router`]).
    pub leave_recorders: bool,
}

impl RunOptions {
    /// What the settings ask for: the guard's timings, the devices, standby and routing. The
    /// one way settings reach the guard, from `holdguard run` and from the window alike.
    pub fn from_config(c: &crate::config::Config) -> Self {
        let pick = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Self {
            guard: c.guard.clone(),
            mic: pick(&c.devices.mic),
            far: pick(&c.devices.far),
            out: pick(&c.devices.out),
            keep_devices_open: c.keep_devices_open,
            leave_recorders: !c.route_recorders,
            ..Self::default()
        }
    }
}

/// Resident memory of this process in MB (Linux), for the stats line.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs the live guard until `ctl` is stopped (or `duration` passes). Errors are returned only
/// for what prevents guarding from starting (no audio server, no device to use, no journal);
/// once streaming, lost devices are retried for as long as it runs.
pub fn run(opts: RunOptions, ctl: &Arc<Controller>) -> anyhow::Result<()> {
    let mut server = crate::audio::virtual_mic::Server::connect().ok();
    let mut vmic = None;
    if opts.out.is_none() {
        let s = server
            .as_mut()
            .ok_or(crate::audio::virtual_mic::VirtualMicError::NoServer)?;
        let v = crate::audio::virtual_mic::VirtualMic::create(s)?;
        if !opts.quiet {
            say!(
                "virtual microphone \"Hold Guard Microphone\" ({}) {}",
                crate::audio::virtual_mic::SOURCE,
                if v.reused { "reused" } else { "created" }
            );
        }
        vmic = Some(v);
    }
    let result = guard_streams(&opts, ctl, &mut server, &mut vmic);
    if let (Some(s), Some(v)) = (server.as_mut(), vmic) {
        v.remove(s)?;
        if !opts.quiet {
            say!("virtual microphone removed");
        }
    }
    result
}

fn guard_streams(
    opts: &RunOptions,
    ctl: &Arc<Controller>,
    server: &mut Option<crate::audio::virtual_mic::Server>,
    vmic: &mut Option<crate::audio::virtual_mic::VirtualMic>,
) -> anyhow::Result<()> {
    // The host lists devices when it is made: make it after the virtual microphone exists.
    let mut host = cpal::default_host();
    // Rebuilt hosts must be of the same kind: a default picked while the server restarts could be
    // plain ALSA, with other device names.
    let host_id = host.id();
    let (mic_id, far_id, out_id) = resolve(opts, &host, server.as_mut(), true)?;
    if !opts.quiet {
        say!("microphone {mic_id}, far end {far_id}, output {out_id}");
    }
    ctl.update(|s| {
        s.mic = mic_id.clone();
        s.far = far_id.clone();
        s.out = out_id.clone();
    });

    let mut journal = match opts.journal.clone().or_else(crate::journal::default_path) {
        Some(p) => {
            let (j, recovered) = Journal::open(&p)?;
            for r in &recovered {
                say!(
                    "journal: closed an interval left open at {} ({})",
                    crate::journal::format_utc(r.end),
                    r.closed_by
                );
            }
            Some(j)
        }
        None => None,
    };

    let shared = Arc::new(Shared::default());
    let mut engine = Engine::new(RATE, Some(RATE), opts.guard.clone());
    let mut sink = LiveSink {
        shared: &shared,
        ctl,
        journal: journal.as_mut(),
        call: call_id(now_unix()),
        slot: (Default::default(), SLOT_S, false, false),
        far_db: -100.0,
        quiet: opts.quiet,
        silent_since: None,
        no_call: false,
        deferred: None,
        muted_speech: (f64::NEG_INFINITY, false),
    };
    let started = Instant::now();
    let mut ids = (mic_id, far_id, out_id);
    let mut attempt = 0u64;
    let mut backoff = Duration::from_millis(500);
    let mut far_buf = vec![0.0f32; RATE as usize];
    let mut mic_buf = vec![0.0f32; RATE as usize];
    let mut last_beat = Instant::now();
    let mut last_stats = Instant::now();
    let mut priority_told = false;
    let deadline_passed = |started: &Instant| opts.duration.is_some_and(|d| started.elapsed() >= d);
    let publish = |engine: &Engine, problem: Option<String>| {
        ctl.update(|s| {
            s.follow(engine.mode());
            s.problem = problem;
        });
    };
    // Only our own virtual microphone can tell whether a softphone uses it.
    let may_standby = !opts.keep_devices_open && vmic.is_some();
    let mut router = Router::new(opts.leave_recorders || vmic.is_none());
    // The far end is the softphone's own playback when it can be found (a music player beside
    // the call is not the call), unless the user named a far device.
    let mut listen = Listen {
        enabled: opts.far.is_none() && vmic.is_some(),
        call: None,
        refused: false,
    };
    let mut standby = false;
    'outer: while !ctl.should_end() && !deadline_passed(&started) {
        let resumed = std::mem::take(&mut standby);
        if resumed {
            // Nobody records the microphone: the call is over, and so is its hold or manual
            // mute. The next call starts live, with its own id — unless guarding is paused,
            // which lasts until the user resumes. Commands given meanwhile carry over.
            sink.end_call(now_unix());
            let paused = engine.mode() == Mode::Paused;
            engine = Engine::new(RATE, Some(RATE), opts.guard.clone());
            sink.new_call();
            if paused {
                engine.command(Command::Pause, &mut sink);
            }
            ctl.update(|s| {
                s.standby = true;
                s.no_call = false;
                s.far_db = -100.0;
                s.mic_db = -100.0;
            });
            publish(&engine, None);
            if !opts.quiet {
                say!("standby: no app records from Hold Guard Microphone, audio devices released");
            }
            let (mut polled, mut beat) = (Instant::now(), Instant::now());
            loop {
                std::thread::sleep(Duration::from_millis(100));
                serve_requests(ctl, &mut engine, &mut sink);
                publish(&engine, None);
                if ctl.should_end() || deadline_passed(&started) {
                    ctl.update(|s| s.standby = false);
                    break 'outer;
                }
                if beat.elapsed() >= Duration::from_secs(5) {
                    beat = Instant::now();
                    if let Some(j) = sink.journal.as_deref_mut() {
                        let _ = j.heartbeat(now_unix());
                    }
                }
                if polled.elapsed() >= STANDBY_POLL {
                    polled = Instant::now();
                    // An error (the server went away) also ends standby: the stream path below
                    // knows how to wait for the server and recreate the virtual microphone.
                    let Some(s) = server.as_mut() else { break };
                    let Ok(rec) = s.recordings() else { break };
                    // A softphone on the physical microphone would never wake the guard.
                    router.check(&rec, &ids.0, s, ctl, opts.quiet);
                    if rec.apps_on_ours > 0 {
                        break;
                    }
                }
            }
            ctl.update(|s| s.standby = false);
            if !opts.quiet {
                say!("an app records from Hold Guard Microphone: guarding");
            }
        }
        // Back from standby the devices are the ones from before, at once: the softphone is
        // already recording. A new default output, or a preferred microphone that came back, is
        // caught by the periodic check below.
        let fresh = !resumed;
        let failed = Arc::new(AtomicBool::new(false));
        let mut far_failed = Arc::new(AtomicBool::new(false));
        let (block, prefill) = block_and_cushion(&host, opts);
        let (capture, playback) = pipe(RATE, prefill, shared.clone());
        let playback = playback.settling_from(STARTUP_CUSHION);
        let (far_prod, far_cons) = HeapRb::<f32>::new(RATE as usize * 2).split();
        let (mic_prod, mic_cons) = HeapRb::<f32>::new(RATE as usize * 2).split();
        let ends = Ends {
            capture,
            playback,
            far_prod,
            mic_prod,
        };
        // Devices come and go between attempts: a lost microphone falls back to the default one
        // (and back again when it returns), and the far end follows the default output. Only a
        // new host lists devices that appeared or went since the last one.
        if attempt > 0 && fresh {
            if let Ok(h) = cpal::host_from_id(host_id) {
                host = h;
            }
        }
        attempt += 1;
        if let Some(Ok(now)) = fresh.then(|| resolve(opts, &host, server.as_mut(), false)) {
            if now != ids {
                eprintln!(
                    "holdguard: now using microphone {}, far end {}, output {}",
                    now.0, now.1, now.2
                );
                ctl.update(|s| {
                    s.mic = now.0.clone();
                    s.far = now.1.clone();
                    s.out = now.2.clone();
                });
                ids = now;
            }
        }
        if let Some(s) = server.as_mut() {
            listen.refresh(s, &ids.1, ctl, opts.quiet);
        }
        let mut streams = match build_streams(
            &host,
            &ids,
            listen.call.as_ref(),
            block,
            ends,
            StreamErrors {
                failed: failed.clone(),
                shared: shared.clone(),
            },
            far_failed.clone(),
        ) {
            Ok(s) => s,
            Err(e) => {
                if listen.call.is_some() {
                    // Next time without the per-stream recording, in case it is what failed.
                    listen.refuse(&format!("{e:#}"), &ids.1, ctl);
                }
                let msg = format!("cannot open the audio streams ({e:#})");
                eprintln!(
                    "holdguard: {msg}; retrying in {:.1} s",
                    backoff.as_secs_f64()
                );
                publish(&engine, Some(msg));
                let until = Instant::now() + backoff;
                while Instant::now() < until && !ctl.should_end() {
                    std::thread::sleep(Duration::from_millis(20));
                    serve_requests(ctl, &mut engine, &mut sink);
                    publish(&engine, ctl.status().problem);
                }
                backoff = (backoff * 2).min(Duration::from_secs(2));
                if let (Some(s), Some(v)) = (server.as_mut(), vmic.as_ref()) {
                    if !v.alive(s) {
                        *vmic = crate::audio::virtual_mic::VirtualMic::create(s).ok();
                    }
                } else if opts.out.is_none() {
                    // The server went away: reconnect and recreate the virtual microphone.
                    *server = crate::audio::virtual_mic::Server::connect().ok();
                    if let Some(s) = server.as_mut() {
                        *vmic = crate::audio::virtual_mic::VirtualMic::create(s).ok();
                    }
                }
                continue;
            }
        };
        backoff = Duration::from_millis(500);
        let mut rings = Rings {
            far: far_cons,
            mic: mic_cons,
        };
        let (mut last_far, mut last_mic) = (Instant::now(), Instant::now());
        let mut problem = None;
        let (mut polled, mut unused_since) = (Instant::now(), None::<Instant>);
        let pulse = host_id == cpal::HostId::PulseAudio;
        while !ctl.should_end()
            && !failed.load(Ordering::Relaxed)
            && !far_failed.load(Ordering::Relaxed)
        {
            std::thread::sleep(Duration::from_millis(10));
            if polled.elapsed() >= STANDBY_POLL {
                polled = Instant::now();
                let rec = server.as_mut().map(|s| s.recordings());
                if let (Some(s), Some(Ok(r))) = (server.as_mut(), &rec) {
                    router.check(r, &ids.0, s, ctl, opts.quiet);
                }
                // The softphone started or stopped playing: listen to what it plays now,
                // replacing only the far end's recording (the microphone path plays on).
                if let Some(s) = server.as_mut() {
                    if listen.refresh(s, &ids.1, ctl, opts.quiet) {
                        let (prod, cons) = HeapRb::<f32>::new(RATE as usize * 2).split();
                        let fresh_flag = Arc::new(AtomicBool::new(false));
                        let errors = StreamErrors {
                            failed: fresh_flag.clone(),
                            shared: shared.clone(),
                        };
                        let on_far = far_writer(shared.clone(), prod);
                        match far_input(&host, &ids.1, listen.call.as_ref(), block, on_far, &errors)
                        {
                            Ok(far) => {
                                streams.far = far;
                                far_failed = fresh_flag;
                                rings.far = cons;
                                last_far = Instant::now();
                            }
                            Err(e) => {
                                listen.refuse(&e.to_string(), &ids.1, ctl);
                                failed.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                }
                if let (true, Some(Ok(r))) = (pulse, &rec) {
                    // PulseAudio moves a stream whose device went away instead of ending it: the
                    // far end could end up listening to the user's microphone or to our own
                    // output. A stream on another source than we opened counts as a lost device.
                    let opened = |d: &String| {
                        let call = listen.call.as_ref();
                        let d = std::slice::from_ref(d);
                        is_device(&ids.0, d)
                            || is_device(&ids.1, d)
                            || call.is_some_and(|c| d[0] == format!("{}.monitor", c.sink))
                    };
                    if let Some(d) = r.ours_on.iter().find(|d| !opened(d)) {
                        eprintln!("holdguard: the sound server moved a recording of ours to {d} (its device went away); reconnecting");
                        failed.store(true, Ordering::Relaxed);
                    }
                }
                if may_standby {
                    match rec {
                        Some(Ok(r)) if r.apps_on_ours == 0 => {
                            if unused_since.get_or_insert(polled).elapsed() >= STANDBY_AFTER {
                                standby = true;
                                break;
                            }
                        }
                        _ => unused_since = None,
                    }
                }
            }
            serve_requests(ctl, &mut engine, &mut sink);
            let m = rings.mic.pop_slice(&mut mic_buf);
            let mic_db = level_db(&mic_buf[..m]);
            engine.push_mic(&mic_buf[..m], &mut sink);
            let n = rings.far.pop_slice(&mut far_buf);
            if ctl.far_quieted(now_unix()) {
                // Our own chime or click on the default output: not the far end.
                far_buf[..n].fill(0.0);
            }
            engine.push_far(&far_buf[..n], &mut sink);
            // A device that vanished does not always report an error (our own PulseAudio
            // recordings report none): a stream that stops delivering is treated as lost too.
            if m > 0 {
                last_mic = Instant::now();
            }
            if n > 0 {
                last_far = Instant::now();
            }
            let stalled = [(last_far, "far"), (last_mic, "mic")]
                .into_iter()
                .find(|(last, _)| last.elapsed() > STALL);
            if let Some((_, what)) = stalled {
                let msg = crate::i18n::t(match (what, engine.muted()) {
                    ("far", true) => "status-stalled-far-muted",
                    ("far", false) => "status-stalled-far-open",
                    (_, true) => "status-stalled-mic-muted",
                    (_, false) => "status-stalled-mic-open",
                });
                eprintln!("holdguard: {msg}");
                problem = Some(msg);
                failed.store(true, Ordering::Relaxed);
            } else if n > 0 && m > 0 {
                problem = None;
            }
            let far_db = sink.far_db;
            publish(&engine, problem.clone());
            ctl.update(|s| {
                s.far_db = far_db;
                if m > 0 || mic_db > -100.0 {
                    s.mic_db = mic_db;
                }
            });
            if last_beat.elapsed() >= Duration::from_secs(5) {
                last_beat = Instant::now();
                // A new default output, or a preferred microphone that came back: rebuild. The
                // streams' host is not asked (listing devices on it stalls its callbacks); the
                // sound server is, and a separate host only while on a fallback microphone.
                if changed_devices(opts, &ids, &host, host_id, server.as_mut()) {
                    failed.store(true, Ordering::Relaxed);
                }
                if let Some(j) = sink.journal.as_deref_mut() {
                    let _ = j.heartbeat(now_unix());
                }
            }
            if !priority_told {
                use crate::audio::priority::State;
                match shared.priority.state() {
                    State::Pending => {}
                    State::RealTime => priority_told = true,
                    State::Refused => {
                        priority_told = true;
                        say!("warning: the audio threads run at normal priority (real-time scheduling was refused); on a busy machine the microphone may drop out. Allow it with an rtprio limit (e.g. the `audio` group in /etc/security/limits.d) or rtkit");
                    }
                }
            }
            if opts.stats_every.is_some_and(|d| last_stats.elapsed() >= d) {
                last_stats = Instant::now();
                let w = shared.take_window();
                say!(
                    "stats {:.0} s: pipe latency median {} ms, cushion {} samples, underruns {} samples ({} with the microphone short), overruns {}, RSS {:.1} MB; blocks in {} out {}, fill after read {}–{}, shed {}, padded {}; microphone gave {}, output took {}; cycles missed: microphone {} samples, output {} samples; xruns {}",
                    started.elapsed().as_secs_f64(),
                    shared
                        .latency_median_ms()
                        .map_or("-".into(), |m| format!("{m:.1}")),
                    shared.target.load(Ordering::Relaxed),
                    shared.underruns.load(Ordering::Relaxed),
                    shared.underruns_mic_short.load(Ordering::Relaxed),
                    shared.overruns.load(Ordering::Relaxed),
                    rss_mb(),
                    w.in_block,
                    w.out_block,
                    w.fill_min,
                    w.fill_max,
                    shared.shed.load(Ordering::Relaxed),
                    shared.padded.load(Ordering::Relaxed),
                    w.mic_gave,
                    w.out_took,
                    shared.mic_missed.load(Ordering::Relaxed),
                    shared.out_missed.load(Ordering::Relaxed),
                    shared.xruns.load(Ordering::Relaxed),
                );
                shared.reset_latency();
            }
            if deadline_passed(&started) {
                break 'outer;
            }
        }
        let far_lost = far_failed.load(Ordering::Relaxed);
        drop(streams);
        // (Closing the streams for standby may flag them failed: that is no lost device.)
        if (failed.load(Ordering::Relaxed) || far_lost) && !ctl.should_end() && !standby {
            eprintln!(
                "holdguard: an audio device went away; reconnecting (the guard keeps its state)"
            );
        }
    }
    if let Some(j) = sink.journal.as_deref_mut() {
        j.close_interval(now_unix(), "shutdown")?;
    }
    let secs = started.elapsed().as_secs_f64();
    if !opts.quiet {
        say!(
            "audio: {:.1} s of far end in {secs:.1} s ({} samples dropped); output {} samples short ({} of them the microphone's blocks late or missing), {} dropped; pipe latency median {} ms; cycles missed: microphone {} samples, output {} samples; xruns {}",
            shared.far_samples.load(Ordering::Relaxed) as f64 / RATE as f64,
            shared.far_dropped.load(Ordering::Relaxed),
            shared.underruns.load(Ordering::Relaxed),
            shared.underruns_mic_short.load(Ordering::Relaxed),
            shared.overruns.load(Ordering::Relaxed),
            shared
                .latency_median_ms()
                .map_or("-".into(), |m| format!("{m:.1}")),
            shared.mic_missed.load(Ordering::Relaxed),
            shared.out_missed.load(Ordering::Relaxed),
            shared.xruns.load(Ordering::Relaxed),
        );
    }
    Ok(())
}
