//! The path from the microphone callback to the virtual-microphone callback.
//!
//! The capture side pushes samples into a lock-free ring; the playback side pops them, applies the
//! gate according to an atomic "muted" flag that the engine thread sets, and fills any shortfall
//! with silence rather than waiting. Both halves are allocation-free after construction.
//!
//! The microphone and the output may run on different clocks, and the sound server may run one
//! side's period twice or skip one, so the ring would slowly fill (latency creeps) or empty
//! (underruns). The playback side therefore watches the cushion — the least the ring holds after
//! a read, over half-second windows:
//!
//! - more than the target plus a margin: the excess is dropped at once while the gate is closed,
//!   or across room tone while it is open (never inside speech); if it still grows (a fast
//!   microphone clock under continuous sound), reads go up to 300 ppm faster;
//! - half of it gone: reads go 300 ppm slower, with linear interpolation between samples,
//!   until it is whole again;
//! - in between, jitter leaves the ratio at exactly 1 and samples pass bit for bit (after a
//!   spell of reading faster or slower, from the next room tone or closed gate on).
//!
//! The target itself adapts like a jitter buffer: an underrun (a callback came late) raises it
//! by what was missing, and every 20 calm seconds take a quarter off again, down to the smallest.
//! An underrun fades out what was playing and plays on: the microphone's late blocks usually
//! come in a burst that refills the ring, and the cushion still missing is rebuilt by holding the
//! next room tone (or closed gate) a little longer, never by inserting silence into speech. Each callback also records the
//! pipe's latency in a histogram of atomics, so the median can be reported without touching the
//! audio thread. Where both callbacks run in the sound server's graph cycles (PipeWire), their
//! cycle times make that latency exact: what a sample waits beyond the freshest block the output
//! could have played, whichever callback of a cycle runs first.
//!
//! An underrun is counted as the microphone's when, at the moment the output asked, the
//! microphone had delivered less than the output took since the ring was last primed, by more
//! than the cushion held: the ring had to run dry at a read ratio of 1. Anything else (reading
//! faster, shedding too much) would be the pipe's own fault, and the live test allows none.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use super::gate::Gate;

/// State shared between the callbacks and the rest of the program.
pub struct Shared {
    /// Set by the engine thread; read by the playback callback.
    pub muted: AtomicBool,
    /// Samples the playback side had to invent (the ring ran dry).
    pub underruns: AtomicU64,
    /// Of those, samples missing because the microphone delivered less than the output took, by
    /// more than the cushion held (its blocks came late or never): the rest would be the pipe's
    /// own doing (reading too fast, shedding too much).
    pub underruns_mic_short: AtomicU64,
    /// Samples the capture side had to drop (the ring was full).
    pub overruns: AtomicU64,
    /// Samples of graph cycles our microphone and output streams were not run for (PipeWire's
    /// cycle times skip ahead): sound the microphone never handed us, and blocks the softphone
    /// got without ours. The ring cannot see either; the cycle clock can. On PulseAudio the
    /// output's are the silence the server played while it waited for us
    /// (`audio::pulse_playback::PauseMeter`).
    pub mic_missed: AtomicU64,
    pub out_missed: AtomicU64,
    /// Times the sound server reported an xrun on one of our streams.
    pub xruns: AtomicU64,
    /// Far-end samples captured, and dropped because the engine fell behind.
    pub far_samples: AtomicU64,
    pub far_dropped: AtomicU64,
    /// Playback callbacks per latency bin of [`LATENCY_BIN_MS`] (the last bin: everything above).
    pub latency: [AtomicU64; LATENCY_BINS],
    /// The cushion the pipe aims at now, in samples.
    pub target: AtomicU64,
    /// Whether the callbacks' threads got real-time priority.
    pub priority: super::priority::Promotion,
    /// Samples of excess cushion dropped (while muted, or across room tone).
    pub shed: AtomicU64,
    /// Samples of room tone (or of a closed gate) held to rebuild the cushion after an underrun.
    pub padded: AtomicU64,
    /// The sound server's graph cycle (ns) of the latest microphone block, 0 if unknown.
    mic_cycle: AtomicU64,
    /// Whether the playback side is playing from the ring (not waiting for its cushion).
    primed: AtomicBool,
    /// Samples the microphone delivered since the start (never reset).
    mic_total: AtomicU64,
    /// Since the last [`Shared::take_window`] (see [`Window`]).
    in_block_max: AtomicU64,
    out_block_max: AtomicU64,
    in_samples: AtomicU64,
    out_samples: AtomicU64,
    fill_min: AtomicU64,
    fill_max: AtomicU64,
}

/// What the callbacks saw between two [`Shared::take_window`] calls, in samples: what a stats
/// line needs to explain latency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// Largest microphone and output blocks.
    pub in_block: u64,
    pub out_block: u64,
    /// Least and most the ring held after a read.
    pub fill_min: u64,
    pub fill_max: u64,
    /// Samples the microphone delivered and the output asked for.
    pub mic_gave: u64,
    pub out_took: u64,
}

/// Width of a latency histogram bin, milliseconds.
pub const LATENCY_BIN_MS: f64 = 0.5;
/// Number of latency bins (0–50 ms).
pub const LATENCY_BINS: usize = 100;

