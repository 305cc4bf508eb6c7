//! Spectral features of the far-end signal, one vector per hop.
//!
//! Everything runs at [`ANALYSIS_RATE`](super::frame::ANALYSIS_RATE) on 64 ms Hann frames every 16 ms, so an 8 kHz G.711 call and a
//! 48 kHz Opus call are measured on the same telephone band. Features are ratios and shapes rather
//! than absolute levels wherever possible, because far-end levels vary by 30 dB between lines.
//!
//! Per frame: band energy, spectral flatness, flux, centroid, the age of sustained spectral peaks
//! (music holds notes, speech glides) and how much of the energy sits in a few narrow peaks (call
//! progress tones). Over a one-second context: energy spread, the share of low-energy frames (speech
//! pauses), the 3–6 Hz syllabic modulation of the envelope, and running means of the frame measures.
//! Over a three-second context ([`CONTEXT_SECONDS`], restarted at every silence gap so that a new
//! sound is not judged by the last one): the same pause share and level and flux spread, how
//! stable the fine structure stays, and how much of the context is filled. Speech comes in
//! phrases with pauses; a music bed does not stop, whatever its timbre, and that long view is what
//! carries over to music no corpus has.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

use super::frame::{ANALYSIS_RATE, BINS, FRAME, HOP};

/// First and last bin of the telephone band (about 300–3400 Hz).
pub const BAND_LO: usize = 19;
/// See [`BAND_LO`].
pub const BAND_HI: usize = 218;
/// Half-width of the smoothing that separates the spectral envelope from the fine structure (bins).
const ENV_HALF: usize = 4;
/// Inactive hops that make a gap between two sounds (about 100 ms).
const GAP_HOPS: u32 = 6;
/// Hops between the frames compared for fine-structure stability (32 ms).
const FS_LAG: usize = 2;
/// Level reported for digital silence (dBFS).
pub const FLOOR_DB: f32 = -100.0;
/// Hops of steady pure lines that make a call-progress tone (64 ms on top of the 64 ms frame: a
/// dialled DTMF digit of 100 ms qualifies, the 40 ms minimum of the standard does not).
pub const TONE_HOPS: usize = 4;

/// Long context: about one second of hops.
pub const LONG: usize = 62;
/// Short context: about a quarter second of hops.
pub const SHORT: usize = 16;
/// Extra-long context: about three seconds of hops, cut short by a gap of silence (music that
/// stops and a voice that follows are two sounds).
pub const XL: usize = 188;

/// How far back (seconds) the sound a hop's features depend on reaches: the longest context
/// and the frame under its oldest hop. (The noise floor remembers longer, but only faintly.)
pub const CONTEXT_SECONDS: f64 = (FRAME + (XL - 1) * HOP) as f64 / ANALYSIS_RATE as f64;

/// Number of values in [`Features::vector`].
pub const N_FEATURES: usize = 24;

/// Names of the model inputs, in [`Features::vector`] order (for dumps and the trainer).
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "snr_db",
    "flatness",
    "flux",
    "peak_age",
    "tonal_share",
    "l_level_std",
    "l_low_energy",
    "l_mod4",
    "l_flatness",
    "l_flux_std",
    "l_peak_age",
    "l_centroid_std",
    "s_flux",
    "s_peak_age",
    "s_level_std",
    "stability",
    "s_stability",
    "l_stability",
    "level_rise",
    "xl_low_energy",
    "xl_level_std",
    "xl_flux_std",
    "xl_stability",
    "xl_fill",
];

