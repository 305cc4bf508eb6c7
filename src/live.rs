//! The live guard: `holdguard run`.
//!
//! Wires cpal streams to the real-time pipe and the engine. The microphone callback pushes into the
//! pipe (towards the virtual microphone) and into an analysis ring; the far-end callback pushes
//! into another ring; a named engine thread drains both, runs the same engine as `analyze`, sets the
//! pipe's atomic mute flag and writes the journal. All streams run mono at 48 kHz and let the sound
//! server convert, so the pipe never resamples. Stream errors make the supervisor rebuild the
//! streams (and the virtual microphone, if the server restarted) with a growing pause; the guard
//! keeps its state, so a hold stays muted through an outage.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use crate::audio::pipe::{pipe, CaptureHalf, PlaybackHalf, Shared};
use crate::audio::pulse_capture::Capture;
use crate::audio::virtual_mic::CallPlayback;
use crate::control::{Controller, Request, Slot, SLOT_S};
use crate::dsp::class::Class;
use crate::engine::{Engine, Hop, Sink};
use crate::guard::{Command, Event, GuardConfig, Mode, Transition};
use crate::journal::Journal;

/// Frames per callback we ask PipeWire for (10.7 ms at 48 kHz). A stream's period is a request
/// to the whole graph: the server runs every node at the smallest period any node asks for, so
/// this is the floor we impose on the user's desktop, and a softphone asking for less still gets
/// less. Measured through a real softphone on a loaded two-core machine (docs/audio.md): at 128
/// frames whole blocks went missing from the softphone's recording every few seconds and every
/// node's xrun counter climbed; at 256 they came every ten seconds or so; at 512 none in most
/// runs, for 11 ms more latency than at 256.
pub const PERIOD: u32 = 512;
/// Smallest cushion between the microphone and the virtual microphone, in periods: the graph
/// runs the microphone's and the output's callbacks of one cycle in either order, so the output
/// may need the cycle before's block. The pipe grows the cushion by itself when the microphone
/// falls further behind (see `audio::pipe`), and gives it back after calm spells.
const PREFILL_PERIODS: usize = 1;
/// Elsewhere (PulseAudio) callbacks come in the server's own rhythm, not in shared cycles: the
/// block we ask for, and the cushion to start from.
const UNSYNCED_BLOCK: u32 = 1024;
const UNSYNCED_PREFILL: usize = 256;

/// Whether the host runs our streams in the same graph cycles, with cycle times (PipeWire: cpal
/// groups a process's streams), so their callbacks line up.
fn lockstep(host: &cpal::Host) -> bool {
    host.id().name().eq_ignore_ascii_case("pipewire")
}

/// The block to ask the host for, and the pipe's smallest cushion.
fn block_and_cushion(host: &cpal::Host, opts: &RunOptions) -> (u32, usize) {
    if lockstep(host) {
        let period = opts.period.unwrap_or(PERIOD);
        (period, PREFILL_PERIODS * period as usize)
    } else {
        (UNSYNCED_BLOCK, UNSYNCED_PREFILL)
    }
}
/// The cushion while streams start (21 ms): the server's graph is unsteady for a few seconds.
const STARTUP_CUSHION: usize = 1024;

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

/// One line per audio device, as `holdguard devices` prints them.
pub fn list_devices() -> anyhow::Result<Vec<String>> {
    let host = cpal::default_host();
    let mut out = vec![format!("host: {}", host.id().name())];
    let default_in = host
        .default_input_device()
        .and_then(|d| d.id().ok())
        .map(|i| i.to_string());
    let default_out = host
        .default_output_device()
        .and_then(|d| d.id().ok())
        .map(|i| i.to_string());
    for d in host.devices()? {
        let Ok(id) = d.id() else { continue };
        let id = id.to_string();
        let desc = d.description().map(|x| x.to_string()).unwrap_or_default();
        let mut kinds = Vec::new();
        if d.supports_input() {
            kinds.push(if Some(&id) == default_in.as_ref() {
                "input (default)"
            } else {
                "input"
            });
        }
        if d.supports_output() {
            kinds.push(if Some(&id) == default_out.as_ref() {
                "output (default)"
            } else {
                "output"
            });
        }
        out.push(format!("{id}\t{}\t{desc}", kinds.join(", ")));
    }
    Ok(out)
}