impl Default for Shared {
    fn default() -> Self {
        Self {
            muted: AtomicBool::new(false),
            underruns: AtomicU64::new(0),
            underruns_mic_short: AtomicU64::new(0),
            overruns: AtomicU64::new(0),
            mic_missed: AtomicU64::new(0),
            out_missed: AtomicU64::new(0),
            xruns: AtomicU64::new(0),
            far_samples: AtomicU64::new(0),
            far_dropped: AtomicU64::new(0),
            latency: std::array::from_fn(|_| AtomicU64::new(0)),
            target: AtomicU64::new(0),
            priority: Default::default(),
            shed: AtomicU64::new(0),
            padded: AtomicU64::new(0),
            mic_cycle: AtomicU64::new(0),
            primed: AtomicBool::new(false),
            mic_total: AtomicU64::new(0),
            in_block_max: AtomicU64::new(0),
            in_samples: AtomicU64::new(0),
            out_samples: AtomicU64::new(0),
            out_block_max: AtomicU64::new(0),
            fill_min: AtomicU64::new(u64::MAX),
            fill_max: AtomicU64::new(0),
        }
    }
}

impl Shared {
    /// Median pipe latency (ms) over all playback callbacks so far, if there were any.
    pub fn latency_median_ms(&self) -> Option<f64> {
        let counts: Vec<u64> = self
            .latency
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        let mut seen = 0;
        for (k, c) in counts.iter().enumerate() {
            seen += c;
            if total > 0 && seen * 2 >= total {
                return Some((k as f64 + 0.5) * LATENCY_BIN_MS);
            }
        }
        None
    }

    /// Forgets the latency histogram (to measure one stretch of time).
    pub fn reset_latency(&self) {
        self.latency
            .iter()
            .for_each(|c| c.store(0, Ordering::Relaxed));
    }

    /// What the callbacks saw since the last call; then starts a new window.
    pub fn take_window(&self) -> Window {
        let take = |a: &AtomicU64| a.swap(0, Ordering::Relaxed);
        let fill_min = self.fill_min.swap(u64::MAX, Ordering::Relaxed);
        Window {
            in_block: take(&self.in_block_max),
            out_block: take(&self.out_block_max),
            fill_min: if fill_min == u64::MAX { 0 } else { fill_min },
            fill_max: take(&self.fill_max),
            mic_gave: take(&self.in_samples),
            out_took: take(&self.out_samples),
        }
    }
}

/// Largest step away from a read ratio of 1: 300 ppm. Sound cards drift apart by well under
/// 100 ppm, and a skew this small keeps speech within 0.15 ms of itself over a second (1000 ppm
/// was tried: it caught up faster, but smeared speech enough to drop its correlation with the
/// microphone below 0.99 over tenths of a second).
const MAX_SKEW: f64 = 0.0003;
/// Skew per sample of cushion error (300 samples off target → the largest skew).
const SKEW_PER_SAMPLE: f64 = 1e-6;
/// Margin (2 ms at 48 kHz): a cushion below it is nearly gone; above the high mark by it, too big.
const DEADBAND: f64 = 96.0;
/// Seconds over which the smallest fill after a read is taken.
const WINDOW_S: f64 = 0.5;
/// Seconds without an underrun before the cushion shrinks by a quarter. Stalls of the sound
/// server come in bursts (a stream starting, a busy moment of the machine), and a cushion kept
/// for the rest of the call after one burst is latency the user pays for nothing: a minute per
/// eighth kept a half-hour soak at 22 ms median for three bursts.
const CALM_S: f64 = 20.0;
/// Seconds of calm after which a start-up cushion gives way to the smallest one.
const SETTLE_S: f64 = 10.0;
/// Per-sample decay of the last sample played while the ring is dry (−40 dB over 2 ms at 48 kHz).
const FADE: f32 = 0.952;
/// Below this (about −45 dBFS) a stretch of microphone signal is room tone: dropping some of it
/// to give back excess cushion cannot be heard.
const QUIET: f32 = 0.0056;

/// The capture half: lives in the microphone callback.
pub struct CaptureHalf {
    prod: HeapProd<f32>,
    shared: Arc<Shared>,
    clock: CycleClock,
    rate: f64,
}

/// Follows one stream's graph cycles and tells how many samples' worth of cycles it was skipped.
#[derive(Default)]
struct CycleClock {
    last_ns: u64,
    last_len: usize,
}

impl CycleClock {
    /// Samples of cycles between the last block and this one that the stream was not run for.
    /// A cycle arrives one block after the last, give or take the clocks' drift; two blocks or
    /// more after it means whole cycles went by without us.
    fn missed(&mut self, cycle_ns: u64, len: usize, rate: f64) -> u64 {
        let (last_ns, last_len) = (self.last_ns, self.last_len);
        self.last_ns = cycle_ns;
        self.last_len = len;
        if last_ns == 0 || last_len == 0 || cycle_ns <= last_ns {
            return 0;
        }
        let elapsed = (cycle_ns - last_ns) as f64 * rate / 1e9;
        let extra = elapsed - last_len as f64;
        if extra >= last_len as f64 / 2.0 {
            extra.round() as u64
        } else {
            0
        }
    }
}

