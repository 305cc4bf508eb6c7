//! Playing into a PulseAudio sink (the virtual microphone's) with a server-side buffer that
//! rides out a late client.
//!
//! cpal's PulseAudio host asks for a fixed block by making the stream's whole buffer two blocks
//! and its request size one (`tlength = 2 × minreq`), with latency adjustment on. The server
//! splits such a buffer as `(tlength − 2·minreq) / 2` for the sink, which is nothing: the
//! virtual microphone's null sink then ran at its 0.5-ms floor, waking 2,000 times a second, and
//! the stream was asked for a whole block only once half its buffer was gone — our answer
//! coming 21 ms late was enough for the server to play a gap, and then to drop the late block
//! (measured through a softphone on a busy two-core machine: cuts of 1.6 to 235 ms in three calls
//! of four, none on the raw microphone). These streams keep the same overall latency but ask
//! for small pieces often, so the buffer stays nearly full, and leave the sink a share it can
//! run on.
//!
//! The prebuffering makes an answer that comes too late a pause: the server plays silence in
//! our place until we catch up, and drops nothing. No callback of ours sees that, so a watcher
//! asks the server where it is playing our stream every quarter second and counts the time it
//! played without us ([`PauseMeter`]): the softphone's gap, in `--stats` beside PipeWire's
//! skipped cycles.
//!
//! The callback runs on the connection's reader thread and must obey the real-time rules of
//! [`crate::audio`].

use std::ffi::CString;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures::executor::block_on;
use futures::FutureExt as _;
use pulseaudio::protocol::{self as pa, stream::BufferAttr, stream::StreamFlags};

use super::pulse_capture::{open_within, refused, PIECE};
use super::virtual_mic::VirtualMicError;

/// The latency the stream and the sink share, in frames (42.7 ms at 48 kHz): what cpal's
/// streams had for the 1024-frame block the guard asks for.
pub const TARGET_FRAMES: u32 = 2048;
/// Frames the server asks for at a time (5.3 ms at 48 kHz).
pub const REQUEST_FRAMES: u32 = 256;

/// How often the watcher asks the server where it plays.
const WATCH: Duration = Duration::from_millis(250);

/// A running playback. Dropping it deletes the stream and closes the connection.
pub struct Playback {
    stream: Option<pulseaudio::PlaybackStream>,
    /// Set while dropping, so the watcher does not report the end as a failure, and stops.
    closing: Arc<AtomicBool>,
    _client: pulseaudio::Client,
}

impl Playback {
    /// Plays mono 32-bit float at `rate` into the sink named `sink`. `on_fill` fills every
    /// block the server asks for (in pieces of up to [`PIECE`] samples, in a buffer on the
    /// stack); `failed` is set if the server ends the stream (the sink went away, the server
    /// quit); `on_pause` is told the frames of every pause the server played in our place.
    pub fn open(
        sink: &str,
        rate: u32,
        on_fill: impl FnMut(&mut [f32]) + Send + Unpin + 'static,
        failed: Arc<AtomicBool>,
        on_pause: impl FnMut(u64) + Send + 'static,
    ) -> Result<Self, VirtualMicError> {
        let sink = CString::new(sink).map_err(|_| VirtualMicError::Protocol {
            what: "the playback",
            reason: "a sink name with a NUL byte".into(),
        })?;
        open_within("the playback", move || {
            open(sink, rate, on_fill, failed, on_pause)
        })
    }
}

