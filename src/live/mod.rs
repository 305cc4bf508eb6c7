//! The live guard: `holdguard run`.
//!
//! Wires cpal streams to the real-time pipe and the engine. The microphone callback pushes into the
//! pipe (towards the virtual microphone) and into an analysis ring; the far-end callback pushes
//! into another ring; the engine thread (the one that calls [`run`]) drains both, runs the same
//! engine as `analyze`, sets the pipe's atomic mute flag and writes the journal. All streams run
//! mono at 48 kHz and let the sound server convert, so the pipe never resamples. Stream errors
//! make it open the streams again (and the virtual microphone, if the server restarted) with a
//! growing pause; the guard keeps its state, so a hold stays muted through an outage.
//!
//! In here: `devices` finds the devices, `streams` builds the cpal streams and their callbacks,
//! `route` follows which applications record the microphone and play the call, `sink` turns the
//! guard's decisions into the journal and the status, `supervisor` decides when to open, reopen
//! and release the streams (standby), and `report` is what all of them tell the user. This
//! module's `guard_streams` does what the supervisor says.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Split};
use ringbuf::HeapRb;

use crate::audio::pipe::{pipe, Shared};
use crate::audio::virtual_mic::{Server, VirtualMic};
use crate::control::{now_unix, Controller, SLOT_S};
use crate::engine::Engine;
use crate::guard::{Command, GuardConfig, Mode};
use crate::journal::Journal;

mod devices;
mod report;
mod route;
mod sink;
mod streams;
mod supervisor;

pub use devices::{list_devices, DeviceInfo};
pub use report::{print as print_report, Ids, Report};
pub use streams::PERIOD;
pub use supervisor::STANDBY_AFTER;

use devices::{changed_devices, is_device, resolve};
use route::{Listen, Router};
use sink::{call_id, level_db, serve_requests, LiveSink};
use streams::{
    block_and_cushion, build_streams, far_input, far_writer, Ends, Rings, StreamErrors, Streams,
    STARTUP_CUSHION,
};
use supervisor::{Change, Supervisor};

/// A capture stream silent this long is taken as lost.
const STALL: Duration = Duration::from_secs(2);

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

/// Runs the live guard until `ctl` is stopped (or `duration` passes), telling `say` what
/// happens. Errors are returned only for what prevents guarding from starting (no audio server,
/// no device to use, no journal); once streaming, lost devices are retried for as long as it runs.
pub fn run(opts: RunOptions, ctl: &Arc<Controller>, say: &dyn Fn(Report)) -> anyhow::Result<()> {
    let mut server = Server::connect().ok();
    let mut vmic = None;
    if opts.out.is_none() {
        let s = server
            .as_mut()
            .ok_or(crate::audio::virtual_mic::VirtualMicError::NoServer)?;
        let v = VirtualMic::create(s)?;
        say(Report::VirtualMic { reused: v.reused });
        vmic = Some(v);
    }
    let result = guard_streams(&opts, ctl, &mut server, &mut vmic, say);
    if let (Some(s), Some(v)) = (server.as_mut(), vmic) {
        v.remove(s)?;
        say(Report::VirtualMicRemoved);
    }
    result
}

/// Shows the devices in use in the status.
fn publish_ids(ctl: &Controller, ids: &Ids) {
    ctl.update(|s| {
        s.mic = ids.mic.clone();
        s.far = ids.far.clone();
        s.out = ids.out.clone();
    });
}

/// Open streams, and what the engine thread reads and watches of them.
struct Running {
    streams: Streams,
    rings: Rings,
    /// Set when a stream fails.
    failed: Arc<AtomicBool>,
    /// Set when the far end's recording fails: it is replaced on its own when the softphone
    /// starts or stops playing, and a cpal stream reports an error as it is dropped.
    far_failed: Arc<AtomicBool>,
    /// When each capture stream last delivered (a vanished device does not always say so).
    last_far: Instant,
    last_mic: Instant,
    /// Frames per callback.
    block: u32,
}