fn find(host: &cpal::Host, id: &str) -> anyhow::Result<cpal::Device> {
    let parsed: cpal::DeviceId = id
        .parse()
        .map_err(|e| anyhow::anyhow!("device {id}: {e}; see `holdguard devices`"))?;
    host.device_by_id(&parsed)
        .ok_or_else(|| anyhow::anyhow!("device {id} not found; see `holdguard devices`"))
}

/// The device id of a sound-server node in this host's naming.
fn node_id(host: &cpal::Host, node: &str, monitor: bool) -> String {
    match host.id().name().to_ascii_lowercase().as_str() {
        // PipeWire: an input opened on a sink node records what plays to it.
        // A default source that is a sink's monitor is that sink's node too.
        "pipewire" => format!("pipewire:{}", node.trim_end_matches(".monitor")),
        h if monitor => format!("{h}:{node}.monitor"),
        h => format!("{h}:{node}"),
    }
}

/// A callback's graph cycle in nanoseconds (the sound server's clock).
fn cycle_ns(t: cpal::StreamInstant) -> u64 {
    t.as_nanos() as u64
}

fn config(buffer: u32) -> cpal::StreamConfig {
    cpal::StreamConfig {
        channels: 1,
        sample_rate: RATE,
        buffer_size: cpal::BufferSize::Fixed(buffer),
    }
}

/// The callbacks' side of the engine: rings the engine thread drains.
struct Rings {
    far: HeapCons<f32>,
    mic: HeapCons<f32>,
}

struct Streams {
    _mic: Input,
    far: Input,
    _out: cpal::Stream,
}

/// A running recording: cpal's, or on PulseAudio one of ours. Dropping it stops it.
enum Input {
    Cpal { _stream: cpal::Stream },
    Pulse { _capture: Capture },
}

/// Where the streams' errors go. What an error means: an xrun is a glitch the server recovers
/// from by itself (counted for the stats; rebuilding the streams for it would cut the user off
/// for far longer), a refused real-time promotion or a followed default device leaves the stream
/// running; anything else ends the streams, and the supervisor opens them again.
#[derive(Clone)]
struct StreamErrors {
    failed: Arc<AtomicBool>,
    shared: Arc<Shared>,
}

impl StreamErrors {
    fn callback(&self) -> impl FnMut(cpal::Error) + Send + 'static {
        let Self { failed, shared } = self.clone();
        move |e: cpal::Error| match e.kind() {
            cpal::ErrorKind::Xrun => {
                shared.xruns.fetch_add(1, Ordering::Relaxed);
            }
            cpal::ErrorKind::RealtimeDenied | cpal::ErrorKind::DeviceChanged => {}
            _ => failed.store(true, Ordering::Relaxed),
        }
    }
}

/// The microphone and far-end recordings through cpal, started.
/// What the far end's recording does with its samples: into the analysis ring, counted.
fn far_writer(shared: Arc<Shared>, mut prod: HeapProd<f32>) -> impl FnMut(&[f32]) + Send + 'static {
    move |data: &[f32]| {
        shared.priority.promote_current_thread();
        let n = prod.push_slice(data);
        shared
            .far_samples
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        if n < data.len() {
            shared
                .far_dropped
                .fetch_add((data.len() - n) as u64, Ordering::Relaxed);
        }
    }
}

/// The far end's recording: the call's own playback when there is one (over the PulseAudio
/// protocol on either server: cpal cannot record one stream), else the far device.
fn far_input(
    host: &cpal::Host,
    far_id: &str,
    far_call: Option<&CallPlayback>,
    buffer: u32,
    on_far: impl FnMut(&[f32]) + Send + 'static,
    errors: &StreamErrors,
) -> anyhow::Result<Input> {
    if let Some(c) = far_call {
        return Ok(Input::Pulse {
            _capture: Capture::open_playback(&c.sink, c.index, RATE, buffer, on_far)?,
        });
    }
    if host.id() == cpal::HostId::PulseAudio {
        return Ok(Input::Pulse {
            _capture: Capture::open(node_name(far_id), RATE, buffer, on_far)?,
        });
    }
    let mut on_far = on_far;
    let far = find(host, far_id)?.build_input_stream(
        config(buffer),
        move |data: &[f32], _: &cpal::InputCallbackInfo| on_far(data),
        errors.callback(),
        None,
    )?;
    far.play()?;
    Ok(Input::Cpal { _stream: far })
}