fn open(
    sink: CString,
    rate: u32,
    on_fill: impl FnMut(&mut [f32]) + Send + Unpin + 'static,
    failed: Arc<AtomicBool>,
    mut on_pause: impl FnMut(u64) + Send + 'static,
) -> Result<Playback, VirtualMicError> {
    let client = pulseaudio::Client::from_env(c"Hold Guard").map_err(refused("the playback"))?;
    let params = pa::PlaybackStreamParams {
        sample_spec: pa::SampleSpec {
            format: pa::SampleFormat::Float32Le,
            channels: 1,
            sample_rate: rate,
        },
        channel_map: pa::ChannelMap::new([pa::ChannelPosition::Mono]),
        sink_name: Some(sink),
        buffer_attr: BufferAttr {
            max_length: TARGET_FRAMES * 4 * 2,
            target_length: TARGET_FRAMES * 4,
            // One request's worth before it starts, and again after running dry: the server
            // then waits for us instead of playing on and throwing away what comes late.
            pre_buffering: REQUEST_FRAMES * 4,
            minimum_request_length: REQUEST_FRAMES * 4,
            fragment_size: 0,
        },
        flags: StreamFlags {
            // The overall latency is `target_length`: the sink gets its share of it.
            adjust_latency: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let stream = block_on(client.create_playback_stream(params, Encoder::new(on_fill)))
        .map_err(refused("the playback"))?;
    let closing = Arc::new(AtomicBool::new(false));
    let watched = stream.clone();
    let quiet = closing.clone();
    // Not joined when the playback is dropped: a server that stops answering would hang the
    // guard in the drop. Deleting the stream makes its questions fail, and it ends.
    std::thread::Builder::new()
        .name("holdguard-playback".into())
        .spawn(move || {
            // The source never ends: this completes when the server or the connection ends
            // the stream.
            let mut ended = watched.play_all().boxed();
            let mut meter = PauseMeter::new(rate);
            loop {
                if quiet.load(Ordering::Relaxed) {
                    return;
                }
                if (&mut ended).now_or_never().is_some() {
                    break;
                }
                if let Ok(t) = block_on(watched.timing_info()) {
                    let paused = meter.update(t.remote_time, t.read_offset, t.sink_usec);
                    if paused > 0 {
                        on_pause(paused);
                    }
                }
                std::thread::sleep(WATCH);
            }
            if !quiet.load(Ordering::Relaxed) {
                failed.store(true, Ordering::Relaxed);
            }
        })
        .map_err(|e| VirtualMicError::Protocol {
            what: "the playback",
            reason: e.to_string(),
        })?;
    Ok(Playback {
        stream: Some(stream),
        closing,
        _client: client,
    })
}

impl Drop for Playback {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::Relaxed);
        // Not waiting for the answer, so a hung server cannot hang us.
        if let Some(s) = self.stream.take() {
            let _ = s.delete().now_or_never();
        }
    }
}

/// Time the server played while our stream gave it nothing, from where it says it plays.
///
/// The server's read position in our stream, less what its sink still holds, is what has been
/// played of us; the server's clock says how much time went by. The difference grows only
/// while the server waits for us (a late answer, the prebuffering's pause). It is compared
/// between two answers rather than from the start, and what is too small to count fades by half
/// at every answer, so a pause split by an answer still counts while a wall clock slewed by a
/// few hundred parts per million never adds up to one.
#[derive(Clone, Debug)]
pub struct PauseMeter {
    rate: f64,
    /// The server's time and the frames played of us at the previous answer.
    last: Option<(SystemTime, f64)>,
    /// Lag not counted yet, in frames.
    pending: f64,
}

/// A growth of the lag shorter than this is the measurement's own wobble, not a pause.
const PAUSE_MIN_S: f64 = 0.002;

impl PauseMeter {
    pub fn new(rate: u32) -> Self {
        Self {
            rate: rate as f64,
            last: None,
            pending: 0.0,
        }
    }

    /// Takes one answer of the server (its time, its read position in our stream in bytes of
    /// mono f32, and its sink's latency) and returns the frames of pause since the previous
    /// one. Nothing counts until the server has started reading (the first prebuffering).
    pub fn update(&mut self, server_time: SystemTime, read_offset: i64, sink_usec: u64) -> u64 {
        if read_offset <= 0 {
            return 0;
        }
        let played = read_offset as f64 / 4.0 - sink_usec as f64 * self.rate / 1e6;
        let Some((at, before)) = self.last.replace((server_time, played)) else {
            return 0;
        };
        // A clock stepped backwards (or an answer out of order) measures nothing.
        let Ok(passed) = server_time.duration_since(at) else {
            return 0;
        };
        let lag = passed.as_secs_f64() * self.rate - (played - before);
        self.pending = (self.pending * 0.5 + lag).max(0.0);
        if self.pending > PAUSE_MIN_S * self.rate {
            std::mem::take(&mut self.pending).round() as u64
        } else {
            0
        }
    }
}

