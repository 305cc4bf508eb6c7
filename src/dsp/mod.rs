//! Signal processing on far-end and microphone audio: pure functions over samples.
//!
//! Nothing in here does I/O, reads a clock or allocates per sample; the same code runs on a file
//! and on a live stream, hop by hop.

pub mod activity;
pub mod class;
pub mod classifier;
pub mod features;
pub mod fingerprint;
pub mod frame;
pub mod model;
pub mod net;
pub mod resample;