fn cpal_mic(
    mic_dev: &cpal::Device,
    buffer: u32,
    lockstep: bool,
    mut on_mic: impl FnMut(&[f32], Option<u64>) + Send + 'static,
    errors: &StreamErrors,
) -> anyhow::Result<Input> {
    let mic = mic_dev.build_input_stream(
        config(buffer),
        move |data: &[f32], info: &cpal::InputCallbackInfo| {
            on_mic(data, lockstep.then(|| cycle_ns(info.timestamp().callback)))
        },
        errors.callback(),
        None,
    )?;
    mic.play()?;
    Ok(Input::Cpal { _stream: mic })
}

/// What the callbacks write to and read from.
struct Ends {
    capture: CaptureHalf,
    playback: PlaybackHalf,
    far_prod: HeapProd<f32>,
    mic_prod: HeapProd<f32>,
}

fn build_streams(
    host: &cpal::Host,
    ids: &(String, String, String),
    far_call: Option<&CallPlayback>,
    buffer: u32,
    ends: Ends,
    errors: StreamErrors,
    far_failed: Arc<AtomicBool>,
) -> anyhow::Result<Streams> {
    let far_shared = errors.shared.clone();
    let Ends {
        capture,
        mut playback,
        far_prod,
        mut mic_prod,
    } = ends;
    let lockstep = lockstep(host);
    let (mic_dev, out_dev) = (find(host, &ids.0)?, find(host, &ids.2)?);
    let mut capture = capture;
    // Each callback promotes its own thread the first time it runs (see `audio::priority`).
    let (mic_shared, out_shared) = (far_shared.clone(), far_shared.clone());
    let mut on_mic = move |data: &[f32], cycle: Option<u64>| {
        mic_shared.priority.promote_current_thread();
        match cycle {
            Some(c) => capture.push_at(data, c),
            None => capture.push(data),
        }
        let _ = mic_prod.push_slice(data);
    };
    let on_far = far_writer(far_shared, far_prod);
    // PulseAudio: recordings of our own (see `audio::pulse_capture`), cpal's lose samples.
    let mic = if host.id() == cpal::HostId::PulseAudio {
        Input::Pulse {
            _capture: Capture::open(node_name(&ids.0), RATE, buffer, move |d| on_mic(d, None))?,
        }
    } else {
        cpal_mic(&mic_dev, buffer, lockstep, on_mic, &errors)?
    };
    // The far end's recording is replaced on its own when the softphone starts or stops playing
    // (and a cpal stream reports an error as it is dropped): its errors have their own flag.
    let far_errors = StreamErrors {
        failed: far_failed,
        shared: errors.shared.clone(),
    };
    let far = far_input(host, &ids.1, far_call, buffer, on_far, &far_errors)?;
    let out = out_dev.build_output_stream(
        config(buffer),
        move |data: &mut [f32], info: &cpal::OutputCallbackInfo| {
            out_shared.priority.promote_current_thread();
            if lockstep {
                playback.fill_at(data, cycle_ns(info.timestamp().callback));
            } else {
                playback.fill(data);
            }
        },
        errors.callback(),
        None,
    )?;
    out.play()?;
    Ok(Streams {
        _mic: mic,
        far,
        _out: out,
    })
}

use crate::control::now_unix;

/// Prints a line of the guard's report. A closed stdout (the reader went away) must not bring the
/// guard down, so write errors are ignored instead of panicking like `println!`.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// A call's id in the journal: when it began, in UTC, without spaces or colons.
fn call_id(start: f64) -> String {
    crate::journal::format_utc(start).replace([' ', ':'], "-")
}

/// Reports from the engine thread: journal, pipe flag, status, console.
struct LiveSink<'a> {
    shared: &'a Shared,
    ctl: &'a Controller,
    journal: Option<&'a mut Journal>,
    call: String,
    /// Class counts of the timeline slot being filled, and its end (engine seconds).
    slot: ([u16; crate::dsp::class::N_CLASSES], f64, bool, bool),
    far_db: f32,
    quiet: bool,
    /// Since when (Unix seconds) the far end has carried no audio at all.
    silent_since: Option<f64>,
    /// No call audio for [`NO_CALL_S`]: the call has ended (or not begun).
    no_call: bool,
    /// A silent-hold interval not journaled yet: it only counts if the line comes back.
    deferred: Option<(f64, &'static str)>,
    /// When (engine seconds) the user last spoke into a muted microphone, and whether the status
    /// says so now.
    muted_speech: (f64, bool),
}

