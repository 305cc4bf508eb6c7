//! How the analysis cuts audio into frames and hops: the constants every room of `dsp` and the
//! guard above it share.

/// The one rate all analysis runs at (Hz).
pub const ANALYSIS_RATE: u32 = 8_000;
/// Frame length in samples at [`ANALYSIS_RATE`] (64 ms: fine enough to resolve the harmonics of
/// a low voice or a bass line).
pub const FRAME: usize = 512;
/// Hop in samples at [`ANALYSIS_RATE`] (16 ms).
pub const HOP: usize = 128;
/// Hop duration in seconds.
pub const HOP_SECONDS: f64 = HOP as f64 / ANALYSIS_RATE as f64;
/// Spectrum bins per frame.
pub const BINS: usize = FRAME / 2 + 1;