/// What the analyser measured for one hop.
#[derive(Clone, Copy, Debug, Default)]
pub struct Features {
    /// Band level of this frame (dBFS).
    pub level_db: f32,
    /// Frame level above the tracked noise floor (dB).
    pub snr_db: f32,
    /// Spectral flatness of the band, 0 (one line) to 1 (white noise).
    pub flatness: f32,
    /// Mean absolute change of the log spectrum against the previous frame.
    pub flux: f32,
    /// Energy-weighted age of the current spectral peaks, in hops (capped).
    pub peak_age: f32,
    /// Share of the band energy within one bin of the three strongest peaks.
    pub tonal_share: f32,
    /// Spectral centroid in kHz.
    pub centroid_khz: f32,
    /// Correlation of the spectral fine structure (harmonics, partials) with the frame 32 ms
    /// earlier: sustained notes keep it near 1, gliding speech harmonics and noise near 0.
    pub stability: f32,
    /// Mean stability over the active hops of the short and long contexts.
    pub s_stability: f32,
    pub l_stability: f32,
    /// Mean level of the last quarter second over that of the last second (dB): a voice
    /// joining the music raises it, a ducked bed under an announcement much less.
    pub level_rise: f32,
    /// Context measures (see module docs).
    pub l_level_std: f32,
    pub l_low_energy: f32,
    pub l_mod4: f32,
    pub l_flatness: f32,
    pub l_flux_std: f32,
    pub l_peak_age: f32,
    pub l_centroid_std: f32,
    pub s_flux: f32,
    pub s_peak_age: f32,
    pub s_level_std: f32,
    /// Extra-long context (since the last gap, at most [`XL`] hops): share of quiet hops, level
    /// and flux spread, mean stability, and how much of the window there is (0–1).
    pub xl_low_energy: f32,
    pub xl_level_std: f32,
    pub xl_flux_std: f32,
    pub xl_stability: f32,
    pub xl_fill: f32,
    /// Consecutive hops (capped at 255) in which one or two steady narrow lines carry almost all
    /// the energy, at any frequency.
    pub lines_run: u8,
    /// The same, with the lines at network-tone frequencies: the signature of call-progress tones
    /// (ringback, busy, DTMF, SIT).
    pub tone_run: u8,
    /// The 16-bit spectral fingerprint of this hop (see `fingerprint`).
    pub print: u16,
    /// The frame carries sound clearly above the noise floor.
    pub active: bool,
}

impl Features {
    /// The model inputs, scaled to roughly unit range. Levels enter only as ratios.
    pub fn vector(&self) -> [f32; N_FEATURES] {
        // No absolute level: the same call 3 dB quieter must be heard the same way.
        [
            self.snr_db / 20.0,
            self.flatness * 4.0,
            self.flux,
            self.peak_age / 10.0,
            self.tonal_share * 2.0,
            self.l_level_std / 10.0,
            self.l_low_energy * 2.0,
            self.l_mod4 * 4.0,
            self.l_flatness * 4.0,
            self.l_flux_std * 2.0,
            self.l_peak_age / 10.0,
            self.l_centroid_std * 2.0,
            self.s_flux,
            self.s_peak_age / 10.0,
            self.s_level_std / 10.0,
            self.stability * 2.0,
            self.s_stability * 2.0,
            self.l_stability * 2.0,
            self.level_rise / 10.0,
            self.xl_low_energy * 2.0,
            self.xl_level_std / 10.0,
            self.xl_flux_std * 2.0,
            self.xl_stability * 2.0,
            self.xl_fill,
        ]
    }
}

/// Frequencies (Hz) of network tones: dial, ringback, busy and call-waiting tones of the ITU-T
/// E.180 list (350–620 Hz), the DTMF rows and columns (Q.23), and the special information tones
/// (913.8/985.2/1370.6/1428.5/1776.7 Hz in North America, 950/1400/1800 Hz in Europe).
const TONE_HZ: [f32; 23] = [
    350.0, 400.0, 425.0, 440.0, 450.0, 480.0, 620.0, 697.0, 770.0, 852.0, 913.8, 941.0, 950.0,
    985.2, 1209.0, 1336.0, 1370.6, 1400.0, 1428.5, 1477.0, 1633.0, 1776.7, 1800.0,
];

/// Whether the strongest bin `k` can be a network tone's: within the 1.8 % a DTMF receiver must
/// accept (Q.24 allows senders 1.5 %), plus the half bin a peak's bin can be off by, of a
/// frequency in [`TONE_HZ`].
fn is_tone_frequency(k: usize) -> bool {
    let bin = ANALYSIS_RATE as f32 / FRAME as f32;
    let f = k as f32 * bin;
    TONE_HZ
        .iter()
        .any(|&t| (f - t).abs() <= 0.5 * bin + 0.018 * t)
}

/// Fixed-size ring of recent values with O(1) push and cheap windowed statistics.
#[derive(Clone)]
struct Ring {
    buf: Vec<f32>,
    pos: usize,
    len: usize,
}