/// How long "you're muted" stays up after the user's last muted word: long enough to read, and
/// no flicker between words.
const MUTED_SPEECH_HOLD_S: f64 = 1.5;

/// Below this the far end carries no audio at all (not even comfort noise): nothing is playing.
const NO_AUDIO_DB: f32 = -90.0;
/// After this long without any far-end audio the call is taken as over, for the journal.
const NO_CALL_S: f64 = 60.0;

impl LiveSink<'_> {
    /// Closes the interval still open, if any, where the call ended.
    fn end_call(&mut self, at: f64) {
        if self.journal.as_deref().is_some_and(|j| j.is_open()) {
            self.journal_close(at, "call ended");
        }
    }

    /// Forgets the line's history: the next audio belongs to a new call.
    fn new_call(&mut self) {
        self.call = call_id(now_unix());
        self.silent_since = None;
        self.no_call = false;
        self.deferred = None;
        self.far_db = -100.0;
    }

    fn journal_open(&mut self, start: f64, reason: &str) {
        if let Some(j) = self.journal.as_deref_mut() {
            if let Err(e) = j.open_interval(&self.call, start, reason) {
                eprintln!("holdguard: {e}");
            }
        }
    }

    fn journal_close(&mut self, end: f64, closed_by: &str) {
        if let Some(j) = self.journal.as_deref_mut() {
            if let Err(e) = j.close_interval(end, closed_by) {
                eprintln!("holdguard: {e}");
            }
        }
    }

    /// Keeps the journal about calls: a silent hold that begins on a line carrying no audio at
    /// all is journaled only once the line sounds again (a hung-up softphone plays nothing, and
    /// the hours until the next call are not time on hold); after [`NO_CALL_S`] of no audio an
    /// open interval is closed where the audio stopped. The microphone itself stays muted.
    fn watch_line(&mut self, level_db: f32) {
        let now = now_unix();
        if level_db <= NO_AUDIO_DB {
            let since = *self.silent_since.get_or_insert(now);
            if !self.no_call && now - since >= NO_CALL_S {
                self.no_call = true;
                self.deferred = None;
                self.end_call(since);
                self.ctl.update(|s| s.no_call = true);
            }
        } else {
            self.silent_since = None;
            if self.no_call {
                self.no_call = false;
                self.call = call_id(now);
                self.ctl.update(|s| s.no_call = false);
            }
            if let Some((start, reason)) = self.deferred.take() {
                self.journal_open(start, reason);
            }
        }
    }
}

impl Sink for LiveSink<'_> {
    fn hop(&mut self, hop: &Hop) {
        // Call boundaries: a minute with no far-end audio at all (`watch_line`), or standby.
        // Quiet alone is no boundary: a long silent hold with faint comfort noise is one call.
        self.watch_line(hop.level_db);
        self.far_db = hop.level_db;
        let (counts, end, muted, mic) = &mut self.slot;
        counts[hop.class.index()] += 1;
        *muted |= hop.muted;
        *mic |= hop.mic_active;
        // The user talking into a muted microphone is told, never unmuted: the guard may be
        // right (private talk on hold) and only the user knows.
        if hop.muted && hop.mic_active {
            self.muted_speech.0 = hop.t;
        }
        let speaking = hop.muted && hop.t - self.muted_speech.0 < MUTED_SPEECH_HOLD_S;
        if speaking != self.muted_speech.1 {
            self.muted_speech.1 = speaking;
            self.ctl.update(|s| s.speaking_muted = speaking);
        }
        if hop.t >= *end {
            let best = (0..counts.len()).max_by_key(|&k| counts[k]).unwrap_or(0);
            self.ctl.push_slot(Slot {
                class: Class::ALL[best],
                muted: *muted,
                mic_active: *mic,
            });
            *counts = Default::default();
            *end = hop.t + SLOT_S;
            *muted = false;
            *mic = false;
        }
    }
    fn transition(&mut self, tr: &Transition) {
        self.shared.muted.store(tr.muted, Ordering::Relaxed);
        let now = now_unix();
        let verb = if tr.muted { "muted" } else { "open" };
        if !self.quiet {
            say!(
                "{}  {verb} ({})",
                crate::journal::format_utc(now),
                tr.reason.describe()
            );
        }
        self.ctl.update(|s| {
            s.reason = Some(tr.reason.key().to_string());
            s.since = now;
            // Both mean someone live is back on the line: the user wants to hear about it.
            if !tr.muted && tr.reason.is_live_return() {
                s.agent_back += 1;
            }
        });
        if tr.muted {
            self.deferred = None;
            if tr.reason == crate::guard::Reason::SilentHold && self.silent_since.is_some() {
                self.deferred = Some((now, tr.reason.key()));
            } else {
                self.journal_open(now, tr.reason.key());
            }
        } else {
            if let Some((start, reason)) = self.deferred.take() {
                self.journal_open(start, reason);
            }
            self.journal_close(now, tr.reason.key());
        }
    }
    fn event(&mut self, ev: &Event) {
        if let (Event::AnnouncementRecognised { .. }, false) = (ev, self.quiet) {
            say!(
                "{}  announcement recognised, kept muted",
                crate::journal::format_utc(now_unix())
            );
        }
    }
}

