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
//! The callback runs on the connection's reader thread and must obey the real-time rules of
//! [`crate::audio`].

use std::ffi::CString;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

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

/// A running playback. Dropping it deletes the stream and closes the connection.
pub struct Playback {
    stream: Option<pulseaudio::PlaybackStream>,
    /// Set while dropping, so the watcher does not report the end as a failure.
    closing: Arc<AtomicBool>,
    watcher: Option<std::thread::JoinHandle<()>>,
    _client: pulseaudio::Client,
}

impl Playback {
    /// Plays mono 32-bit float at `rate` into the sink named `sink`. `on_fill` fills every
    /// block the server asks for (in pieces of up to [`PIECE`] samples, in a buffer on the
    /// stack); `failed` is set if the server ends the stream (the sink went away, the server
    /// quit).
    pub fn open(
        sink: &str,
        rate: u32,
        on_fill: impl FnMut(&mut [f32]) + Send + Unpin + 'static,
        failed: Arc<AtomicBool>,
    ) -> Result<Self, VirtualMicError> {
        let sink = CString::new(sink).map_err(|_| VirtualMicError::Protocol {
            what: "the playback",
            reason: "a sink name with a NUL byte".into(),
        })?;
        open_within("the playback", move || open(sink, rate, on_fill, failed))
    }
}

fn open(
    sink: CString,
    rate: u32,
    on_fill: impl FnMut(&mut [f32]) + Send + Unpin + 'static,
    failed: Arc<AtomicBool>,
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
    // The source never ends, so this waits until the server or the connection ends the stream.
    let watcher = std::thread::Builder::new()
        .name("holdguard-playback".into())
        .spawn(move || {
            let _ = block_on(watched.play_all());
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
        watcher: Some(watcher),
        _client: client,
    })
}

impl Drop for Playback {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::Relaxed);
        // Deleting the stream ends the watcher's wait (the reactor drops its end-of-stream
        // sender); not waiting for the answer, so a hung server cannot hang us.
        if let Some(s) = self.stream.take() {
            let _ = s.delete().now_or_never();
        }
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
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
}