impl Ring {
    fn new(n: usize) -> Self {
        // Every value is written twice, `n` apart, so the last `n` are always one contiguous
        // slice: the per-hop means and spreads then run over plain slices.
        Self {
            buf: vec![0.0; 2 * n],
            pos: 0,
            len: 0,
        }
    }
    fn cap(&self) -> usize {
        self.buf.len() / 2
    }
    fn push(&mut self, v: f32) {
        let cap = self.cap();
        self.buf[self.pos] = v;
        self.buf[self.pos + cap] = v;
        self.pos = (self.pos + 1) % cap;
        self.len = (self.len + 1).min(cap);
    }
    /// The last `n` values, oldest first.
    fn last(&self, n: usize) -> &[f32] {
        let n = n.min(self.len);
        let end = self.pos + self.cap();
        &self.buf[end - n..end]
    }
    fn mean(&self, n: usize) -> f32 {
        let n2 = n.min(self.len).max(1);
        sum_map(self.last(n), |v| v) / n2 as f32
    }
    fn std(&self, n: usize) -> f32 {
        let m = self.mean(n);
        let n2 = n.min(self.len).max(1);
        (sum_map(self.last(n), |v| (v - m) * (v - m)) / n2 as f32).sqrt()
    }
}

/// Lanes of the sums below: eight independent accumulators the compiler turns into one vector
/// register. A plain `sum()` must add in order (float addition does not reassociate), one
/// dependent add at a time, and the hop's dozen reductions were most of its cost.
const LANES: usize = 8;

/// Σ f(a[i]), summed in [`LANES`] lanes.
#[inline(always)]
fn sum_map(a: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let (chunks, rest) = a.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for c in chunks {
        for l in 0..LANES {
            acc[l] += f(c[l]);
        }
    }
    acc.iter().sum::<f32>() + rest.iter().map(|&x| f(x)).sum::<f32>()
}

/// Σ f(a[i], b[i]) over the shorter of the two, summed in [`LANES`] lanes.
#[inline(always)]
pub(crate) fn sum_zip(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    let n = a.len().min(b.len());
    let (ca, ra) = a[..n].as_chunks::<LANES>();
    let (cb, rb) = b[..n].as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in ca.iter().zip(cb) {
        for l in 0..LANES {
            acc[l] += f(x[l], y[l]);
        }
    }
    acc.iter().sum::<f32>() + ra.iter().zip(rb).map(|(&x, &y)| f(x, y)).sum::<f32>()
}

/// The largest element (or `init` when all are smaller), in [`LANES`] lanes.
#[inline(always)]
fn max_of(a: &[f32], init: f32) -> f32 {
    let (chunks, rest) = a.as_chunks::<LANES>();
    let mut acc = [init; LANES];
    for c in chunks {
        for l in 0..LANES {
            acc[l] = if c[l] > acc[l] { c[l] } else { acc[l] };
        }
    }
    let m = acc.iter().fold(init, |m, &x| if x > m { x } else { m });
    rest.iter().fold(m, |m, &x| if x > m { x } else { m })
}

/// Natural logarithm, to about 1e-4: the features need shapes, not digits, and this is several
/// times faster than `f32::ln` on the 450 bins a hop.
#[inline]
pub fn fast_ln(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    // ln(m) on [1, 2) by a quartic fit.
    let ln_m = -1.741_793_9
        + (2.821_202_6 + (-1.469_956_8 + (0.447_179_55 - 0.056_570_85 * m) * m) * m) * m;
    e as f32 * std::f32::consts::LN_2 + ln_m
}

/// Index and value of the largest element (the first, if several are equal).
fn argmax(v: &[f32]) -> (usize, f32) {
    // The maximum in lanes, then one scan for where it is: no data-dependent branch per bin.
    let m = max_of(v, f32::MIN);
    if m > f32::MIN {
        (v.iter().position(|&x| x == m).unwrap_or(0), m)
    } else {
        (0, f32::MIN)
    }
}

