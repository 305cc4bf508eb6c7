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
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use crate::audio::pipe::{pipe, CaptureHalf, PlaybackHalf, Shared};
use crate::engine::{Engine, Hop, Sink};
use crate::guard::{Event, GuardConfig, Transition};
use crate::journal::Journal;

/// Samples of cushion between the microphone and the virtual microphone (about 21 ms): enough
/// that callbacks jittering on a busy two-core machine do not run the pipe dry.
const PREFILL: usize = 1024;

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
        "pipewire" => format!("pipewire:{node}"),
        h if monitor => format!("{h}:{node}.monitor"),
        h => format!("{h}:{node}"),
    }
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
    _mic: cpal::Stream,
    _far: cpal::Stream,
    _out: cpal::Stream,
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
    ends: Ends,
    failed: Arc<AtomicBool>,
    far_shared: Arc<Shared>,
) -> anyhow::Result<Streams> {
    let Ends {
        capture,
        mut playback,
        mut far_prod,
        mut mic_prod,
    } = ends;
    let buffer = if host.id().name().eq_ignore_ascii_case("pipewire") {
        256
    } else {
        1024
    };
    let (mic_dev, far_dev, out_dev) = (
        find(host, &ids.0)?,
        find(host, &ids.1)?,
        find(host, &ids.2)?,
    );
    let on_error =
        |flag: Arc<AtomicBool>| move |_e: cpal::Error| flag.store(true, Ordering::Relaxed);
    let mut capture = capture;
    let mic = mic_dev.build_input_stream(
        config(buffer),
        move |data: &[f32], _: &cpal::InputCallbackInfo| {
            capture.push(data);
            let _ = mic_prod.push_slice(data);
        },
        on_error(failed.clone()),
        None,
    )?;
    let far = far_dev.build_input_stream(
        config(buffer),
        move |data: &[f32], _: &cpal::InputCallbackInfo| {
            let n = far_prod.push_slice(data);
            far_shared
                .far_samples
                .fetch_add(data.len() as u64, Ordering::Relaxed);
            if n < data.len() {
                far_shared
                    .far_dropped
                    .fetch_add((data.len() - n) as u64, Ordering::Relaxed);
            }
        },
        on_error(failed.clone()),
        None,
    )?;
    let out = out_dev.build_output_stream(
        config(buffer),
        move |data: &mut [f32], _: &cpal::OutputCallbackInfo| playback.fill(data),
        on_error(failed),
        None,
    )?;
    mic.play()?;
    far.play()?;
    out.play()?;
    Ok(Streams {
        _mic: mic,
        _far: far,
        _out: out,
    })
}

fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Reports from the engine thread: journal, pipe flag, console.
struct LiveSink<'a> {
    shared: &'a Shared,
    journal: Option<&'a mut Journal>,
    call: String,
    far_quiet_since: Option<f64>,
}

impl Sink for LiveSink<'_> {
    fn hop(&mut self, hop: &Hop) {
        // A new call starts when the far end sounds after a minute of nothing.
        if hop.level_db > -70.0 {
            if self.far_quiet_since.is_some_and(|q| hop.t - q > 60.0) {
                self.call = crate::journal::format_utc(now_unix()).replace([' ', ':'], "-");
            }
            self.far_quiet_since = None;
        } else if self.far_quiet_since.is_none() {
            self.far_quiet_since = Some(hop.t);
        }
    }
    fn transition(&mut self, tr: &Transition) {
        self.shared.muted.store(tr.muted, Ordering::Relaxed);
        let now = now_unix();
        let verb = if tr.muted { "muted" } else { "open" };
        println!(
            "{}  {verb} ({})",
            crate::journal::format_utc(now),
            tr.reason.describe()
        );
        if let Some(j) = self.journal.as_deref_mut() {
            let r = if tr.muted {
                j.open_interval(&self.call, now, tr.reason.key())
            } else {
                j.close_interval(now, tr.reason.key())
            };
            if let Err(e) = r {
                eprintln!("holdguard: {e}");
            }
        }
    }
    fn event(&mut self, ev: &Event) {
        if let Event::AnnouncementRecognised { .. } = ev {
            println!(
                "{}  announcement recognised, kept muted",
                crate::journal::format_utc(now_unix())
            );
        }
    }
}

