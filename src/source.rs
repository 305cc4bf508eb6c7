//! Streaming audio file input.
//!
//! Decodes WAV, FLAC, MP3 and Ogg/Vorbis packet by packet with symphonia and hands out mono `f32`
//! blocks, so memory stays flat however long the recording is. Every failure names the file and
//! says what is wrong with it, because the user's next step depends on which file is broken.

use std::cell::Cell;
use std::fs::File;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Once;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{Decoder, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// Lowest and highest input sample rates accepted. Telephone audio starts at 8 kHz; anything above
/// 192 kHz is not a call recording.
pub const MIN_RATE: u32 = 8_000;
/// See [`MIN_RATE`].
pub const MAX_RATE: u32 = 192_000;

/// Why an audio file could not be used. `Display` is one line that names the file.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: cannot open: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("{path}: not a supported audio file ({reason}); use WAV, FLAC, MP3 or Ogg/Vorbis")]
    Format { path: PathBuf, reason: String },
    #[error("{path}: the file ends inside its header (truncated download or copy?)")]
    Truncated { path: PathBuf },
    #[error("{path}: no audio track")]
    NoTrack { path: PathBuf },
    #[error("{path}: sample rate {rate} Hz is outside {MIN_RATE}..={MAX_RATE} Hz")]
    Rate { path: PathBuf, rate: u32 },
    #[error("{path}: unknown sample rate")]
    UnknownRate { path: PathBuf },
    #[error("{path}: cannot decode: {reason}")]
    Decode { path: PathBuf, reason: String },
    #[error("{path}: contains no audio samples")]
    Empty { path: PathBuf },
}

/// A file being decoded, one packet at a time, down-mixed to mono.
pub struct AudioSource {
    path: PathBuf,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    rate: u32,
    channels: usize,
    interleaved: Option<SampleBuffer<f32>>,
    frames_read: u64,
}

