//! Conversion of any input rate to the one analysis rate.
//!
//! The input is cut into fixed chunks before it reaches rubato, so the output does not depend on how
//! the caller happened to split the stream (one sample at a time from a test, 4096 from a file,
//! whatever a sound card delivers). The resampler's start-up delay is trimmed so that analysis time
//! zero is input time zero at every rate. Samples that are not numbers (NaN or infinite, from a
//! corrupt float file or a misbehaving driver) enter as silence, and absurdly loud ones are clipped
//! (see [`sane`]): either would otherwise turn a whole FFT block into NaN, and rubato refuses such
//! a block.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

/// Streams mono audio from `rate_in` to `rate_out`.
pub struct StreamResampler {
    inner: Option<Fft<f32>>,
    pending: Vec<f32>,
    chunk: usize,
    out_buf: Vec<f32>,
    skip: usize,
}

impl StreamResampler {
    /// Builds a resampler; equal rates pass samples through untouched.
    pub fn new(rate_in: u32, rate_out: u32) -> Self {
        if rate_in == rate_out {
            return Self {
                inner: None,
                pending: Vec::new(),
                chunk: 0,
                out_buf: Vec::new(),
                skip: 0,
            };
        }
        // About 40 ms of input per chunk: efficient FFT sizes, and latency low enough for live use.
        let chunk = (rate_in as usize / 25).max(64);
        let fft = Fft::<f32>::new_custom(
            rate_in as usize,
            rate_out as usize,
            chunk,
            1,
            1,
            WindowFunction::BlackmanHarris2,
            FixedSync::Input,
        )
        .expect("rates are validated before a resampler is built");
        let out_max = fft.output_frames_max();
        let skip = fft.output_delay();
        Self {
            inner: Some(fft),
            pending: Vec::with_capacity(chunk),
            chunk,
            out_buf: vec![0.0; out_max],
            skip,
        }
    }

    /// Feeds input samples and appends every finished output sample to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.inner.is_none() {
            out.extend(input.iter().copied().map(sane));
            return;
        }
        let mut rest = input;
        while !rest.is_empty() {
            let take = (self.chunk - self.pending.len()).min(rest.len());
            self.pending.extend(rest[..take].iter().copied().map(sane));
            rest = &rest[take..];
            if self.pending.len() == self.chunk {
                self.run_chunk(None, out);
                self.pending.clear();
            }
        }
    }

    /// Pushes out what is still inside the resampler (end of a file).
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        if self.inner.is_none() {
            return;
        }
        let partial = self.pending.len();
        self.pending.resize(self.chunk, 0.0);
        self.run_chunk(Some(partial), out);
        self.pending.clear();
    }

    fn run_chunk(&mut self, partial: Option<usize>, out: &mut Vec<f32>) {
        let Some(fft) = self.inner.as_mut() else {
            return;
        };
        let input =
            InterleavedSlice::new(&self.pending[..], 1, self.chunk).expect("chunk-sized buffer");
        let cap = self.out_buf.len();
        let mut output = InterleavedSlice::new_mut(&mut self.out_buf[..], 1, cap)
            .expect("sized by output_frames_max");
        let indexing = Indexing {
            input_offset: 0,
            output_offset: 0,
            partial_len: partial,
            active_channels_mask: None,
        };
        let (_, written) = fft
            .process_into_buffer(&input, &mut output, Some(&indexing))
            .expect("buffers are sized from the resampler's own limits");
        let produced = &self.out_buf[..written];
        let drop = self.skip.min(produced.len());
        self.skip -= drop;
        out.extend_from_slice(&produced[drop..]);
    }
}

/// The loudest sample let through: 60 dB over full scale. No sound is that loud; such values come
/// from a corrupt float file, and near `f32::MAX` their squares and FFT sums overflow to infinity.
const LOUDEST: f32 = 1000.0;

/// The sample, with silence in place of NaN and infinities and anything beyond ±[`LOUDEST`]
/// clipped to it.
#[inline]
pub(crate) fn sane(s: f32) -> f32 {
    if s.is_finite() {
        s.clamp(-LOUDEST, LOUDEST)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, hz: f32, secs: f32) -> Vec<f32> {
        (0..(rate as f32 * secs) as usize)
            .map(|i| (i as f32 * hz * std::f32::consts::TAU / rate as f32).sin())
            .collect()
    }

    /// `x` at `rate` through to 8 kHz, checked to come out whole and all numbers.
    fn finite_at_8k(x: &[f32], rate: u32) -> Vec<f32> {
        let mut r = StreamResampler::new(rate, 8_000);
        let mut out = Vec::new();
        r.process(x, &mut out);
        r.flush(&mut out);
        assert!(out.len() > 3000, "rate {rate}");
        assert!(out.iter().all(|s| s.is_finite()), "rate {rate}");
        out
    }

    #[test]
    fn samples_that_are_not_numbers_enter_as_silence() {
        for rate in [8_000, 16_000, 48_000] {
            let mut x = sine(rate, 440.0, 0.5);
            x[100] = f32::NAN;
            x[2000] = f32::INFINITY;
            x[3000] = f32::NEG_INFINITY;
            finite_at_8k(&x, rate);
        }
    }

    /// Found by the fuzzer: a float WAV whose samples sit near `f32::MAX` overflowed the FFT to
    /// infinity and NaN, and rubato panicked on the block.
    #[test]
    fn absurdly_loud_samples_are_clipped_not_a_panic() {
        for rate in [16_000, 48_000] {
            let mut x = sine(rate, 440.0, 0.5);
            // A square wave well inside the band, so what is clipped is not also filtered away.
            for (i, s) in x.iter_mut().enumerate().skip(500).take(3000) {
                *s = if (i / 40) % 2 == 0 { f32::MAX } else { -3.0e37 };
            }
            let out = finite_at_8k(&x, rate);
            assert!(
                out.iter().any(|s| s.abs() > 100.0),
                "clipped, not silenced: rate {rate}"
            );
        }
    }

    #[test]
    fn output_does_not_depend_on_block_size() {
        let x = sine(44_100, 440.0, 1.0);
        let mut reference = Vec::new();
        StreamResampler::new(44_100, 8_000).process(&x, &mut reference);
        for block in [1, 37, 480, 4096] {
            let mut r = StreamResampler::new(44_100, 8_000);
            let mut out = Vec::new();
            for c in x.chunks(block) {
                r.process(c, &mut out);
            }
            assert_eq!(out, reference, "block {block}");
        }
    }

    #[test]
    fn delay_is_trimmed_and_length_kept() {
        for rate in [16_000, 44_100, 48_000] {
            let mut x = vec![0.0; rate as usize / 2];
            x.extend(sine(rate, 1000.0, 0.5));
            let mut r = StreamResampler::new(rate, 8_000);
            let mut out = Vec::new();
            r.process(&x, &mut out);
            r.flush(&mut out);
            assert!(
                (out.len() as i64 - 8_000).abs() < 200,
                "rate {rate}: {} samples",
                out.len()
            );
            // The tone starts at 0.5 s in the input: it must start there in the output too.
            let onset = out.iter().position(|v| v.abs() > 0.5).unwrap();
            assert!(
                (onset as i64 - 4_000).abs() <= 8,
                "rate {rate}: onset at {onset}"
            );
        }
    }
}
