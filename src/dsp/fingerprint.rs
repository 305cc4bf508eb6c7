//! Compact spectral fingerprints of far-end audio, and a matcher for repeats.
//!
//! A hold loop plays the same recorded announcement again and again. Each hop gets a 16-bit print
//! (the sign of the change over time of the energy difference between neighbouring bands, after
//! Haitsma & Kalker), which survives level changes, codecs and a ducked music bed, yet differs
//! between two recordings of the same voice. The guard keeps the prints of speech it heard during a
//! hold — in memory only, never audio — and asks whether the latest quarter second has been heard
//! before.

use crate::dsp::frame::{ANALYSIS_RATE, BINS, FRAME};

/// Bands of the print (one more than the bits).
const BANDS: usize = 17;

/// Computes one print per hop from the power spectrum.
pub struct Printer {
    edges: [usize; BANDS + 1],
    prev_frame: [f32; BANDS],
    prev_sum: [f32; BANDS],
}

impl Default for Printer {
    fn default() -> Self {
        Self::new()
    }
}

impl Printer {
    /// Log-spaced bands from 300 to 3400 Hz.
    pub fn new() -> Self {
        let bin_hz = ANALYSIS_RATE as f32 / FRAME as f32;
        let mut edges = [0usize; BANDS + 1];
        for (i, e) in edges.iter_mut().enumerate() {
            let hz = 300.0 * (3400.0f32 / 300.0).powf(i as f32 / BANDS as f32);
            *e = ((hz / bin_hz).round() as usize).min(BINS - 1);
        }
        // Keep every band at least one bin wide.
        for i in 1..=BANDS {
            if edges[i] <= edges[i - 1] {
                edges[i] = edges[i - 1] + 1;
            }
        }
        Self {
            edges,
            prev_frame: [0.0; BANDS],
            prev_sum: [0.0; BANDS],
        }
    }

    /// The print of the current frame, given its power spectrum.
    pub fn print(&mut self, power: &[f32]) -> u16 {
        let mut cur = [0.0f32; BANDS];
        for (b, c) in cur.iter_mut().enumerate() {
            *c = power[self.edges[b]..self.edges[b + 1]].iter().sum();
        }
        // Two frames summed: a 48 ms view, so a repeat that is shifted by half a hop still matches.
        let mut sum = [0.0f32; BANDS];
        for b in 0..BANDS {
            sum[b] = (cur[b] + self.prev_frame[b] + 1e-9).ln();
        }
        let mut bits = 0u16;
        for b in 0..BANDS - 1 {
            let d = (sum[b] - sum[b + 1]) - (self.prev_sum[b] - self.prev_sum[b + 1]);
            if d > 0.0 {
                bits |= 1 << b;
            }
        }
        self.prev_frame = cur;
        self.prev_sum = sum;
        bits
    }
}

/// Longest query the guard compares against the store (about three quarters of a second).
pub const MAX_QUERY: usize = 48;

/// The largest bit-error rate that counts as a repeat for a query of `bits` compared bits.
///
/// Unrelated audio scores 0.5 on average with a spread of `0.5 / sqrt(bits)`; the best of thousands
/// of stored positions, and speech's own regularity, pull the minimum down by a few spreads. `z`
/// spreads below chance is far enough that only the same recording gets there.
pub fn repeat_threshold(bits: u32, z: f32) -> f32 {
    if bits == 0 {
        return 0.0;
    }
    // Never looser than a third of the bits wrong, however long the query.
    (0.5 - z * 0.5 / (bits as f32).sqrt()).min(0.33)
}

/// Marks a stored hop that carried sound; silent hops never count as evidence of a repeat,
/// since digital silence prints the same everywhere.
const ACTIVE: u32 = 1 << 16;

/// Fewest sounding hops a query needs before it can match.
const MIN_ACTIVE: u32 = 10;

/// Prints of audio heard earlier in the call, and the matcher.
pub struct PrintStore {
    prints: Vec<u32>,
    capacity: usize,
}

impl PrintStore {
    /// Keeps at most `capacity` hops of prints (the oldest are dropped first).
    pub fn new(capacity: usize) -> Self {
        Self {
            prints: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// Remembers one hop.
    pub fn push(&mut self, print: u16, active: bool) {
        if self.prints.len() == self.capacity {
            // Forget the oldest tenth at once, so dropping is rare and cheap.
            self.prints.drain(..self.capacity / 10);
        }
        self.prints
            .push(print as u32 | if active { ACTIVE } else { 0 });
    }

    /// Number of stored hops.
    pub fn len(&self) -> usize {
        self.prints.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.prints.is_empty()
    }

    /// Forgets everything (a new call).
    pub fn clear(&mut self) {
        self.prints.clear();
    }

    /// Smallest bit error rate of `query` (prints with their activity, as stored) against any
    /// stored run, excluding the newest `exclude` hops so a sound never matches itself. Only hops
    /// that sound in both count; a stored silent hop against a sounding query hop counts as a full
    /// mismatch. 0.5 is chance, and also the answer when the query has too little sound.
    /// Returns the rate and the number of bits compared (0 when nothing was compared).
    pub fn best_match(&self, query: &[(u16, bool)], exclude: usize) -> (f32, u32) {
        let n = self.prints.len().saturating_sub(exclude);
        let active = query.iter().filter(|q| q.1).count() as u32;
        if active < MIN_ACTIVE || n < query.len() {
            return (0.5, 0);
        }
        let bits = active * 16;
        let mut best = u32::MAX;
        for start in 0..=n - query.len() {
            let run = &self.prints[start..start + query.len()];
            let mut d = 0u32;
            for (s, &(q, qa)) in run.iter().zip(query) {
                if !qa {
                    continue;
                }
                d += if s & ACTIVE != 0 {
                    ((*s as u16) ^ q).count_ones()
                } else {
                    16
                };
                if d >= best {
                    break;
                }
            }
            best = best.min(d);
        }
        (best as f32 / bits as f32, bits)
    }
}
