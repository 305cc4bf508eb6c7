//! Recording from a PulseAudio source with a server-side buffer that absorbs a late read.
//!
//! cpal's PulseAudio host asks for a fixed block by making the server's whole record buffer one
//! block long (`maxlength = fragsize`). A monitor source whose sink resamples (a softphone playing
//! 8 kHz into a 48 kHz sink) hands the server blocks of other sizes, and whenever two meet in that
//! buffer before the client has read the first, the server throws one away: measured here, 5 %
//! of an 8 kHz call's far end was lost, the hold timeline shrank and its seams sounded like an
//! agent. These streams deliver in the same blocks but let the server queue as much as it allows,
//! as `parec` does, so nothing is dropped unless the client stops reading for seconds.
//!
//! Each capture has its own connection (and so its own reader thread): a slow far-end consumer
//! never delays the microphone. The callback runs on that thread and must obey the real-time
//! rules of [`crate::audio`].

use std::ffi::CString;
use std::sync::mpsc;
use std::time::Duration;

use futures::executor::block_on;
use pulseaudio::protocol::{self as pa, stream::BufferAttr, stream::StreamFlags};

use super::virtual_mic::VirtualMicError;

/// How long opening may take before the server counts as hung.
const OPEN_TIMEOUT: Duration = Duration::from_secs(5);

/// A running recording. Dropping it drops the connection's last handles: its reader thread then
/// ends and closes the socket, and the server removes the stream. No request is sent, so a hung
/// server cannot hang the guard's reconnection.
pub struct Capture {
    _stream: pulseaudio::RecordStream,
    _client: pulseaudio::Client,
}

impl Capture {
    /// Records mono 32-bit float at `rate` from the source named `source`, delivered every
    /// `block` frames or so. `on_data` gets every sample in order (in pieces of up to
    /// [`PIECE`] samples, from a buffer on the stack).
    pub fn open(
        source: &str,
        rate: u32,
        block: u32,
        on_data: impl FnMut(&[f32]) + Send + 'static,
    ) -> Result<Self, VirtualMicError> {
        Self::open_on(source, None, rate, block, on_data)
    }

    /// Records one playback stream (`sink_input`, playing on `sink`) alone, as `parec
    /// --monitor-stream` does: other sounds on the same sink are not heard.
    pub fn open_playback(
        sink: &str,
        sink_input: u32,
        rate: u32,
        block: u32,
        on_data: impl FnMut(&[f32]) + Send + 'static,
    ) -> Result<Self, VirtualMicError> {
        Self::open_on(
            &format!("{sink}.monitor"),
            Some(sink_input),
            rate,
            block,
            on_data,
        )
    }

    fn open_on(
        source: &str,
        sink_input: Option<u32>,
        rate: u32,
        block: u32,
        on_data: impl FnMut(&[f32]) + Send + 'static,
    ) -> Result<Self, VirtualMicError> {
        let source = CString::new(source).map_err(|_| VirtualMicError::Protocol {
            what: "the recording",
            reason: "a source name with a NUL byte".into(),
        })?;
        open_within("the recording", move || {
            open(source, sink_input, rate, block, on_data)
        })
    }
}

/// Runs `open` (which waits on the server) on a thread of its own, and gives up after
/// [`OPEN_TIMEOUT`]: a hung server must not hang the guard.
pub(super) fn open_within<T: Send + 'static>(
    what: &'static str,
    open: impl FnOnce() -> Result<T, VirtualMicError> + Send + 'static,
) -> Result<T, VirtualMicError> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(open());
    });
    rx.recv_timeout(OPEN_TIMEOUT)
        .map_err(|_| VirtualMicError::Protocol {
            what,
            reason: "no answer in 5 s".into(),
        })?
}

/// What the server's refusal of `what` means to the user.
pub(super) fn refused(what: &'static str) -> impl Fn(pulseaudio::ClientError) -> VirtualMicError {
    move |e| match e {
        pulseaudio::ClientError::ServerUnavailable => VirtualMicError::NoServer,
        e => VirtualMicError::Protocol {
            what,
            reason: e.to_string(),
        },
    }
}

fn open(
    source: CString,
    sink_input: Option<u32>,
    rate: u32,
    block: u32,
    on_data: impl FnMut(&[f32]) + Send + 'static,
) -> Result<Capture, VirtualMicError> {
    let refused = refused("the recording");
    let client = pulseaudio::Client::from_env(c"Hold Guard").map_err(&refused)?;
    let params = pa::RecordStreamParams {
        sample_spec: pa::SampleSpec {
            format: pa::SampleFormat::Float32Le,
            channels: 1,
            sample_rate: rate,
        },
        channel_map: pa::ChannelMap::new([pa::ChannelPosition::Mono]),
        source_name: Some(source),
        direct_on_input_index: sink_input,
        buffer_attr: BufferAttr {
            // The server's own limit (4 MB): a late read is queued, not dropped.
            max_length: u32::MAX,
            fragment_size: block * 4,
            ..Default::default()
        },
        flags: StreamFlags {
            // The source runs at the latency of one block, so blocks come that often.
            adjust_latency: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let stream =
        block_on(client.create_record_stream(params, Decoder::new(on_data))).map_err(&refused)?;
    Ok(Capture {
        _stream: stream,
        _client: client,
    })
}

/// Samples handed to the callback at a time.
pub const PIECE: usize = 256;

/// Turns the server's bytes (little-endian f32, in chunks that need not end on a sample) into
/// samples, without allocating.
pub struct Decoder<F> {
    on_data: F,
    carry: [u8; 4],
    carried: usize,
}

impl<F: FnMut(&[f32])> Decoder<F> {
    pub fn new(on_data: F) -> Self {
        Self {
            on_data,
            carry: [0; 4],
            carried: 0,
        }
    }

    /// Hands on every whole sample in `data`, keeping a split one's bytes for the next call.
    pub fn feed(&mut self, mut data: &[u8]) {
        let mut piece = [0.0f32; PIECE];
        let mut n = 0;
        if self.carried > 0 {
            let take = (4 - self.carried).min(data.len());
            self.carry[self.carried..self.carried + take].copy_from_slice(&data[..take]);
            self.carried += take;
            data = &data[take..];
            if self.carried < 4 {
                return;
            }
            piece[0] = f32::from_le_bytes(self.carry);
            n = 1;
            self.carried = 0;
        }
        let mut words = data.chunks_exact(4);
        for w in &mut words {
            piece[n] = f32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            n += 1;
            if n == PIECE {
                (self.on_data)(&piece);
                n = 0;
            }
        }
        if n > 0 {
            (self.on_data)(&piece[..n]);
        }
        let rest = words.remainder();
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carried = rest.len();
    }
}

impl<F: FnMut(&[f32]) + Send + 'static> pulseaudio::RecordSink for Decoder<F> {
    fn write(&mut self, data: &[u8]) {
        self.feed(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_split_anywhere_decode_to_the_same_samples() {
        let samples: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.37).sin()).collect();
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        for cut in [1, 3, 4, 5, 7, 1023, 4001] {
            let mut got = Vec::new();
            {
                let mut d = Decoder::new(|s: &[f32]| {
                    assert!(s.len() <= PIECE);
                    got.extend_from_slice(s)
                });
                for chunk in bytes.chunks(cut) {
                    d.feed(chunk);
                }
            }
            assert_eq!(got, samples, "chunks of {cut} bytes");
        }
    }
}