/// Applies what the window, tray, hotkey or socket asked for.
fn serve_requests(ctl: &Controller, engine: &mut Engine, sink: &mut LiveSink) {
    for (seq, req) in ctl.take_requests() {
        let error = match req {
            Request::Command(c) => {
                engine.command(c, sink);
                // The caller reads the status as soon as this is marked applied.
                ctl.update(|s| s.follow(engine.mode()));
                None
            }
            Request::Delete(which) => match sink.journal.as_deref_mut() {
                Some(j) => j.delete(&which).err().map(|e| e.to_string()),
                None => Some("this guard keeps no journal".into()),
            },
        };
        ctl.applied(seq, error);
    }
}

/// RMS level of `x` in dBFS (−100 for nothing).
fn level_db(x: &[f32]) -> f32 {
    if x.is_empty() {
        return -100.0;
    }
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    (10.0 * (ms + 1e-10).log10()).max(-100.0)
}

/// Whether the devices to use have changed since `ids` were chosen (checked every few seconds).
fn changed_devices(
    opts: &RunOptions,
    ids: &(String, String, String),
    host: &cpal::Host,
    host_id: cpal::HostId,
    server: Option<&mut crate::audio::virtual_mic::Server>,
) -> bool {
    if opts.far.is_none() {
        let sink = server.and_then(|s| s.default_sink().ok().flatten());
        if sink.is_some_and(|sink| node_id(host, &sink, true) != ids.1) {
            return true;
        }
    }
    match &opts.mic {
        Some(m) if *m != ids.0 => {
            cpal::host_from_id(host_id).is_ok_and(|probe| find(&probe, m).is_ok())
        }
        _ => false,
    }
}

/// An input device that is neither ours nor the far end, real sources first. `devices` are the
/// sound server's device names, when it could be asked: a host's listing also holds streams (a
/// softphone's own recording), which are no microphone.
fn other_input(host: &cpal::Host, far: &str, devices: Option<&[String]>) -> Option<String> {
    let mut found: Vec<(bool, String)> = host
        .devices()
        .ok()?
        .filter(|d| d.supports_input())
        .filter_map(|d| Some((d.supports_output(), d.id().ok()?.to_string())))
        // Not the "default" stand-ins either: they may lead back to our own microphone.
        .filter(|(_, id)| !id.contains("holdguard") && !id.ends_with("default") && id != far)
        .filter(|(_, id)| devices.is_none_or(|names| is_device(id, names)))
        .collect();
    found.sort();
    found.into_iter().next().map(|(_, id)| id)
}

/// Whether a host's device id (`pipewire:NODE`, `pulseaudio:NAME`) names one of the server's
/// devices (a monitor is a source of its own there, `NAME.monitor`).
fn is_device(id: &str, names: &[String]) -> bool {
    names.iter().any(|n| n == node_name(id))
}

/// The sound server's name of the node behind a cpal device id (`pulseaudio:sink_b.monitor`).
fn node_name(id: &str) -> &str {
    id.split_once(':').map_or(id, |(_, n)| n)
}

