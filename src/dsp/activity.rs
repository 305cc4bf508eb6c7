//! The user's own voice activity on the microphone.
//!
//! A level detector against a tracked noise floor, measured per analysis hop at the microphone's own
//! rate (no resampling needed for a yes/no answer). The guard uses it as evidence that a call is
//! live: the user talking while the agent listens is not a silent hold.

use crate::dsp::frame::HOP_SECONDS;

/// Speech must stand this far above the room's noise floor (dB).
const SNR_DB: f32 = 12.0;
/// And be louder than this, whatever the floor (dBFS).
const MIN_DB: f32 = -55.0;
/// Activity is held this many hops after the voice stops (covers gaps between words).
const HANGOVER: u32 = 19;

/// Turns microphone samples into one active/inactive flag per hop.
pub struct VoiceActivity {
    rate: f64,
    acc: f64,
    count: usize,
    hop_index: u64,
    /// Samples in the hop being filled.
    hop_len: usize,
    floor_db: f32,
    recent: u8,
    hang: u32,
}

impl VoiceActivity {
    /// A detector for a microphone at `rate` Hz.
    pub fn new(rate: u32) -> Self {
        let mut v = Self {
            rate: rate as f64,
            acc: 0.0,
            count: 0,
            hop_index: 0,
            hop_len: 0,
            floor_db: -60.0,
            recent: 0,
            hang: 0,
        };
        v.hop_len = v.len_of(0);
        v
    }

    /// Samples in hop `i`. Hop boundaries fall on rounded multiples of the hop length, so rates
    /// like 44.1 kHz stay in step with the far end over hours.
    fn len_of(&self, i: u64) -> usize {
        let at = |k: u64| (k as f64 * HOP_SECONDS * self.rate).round() as usize;
        at(i + 1) - at(i)
    }

    /// Feeds samples; calls `emit` with the flag of every completed hop.
    pub fn push(&mut self, samples: &[f32], mut emit: impl FnMut(bool)) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (self.hop_len - self.count).min(rest.len());
            let (now, later) = rest.split_at(take);
            self.acc += now
                .iter()
                .map(|&s| crate::dsp::resample::sane(s).powi(2))
                .sum::<f32>() as f64;
            self.count += take;
            rest = later;
            if self.count == self.hop_len {
                let ms = self.acc / self.count as f64;
                self.acc = 0.0;
                self.count = 0;
                self.hop_index += 1;
                self.hop_len = self.len_of(self.hop_index);
                emit(self.level(ms));
            }
        }
    }

    fn level(&mut self, ms: f64) -> bool {
        let db = if ms > 1e-12 {
            (10.0 * ms.log10()) as f32
        } else {
            -120.0
        };
        if db < self.floor_db {
            self.floor_db = db.max(-100.0);
        } else {
            self.floor_db += 0.03;
        }
        let loud = db > MIN_DB && db > self.floor_db + SNR_DB;
        self.recent = (self.recent << 1) | loud as u8;
        // Three loud hops out of the last four start activity: a click or a cough does not.
        if (self.recent & 0x0f).count_ones() >= 3 {
            self.hang = HANGOVER;
        } else if self.hang > 0 {
            self.hang -= 1;
        }
        self.hang > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_is_active_room_noise_is_not() {
        let rate = 16_000;
        let mut v = VoiceActivity::new(rate);
        let mut flags = Vec::new();
        let mut seed = 1u32;
        let mut noise = || {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let quiet: Vec<f32> = (0..rate * 2).map(|_| noise() * 0.002).collect();
        let loud: Vec<f32> = (0..rate)
            .map(|i| noise() * 0.002 + 0.1 * (i as f32 * 0.2).sin())
            .collect();
        v.push(&quiet, |f| flags.push(f));
        let n_quiet = flags.len();
        v.push(&loud, |f| flags.push(f));
        assert!(flags[..n_quiet].iter().all(|f| !f));
        assert!(flags[n_quiet + 5..].iter().all(|f| *f));
    }
}
