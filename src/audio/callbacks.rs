//! What the live guard's three stream callbacks do with a block, as named types: the streams in
//! `live` are built from these, and `tests/realtime.rs` runs the same ones under a counting
//! allocator. Each promotes its own thread to real-time priority the first time it runs (see
//! [`super::priority`]); after that they only move samples and touch atomics.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use ringbuf::traits::Producer;
use ringbuf::HeapProd;

use super::pipe::{CaptureHalf, PlaybackHalf, Shared};

/// The microphone's callback: the block into the pipe (towards the virtual microphone) and a
/// copy into the engine's analysis ring.
pub struct MicBlock {
    pub shared: Arc<Shared>,
    pub capture: CaptureHalf,
    pub analysis: HeapProd<f32>,
}

impl MicBlock {
    /// `cycle`: the graph cycle's time (ns) where the server runs callbacks in lockstep.
    pub fn block(&mut self, data: &[f32], cycle: Option<u64>) {
        self.shared.priority.promote_current_thread();
        match cycle {
            Some(c) => self.capture.push_at(data, c),
            None => self.capture.push(data),
        }
        // A full analysis ring (the engine thread stalled) loses analysis, never the voice.
        let _ = self.analysis.push_slice(data);
    }
}

/// The far end's callback: the block into the engine's analysis ring, counted (and what did not
/// fit counted as dropped).
pub struct FarBlock {
    pub shared: Arc<Shared>,
    pub analysis: HeapProd<f32>,
}

impl FarBlock {
    pub fn block(&mut self, data: &[f32]) {
        self.shared.priority.promote_current_thread();
        let n = self.analysis.push_slice(data);
        self.shared
            .far_samples
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        if n < data.len() {
            self.shared
                .far_dropped
                .fetch_add((data.len() - n) as u64, Ordering::Relaxed);
        }
    }
}

/// The virtual microphone's output callback: the pipe's samples, gated by the mute flag.
pub struct OutBlock {
    pub shared: Arc<Shared>,
    pub playback: PlaybackHalf,
}

impl OutBlock {
    /// `cycle`: as for [`MicBlock::block`].
    pub fn fill(&mut self, data: &mut [f32], cycle: Option<u64>) {
        self.shared.priority.promote_current_thread();
        match cycle {
            Some(c) => self.playback.fill_at(data, c),
            None => self.playback.fill(data),
        }
    }
}