/// The devices to use now: (microphone, far end, output). The chosen microphone when it is there
/// (at `start` it must be: a substitute the user did not pick could be anything, the call's own
/// output included), else the default one (never our own virtual microphone, never what the far
/// end plays to); the far end as chosen, else what plays to the default output; the virtual
/// microphone's sink unless an output was chosen.
fn resolve(
    opts: &RunOptions,
    host: &cpal::Host,
    server: Option<&mut crate::audio::virtual_mic::Server>,
    start: bool,
) -> anyhow::Result<(String, String, String)> {
    let (default_sink, default_source, devices) = match server {
        Some(s) => (
            s.default_sink().ok().flatten(),
            s.default_source().ok().flatten(),
            s.device_names().ok(),
        ),
        None => (None, None, None),
    };
    let out_id = opts
        .out
        .clone()
        .unwrap_or_else(|| node_id(host, crate::audio::virtual_mic::SINK, false));
    let far_id = match (&opts.far, &default_sink) {
        (Some(f), _) => f.clone(),
        (None, Some(sink)) => node_id(host, sink, true),
        (None, None) => {
            anyhow::bail!("cannot tell which output the softphone plays to; pass --far DEVICE")
        }
    };
    // The sound server often makes our own virtual microphone its default source: then the first
    // other input stands in (real sources before monitors of outputs).
    let default_mic = || {
        default_source
            .filter(|src| !src.contains(crate::audio::virtual_mic::SOURCE))
            .map(|src| node_id(host, &src, false))
            .filter(|id| *id != far_id)
            .or_else(|| other_input(host, &far_id, devices.as_deref()))
    };
    let mic_id = match &opts.mic {
        Some(m) if find(host, m).is_ok() => m.clone(),
        Some(m) if start => anyhow::bail!(
            "microphone {m} not found; pick one from `holdguard devices` (or leave --mic out for the default)"
        ),
        Some(m) => default_mic().unwrap_or_else(|| m.clone()),
        None => default_mic().ok_or_else(|| {
            anyhow::anyhow!(
                "cannot tell which microphone to guard; pass --mic DEVICE (see `holdguard devices`)"
            )
        })?,
    };
    if mic_id == far_id {
        anyhow::bail!(
            "the microphone {mic_id} is what the far end plays to: the company would hear itself, not you; pick the real microphone with --mic (see `holdguard devices`)"
        );
    }
    Ok((mic_id, far_id, out_id))
}

/// Which far end the guard listens to: the softphone's own playback (the application recording
/// the virtual microphone plays the call), found afresh twice a second, or the far device.
struct Listen {
    enabled: bool,
    call: Option<CallPlayback>,
    /// The server could not record one stream alone: the far device from then on.
    refused: bool,
}

impl Listen {
    /// Looks for the call's playback again; true when the far end to record has changed.
    fn refresh(
        &mut self,
        server: &mut crate::audio::virtual_mic::Server,
        far_id: &str,
        ctl: &Controller,
        quiet: bool,
    ) -> bool {
        if !self.enabled || self.refused {
            return false;
        }
        let Ok(want) = server.call_playback() else {
            return false;
        };
        if want.as_ref().map(|c| c.index) == self.call.as_ref().map(|c| c.index) {
            return false;
        }
        let far = match &want {
            Some(c) => format!("{}'s playback on {}", c.app, c.sink),
            None => far_id.to_string(),
        };
        if !quiet {
            match &want {
                Some(c) => say!(
                    "far end: {}'s own playback (on {}), not everything on the speakers",
                    c.app,
                    c.sink
                ),
                None => say!("far end: everything on {far_id} (no softphone playback found)"),
            }
        }
        ctl.update(|s| s.far = far);
        self.call = want;
        true
    }

    /// The server would not record the call's playback alone.
    fn refuse(&mut self, why: &str, far_id: &str, ctl: &Controller) {
        eprintln!(
            "holdguard: cannot listen to the softphone's playback alone ({why}); listening to everything on {far_id}"
        );
        self.refused = true;
        self.call = None;
        ctl.update(|s| s.far = far_id.to_string());
    }
}

/// Keeps every recording of the guarded microphone going through the guard. A softphone left on
/// the physical microphone (never switched, or moved back after a device change) sends
/// everything the guard mutes: such a recording is moved onto the virtual microphone, or, when
/// the user said to leave them (`route_recorders = false`), named in the status and the log so
/// the window and tray can say so.
#[derive(Default)]
struct Router {
    leave: bool,
    /// Streams already moved or reported (the server's indices).
    told: std::collections::HashSet<u32>,
    /// Streams moved onto the virtual microphone, to see that they stay there.
    moved: std::collections::HashSet<u32>,
    /// The applications going around the guard now, as last published.
    bypass: Vec<String>,
}

/// Marks a stream index in `Router::told` as reported for having left the virtual microphone
/// (server indices are far below it).
const MOVED_AWAY: u32 = 1 << 31;