/// Takes the per-user lock, or says which instance holds it. The lock is released by the kernel
/// when the process ends, however it ends.
fn single_instance() -> anyhow::Result<std::fs::File> {
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join("holdguard.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("{}: cannot create the lock file: {e}", path.display()))?;
    if file.try_lock().is_err() {
        let pid = std::fs::read_to_string(&path).unwrap_or_default();
        anyhow::bail!(
            "Hold Guard is already guarding (process {}); stop it first",
            pid.trim()
        );
    }
    use std::io::{Seek, Write};
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(file)
}

/// Runs the live guard until Ctrl-C (or `duration`).
pub fn run(opts: RunOptions) -> anyhow::Result<()> {
    // One guard per user: a second one would share (and on exit remove) the virtual microphone.
    let _lock = single_instance()?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))?;
    }
    let mut server = crate::audio::virtual_mic::Server::connect().ok();
    let mut vmic = None;
    if opts.out.is_none() {
        let s = server
            .as_mut()
            .ok_or(crate::audio::virtual_mic::VirtualMicError::NoServer)?;
        let v = crate::audio::virtual_mic::VirtualMic::create(s)?;
        println!(
            "virtual microphone \"Hold Guard Microphone\" ({}) {}",
            crate::audio::virtual_mic::SOURCE,
            if v.reused { "reused" } else { "created" }
        );
        vmic = Some(v);
    }
    // The host lists devices when it is made: make it after the virtual microphone exists.
    let mut host = cpal::default_host();
    let default_sink = server
        .as_mut()
        .and_then(|s| s.default_sink().ok().flatten());
    let default_source = server
        .as_mut()
        .and_then(|s| s.default_source().ok().flatten());
    let out_id = opts
        .out
        .clone()
        .unwrap_or_else(|| node_id(&host, crate::audio::virtual_mic::SINK, false));
    let far_id = match (&opts.far, &default_sink) {
        (Some(f), _) => f.clone(),
        (None, Some(sink)) => node_id(&host, sink, true),
        (None, None) => {
            anyhow::bail!("cannot tell which output the softphone plays to; pass --far DEVICE")
        }
    };
    let mic_id = match (&opts.mic, &default_source) {
        (Some(m), _) => m.clone(),
        // Never our own output as our input.
        (None, Some(src)) if !src.contains(crate::audio::virtual_mic::SOURCE) => {
            node_id(&host, src, false)
        }
        _ => anyhow::bail!(
            "cannot tell which microphone to guard; pass --mic DEVICE (see `holdguard devices`)"
        ),
    };
    println!("microphone {mic_id}, far end {far_id}, output {out_id}");

    let mut journal = match opts.journal.clone().or_else(crate::journal::default_path) {
        Some(p) => {
            let (j, recovered) = Journal::open(&p)?;
            for r in &recovered {
                println!(
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
        journal: journal.as_mut(),
        call: crate::journal::format_utc(now_unix()).replace([' ', ':'], "-"),
        far_quiet_since: None,
    };
    let started = Instant::now();
    let ids = (mic_id, far_id, out_id);
    let mut backoff = Duration::from_millis(500);
    let mut far_buf = vec![0.0f32; RATE as usize];
    let mut mic_buf = vec![0.0f32; RATE as usize];
    let mut last_beat = Instant::now();
    let deadline_passed = |started: &Instant| opts.duration.is_some_and(|d| started.elapsed() >= d);
    'outer: while !stop.load(Ordering::SeqCst) && !deadline_passed(&started) {
        let failed = Arc::new(AtomicBool::new(false));
        let (capture, playback) = pipe(RATE, PREFILL, shared.clone());
        let (far_prod, far_cons) = HeapRb::<f32>::new(RATE as usize * 2).split();
        let (mic_prod, mic_cons) = HeapRb::<f32>::new(RATE as usize * 2).split();
        let ends = Ends {
            capture,
            playback,
            far_prod,
            mic_prod,
        };
        let streams = match build_streams(&host, &ids, ends, failed.clone(), shared.clone()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "holdguard: cannot open the audio streams ({e:#}); retrying in {:.1} s",
                    backoff.as_secs_f64()
                );
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(2));
                host = cpal::default_host();
                if let (Some(s), Some(v)) = (server.as_mut(), vmic.as_ref()) {
                    if !v.alive(s) {
                        vmic = crate::audio::virtual_mic::VirtualMic::create(s).ok();
                    }
                } else if opts.out.is_none() {
                    // The server went away: reconnect and recreate the virtual microphone.
                    server = crate::audio::virtual_mic::Server::connect().ok();
                    if let Some(s) = server.as_mut() {
                        vmic = crate::audio::virtual_mic::VirtualMic::create(s).ok();
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
        let mut last_far = Instant::now();
        while !stop.load(Ordering::SeqCst) && !failed.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10));
            let n = rings.mic.pop_slice(&mut mic_buf);
            engine.push_mic(&mic_buf[..n], &mut sink);
            let n = rings.far.pop_slice(&mut far_buf);
            engine.push_far(&far_buf[..n], &mut sink);
            // A device that vanished does not always report an error: a stream that stops
            // delivering is treated as lost too.
            if n > 0 {
                last_far = Instant::now();
            } else if last_far.elapsed() > STALL {
                eprintln!(
                    "holdguard: the far end stopped delivering audio; reconnecting (the microphone stays {})",
                    if engine.muted() { "muted" } else { "open" }
                );
                failed.store(true, Ordering::Relaxed);
            }
            if last_beat.elapsed() >= Duration::from_secs(5) {
                last_beat = Instant::now();
                if let Some(j) = sink.journal.as_deref_mut() {
                    let _ = j.heartbeat(now_unix());
                }
            }
            if deadline_passed(&started) {
                break 'outer;
            }
        }
        drop(streams);
        if failed.load(Ordering::Relaxed) && !stop.load(Ordering::SeqCst) {
            eprintln!(
                "holdguard: an audio device went away; reconnecting (the guard keeps its state)"
            );
        }
    }
    if let Some(j) = sink.journal.as_deref_mut() {
        j.close_interval(now_unix(), "shutdown")?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "audio: {:.1} s of far end in {secs:.1} s ({} samples dropped); microphone {} samples short, {} dropped",
        shared.far_samples.load(Ordering::Relaxed) as f64 / RATE as f64,
        shared.far_dropped.load(Ordering::Relaxed),
        shared.underruns.load(Ordering::Relaxed),
        shared.overruns.load(Ordering::Relaxed),
    );
    if let (Some(s), Some(v)) = (server.as_mut(), vmic) {
        v.remove(s)?;
        println!("virtual microphone removed");
    }
    Ok(())
}