impl AudioSource {
    /// Opens `path` and reads its header. Fails with a one-line error naming the file.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let p = || path.to_path_buf();
        let file = File::open(path).map_err(|e| SourceError::Open {
            path: p(),
            reason: e.to_string(),
        })?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(SourceError::Open {
                path: p(),
                reason: "is a directory".into(),
            });
        }
        // symphonia asserts on a WAV that claims 0 Hz; such a header is refused here first.
        if let Some(rate) = wav_header_rate(&file).filter(|r| !(MIN_RATE..=MAX_RATE).contains(r)) {
            return Err(SourceError::Rate { path: p(), rate });
        }
        let mss = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let probed = contained(|| {
            symphonia::default::get_probe().format(
                &hint,
                mss,
                &FormatOptions::default(),
                &MetadataOptions::default(),
            )
        })
        .map_err(|reason| SourceError::Format { path: p(), reason })?
        .map_err(|e| match e {
            SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                SourceError::Truncated { path: p() }
            }
            e => SourceError::Format {
                path: p(),
                reason: describe(&e),
            },
        })?;
        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .ok_or_else(|| SourceError::NoTrack { path: p() })?;
        let rate = track
            .codec_params
            .sample_rate
            .ok_or_else(|| SourceError::UnknownRate { path: p() })?;
        if !(MIN_RATE..=MAX_RATE).contains(&rate) {
            return Err(SourceError::Rate { path: p(), rate });
        }
        let channels = track
            .codec_params
            .channels
            .map(|c| c.count())
            .unwrap_or(1)
            .max(1);
        let track_id = track.id;
        let decoder = contained(|| {
            symphonia::default::get_codecs().make(&track.codec_params, &DecoderOptions::default())
        })
        .map_err(|reason| SourceError::Format { path: p(), reason })?
        .map_err(|e| SourceError::Format {
            path: p(),
            reason: describe(&e),
        })?;
        Ok(Self {
            path: p(),
            format,
            decoder,
            track_id,
            rate,
            channels,
            interleaved: None,
            frames_read: 0,
        })
    }

    /// Sample rate of the file in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Path the source was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Decodes the next packet and appends its samples, down-mixed to mono, to `out`.
    /// Returns `Ok(false)` at the end of the stream. A file that ends before its first sample is an
    /// error; a file cut short after that ends where the cut is, as a media player would.
    pub fn read_into(&mut self, out: &mut Vec<f32>) -> Result<bool, SourceError> {
        loop {
            let packet = match contained(|| self.format.next_packet()) {
                Err(reason) => return self.damaged(reason),
                Ok(Ok(p)) => p,
                Ok(Err(SymError::IoError(e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return self.finish();
                }
                Ok(Err(SymError::ResetRequired)) => return self.finish(),
                Ok(Err(e)) => return self.damaged(describe(&e)),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let (path, frames_read) = (&self.path, self.frames_read);
            let decoder = &mut self.decoder;
            let decoded = match contained(move || decoder.decode(&packet)) {
                Err(reason) if frames_read > 0 => {
                    let _ = reason;
                    return Ok(false);
                }
                Err(reason) => {
                    return Err(SourceError::Decode {
                        path: path.clone(),
                        reason,
                    })
                }
                Ok(Ok(d)) => d,
                // A corrupt packet is skipped; the stream goes on.
                Ok(Err(SymError::DecodeError(_))) => continue,
                Ok(Err(e)) => {
                    return Err(SourceError::Decode {
                        path: path.clone(),
                        reason: describe(&e),
                    })
                }
            };
            let frames = decoded.frames();
            if frames == 0 {
                continue;
            }
            let spec = *decoded.spec();
            let needed = decoded.capacity() as u64;
            let buf = match &mut self.interleaved {
                Some(b) if b.capacity() as u64 >= needed * spec.channels.count() as u64 => b,
                slot => slot.insert(SampleBuffer::new(needed, spec)),
            };
            buf.copy_interleaved_ref(decoded);
            let ch = spec.channels.count().max(1);
            let samples = &buf.samples()[..frames * ch];
            if ch == 1 {
                out.extend_from_slice(samples);
            } else {
                let scale = 1.0 / ch as f32;
                out.extend(
                    samples
                        .chunks_exact(ch)
                        .map(|f| f.iter().sum::<f32>() * scale),
                );
            }
            self.frames_read += frames as u64;
            return Ok(true);
        }
    }

    /// The stream cannot go on: after real audio it ends where the damage is, like a player
    /// does; before any, the file is unusable.
    fn damaged(&self, reason: String) -> Result<bool, SourceError> {
        if self.frames_read > 0 {
            return Ok(false);
        }
        Err(SourceError::Decode {
            path: self.path.clone(),
            reason,
        })
    }

    fn finish(&self) -> Result<bool, SourceError> {
        if self.frames_read == 0 {
            return Err(SourceError::Empty {
                path: self.path.clone(),
            });
        }
        Ok(false)
    }

    /// Number of channels in the file (the output is always mono).
    pub fn channels(&self) -> usize {
        self.channels
    }
}

fn describe(e: &SymError) -> String {
    match e {
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "file is truncated".into()
        }
        SymError::IoError(io) => io.to_string(),
        SymError::DecodeError(m) => format!("corrupt data: {m}"),
        SymError::SeekError(_) => "seek failed".into(),
        SymError::Unsupported(m) if m.contains("probe") => "format not recognised".into(),
        SymError::Unsupported(m) => format!("unsupported {m}"),
        SymError::LimitError(m) => format!("limit exceeded: {m}"),
        SymError::ResetRequired => "stream changed mid-file".into(),
    }
}

thread_local! {
    /// Set while this thread runs decoder code under [`contained`].
    static IN_DECODER: Cell<bool> = const { Cell::new(false) };
}

/// Runs decoder code that may panic on damaged input (symphonia asserts on some impossible header
/// values, such as a 0 Hz WAV) and turns a panic into an error message. The panic hook stays
/// quiet for these, so the user sees the one-line error and not a backtrace.
fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_DECODER.with(Cell::get) {
                previous(info);
            }
        }));
    });
    IN_DECODER.with(|d| d.set(true));
    // A source whose decoder panicked is not read further: its caller stops at the end or the
    // error this becomes.
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    IN_DECODER.with(|d| d.set(false));
    result.map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the decoder gave up".into());
        format!("damaged header or data: {what}")
    })
}

/// The sample rate a RIFF/WAVE file's `fmt ` chunk states, if the file is one and the chunk sits
/// in its first 64 KiB. Reads through a clone of the handle and puts its position back.
fn wav_header_rate(file: &File) -> Option<u32> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file.try_clone().ok()?;
    let mut head = Vec::with_capacity(1 << 16);
    let read = (&mut f).take(1 << 16).read_to_end(&mut head);
    f.seek(SeekFrom::Start(0)).ok()?;
    read.ok()?;
    if head.len() < 12 || &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return None;
    }
    let mut at = 12;
    while at + 8 <= head.len() {
        let id = &head[at..at + 4];
        let len = u32::from_le_bytes(head[at + 4..at + 8].try_into().ok()?) as usize;
        if id == b"fmt " {
            let rate = head.get(at + 12..at + 16)?;
            return Some(u32::from_le_bytes(rate.try_into().ok()?));
        }
        at = at.checked_add(8 + len + (len & 1))?;
    }
    None
}