/// Recordings of `mic_id`'s device by other applications.
fn on_microphone<'a>(
    apps: &'a [crate::audio::virtual_mic::AppRecording],
    mic_id: &str,
) -> Vec<&'a crate::audio::virtual_mic::AppRecording> {
    let node = node_name(mic_id);
    // A PipeWire id names the node; the PulseAudio protocol calls a sink's recording side
    // `NODE.monitor`.
    apps.iter()
        .filter(|a| a.source == node || a.source.strip_suffix(".monitor") == Some(node))
        .collect()
}

impl Router {
    fn new(leave: bool) -> Self {
        Self {
            leave,
            ..Self::default()
        }
    }

    /// Moves (or reports) the recordings of the microphone in `rec`; publishes who goes around.
    fn check(
        &mut self,
        rec: &crate::audio::virtual_mic::Recordings,
        mic_id: &str,
        server: &mut crate::audio::virtual_mic::Server,
        ctl: &Controller,
        quiet: bool,
    ) {
        let mut bypass = Vec::new();
        // A move the server accepted can still land elsewhere: PipeWire's session manager links a
        // stream it cannot link to the target to the default source instead.
        self.moved
            .retain(|i| rec.apps.iter().any(|a| a.index == *i));
        for a in rec.apps.iter().filter(|a| self.moved.contains(&a.index)) {
            if a.source != crate::audio::virtual_mic::SOURCE {
                if self.told.insert(a.index | MOVED_AWAY) {
                    eprintln!(
                        "holdguard: {} could not be moved onto Hold Guard Microphone (it records {} now); choose \"Hold Guard Microphone\" in {}",
                        a.app, a.source, a.app
                    );
                }
                bypass.push(a.app.clone());
            }
        }
        for a in on_microphone(&rec.apps, mic_id) {
            let first = self.told.insert(a.index);
            if !self.leave && !self.moved.contains(&a.index) {
                match server.move_to_virtual_mic(a.index) {
                    Ok(()) => {
                        if !quiet {
                            say!("{} recorded your microphone directly: moved onto Hold Guard Microphone", a.app);
                        }
                        self.moved.insert(a.index);
                        continue;
                    }
                    Err(e) if first => eprintln!("holdguard: {e}"),
                    Err(_) => {}
                }
            }
            if first {
                eprintln!(
                    "holdguard: {} records your microphone directly — Hold Guard cannot mute it; choose \"Hold Guard Microphone\" in {}",
                    a.app, a.app
                );
            }
            bypass.push(a.app.clone());
        }
        bypass.sort();
        bypass.dedup();
        if bypass != self.bypass {
            self.bypass = bypass.clone();
            ctl.update(|s| s.bypass = bypass);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_of_the_microphone_are_told_apart_from_the_rest() {
        use crate::audio::virtual_mic::AppRecording;
        let rec = |index, source: &str| AppRecording {
            index,
            app: format!("app{index}"),
            source: source.into(),
        };
        let apps = [
            rec(1, "alsa_input.usb-mic"),
            rec(2, "holdguard_mic"),
            rec(3, "sink_b.monitor"),
            rec(4, "alsa_input.usb-mic-2"),
        ];
        let on = |id| -> Vec<u32> { on_microphone(&apps, id).iter().map(|a| a.index).collect() };
        assert_eq!(on("pipewire:alsa_input.usb-mic"), [1]);
        assert_eq!(on("pulseaudio:alsa_input.usb-mic"), [1]);
        // A sink standing in for the microphone is recorded through its monitor.
        assert_eq!(on("pipewire:sink_b"), [3]);
        assert_eq!(on("pulseaudio:sink_b.monitor"), [3]);
        assert!(on("pipewire:holdguard").is_empty());
    }

    #[test]
    fn only_server_devices_stand_in_for_a_lost_microphone() {
        let names: Vec<String> = ["alsa_input.usb-mic", "sink_a", "sink_a.monitor"]
            .map(String::from)
            .to_vec();
        assert!(is_device("pipewire:alsa_input.usb-mic", &names));
        assert!(is_device("pipewire:sink_a", &names));
        assert!(is_device("pulseaudio:sink_a.monitor", &names));
        // A softphone's recording stream shows up in the host's listing too.
        assert!(!is_device("pipewire:parecord", &names));
        assert!(!is_device("pipewire:Firefox", &names));
    }
}