/// Index of the largest element outside ±4 of `skip`.
fn argmax_except(v: &[f32], skip: usize) -> usize {
    let lo = skip.saturating_sub(4);
    let hi = (skip + 5).min(v.len());
    let (a, av) = argmax(&v[..lo]);
    let (b, bv) = argmax(&v[hi..]);
    if av >= bv {
        a
    } else {
        hi + b
    }
}

fn active_mean(v: &Ring, active: &Ring, n: usize) -> f32 {
    let sum = sum_zip(v.last(n), active.last(n), |x, a| x * a);
    let cnt = sum_map(active.last(n), |a| a);
    if cnt > 0.0 {
        sum / cnt
    } else {
        0.0
    }
}

/// Turns analysis-rate samples into one [`Features`] per hop.
pub struct FeatureExtractor {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    frame: Vec<f32>,
    scratch: Vec<Complex32>,
    spectrum: Vec<Complex32>,
    fill: Vec<f32>,
    power: Vec<f32>,
    log_prev: Vec<f32>,
    log_cur: Vec<f32>,
    peak_age: Vec<u16>,
    peak_age_next: Vec<u16>,
    is_peak: Vec<bool>,
    noise_floor_db: f32,
    level: Ring,
    /// Band power of the same hops (linear), for the share of quiet frames.
    level_lin: Ring,
    flat: Ring,
    flux: Ring,
    age: Ring,
    centroid: Ring,
    stab: Ring,
    stab_active: Ring,
    quiet_run: u32,
    /// Hops since the last gap of silence (the extra-long context's reach).
    since_gap: u32,
    xl_level: Ring,
    xl_lin: Ring,
    xl_flux: Ring,
    xl_stab: Ring,
    xl_active: Ring,
    /// Masked fine structure of the last `FS_LAG + 1` frames (ring).
    fine: Vec<Vec<f32>>,
    fine_pos: usize,
    /// The two strongest lines of the last hop.
    line_bins: (usize, usize),
    /// The last hop's tone lines: the same line twice for a single tone.
    tone_bins: (usize, usize),
    lines_run: u8,
    tone_run: u8,
    fp: crate::dsp::fingerprint::Printer,
    /// cos and sin of the 1..=15 Hz analysis frequencies over one long context.
    mod_table: Vec<([f32; LONG], [f32; LONG])>,
    /// Each bin's index as a float, for the centroid.
    bin_index: Vec<f32>,
    norm: f32,
    hops: u64,
}

impl Default for FeatureExtractor {
    fn default() -> Self {
        Self::new()
    }
}