impl Running {
    fn lost(&self) -> bool {
        self.failed.load(Ordering::Relaxed) || self.far_failed.load(Ordering::Relaxed)
    }
}

/// What the supervisor steers: the sound server, the devices and who records and plays what.
struct Audio<'a> {
    opts: &'a RunOptions,
    ctl: &'a Controller,
    say: &'a dyn Fn(Report),
    server: &'a mut Option<Server>,
    vmic: &'a mut Option<VirtualMic>,
    host: cpal::Host,
    /// Rebuilt hosts must be of the same kind: a default picked while the server restarts could
    /// be plain ALSA, with other device names.
    host_id: cpal::HostId,
    ids: Ids,
    listen: Listen,
    router: Router,
    shared: Arc<Shared>,
}

impl Audio<'_> {
    /// Opens the streams; when `fresh`, looks the devices up again first: a lost microphone falls
    /// back to the default one (and back again when it returns), and the far end follows the
    /// default output. Only a new host lists devices that appeared or went since the last one.
    fn open(&mut self, fresh: bool) -> anyhow::Result<Running> {
        if fresh {
            if let Ok(h) = cpal::host_from_id(self.host_id) {
                self.host = h;
            }
            if let Ok(now) = resolve(self.opts, &self.host, self.server.as_mut(), false) {
                if now != self.ids {
                    (self.say)(Report::DevicesChanged(now.clone()));
                    publish_ids(self.ctl, &now);
                    self.ids = now;
                }
            }
        }
        if let Some(s) = self.server.as_mut() {
            self.listen.refresh(s, &self.ids.far, self.ctl, self.say);
        }
        let failed = Arc::new(AtomicBool::new(false));
        let far_failed = Arc::new(AtomicBool::new(false));
        let (block, prefill) = block_and_cushion(&self.host, self.opts);
        let (capture, playback) = pipe(RATE, prefill, self.shared.clone());
        let playback = playback.settling_from(STARTUP_CUSHION);
        let (far_prod, far) = HeapRb::<f32>::new(RATE as usize * 2).split();
        let (mic_prod, mic) = HeapRb::<f32>::new(RATE as usize * 2).split();
        let ends = Ends {
            capture,
            playback,
            far_prod,
            mic_prod,
        };
        let errors = StreamErrors {
            failed: failed.clone(),
            shared: self.shared.clone(),
        };
        let call = self.listen.call.as_ref();
        match build_streams(
            &self.host,
            &self.ids,
            call,
            block,
            ends,
            errors,
            far_failed.clone(),
        ) {
            Ok(streams) => Ok(Running {
                streams,
                rings: Rings { far, mic },
                failed,
                far_failed,
                last_far: Instant::now(),
                last_mic: Instant::now(),
                block,
            }),
            Err(e) => {
                if self.listen.call.is_some() {
                    // Next time without the per-stream recording, in case it is what failed.
                    self.listen
                        .refuse(&format!("{e:#}"), &self.ids.far, self.ctl, self.say);
                }
                Err(e)
            }
        }
    }

    /// After streams that would not open: the virtual microphone, or the whole server, may have
    /// gone (a restart); connect and create it again.
    fn reconnect(&mut self) {
        if let (Some(s), Some(v)) = (self.server.as_mut(), self.vmic.as_ref()) {
            if !v.alive(s) {
                *self.vmic = VirtualMic::create(s).ok();
            }
        } else if self.opts.out.is_none() {
            *self.server = Server::connect().ok();
            if let Some(s) = self.server.as_mut() {
                *self.vmic = VirtualMic::create(s).ok();
            }
        }
    }

    /// Asks the server who records what: moves (or names) applications on the physical
    /// microphone; while streaming, follows the call's playback and catches our recordings moved
    /// elsewhere (marking the streams lost). Returns how many applications record the virtual
    /// microphone (`None`: the server could not be asked).
    fn poll(&mut self, live: Option<&mut Running>) -> Option<usize> {
        let rec = self.server.as_mut().map(|s| s.recordings());
        if let (Some(s), Some(Ok(r))) = (self.server.as_mut(), &rec) {
            // A softphone on the physical microphone would never wake the guard from standby.
            self.router.check(r, &self.ids.mic, s, self.ctl, self.say);
        }
        if let Some(run) = live {
            self.follow_call(run);
            if let (cpal::HostId::PulseAudio, Some(Ok(r))) = (self.host_id, &rec) {
                // PulseAudio moves a stream whose device went away instead of ending it: the far
                // end could end up listening to the user's microphone or to our own output. A
                // stream on another source than we opened counts as a lost device.
                let ids = &self.ids;
                let call = self.listen.call.as_ref();
                let opened = |d: &String| {
                    let d = std::slice::from_ref(d);
                    is_device(&ids.mic, d)
                        || is_device(&ids.far, d)
                        || call.is_some_and(|c| d[0] == format!("{}.monitor", c.sink))
                };
                if let Some(d) = r.ours_on.iter().find(|d| !opened(d)) {
                    (self.say)(Report::StreamMoved { to: d.clone() });
                    run.failed.store(true, Ordering::Relaxed);
                }
            }
        }
        match rec {
            Some(Ok(r)) => Some(r.apps_on_ours),
            _ => None,
        }
    }

    /// The softphone started or stopped playing: listen to what it plays now, replacing only the
    /// far end's recording (the microphone path plays on).
    fn follow_call(&mut self, run: &mut Running) {
        let Some(s) = self.server.as_mut() else {
            return;
        };
        if !self.listen.refresh(s, &self.ids.far, self.ctl, self.say) {
            return;
        }
        let (prod, cons) = HeapRb::<f32>::new(RATE as usize * 2).split();
        let flag = Arc::new(AtomicBool::new(false));
        let errors = StreamErrors {
            failed: flag.clone(),
            shared: self.shared.clone(),
        };
        let on_far = far_writer(self.shared.clone(), prod);
        let call = self.listen.call.as_ref();
        match far_input(&self.host, &self.ids.far, call, run.block, on_far, &errors) {
            Ok(far) => {
                run.streams.far = far;
                run.far_failed = flag;
                run.rings.far = cons;
                run.last_far = Instant::now();
            }
            Err(e) => {
                self.listen
                    .refuse(&e.to_string(), &self.ids.far, self.ctl, self.say);
                run.failed.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// Buffers the engine thread drains the rings into.
struct Drain {
    far: Vec<f32>,
    mic: Vec<f32>,
}

/// Feeds what the streams delivered to the engine and the meters; returns a problem when a
/// capture stream has stopped delivering (and marks the streams lost), `Some(None)` when both
/// deliver again, `None` when nothing changed.
fn drain(
    run: &mut Running,
    buf: &mut Drain,
    engine: &mut Engine,
    sink: &mut LiveSink,
    ctl: &Controller,
) -> Option<Option<String>> {
    let m = run.rings.mic.pop_slice(&mut buf.mic);
    let mic_db = level_db(&buf.mic[..m]);
    engine.push_mic(&buf.mic[..m], sink);
    let n = run.rings.far.pop_slice(&mut buf.far);
    if ctl.far_quieted(now_unix()) {
        // Our own chime or click on the default output: not the far end.
        buf.far[..n].fill(0.0);
    }
    engine.push_far(&buf.far[..n], sink);
    let now = Instant::now();
    if m > 0 {
        run.last_mic = now;
    }
    if n > 0 {
        run.last_far = now;
    }
    let far_db = sink.far_db;
    ctl.update(|s| {
        s.far_db = far_db;
        if m > 0 || mic_db > -100.0 {
            s.mic_db = mic_db;
        }
    });
    // A device that vanished does not always report an error (our own PulseAudio recordings
    // report none): a stream that stops delivering is treated as lost too.
    let stalled = [(run.last_far, "far"), (run.last_mic, "mic")]
        .into_iter()
        .find(|(last, _)| now.duration_since(*last) > STALL);
    if let Some((_, what)) = stalled {
        run.failed.store(true, Ordering::Relaxed);
        return Some(Some(crate::i18n::t(match (what, engine.muted()) {
            ("far", true) => "status-stalled-far-muted",
            ("far", false) => "status-stalled-far-open",
            (_, true) => "status-stalled-mic-muted",
            (_, false) => "status-stalled-mic-open",
        })));
    }
    (n > 0 && m > 0).then_some(None)
}

/// The pipe's figures since the last line (`--stats`).
fn stats_line(shared: &Shared, secs: f64) -> String {
    let w = shared.take_window();
    let line = format!(
        "stats {secs:.0} s: pipe latency median {} ms, cushion {} samples, underruns {} samples ({} with the microphone short), overruns {}, RSS {:.1} MB; blocks in {} out {}, fill after read {}–{}, shed {}, padded {}; microphone gave {}, output took {}; {}",
        latency_ms(shared),
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
        misses(shared),
    );
    shared.reset_latency();
    line
}

/// The closing line: what came in and went out over the whole run.
fn summary_line(shared: &Shared, secs: f64) -> String {
    format!(
        "audio: {:.1} s of far end in {secs:.1} s ({} samples dropped); output {} samples short ({} of them the microphone's blocks late or missing), {} dropped; pipe latency median {} ms; {}",
        shared.far_samples.load(Ordering::Relaxed) as f64 / RATE as f64,
        shared.far_dropped.load(Ordering::Relaxed),
        shared.underruns.load(Ordering::Relaxed),
        shared.underruns_mic_short.load(Ordering::Relaxed),
        shared.overruns.load(Ordering::Relaxed),
        latency_ms(shared),
        misses(shared),
    )
}

/// The pipe's median latency in ms, or "-" before the first measurement.
fn latency_ms(shared: &Shared) -> String {
    shared
        .latency_median_ms()
        .map_or("-".into(), |m| format!("{m:.1}"))
}

/// Audio the graph never asked for or delivered: the part the tests and users read as breaks.
fn misses(shared: &Shared) -> String {
    format!(
        "cycles missed: microphone {} samples, output {} samples; xruns {}",
        shared.mic_missed.load(Ordering::Relaxed),
        shared.out_missed.load(Ordering::Relaxed),
        shared.xruns.load(Ordering::Relaxed),
    )
}

fn guard_streams(
    opts: &RunOptions,
    ctl: &Arc<Controller>,
    server: &mut Option<Server>,
    vmic: &mut Option<VirtualMic>,
    say: &dyn Fn(Report),
) -> anyhow::Result<()> {
    // The host lists devices when it is made: make it after the virtual microphone exists.
    let host = cpal::default_host();
    let host_id = host.id();
    let ids = resolve(opts, &host, server.as_mut(), true)?;
    say(Report::Devices(ids.clone()));
    publish_ids(ctl, &ids);

    let mut journal = match opts.journal.clone().or_else(crate::journal::default_path) {
        Some(p) => {
            let (j, recovered) = Journal::open(&p)?;
            for r in recovered {
                say(Report::JournalRecovered {
                    end: r.end,
                    closed_by: r.closed_by.to_string(),
                });
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
        say,
        clock: &now_unix,
        silent_since: None,
        no_call: false,
        deferred: None,
        muted_speech: (f64::NEG_INFINITY, false),
    };
    let publish = |engine: &Engine, problem: Option<String>| {
        ctl.update(|s| {
            s.follow(engine.mode());
            s.problem = problem;
        });
    };
    let mut audio = Audio {
        opts,
        ctl,
        say,
        // Only our own virtual microphone knows whether a softphone uses it; the far end is the
        // softphone's own playback when it can be found (a music player beside the call is not
        // the call), unless the user named a far device.
        listen: Listen {
            enabled: opts.far.is_none() && vmic.is_some(),
            call: None,
            refused: false,
        },
        router: Router::new(opts.leave_recorders || vmic.is_none()),
        server,
        vmic,
        host,
        host_id,
        ids,
        shared: shared.clone(),
    };
    let started = Instant::now();
    let may_standby = !opts.keep_devices_open && audio.vmic.is_some();
    let mut sup = Supervisor::new(started, may_standby);
    let mut live: Option<Running> = None;
    let mut problem: Option<String> = None;
    let mut buf = Drain {
        far: vec![0.0; RATE as usize],
        mic: vec![0.0; RATE as usize],
    };
    let mut last_stats = Instant::now();
    let mut priority_told = false;
    let deadline_passed = || opts.duration.is_some_and(|d| started.elapsed() >= d);
    while !ctl.should_end() && !deadline_passed() {
        let now = Instant::now();
        let due = sup.tick(now);
        if let Some(fresh) = due.open {
            match audio.open(fresh) {
                Ok(run) => {
                    live = Some(run);
                    sup.opened();
                    problem = None;
                }
                Err(e) => {
                    let retry = sup.open_failed(now);
                    let why = format!("{e:#}");
                    problem = Some(format!("cannot open the audio streams ({why})"));
                    say(Report::CannotOpen { why, retry });
                    audio.reconnect();
                }
            }
        }
        if due.poll {
            let apps = audio.poll(live.as_mut());
            match sup.users(now, apps) {
                Some(Change::Standby) => {
                    live = None;
                    // Nobody records the microphone: the call is over, and so is its hold or
                    // manual mute. The next call starts live, with its own id — unless guarding
                    // is paused, which lasts until the user resumes. Commands given meanwhile
                    // carry over.
                    sink.end_call((sink.clock)());
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
                    problem = None;
                    say(Report::Standby);
                }
                Some(Change::Resume) => {
                    ctl.update(|s| s.standby = false);
                    say(Report::Guarding);
                }
                None => {}
            }
        }
        serve_requests(ctl, &mut engine, &mut sink);
        if let Some(run) = live.as_mut() {
            if let Some(p) = drain(run, &mut buf, &mut engine, &mut sink, ctl) {
                if let Some(msg) = &p {
                    say(Report::Stalled(msg.clone()));
                }
                problem = p;
            }
        }
        publish(&engine, problem.clone());
        if due.beat {
            if let Some(j) = sink.journal.as_deref_mut() {
                let _ = j.heartbeat(now_unix());
            }
            // A new default output, or a preferred microphone that came back: open again. The
            // streams' host is not asked (listing devices on it stalls its callbacks); the sound
            // server is, and a separate host only while on a fallback microphone.
            if let Some(run) = live.as_ref() {
                if changed_devices(
                    opts,
                    &audio.ids,
                    &audio.host,
                    host_id,
                    audio.server.as_mut(),
                ) {
                    run.failed.store(true, Ordering::Relaxed);
                }
            }
        }
        if live.as_ref().is_some_and(Running::lost) {
            live = None;
            sup.lost(now);
            if !ctl.should_end() {
                say(Report::DeviceLost);
            }
        }
        if live.is_some() && !priority_told {
            use crate::audio::priority::State;
            match shared.priority.state() {
                State::Pending => {}
                State::RealTime => priority_told = true,
                State::Refused => {
                    priority_told = true;
                    say(Report::NormalPriority);
                }
            }
        }
        if live.is_some() && opts.stats_every.is_some_and(|d| last_stats.elapsed() >= d) {
            last_stats = Instant::now();
            say(Report::Figures(stats_line(
                &shared,
                started.elapsed().as_secs_f64(),
            )));
        }
        std::thread::sleep(sup.nap());
    }
    drop(live);
    ctl.update(|s| s.standby = false);
    if let Some(j) = sink.journal.as_deref_mut() {
        j.close_interval(now_unix(), "shutdown")?;
    }
    say(Report::Summary(summary_line(
        &shared,
        started.elapsed().as_secs_f64(),
    )));
    Ok(())
}
