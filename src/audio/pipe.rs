//! The path from the microphone callback to the virtual-microphone callback.
//!
//! The capture side pushes samples into a lock-free ring; the playback side pops them, applies the
//! gate according to an atomic "muted" flag that the engine thread sets, and fills any shortfall
//! with silence rather than waiting. Both halves are allocation-free after construction.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use super::gate::Gate;

/// State shared between the callbacks and the rest of the program.
#[derive(Default)]
pub struct Shared {
    /// Set by the engine thread; read by the playback callback.
    pub muted: AtomicBool,
    /// Samples the playback side had to invent (the ring ran dry).
    pub underruns: AtomicU64,
    /// Samples the capture side had to drop (the ring was full).
    pub overruns: AtomicU64,
    /// Far-end samples captured, and dropped because the engine fell behind.
    pub far_samples: AtomicU64,
    pub far_dropped: AtomicU64,
}

/// The capture half: lives in the microphone callback.
pub struct CaptureHalf {
    prod: HeapProd<f32>,
    shared: Arc<Shared>,
}

/// The playback half: lives in the output callback.
pub struct PlaybackHalf {
    cons: HeapCons<f32>,
    gate: Gate,
    shared: Arc<Shared>,
    primed: bool,
    prefill: usize,
}

/// Builds both halves for mono audio at `rate`, with `prefill` samples of latency cushion.
pub fn pipe(rate: u32, prefill: usize, shared: Arc<Shared>) -> (CaptureHalf, PlaybackHalf) {
    let capacity = (prefill * 4).max(rate as usize / 5);
    let (prod, cons) = HeapRb::<f32>::new(capacity).split();
    let open = !shared.muted.load(Ordering::Relaxed);
    (
        CaptureHalf {
            prod,
            shared: shared.clone(),
        },
        PlaybackHalf {
            cons,
            gate: Gate::new(rate, 5.0, open),
            shared,
            primed: false,
            prefill,
        },
    )
}

impl CaptureHalf {
    /// Called from the microphone callback with mono samples.
    pub fn push(&mut self, samples: &[f32]) {
        let n = self.prod.push_slice(samples);
        if n < samples.len() {
            self.shared
                .overruns
                .fetch_add((samples.len() - n) as u64, Ordering::Relaxed);
        }
    }
}

impl PlaybackHalf {
    /// Called from the output callback: fills `out` (mono) with gated microphone audio.
    pub fn fill(&mut self, out: &mut [f32]) {
        if !self.primed {
            // Wait for the cushion once, so the first callbacks do not underrun at once.
            if self.cons.occupied_len() < self.prefill {
                out.iter_mut().for_each(|s| *s = 0.0);
                return;
            }
            self.primed = true;
        }
        let n = self.cons.pop_slice(out);
        if n < out.len() {
            out[n..].iter_mut().for_each(|s| *s = 0.0);
            self.shared
                .underruns
                .fetch_add((out.len() - n) as u64, Ordering::Relaxed);
        }
        let open = !self.shared.muted.load(Ordering::Relaxed);
        self.gate.process(out, 1, open);
    }

    /// Samples waiting in the ring (the pipe's present latency, in samples).
    pub fn fill_level(&self) -> usize {
        self.cons.occupied_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_pass_in_order_and_muting_silences() {
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 480, shared.clone());
        let input: Vec<f32> = (0..4800).map(|i| (i as f32 * 0.01).sin()).collect();
        cap.push(&input);
        let mut out = vec![0.0; 4800];
        play.fill(&mut out);
        assert_eq!(out, input);
        shared.muted.store(true, Ordering::Relaxed);
        cap.push(&input);
        play.fill(&mut out);
        assert!(out[240..].iter().all(|&s| s == 0.0));
        assert_eq!(shared.underruns.load(Ordering::Relaxed), 0);
        play.fill(&mut out);
        assert_eq!(shared.underruns.load(Ordering::Relaxed), 4800);
    }
}