impl FeatureExtractor {
    /// Allocates every buffer up front; `push` allocates nothing after that.
    pub fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(FRAME);
        let window: Vec<f32> = (0..FRAME)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / FRAME as f32).cos())
            .collect();
        let wsum: f32 = window.iter().map(|w| w * w).sum();
        Self {
            scratch: fft.make_scratch_vec(),
            spectrum: fft.make_output_vec(),
            fft,
            norm: 2.0 / (FRAME as f32 * wsum),
            window,
            frame: vec![0.0; FRAME],
            fill: Vec::with_capacity(FRAME),
            power: vec![0.0; BINS],
            log_prev: vec![0.0; BINS],
            log_cur: vec![0.0; BINS],
            peak_age: vec![0; BINS],
            peak_age_next: vec![0; BINS],
            is_peak: vec![false; BINS],
            noise_floor_db: -60.0,
            level: Ring::new(LONG),
            level_lin: Ring::new(LONG),
            flat: Ring::new(LONG),
            flux: Ring::new(LONG),
            age: Ring::new(LONG),
            centroid: Ring::new(LONG),
            stab: Ring::new(LONG),
            stab_active: Ring::new(LONG),
            quiet_run: 0,
            since_gap: 0,
            xl_level: Ring::new(XL),
            xl_lin: Ring::new(XL),
            xl_flux: Ring::new(XL),
            xl_stab: Ring::new(XL),
            xl_active: Ring::new(XL),
            fine: vec![vec![0.0; BAND_HI - BAND_LO + 1]; FS_LAG + 1],
            fine_pos: 0,
            line_bins: (0, 0),
            tone_bins: (0, 0),
            lines_run: 0,
            tone_run: 0,
            fp: crate::dsp::fingerprint::Printer::new(),
            mod_table: (1..=15)
                .map(|f| {
                    let w = std::f32::consts::TAU * f as f32 * HOP as f32 / ANALYSIS_RATE as f32;
                    (
                        std::array::from_fn(|i| (w * i as f32).cos()),
                        std::array::from_fn(|i| (w * i as f32).sin()),
                    )
                })
                .collect(),
            bin_index: (0..BINS).map(|k| k as f32).collect(),
            hops: 0,
        }
    }

    /// Feeds samples at [`ANALYSIS_RATE`]; calls `emit` once per completed hop.
    pub fn push(&mut self, samples: &[f32], mut emit: impl FnMut(&Features)) {
        for &s in samples {
            self.fill.push(s);
            if self.fill.len() == HOP {
                // Slide the frame by one hop and append the new samples.
                self.frame.copy_within(HOP.., 0);
                self.frame[FRAME - HOP..].copy_from_slice(&self.fill);
                self.fill.clear();
                let f = self.analyse();
                emit(&f);
            }
        }
    }

    fn analyse(&mut self) -> Features {
        self.hops += 1;
        let mut input = [0.0f32; FRAME];
        let input = &mut input;
        for ((o, x), w) in input.iter_mut().zip(&self.frame).zip(&self.window) {
            *o = x * w;
        }
        self.fft
            .process_with_scratch(input, &mut self.spectrum, &mut self.scratch)
            .expect("buffers come from the planner");
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            *p = c.norm_sqr() * self.norm;
        }
        let band = &self.power[BAND_LO..=BAND_HI];
        let total = sum_map(band, |p| p);
        let level_db = if total > 1e-10 {
            (10.0 * total.log10()).max(FLOOR_DB)
        } else {
            FLOOR_DB
        };

        // Noise floor: follows drops at once and rises slowly (about 3 dB/s), so pauses between
        // words pull it down while sustained sound only nudges it up.
        if level_db < self.noise_floor_db {
            self.noise_floor_db = level_db;
        } else {
            self.noise_floor_db += 0.05;
        }
        let snr_db = (level_db - self.noise_floor_db).max(0.0);

        // Flatness and centroid over the band.
        let n = band.len() as f32;
        let mean = total / n + 1e-12;
        let log_mean = sum_map(band, |p| fast_ln(p + 1e-12)) / n;
        let flatness = (log_mean.exp() / mean).clamp(0.0, 1.0);
        let centroid_hz = if total > 1e-10 {
            sum_zip(band, &self.bin_index[BAND_LO..=BAND_HI], |p, k| p * k) / total
                * (ANALYSIS_RATE as f32 / FRAME as f32)
        } else {
            0.0
        };

        // Log spectrum with a floor 40 dB under the frame mean, so background hiss does not
        // dominate the flux of quiet frames.
        let floor = mean * 1e-4 + 1e-10;
        std::mem::swap(&mut self.log_prev, &mut self.log_cur);
        for (l, p) in self.log_cur.iter_mut().zip(&self.power) {
            *l = fast_ln(p + floor);
        }
        let active = level_db > -70.0 && snr_db > 6.0;
        let flux = if self.hops > 1 && active {
            sum_zip(
                &self.log_cur[BAND_LO..=BAND_HI],
                &self.log_prev[BAND_LO..=BAND_HI],
                |a, b| (a - b).abs(),
            ) / n
        } else {
            0.0
        };

        // Spectral peaks: local maxima at least 10 dB over the bins two away on both sides and
        // within 30 dB of the strongest bin.
        let pmax = max_of(band, 0.0);
        self.is_peak.fill(false);
        if active {
            let thr = pmax * 1e-3;
            for (k, w) in (BAND_LO..=BAND_HI).zip(self.power[BAND_LO - 2..=BAND_HI + 2].windows(5))
            {
                // Non-short-circuit `&`: a peak test per bin without a branch per comparison
                // (powers are never NaN, so the comparisons mean what they say).
                let p = w[2];
                self.is_peak[k] =
                    (p >= thr) & (p >= w[1]) & (p >= w[3]) & (p > 10.0 * w[0]) & (p > 10.0 * w[4]);
            }
        }
        let mut age_w = 0.0f32;
        let mut age_e = 0.0f32;
        let mut top = [(0.0f32, 0usize); 3];
        // Peaks only exist inside the band.
        self.peak_age_next.fill(0);
        for k in BAND_LO..=BAND_HI {
            if !self.is_peak[k] {
                continue;
            }
            let prev = self.peak_age[k - 1]
                .max(self.peak_age[k])
                .max(self.peak_age[k + 1]);
            let a = (prev + 1).min(30);
            self.peak_age_next[k] = a;
            let p = self.power[k];
            age_w += p * a as f32;
            age_e += p;
            if p > top[2].0 {
                top[2] = (p, k);
                top.sort_by(|a, b| b.0.total_cmp(&a.0));
            }
        }
        std::mem::swap(&mut self.peak_age, &mut self.peak_age_next);
        let peak_age = if age_e > 0.0 { age_w / age_e } else { 0.0 };
        let tonal: f32 = top
            .iter()
            .filter(|(p, _)| *p > 0.0)
            .map(|&(_, k)| self.power[k - 1] + self.power[k] + self.power[k + 1])
            .sum();
        let tonal_share = if total > 1e-10 && active {
            (tonal / total).min(1.0)
        } else {
            0.0
        };

        let stability = if active { self.fine_structure() } else { 0.0 };
        self.track_tone(active, total);
        self.stab.push(stability);
        // A gap of silence ends a sound: what follows (an agent after the music stopped) is judged
        // on its own, not averaged with the notes before the gap.
        self.quiet_run = if active {
            0
        } else {
            self.quiet_run.saturating_add(1)
        };
        if self.quiet_run == GAP_HOPS {
            self.stab_active.buf.iter_mut().for_each(|a| *a = 0.0);
            self.xl_active.buf.iter_mut().for_each(|a| *a = 0.0);
            self.since_gap = 0;
        }
        self.since_gap = self.since_gap.saturating_add(1);
        self.stab_active.push(active as u8 as f32);
        self.xl_active.push(active as u8 as f32);

        self.level.push(level_db.max(-80.0));
        self.xl_level.push(level_db.max(-80.0));
        self.xl_lin
            .push(if level_db > -80.0 { total } else { 1e-8 });
        self.xl_flux.push(flux);
        self.xl_stab.push(stability);
        self.level_lin
            .push(if level_db > -80.0 { total } else { 1e-8 });
        self.flat.push(if active { flatness } else { 0.5 });
        self.flux.push(flux);
        self.age.push(peak_age);
        self.centroid.push(centroid_hz / 1000.0);

        // Context: spread of level, share of quiet frames, syllabic modulation.
        let quiet = self.level_lin.mean(LONG) * 0.1;
        let l_low_energy =
            sum_map(self.level_lin.last(LONG), |p| (p < quiet) as u8 as f32) / LONG as f32;
        let l_mod4 = modulation(&self.level, &self.mod_table);
        let xn = (self.since_gap as usize).min(XL);
        let xl_quiet = self.xl_lin.mean(xn) * 0.1;
        let xl_low_energy =
            sum_map(self.xl_lin.last(xn), |p| (p < xl_quiet) as u8 as f32) / xn.max(1) as f32;

        Features {
            level_db,
            snr_db,
            flatness,
            flux,
            peak_age,
            tonal_share,
            centroid_khz: centroid_hz / 1000.0,
            l_level_std: self.level.std(LONG),
            l_low_energy,
            l_mod4,
            l_flatness: self.flat.mean(LONG),
            l_flux_std: self.flux.std(LONG),
            l_peak_age: self.age.mean(LONG),
            l_centroid_std: self.centroid.std(LONG),
            s_flux: self.flux.mean(SHORT),
            s_peak_age: self.age.mean(SHORT),
            s_level_std: self.level.std(SHORT),
            xl_low_energy,
            xl_level_std: self.xl_level.std(xn),
            xl_flux_std: self.xl_flux.std(xn),
            xl_stability: active_mean(&self.xl_stab, &self.xl_active, XL),
            xl_fill: xn as f32 / XL as f32,
            stability,
            s_stability: active_mean(&self.stab, &self.stab_active, SHORT),
            l_stability: active_mean(&self.stab, &self.stab_active, LONG),
            level_rise: {
                let short = self.level_lin.mean(SHORT);
                let long = self.level_lin.mean(LONG);
                (10.0 * ((short + 1e-10) / (long + 1e-10)).log10()).clamp(-20.0, 20.0)
            },
            lines_run: self.lines_run,
            tone_run: self.tone_run,
            print: self.fp.print(&self.power),
            active,
        }
    }

    /// Counts hops in which at most two narrow lines (±2 bins) hold 95 % of the band energy at the
    /// same frequencies as in the hop before.
    fn track_tone(&mut self, active: bool, total: f32) {
        let band = &self.power[BAND_LO..=BAND_HI];
        let line = |k: usize| self.power[k - 2..=k + 2].iter().sum::<f32>();
        let k1 = BAND_LO + argmax(band).0;
        let k2 = BAND_LO + argmax_except(band, k1 - BAND_LO);
        let (l1, l2) = (line(k1), line(k2));
        let share = if total > 0.0 { (l1 + l2) / total } else { 0.0 };
        let (a, b) = if k1 < k2 { (k1, k2) } else { (k2, k1) };
        let steady = |(a, b): (usize, usize), (pa, pb): (usize, usize)| {
            a.abs_diff(pa) <= 1 && b.abs_diff(pb) <= 1
        };
        let run = |n: u8, on: bool, steady: bool| match (on, steady) {
            (false, _) => 0,
            (true, true) => n.saturating_add(1),
            (true, false) => 1,
        };
        let lines = active && share > 0.95;
        // The second line only counts when it carries something: a single tone's "second line" is
        // its leakage or the line's noise, and lands on another bin every hop, which must not
        // break the tone (EU ringback over a noisy line).
        let second = l2 >= 0.05 * total;
        let tone_bins = if second { (a, b) } else { (k1, k1) };
        // Network tones sit at a handful of standard frequencies; a held vowel or a flute note
        // concentrated in one or two harmonics elsewhere is not one.
        let standard = is_tone_frequency(k1) && (!second || is_tone_frequency(k2));
        // `lines_run` keeps its plain two-peak test: it only chooses the hops the trainer leaves
        // out, and the checked-in weights were fitted with it.
        self.lines_run = run(self.lines_run, lines, steady((a, b), self.line_bins));
        self.tone_run = run(
            self.tone_run,
            lines && standard,
            steady(tone_bins, self.tone_bins),
        );
        self.line_bins = (a, b);
        self.tone_bins = tone_bins;
    }

    /// Stores this frame's fine structure and correlates it with the one [`FS_LAG`] hops back.
    fn fine_structure(&mut self) -> f32 {
        let lo = BAND_LO;
        let n = BAND_HI - BAND_LO + 1;
        let log = &self.log_cur;
        let max = max_of(&log[lo..lo + n], f32::MIN);
        let slot = self.fine_pos;
        self.fine_pos = (self.fine_pos + 1) % self.fine.len();
        let cur = &mut self.fine[slot];
        // Envelope: moving average of 2*ENV_HALF+1 bins, kept as a running sum.
        let width = (2 * ENV_HALF + 1) as f32;
        let mut run: f32 = log[lo - ENV_HALF..=lo + ENV_HALF].iter().sum();
        for (j, c) in cur.iter_mut().enumerate() {
            let k = lo + j;
            if j > 0 {
                run += log[k + ENV_HALF] - log[k - ENV_HALF - 1];
            }
            // Only bins within ~35 dB of the strongest carry structure worth comparing.
            *c = if log[k] > max - 8.0 {
                log[k] - run / width
            } else {
                0.0
            };
        }
        let old = &self.fine[(slot + 1) % self.fine.len()];
        let cur = &self.fine[slot];
        let ab = sum_zip(cur, old, |a, b| a * b);
        let aa = sum_map(cur, |a| a * a);
        let bb = sum_map(old, |b| b * b);
        if aa * bb > 1e-12 {
            ab / (aa * bb).sqrt()
        } else {
            0.0
        }
    }
}