/// The playback half: lives in the output callback.
pub struct PlaybackHalf {
    cons: HeapCons<f32>,
    clock: CycleClock,
    gate: Gate,
    shared: Arc<Shared>,
    primed: bool,
    /// Smallest cushion, and the one aimed at now (samples).
    min_target: usize,
    target: usize,
    max_target: usize,
    rate: f64,
    /// Smallest fill after a read in the current window, samples seen in it, and the smoothed
    /// minimum of past windows (the cushion) that sets the read ratio.
    window_min: usize,
    window_len: usize,
    avg: f64,
    /// The largest read seen (the output's period).
    max_block: usize,
    ratio: f64,
    /// Reading slower until the cushion is back at the target (set when half of it is gone).
    slowing: bool,
    /// After an underrun: the cushion is rebuilt at the next room tone or closed gate.
    rebuilding: bool,
    /// Interpolation state: output = prev + (next − prev)·phase.
    phase: f64,
    prev: f32,
    next: f32,
    /// Samples played since the last underrun.
    calm: u64,
    /// Still on the start-up cushion (see [`PlaybackHalf::settling_from`]).
    settling: bool,
    /// Cushion beyond the target seen over the last window: dropped while the gate is closed or
    /// the microphone is quiet, so a burst from the server does not stay as latency.
    excess: usize,
    /// Loudest sample of the last block played (before the gate).
    last_peak: f32,
    /// At the last priming: the ring's fill and the microphone's running total; and since: the
    /// samples the output asked for, and the excess shed.
    primed_with: usize,
    mic_mark: u64,
    took: u64,
    shed_since: u64,
}

/// Builds both halves for mono audio at `rate`, with `prefill` samples of latency cushion.
pub fn pipe(rate: u32, prefill: usize, shared: Arc<Shared>) -> (CaptureHalf, PlaybackHalf) {
    let capacity = (prefill * 8).max(rate as usize / 5);
    let (prod, cons) = HeapRb::<f32>::new(capacity).split();
    let open = !shared.muted.load(Ordering::Relaxed);
    shared.target.store(prefill as u64, Ordering::Relaxed);
    shared.primed.store(false, Ordering::Relaxed);
    (
        CaptureHalf {
            prod,
            shared: shared.clone(),
            clock: CycleClock::default(),
            rate: rate as f64,
        },
        PlaybackHalf {
            cons,
            clock: CycleClock::default(),
            gate: Gate::new(rate, 5.0, open),
            shared,
            primed: false,
            min_target: prefill,
            target: prefill,
            max_target: capacity / 2,
            rate: rate as f64,
            window_min: usize::MAX,
            window_len: 0,
            avg: prefill as f64,
            max_block: 0,
            ratio: 1.0,
            slowing: false,
            rebuilding: false,
            phase: 0.0,
            prev: 0.0,
            next: 0.0,
            calm: 0,
            settling: false,
            excess: 0,
            last_peak: 0.0,
            primed_with: 0,
            mic_mark: 0,
            took: 0,
            shed_since: 0,
        },
    )
}

impl CaptureHalf {
    /// Called from the microphone callback with mono samples captured in the sound server's
    /// graph cycle `cycle_ns` (see [`PlaybackHalf::fill_at`]).
    pub fn push_at(&mut self, samples: &[f32], cycle_ns: u64) {
        self.shared.mic_cycle.store(cycle_ns, Ordering::Relaxed);
        let missed = self.clock.missed(cycle_ns, samples.len(), self.rate);
        if missed > 0 {
            self.shared.mic_missed.fetch_add(missed, Ordering::Relaxed);
        }
        self.push(samples);
    }

    /// Called from the microphone callback with mono samples.
    pub fn push(&mut self, samples: &[f32]) {
        self.shared
            .in_block_max
            .fetch_max(samples.len() as u64, Ordering::Relaxed);
        self.shared
            .in_samples
            .fetch_add(samples.len() as u64, Ordering::Relaxed);
        let n = self.prod.push_slice(samples);
        // Counted once in the ring, so the playback side never counts a sample it cannot have.
        self.shared.mic_total.fetch_add(n as u64, Ordering::Relaxed);
        // Until the playback side primes nothing plays from the ring, and priming drops all but
        // the cushion anyway (a PulseAudio output asks for its first block, then waits half a
        // second to start): only a full ring while playing loses sound.
        if n < samples.len() && self.shared.primed.load(Ordering::Relaxed) {
            self.shared
                .overruns
                .fetch_add((samples.len() - n) as u64, Ordering::Relaxed);
        }
    }
}

impl PlaybackHalf {
    /// Called from the output callback: fills `out` (mono) with gated microphone audio.
    pub fn fill(&mut self, out: &mut [f32]) {
        self.fill_inner(out, None);
    }

    /// As [`PlaybackHalf::fill`], for an output that runs in the same graph cycles as the
    /// microphone (PipeWire schedules one client's streams together), `cycle_ns` being the cycle
    /// this block is for. The cycles tell how much of what waits in the ring is latency: the
    /// output prepares a block one cycle ahead, so the microphone's block of the cycle before is
    /// the freshest it could play; a microphone block already in for this cycle is not latency,
    /// and one still missing is.
    pub fn fill_at(&mut self, out: &mut [f32], cycle_ns: u64) {
        let missed = self.clock.missed(cycle_ns, out.len(), self.rate);
        if missed > 0 {
            self.shared.out_missed.fetch_add(missed, Ordering::Relaxed);
        }
        self.fill_inner(out, Some(cycle_ns));
    }

