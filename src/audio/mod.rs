//! Real-time audio: the only code that runs inside sound-card callbacks.
//!
//! Callbacks only move samples through lock-free ring buffers and read atomics: they never
//! allocate, lock, log or touch files (`tests/realtime.rs` runs the callbacks of `callbacks`
//! and proves they allocate nothing). Everything that thinks — the engine — runs on its own thread.

pub mod callbacks;
pub mod gate;
pub mod pipe;
pub mod priority;
#[cfg(all(unix, feature = "desktop"))]
pub mod pulse_capture;
#[cfg(all(unix, feature = "desktop"))]
pub mod pulse_playback;
#[cfg(all(unix, feature = "desktop"))]
pub mod virtual_mic;