/// Share of an envelope's 1–15 Hz modulation power that falls in 3–6 Hz (syllable rate), over
/// the last long context.
fn modulation(ring: &Ring, table: &[([f32; LONG], [f32; LONG])]) -> f32 {
    if ring.len < LONG {
        return 0.0;
    }
    let mean = ring.mean(LONG);
    let mut env = [0.0f32; LONG];
    for (e, v) in env.iter_mut().zip(ring.last(LONG)) {
        *e = v - mean;
    }
    let mut syll = 0.0;
    let mut all = 1e-6;
    for (f, t) in (1..=15).zip(table) {
        let re = sum_zip(&env, &t.0, |v, c| v * c);
        let im = sum_zip(&env, &t.1, |v, s| v * s);
        let p = re * re + im * im;
        all += p;
        if (3..=6).contains(&f) {
            syll += p;
        }
    }
    syll / all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_ln_is_close() {
        for &x in &[1e-10f32, 1e-6, 0.001, 0.5, 1.0, 1.5, 2.0, 10.0, 12345.0] {
            assert!(
                (fast_ln(x) - x.ln()).abs() < 1e-3,
                "{x}: {} vs {}",
                fast_ln(x),
                x.ln()
            );
        }
    }

    #[test]
    fn a_steady_tone_is_stable_and_tonal() {
        let mut fx = FeatureExtractor::new();
        let x: Vec<f32> = (0..8000)
            .map(|i| 0.3 * (i as f32 * 425.0 * std::f32::consts::TAU / 8000.0).sin())
            .collect();
        let mut last = Features::default();
        fx.push(&x, |f| last = *f);
        assert!(last.tone_run as usize >= TONE_HOPS);
        assert!(last.stability > 0.9, "{}", last.stability);
        assert!((last.level_db - -13.5).abs() < 1.0, "{}", last.level_db);
    }

    /// The longest run of tone hops over `x` (8 kHz).
    fn longest_tone_run(x: &[f32]) -> usize {
        let mut fx = FeatureExtractor::new();
        let mut best = 0;
        fx.push(x, |f| best = best.max(f.tone_run as usize));
        best
    }

    fn sines(freqs: &[f32], seconds: f32) -> Vec<f32> {
        (0..(seconds * 8000.0) as usize)
            .map(|i| {
                freqs
                    .iter()
                    .map(|f| 0.2 * (i as f32 * f * std::f32::consts::TAU / 8000.0).sin())
                    .sum()
            })
            .collect()
    }

    #[test]
    fn every_dtmf_digit_is_a_tone_within_the_senders_tolerance() {
        let tones = TONE_HOPS;
        for (i, row) in [697.0f32, 770.0, 852.0, 941.0].iter().enumerate() {
            for (j, col) in [1209.0f32, 1336.0, 1477.0, 1633.0].iter().enumerate() {
                // 100 ms digits, off by the 1.5 % a sender may be, either way.
                let dev = if (i + j) % 2 == 0 { 1.015 } else { 0.985 };
                let mut x = vec![0.0; 800];
                x.extend(sines(&[row * dev, col * dev], 0.1));
                x.extend(vec![0.0; 800]);
                assert!(longest_tone_run(&x) >= tones, "{row}+{col} Hz ×{dev}");
            }
        }
    }

    #[test]
    fn a_ringback_tone_over_line_noise_stays_one_tone() {
        // EU ringback as a line delivers it: 425 Hz over faint noise. The tone's weak "second line"
        // then lands on a different noise bin every hop, which must not break the run.
        let mut seed = 1u32;
        let x: Vec<f32> = sines(&[425.0], 1.0)
            .iter()
            .map(|s| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                s + 0.002 * ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5)
            })
            .collect();
        // Every hop once the first frame is full.
        assert!(longest_tone_run(&x) >= 55, "{}", longest_tone_run(&x));
    }

    #[test]
    fn steady_lines_away_from_network_tones_are_not_one() {
        // A held vowel whose energy sits in two harmonics of 150 Hz, and a flute-like note.
        assert_eq!(longest_tone_run(&sines(&[600.0, 750.0], 1.0)), 0);
        assert_eq!(longest_tone_run(&sines(&[523.3], 1.0)), 0);
        // Special information tones, as a control: each of the three segments is one.
        for f in [913.8, 1370.6, 1776.7, 950.0, 1400.0, 1800.0] {
            assert!(longest_tone_run(&sines(&[f], 0.33)) >= 4, "{f} Hz");
        }
    }
}
