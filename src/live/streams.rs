//! The cpal streams of the live guard: the periods and cushions we ask the graph for, the
//! callbacks that feed the pipe and the analysis rings, and building one set of streams.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cpal::traits::{DeviceTrait, StreamTrait};
use ringbuf::{HeapCons, HeapProd};

use crate::audio::callbacks::{FarBlock, MicBlock, OutBlock};
use crate::audio::pipe::{CaptureHalf, PlaybackHalf, Shared};
use crate::audio::pulse_capture::Capture;
use crate::audio::pulse_playback::Playback;
use crate::audio::virtual_mic::CallPlayback;

use super::devices::{find, node_name};
use super::{RunOptions, RATE};

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
pub(super) const PREFILL_PERIODS: usize = 1;
/// Elsewhere (PulseAudio) callbacks come in the server's own rhythm, not in shared cycles: the
/// block we ask for, and the smallest cushion. PulseAudio's main thread, which hands both our
/// streams their data, runs at normal priority: with two busy loops on a two-core machine a
/// microphone block came more than a quarter block late in most 30-s softphone calls, and each
/// time the pipe ran dry (3 calls of 5 with two or more such cuts on a 256-sample cushion, 1 of 5
/// on a whole block). The cushion is mostly the block itself anyway: idle, with a call playing,
/// the pipe's median latency went from 33 to 36 ms.
pub(super) const UNSYNCED_BLOCK: u32 = 1024;
pub(super) const UNSYNCED_PREFILL: usize = 1024;

/// Whether the host runs our streams in the same graph cycles, with cycle times (PipeWire: cpal
/// groups a process's streams), so their callbacks line up.
pub(super) fn lockstep(host: &cpal::Host) -> bool {
    host.id().name().eq_ignore_ascii_case("pipewire")
}

/// The block to ask the host for, and the pipe's smallest cushion.
pub(super) fn block_and_cushion(host: &cpal::Host, opts: &RunOptions) -> (u32, usize) {
    if lockstep(host) {
        let period = opts.period.unwrap_or(PERIOD);
        (period, PREFILL_PERIODS * period as usize)
    } else {
        (UNSYNCED_BLOCK, UNSYNCED_PREFILL)
    }
}
/// The cushion while streams start (21 ms): the server's graph is unsteady for a few seconds.
pub(super) const STARTUP_CUSHION: usize = 1024;

/// A callback's graph cycle in nanoseconds (the sound server's clock).
pub(super) fn cycle_ns(t: cpal::StreamInstant) -> u64 {
    t.as_nanos() as u64
}

pub(super) fn config(buffer: u32) -> cpal::StreamConfig {
    cpal::StreamConfig {
        channels: 1,
        sample_rate: RATE,
        buffer_size: cpal::BufferSize::Fixed(buffer),
    }
}

/// The callbacks' side of the engine: rings the engine thread drains.
pub(super) struct Rings {
    pub(super) far: HeapCons<f32>,
    pub(super) mic: HeapCons<f32>,
}

pub(super) struct Streams {
    pub(super) _mic: Input,
    pub(super) far: Input,
    pub(super) _out: Output,
}

/// A running recording: cpal's, or on PulseAudio one of ours. Dropping it stops it.
pub(super) enum Input {
    Cpal { _stream: cpal::Stream },
    Pulse { _capture: Capture },
}

/// The virtual microphone's playback: cpal's, or on PulseAudio one of ours. Dropping it stops it.
pub(super) enum Output {
    Cpal { _stream: cpal::Stream },
    Pulse { _playback: Playback },
}

/// Where the streams' errors go. What an error means: an xrun is a glitch the server recovers
/// from by itself (counted for the stats; rebuilding the streams for it would cut the user off
/// for far longer), a refused real-time promotion or a followed default device leaves the stream
/// running; anything else ends the streams, and the supervisor opens them again.
#[derive(Clone)]
pub(super) struct StreamErrors {
    pub(super) failed: Arc<AtomicBool>,
    pub(super) shared: Arc<Shared>,
}

impl StreamErrors {
    pub(super) fn callback(&self) -> impl FnMut(cpal::Error) + Send + 'static {
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

/// What the far end's recording does with its samples: into the analysis ring, counted.
pub(super) fn far_writer(
    shared: Arc<Shared>,
    prod: HeapProd<f32>,
) -> impl FnMut(&[f32]) + Send + 'static {
    let mut far = FarBlock {
        shared,
        analysis: prod,
    };
    move |data: &[f32]| far.block(data)
}

/// The far end's recording: the call's own playback when there is one (over the PulseAudio
/// protocol on either server: cpal cannot record one stream), else the far device.
pub(super) fn far_input(
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

pub(super) fn cpal_mic(
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
pub(super) struct Ends {
    pub(super) capture: CaptureHalf,
    pub(super) playback: PlaybackHalf,
    pub(super) far_prod: HeapProd<f32>,
    pub(super) mic_prod: HeapProd<f32>,
}

pub(super) fn build_streams(
    host: &cpal::Host,
    ids: &super::report::Ids,
    far_call: Option<&CallPlayback>,
    buffer: u32,
    ends: Ends,
    errors: StreamErrors,
    far_failed: Arc<AtomicBool>,
) -> anyhow::Result<Streams> {
    let shared = errors.shared.clone();
    let Ends {
        capture,
        playback,
        far_prod,
        mic_prod,
    } = ends;
    let lockstep = lockstep(host);
    let (mic_dev, out_dev) = (find(host, &ids.mic)?, find(host, &ids.out)?);
    let mut mic_block = MicBlock {
        shared: shared.clone(),
        capture,
        analysis: mic_prod,
    };
    let mut on_mic = move |data: &[f32], cycle: Option<u64>| mic_block.block(data, cycle);
    let mut out_block = OutBlock {
        shared: shared.clone(),
        playback,
    };
    let paused = shared.clone();
    let on_far = far_writer(shared, far_prod);
    // PulseAudio: recordings of our own (see `audio::pulse_capture`), cpal's lose samples.
    let mic = if host.id() == cpal::HostId::PulseAudio {
        Input::Pulse {
            _capture: Capture::open(node_name(&ids.mic), RATE, buffer, move |d| on_mic(d, None))?,
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
    let far = far_input(host, &ids.far, far_call, buffer, on_far, &far_errors)?;
    // PulseAudio: a playback of our own too (see `audio::pulse_playback`): cpal's is asked for
    // whole blocks only when half its buffer is gone, and a late answer is a gap in the call.
    let out = if host.id() == cpal::HostId::PulseAudio {
        Output::Pulse {
            _playback: Playback::open(
                node_name(&ids.out),
                RATE,
                move |d: &mut [f32]| out_block.fill(d, None),
                errors.failed.clone(),
                move |frames| {
                    paused.out_missed.fetch_add(frames, Ordering::Relaxed);
                },
            )?,
        }
    } else {
        let out = out_dev.build_output_stream(
            config(buffer),
            move |data: &mut [f32], info: &cpal::OutputCallbackInfo| {
                out_block.fill(data, lockstep.then(|| cycle_ns(info.timestamp().callback)))
            },
            errors.callback(),
            None,
        )?;
        out.play()?;
        Output::Cpal { _stream: out }
    };
    Ok(Streams {
        _mic: mic,
        far,
        _out: out,
    })
}