/// Turns samples into the server's bytes (little-endian f32) for requests of any length, even
/// ones that end inside a sample, without allocating.
pub struct Encoder<F> {
    on_fill: F,
    /// Bytes of the last sample made that did not fit the last request.
    carry: [u8; 4],
    carried: usize,
}

impl<F: FnMut(&mut [f32])> Encoder<F> {
    pub fn new(on_fill: F) -> Self {
        Self {
            on_fill,
            carry: [0; 4],
            carried: 0,
        }
    }

    /// Fills all of `buf`.
    pub fn fill(&mut self, mut buf: &mut [u8]) {
        if self.carried > 0 {
            let n = self.carried.min(buf.len());
            let from = 4 - self.carried;
            buf[..n].copy_from_slice(&self.carry[from..from + n]);
            self.carried -= n;
            buf = &mut buf[n..];
        }
        let mut piece = [0.0f32; PIECE];
        while !buf.is_empty() {
            let n = buf.len().div_ceil(4).min(PIECE);
            (self.on_fill)(&mut piece[..n]);
            for s in &piece[..n] {
                let bytes = s.to_le_bytes();
                let k = buf.len().min(4);
                buf[..k].copy_from_slice(&bytes[..k]);
                if k < 4 {
                    self.carry = bytes;
                    self.carried = 4 - k;
                }
                buf = &mut buf[k..];
            }
        }
    }
}

impl<F: FnMut(&mut [f32]) + Send + Unpin + 'static> pulseaudio::PlaybackSource for Encoder<F> {
    fn poll_read(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<usize> {
        self.get_mut().fill(buf);
        // All of it, and never 0, which would end the stream.
        Poll::Ready(buf.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_of_any_length_get_every_sample_in_order() {
        let samples: Vec<f32> = (0..3000).map(|i| (i as f32 * 0.37).sin()).collect();
        let want: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        for cut in [1, 3, 4, 5, 7, 1023, 4001] {
            let mut next = 0;
            let mut e = Encoder::new(|out: &mut [f32]| {
                assert!(out.len() <= PIECE);
                for o in out {
                    *o = samples[next];
                    next += 1;
                }
            });
            let mut got = vec![0u8; want.len()];
            for chunk in got.chunks_mut(cut) {
                e.fill(chunk);
            }
            assert_eq!(got, want, "requests of {cut} bytes");
        }
    }

    #[test]
    fn the_pause_meter_counts_the_time_the_server_played_without_us() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // 48 kHz, mono f32: 192 bytes a millisecond; the sink holds about 16 ms.
        let bytes = |ms: u64| (ms * 192) as i64;
        let mut m = PauseMeter::new(48_000);
        // Prebuffering: nothing read yet.
        assert_eq!(m.update(at(0), 0, 0), 0);
        assert_eq!(m.update(at(250), bytes(270), 16_000), 0);
        // Playing along, with the sink's share wobbling by a millisecond.
        assert_eq!(m.update(at(500), bytes(520), 15_000), 0);
        assert_eq!(m.update(at(750), bytes(770), 16_000), 0);
        // The server waited 12 ms for us: 12 ms less of us read than time passed (counted with
        // half the last wobble's millisecond, which had not faded yet).
        assert_eq!(m.update(at(1000), bytes(1008), 16_000), 576 + 24);
        // Back in step: nothing more.
        assert_eq!(m.update(at(1250), bytes(1258), 16_000), 0);
        // A 3-ms pause that an answer split in halves: the second half counts with what is
        // left of the first.
        assert_eq!(m.update(at(1500), bytes(1506) + 96, 16_000), 0);
        assert_eq!(m.update(at(1750), bytes(1755), 16_000), 108);
        // A wall clock slewed by 500 ppm never reaches a pause.
        let mut read = 1755;
        for k in 1..=400u64 {
            read += 250;
            let slewed = at(1750 + k * 250) + Duration::from_micros(k * 125);
            assert_eq!(m.update(slewed, bytes(read), 16_000), 0, "step {k}");
        }
        // A clock stepped back measures nothing, and the next answer starts afresh.
        assert_eq!(m.update(at(10), bytes(read + 250), 16_000), 0);
    }
}