    fn fill_inner(&mut self, out: &mut [f32], cycle_ns: Option<u64>) {
        // Where the microphone stood when the output asked: its latest cycle (for the latency)
        // and what it had delivered (for telling whose an underrun is).
        let mic_cycle = self.shared.mic_cycle.load(Ordering::Relaxed);
        let mic_total = self.shared.mic_total.load(Ordering::Relaxed);
        if !self.primed {
            // Wait for the cushion plus this read (and the interpolator's one sample), so the
            // next callbacks do not underrun at once.
            let need = self.target + out.len() + 1;
            let have = self.cons.occupied_len();
            if have < need {
                out.iter_mut().for_each(|s| *s = 0.0);
                return;
            }
            // Anything beyond that is start-up backlog nobody has heard: drop it while still
            // silent. (The ring is primed once: after an underrun it plays on, see `underrun`.)
            self.cons.skip(have - need);
            self.primed = true;
            self.shared.primed.store(true, Ordering::Relaxed);
            self.ratio = 1.0;
            self.slowing = false;
            self.avg = self.target as f64;
            self.window_min = usize::MAX;
            self.window_len = 0;
            self.next = self.cons.try_pop().unwrap_or(0.0);
            self.excess = 0;
            self.primed_with = need;
            // A block pushed since `mic_total` was read is in `have`, and counts as delivered
            // again later: the attribution then errs against the pipe, not for it.
            self.mic_mark = mic_total;
            self.took = 0;
            self.shed_since = 0;
        }
        self.shed_excess(out.len());
        let pad = self.pad_deficit(out.len());
        self.took += (out.len() - pad) as u64;
        self.realign();
        let mut short = 0u64;
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.prev + (self.next - self.prev) * self.phase as f32;
            if i < pad {
                continue;
            }
            self.phase += self.ratio;
            while self.phase >= 1.0 {
                self.phase -= 1.0;
                self.prev = self.next;
                match self.cons.try_pop() {
                    Some(s) => self.next = s,
                    None => {
                        // Nothing to play: fade what was playing (2 ms to −40 dB) instead of
                        // holding it as a step or dropping to zero with a click.
                        self.next *= FADE;
                        short += 1;
                    }
                }
            }
        }
        self.last_peak = out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        if short > 0 {
            // The cushion at priming and what the microphone had delivered since when this
            // callback began, against what the output took (and the interpolator's sample, and
            // the excess shed, which was cushion beyond the target): short of it, the ring had
            // to run dry at a read ratio of 1 whatever the pipe did.
            let gave = mic_total - self.mic_mark;
            if gave + (self.primed_with as u64) < self.took + 1 + self.shed_since {
                self.shared
                    .underruns_mic_short
                    .fetch_add(short, Ordering::Relaxed);
            }
            self.underrun(short);
        } else {
            self.calm += out.len() as u64;
            if self.settling && self.calm as f64 >= SETTLE_S * self.rate {
                // Streams have settled: the excess goes across the next pauses.
                self.settling = false;
                self.set_target(self.min_target);
                self.calm = 0;
            } else if self.calm as f64 >= CALM_S * self.rate && self.target > self.min_target {
                // Calm for a while: give back some of the cushion.
                self.set_target((self.target * 3 / 4).max(self.min_target));
                self.calm = 0;
            }
        }
        // What is left in the ring after a read is the cushion against a late microphone: steer it.
        let left = self.cons.occupied_len();
        self.steer(left, out.len());
        let s = &self.shared;
        s.out_block_max
            .fetch_max(out.len() as u64, Ordering::Relaxed);
        s.out_samples.fetch_add(out.len() as u64, Ordering::Relaxed);
        s.fill_min.fetch_min(left as u64, Ordering::Relaxed);
        s.fill_max.fetch_max(left as u64, Ordering::Relaxed);
        // Latency of this callback: what waits in the ring after it, corrected by the cycles
        // between this block and the microphone's latest (1 is the usual) where they are known,
        // else plus half a block (the phase on average).
        let block = out.len() as f64;
        let waiting = match cycle_ns {
            Some(c) if mic_cycle != 0 && !out.is_empty() => {
                let period_ns = block / self.rate * 1e9;
                let behind = ((c as f64 - mic_cycle as f64) / period_ns)
                    .round()
                    .clamp(-1.0, 8.0);
                (left as f64 + (behind - 1.0) * block).max(0.0)
            }
            _ => left as f64 + block / 2.0,
        };
        let ms = waiting / self.rate * 1000.0;
        let bin = ((ms / LATENCY_BIN_MS) as usize).min(LATENCY_BINS - 1);
        self.shared.latency[bin].fetch_add(1, Ordering::Relaxed);
        let open = !self.shared.muted.load(Ordering::Relaxed);
        self.gate.process(out, 1, open);
    }

    /// Sets the read ratio and the excess to drop from the cushion: the least the ring held
    /// after a read, per window (see the module docs).
    fn steer(&mut self, left: usize, block: usize) {
        self.max_block = self.max_block.max(block);
        self.window_min = self.window_min.min(left);
        self.window_len += block;
        if (self.window_len as f64) < WINDOW_S * self.rate {
            return;
        }
        let min = self.window_min as f64;
        // More than the target plus a margin left after every read of the window: a burst (the
        // server ran our microphone twice, or changed its period) or a fast microphone clock.
        self.excess = self
            .window_min
            .saturating_sub(self.target + DEADBAND as usize);
        self.window_min = usize::MAX;
        self.window_len = 0;
        self.avg += 0.5 * (min - self.avg);
        let high = (self.target + 2 * self.max_block) as f64 + DEADBAND;
        // Half the cushion gone: read slower until it is whole again (hysteresis, so that the
        // ratio does not chatter around one level).
        if self.avg < self.target as f64 / 2.0 {
            self.slowing = true;
        } else if self.avg >= self.target as f64 {
            self.slowing = false;
        }
        self.ratio = if self.avg > high {
            1.0 + ((self.avg - high) * SKEW_PER_SAMPLE + 1e-5).min(MAX_SKEW)
        } else if self.slowing {
            1.0 - MAX_SKEW
        } else {
            1.0
        };
    }

    /// Starts on a larger cushion of `samples`, and drops to the smallest one after
    /// [`SETTLE_S`] without an underrun. While streams start (ours, the softphone's, a recorder's)
    /// the sound server reshuffles its graph and callbacks bunch up; afterwards it is steady.
    pub fn settling_from(mut self, samples: usize) -> Self {
        self.set_target(samples.clamp(self.min_target, self.max_target));
        self.avg = self.target as f64;
        self.settling = self.target > self.min_target;
        self
    }

    /// Aims at a new cushion, and publishes it for the stats line.
    fn set_target(&mut self, target: usize) {
        self.target = target;
        self.shared.target.store(target as u64, Ordering::Relaxed);
    }

    /// Drops up to one block of excess cushion where nobody can hear it: at once while the gate
    /// is closed, else only across room tone (the last block played and the samples dropped all
    /// quiet). Speech is never cut; while it lasts, the read ratio does the work.
    fn shed_excess(&mut self, block: usize) {
        if self.excess == 0 {
            return;
        }
        let n = self.excess.min(block).min(self.cons.occupied_len());
        let quiet = || self.room_tone() && self.cons.iter().take(n + 1).all(|s| s.abs() < QUIET);
        if n > 0 && (self.gate_shut() || quiet()) {
            self.cons.skip(n);
            self.excess -= n;
            self.shed_since += n as u64;
            self.shared.shed.fetch_add(n as u64, Ordering::Relaxed);
        }
    }

    /// After an underrun the ring holds less than the cushion (the microphone's missing blocks
    /// never came, or came short): holds the room tone (or the closed gate's silence) for up to
    /// one block to let the ring fill again, where nobody can hear it; the steering's slower
    /// reads do the rest while the user speaks. Returns how many samples of this block to hold.
    fn pad_deficit(&mut self, block: usize) -> usize {
        if !self.rebuilding {
            return 0;
        }
        let (have, want) = (self.cons.occupied_len(), self.target + block);
        if have >= want {
            self.rebuilding = false;
            return 0;
        }
        let n = (want - have).min(block);
        // Room tone the microphone gave, not the quiet end of our own fade while it is late.
        let quiet = || {
            have > 0
                && self.room_tone()
                && self
                    .cons
                    .iter()
                    .take(have.min(block))
                    .all(|s| s.abs() < QUIET)
        };
        if !(self.gate_shut() || quiet()) {
            return 0;
        }
        self.shared.padded.fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    /// Back at a read ratio of 1 after reading faster or slower, the interpolator is left between
    /// two samples, and half a sample off, linear interpolation is a low-pass filter: the highs
    /// would stay dulled for as long as the ratio stays 1. It steps back onto the samples where
    /// the jump cannot be heard: while the gate is closed, or across room tone.
    fn realign(&mut self) {
        if self.ratio != 1.0 || self.phase == 0.0 {
            return;
        }
        if self.gate_shut() || (self.room_tone() && self.prev.abs() < QUIET) {
            self.phase = 0.0;
        }
    }

    /// The gate is closed and stays so: nothing the pipe does to the samples can be heard.
    fn gate_shut(&self) -> bool {
        self.gate.is_closed() && self.shared.muted.load(Ordering::Relaxed)
    }

    /// The last block played and the sample coming next are room tone.
    fn room_tone(&self) -> bool {
        self.last_peak < QUIET && self.next.abs() < QUIET
    }

    /// The ring ran dry: count it and grow the cushion. The pipe plays on: the microphone's late
    /// blocks usually come in a burst that refills the ring, and waiting for a whole cushion
    /// before playing again would insert that much more silence into the user's speech. The
    /// extra the burst leaves goes where nobody hears it (see `shed_excess`).
    fn underrun(&mut self, short: u64) {
        self.shared.underruns.fetch_add(short, Ordering::Relaxed);
        // By what was missing (and half a period more): the cushion that would just have
        // covered this stall. Growing by a factor instead ratcheted a few short stalls up to
        // 70 ms of latency.
        let grown = self.target + short as usize + self.max_block / 2;
        self.set_target(grown.min(self.max_target));
        self.calm = 0;
        self.settling = false;
        self.rebuilding = true;
        // Whose the next underrun is counts from here, as after priming (where the interpolator
        // took one sample ahead; here it holds the fade, so one sample more is owed to it).
        self.primed_with = self.cons.occupied_len() + 1;
        self.mic_mark = self.shared.mic_total.load(Ordering::Relaxed);
        self.took = 0;
        self.shed_since = 0;
    }

    /// Samples waiting in the ring (the pipe's present latency, in samples).
    pub fn fill_level(&self) -> usize {
        self.cons.occupied_len()
    }

    /// The read ratio in force (1 = no correction).
    pub fn ratio(&self) -> f64 {
        self.ratio
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_pass_in_order_and_muting_silences() {
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 480, shared.clone());
        let input: Vec<f32> = (0..49_000).map(|i| (i as f32 * 0.01).sin()).collect();
        let mut out = vec![0.0; 48_000];
        // The microphone has delivered the cushion (and one sample) before the output starts.
        cap.push(&input[..481]);
        for k in 0..100 {
            cap.push(&input[481 + k * 480..481 + (k + 1) * 480]);
            play.fill(&mut out[k * 480..(k + 1) * 480]);
        }
        // At the target fill the ratio is exactly 1: the samples pass unchanged (one sample late,
        // the interpolator's), and the cushion stays where it was.
        assert_eq!(play.ratio(), 1.0);
        assert_eq!(play.fill_level(), 480);
        assert_eq!(&out[1..48_000], &input[..47_999]);
        shared.muted.store(true, Ordering::Relaxed);
        cap.push(&input[..4800]);
        play.fill(&mut out[..4800]);
        assert!(out[240..4800].iter().all(|&s| s == 0.0));
        assert_eq!(shared.underruns.load(Ordering::Relaxed), 0);
        let median = shared.latency_median_ms().unwrap();
        assert!((4.0..16.0).contains(&median), "{median}");
    }

    /// Feeds the pipe from a clock `skew` faster than the output's, in 256-sample callbacks, for
    /// `seconds`; returns the fill at the end and the underruns.
    fn drift(skew: f64, seconds: usize) -> (usize, u64, usize) {
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 480, shared.clone());
        let block = vec![0.1f32; 1024];
        let mut out = vec![0.0f32; 256];
        let mut owed = 0.0f64;
        let mut fills = Vec::new();
        for k in 0..seconds * 48_000 / 256 {
            owed += 256.0 * (1.0 + skew);
            let n = owed as usize;
            owed -= n as f64;
            cap.push(&block[..n]);
            play.fill(&mut out);
            if k % 187 == 0 {
                fills.push(play.fill_level());
            }
        }
        let late = fills[fills.len() / 2..].iter().max().copied().unwrap_or(0);
        (
            play.fill_level(),
            shared.underruns.load(Ordering::Relaxed),
            late,
        )
    }

    #[test]
    fn clock_drift_keeps_the_cushion_steady() {
        // ±200 ppm is twice what real sound cards drift apart: 9.6 samples a second.
        for skew in [0.0002, -0.0002, 0.00005, -0.00005, -0.00025] {
            let (fill, underruns, late_max) = drift(skew, 1200);
            assert_eq!(underruns, 0, "skew {skew}");
            // Without steering, twenty minutes at +200 ppm would pile up 11 520 samples.
            assert!(
                late_max < 480 + 2 * 256 + 96 + 300,
                "skew {skew}: fill {late_max}"
            );
            assert!(fill < 480 + 2 * 256 + 96 + 300, "skew {skew}: fill {fill}");
        }
    }

    #[test]
    fn a_jump_of_the_cushion_is_followed_not_steered() {
        // Equal clocks; after a minute the server hands over 600 samples at once (its periods
        // changed), and the cushion stays that much fuller.
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 256, shared.clone());
        let mut out = vec![0.0f32; 256];
        cap.push(&[0.1; 513]);
        let mut skewed = 0;
        for k in 0..(180 * 48_000 / 256) {
            cap.push(&[0.1; 256]);
            if k == 60 * 48_000 / 256 {
                cap.push(&[0.1; 600]);
            }
            play.fill(&mut out);
            skewed += (play.ratio() != 1.0) as u32;
        }
        assert_eq!(play.fill_level(), 856);
        assert_eq!(skewed, 0);
        assert_eq!(shared.underruns.load(Ordering::Relaxed), 0);
    }

    /// Speech-like microphone signal: 0.3 s of a loud tone, then 0.2 s of room tone.
    fn talk(i: usize) -> f32 {
        if i % 24_000 < 14_400 {
            0.3 * (i as f32 * 0.07).sin()
        } else {
            0.001 * (i as f32 * 0.9).sin()
        }
    }

    #[test]
    fn a_ring_that_fills_before_the_output_starts_is_not_an_overrun() {
        // A PulseAudio output asks for its first block, then starts half a second later: the ring
        // is full by then, but nothing was playing, and priming keeps only the cushion.
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 480, shared.clone());
        let mut out = [1.0f32; 480];
        play.fill(&mut out);
        assert!(
            out.iter().all(|&s| s == 0.0),
            "silent while the cushion fills"
        );
        for _ in 0..100 {
            cap.push(&[0.5; 480]);
        }
        assert_eq!(shared.overruns.load(Ordering::Relaxed), 0);
        play.fill(&mut out);
        assert_eq!(
            play.fill_level(),
            480,
            "primed to the cushion, not the full ring"
        );
        // Playing, a ring that fills is sound lost, and counted.
        for _ in 0..100 {
            cap.push(&[0.5; 480]);
        }
        assert!(shared.overruns.load(Ordering::Relaxed) > 0);
        // A new pipe (a reconnection) waits for its own output again.
        let before = shared.overruns.load(Ordering::Relaxed);
        let (mut cap, _play) = pipe(48_000, 480, shared.clone());
        cap.push(&[0.5; 48_000]);
        assert_eq!(shared.overruns.load(Ordering::Relaxed), before);
    }

    #[test]
    fn a_burst_is_given_back_across_room_tone_only() {
        // Equal clocks; after ten seconds the server hands over 2000 samples at once. The excess
        // goes within a few seconds, and only quiet samples are dropped: every loud one is played.
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 256, shared.clone());
        let mut out = vec![0.0f32; 256];
        let mut i = 0;
        let mut feed = |cap: &mut CaptureHalf, n: usize| {
            let v: Vec<f32> = (i..i + n).map(talk).collect();
            i += n;
            cap.push(&v);
        };
        feed(&mut cap, 513);
        let mut loud_out = 0usize;
        let mut fills = Vec::new();
        for k in 0..(30 * 48_000 / 256) {
            feed(&mut cap, 256);
            if k == 10 * 48_000 / 256 {
                feed(&mut cap, 2000);
            }
            play.fill(&mut out);
            loud_out += out.iter().filter(|s| s.abs() > 0.01).count();
            fills.push(play.fill_level());
        }
        let settled = fills[20 * 48_000 / 256..].iter().max().copied().unwrap();
        assert!(settled <= 256 + 96, "fill {settled} after the burst");
        let shed = shared.shed.load(Ordering::Relaxed) as usize;
        assert!((1900..=2100).contains(&shed), "shed {shed}");
        // Loud samples fed (minus what still waits in the ring) all came out, but for what reading
        // up to 300 ppm faster took while the burst was large (shedding 2000 would show).
        let loud_in = (0..i - play.fill_level())
            .filter(|&j| talk(j).abs() > 0.01)
            .count();
        let slack = (loud_in as f64 * MAX_SKEW) as usize + 2;
        assert!(
            loud_in.abs_diff(loud_out) <= slack,
            "{loud_in} vs {loud_out}"
        );
        assert_eq!(shared.underruns.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_burst_while_muted_goes_at_once() {
        let shared = Arc::new(Shared::default());
        shared.muted.store(true, Ordering::Relaxed);
        let (mut cap, mut play) = pipe(48_000, 256, shared.clone());
        let loud = vec![0.5f32; 4096];
        let mut out = vec![0.0f32; 256];
        cap.push(&loud[..513]);
        for k in 0..(5 * 48_000 / 256) {
            cap.push(&loud[..256]);
            if k == 48_000 / 256 {
                cap.push(&loud[..3000]);
            }
            play.fill(&mut out);
        }
        assert!(play.fill_level() <= 256 + 96, "{}", play.fill_level());
        assert_eq!(shared.underruns.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn jitter_alone_never_skews() {
        // Equal clocks, but the microphone delivers 1024 samples every fourth output callback.
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 800, shared.clone());
        let chunk: Vec<f32> = (0..1024).map(|i| (i as f32 * 0.05).sin()).collect();
        let mut out = vec![0.0f32; 256];
        cap.push(&chunk);
        let mut skewed = 0;
        for k in 0..(120 * 48_000 / 256) {
            if k % 4 == 0 {
                cap.push(&chunk);
            }
            play.fill(&mut out);
            skewed += (play.ratio() > 1.0) as u32;
        }
        // Jitter never makes it read faster (which would eat the cushion), and nothing runs dry.
        assert_eq!(shared.underruns.load(Ordering::Relaxed), 0);
        assert_eq!(skewed, 0);
    }

    #[test]
    fn a_start_up_cushion_gives_way_once_settled() {
        let shared = Arc::new(Shared::default());
        let (mut cap, play) = pipe(48_000, 256, shared.clone());
        let mut play = play.settling_from(1024);
        let mut out = vec![0.0f32; 256];
        let talk: Vec<f32> = (0..48_000).map(talk).collect();
        cap.push(&talk[..1281]);
        let mut i = 1281;
        let mut early = Vec::new();
        for k in 0..(30 * 48_000 / 256) {
            cap.push(&talk[i % 48_000..i % 48_000 + 256]);
            i = (i + 256) % 47_000;
            play.fill(&mut out);
            if k == 5 * 48_000 / 256 {
                early.push(play.fill_level());
            }
        }
        assert!(early[0] >= 1024, "{early:?}");
        assert_eq!(shared.target.load(Ordering::Relaxed), 256);
        assert!(play.fill_level() <= 256 + 96, "{}", play.fill_level());
        assert_eq!(shared.underruns.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn latency_is_the_same_whichever_callback_of_a_cycle_runs_first() {
        // Lockstep 128-frame cycles; which of the two callbacks runs first changes at random, so
        // what waits after a read jumps by a block, but what a sample waits does not.
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 256, shared.clone());
        let block = [0.1f32; 128];
        let mut out = [0.0f32; 128];
        let period = 128 * 1_000_000_000 / 48_000;
        cap.push_at(&[0.1; 385], 1);
        let mut order = 12345u32;
        for k in 1..2000u64 {
            let cycle = 1 + k * period;
            order ^= order << 13;
            order ^= order >> 17;
            order ^= order << 5;
            if order & 1 == 0 {
                cap.push_at(&block, cycle);
                play.fill_at(&mut out, cycle);
            } else {
                play.fill_at(&mut out, cycle);
                cap.push_at(&block, cycle);
            }
        }
        let w = shared.take_window();
        assert_eq!(w.fill_max - w.fill_min, 128);
        let bins = shared
            .latency
            .iter()
            .filter(|b| b.load(Ordering::Relaxed) > 0);
        assert_eq!(bins.count(), 1);
        // The output plays the microphone's block of two cycles before: one more than the least.
        assert_eq!(shared.latency_median_ms(), Some(2.75));
        assert_eq!(shared.underruns.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn underruns_from_a_microphone_that_skipped_blocks_are_the_microphones() {
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 256, shared.clone());
        let block = [0.1f32; 128];
        let mut out = [0.0f32; 128];
        cap.push(&[0.1; 385]);
        for k in 0..3000 {
            // The server drops three of the microphone's blocks in a row, twice.
            if !(1000..1003).contains(&k) && !(2000..2003).contains(&k) {
                cap.push(&block);
            }
            play.fill(&mut out);
        }
        let all = shared.underruns.load(Ordering::Relaxed);
        assert!(all > 0);
        assert_eq!(shared.underruns_mic_short.load(Ordering::Relaxed), all);
    }

    #[test]
    fn underruns_from_reading_too_fast_are_the_pipes() {
        // The microphone keeps pace, but the pipe reads a quarter faster than it (a steering
        // fault): the ring runs dry with every sample the output took delivered.
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 256, shared.clone());
        let mut out = [0.0f32; 128];
        cap.push(&[0.1; 385]);
        play.fill(&mut out);
        play.ratio = 1.25;
        for _ in 0..20 {
            cap.push(&[0.1; 128]);
            play.fill(&mut out);
            play.ratio = 1.25;
        }
        assert!(shared.underruns.load(Ordering::Relaxed) > 0);
        assert_eq!(shared.underruns_mic_short.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn back_at_a_ratio_of_one_samples_pass_bit_for_bit_again_after_room_tone() {
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 256, shared.clone());
        let mut out = [0.0f32; 128];
        cap.push(&[0.001; 385]);
        play.fill(&mut out);
        // Left half-way between two samples by a spell of reading slower, during room tone.
        play.phase = 0.5;
        let input: Vec<f32> = (0..48_000)
            .map(|i| match i < 4800 {
                true => 0.001 * (i as f32 * 0.9).sin(),
                false => 0.3 * (i as f32 * 0.07).sin() + 0.2 * (i as f32 * 1.3).sin(),
            })
            .collect();
        let mut played = Vec::new();
        for chunk in input.chunks(128) {
            cap.push(chunk);
            play.fill(&mut out);
            played.extend_from_slice(&out);
        }
        assert_eq!(play.ratio(), 1.0);
        // The speech comes out exactly as it went in (at the pipe's delay of 258 samples).
        let exact = |d: usize| {
            (20_000..40_000)
                .filter(|&i| played[i] == input[i - d])
                .count()
        };
        let best = (250..520).max_by_key(|&d| exact(d)).unwrap();
        assert_eq!((best, exact(best)), (258, 20_000));
    }

    #[test]
    fn an_underrun_grows_the_cushion_and_calm_shrinks_it() {
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 480, shared.clone());
        let block = vec![0.1f32; 256];
        let mut out = vec![0.0f32; 256];
        cap.push(&[0.1; 481]);
        for _ in 0..10 {
            cap.push(&block);
            play.fill(&mut out);
        }
        // A late microphone callback: the output asks twice in a row.
        play.fill(&mut out);
        play.fill(&mut out);
        assert!(shared.underruns.load(Ordering::Relaxed) > 0);
        assert_eq!(
            shared.underruns_mic_short.load(Ordering::Relaxed),
            shared.underruns.load(Ordering::Relaxed)
        );
        let grown = shared.target.load(Ordering::Relaxed);
        let short = shared.underruns.load(Ordering::Relaxed);
        assert_eq!(grown, 480 + short + 128);
        for _ in 0..(25 * 48_000 / 256) {
            cap.push(&block);
            play.fill(&mut out);
        }
        assert!(shared.target.load(Ordering::Relaxed) < grown);
    }

    #[test]
    fn after_an_underrun_every_late_sample_plays_and_the_cushion_returns_in_room_tone() {
        // Speech (a ramp, so that every sample is told apart), then a stall: the microphone's
        // blocks for four cycles come all at once, late. Then room tone.
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 512, shared.clone());
        let speech: Vec<f32> = (0..40 * 512).map(|i| 0.1 + i as f32 * 1e-5).collect();
        let mut blocks = speech.chunks(512);
        cap.push(&[0.0; 512 * 2 + 1]);
        let mut played = Vec::new();
        let mut out = [0.0f32; 512];
        for k in 0..40 {
            match k {
                10..=13 => {}
                14 => (0..5).for_each(|_| cap.push(blocks.next().unwrap())),
                _ => cap.push(blocks.next().unwrap_or(&[0.0; 512])),
            }
            play.fill(&mut out);
            played.extend_from_slice(&out);
        }
        // Then room tone, until the speech has all played.
        for _ in 0..20 {
            cap.push(&[0.0; 512]);
            play.fill(&mut out);
            played.extend_from_slice(&out);
        }
        let short = shared.underruns.load(Ordering::Relaxed);
        assert!(short > 0, "the stall ran the ring dry");
        assert_eq!(shared.underruns_mic_short.load(Ordering::Relaxed), short);
        // Every speech sample plays, in order, none twice: the only other samples are the fade.
        let got: Vec<f32> = played
            .iter()
            .copied()
            .filter(|s| speech.contains(s))
            .collect();
        assert_eq!(got.len(), speech.len());
        assert!(got.windows(2).all(|w| w[1] > w[0]));
        // The fade is all that was inserted into the speech.
        let first = played.iter().position(|s| *s == speech[0]).unwrap();
        let last = played
            .iter()
            .rposition(|s| *s == *speech.last().unwrap())
            .unwrap();
        assert_eq!((last + 1 - first) as u64, speech.len() as u64 + short);
        // In the room tone the cushion is back, held there, not cut from speech.
        assert!(shared.padded.load(Ordering::Relaxed) > 0);
        assert!(play.fill_level() >= shared.target.load(Ordering::Relaxed) as usize);
    }

    #[test]
    fn skipped_graph_cycles_are_counted_on_either_side() {
        let shared = Arc::new(Shared::default());
        let (mut cap, mut play) = pipe(48_000, 512, shared.clone());
        let period = 512 * 1_000_000_000 / 48_000;
        let block = [0.1f32; 512];
        let mut out = [0.0f32; 512];
        for k in 0..100u64 {
            // Clock jitter of a few microseconds is no skipped cycle.
            let cycle = 1 + k * period + (k % 3) * 4_000;
            // The server skips the microphone in cycle 40 and our output in 60 and 61.
            if k != 40 {
                cap.push_at(&block, cycle);
            }
            if k != 60 && k != 61 {
                play.fill_at(&mut out, cycle);
            }
        }
        assert_eq!(shared.mic_missed.load(Ordering::Relaxed), 512);
        assert_eq!(shared.out_missed.load(Ordering::Relaxed), 1024);
    }
}
