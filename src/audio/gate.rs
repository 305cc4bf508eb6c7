//! A click-free microphone gate.
//!
//! Opening and closing follow a raised-cosine ramp of a few milliseconds: a hard cut would pop,
//! and a long fade would leak the start of a private sentence or swallow the user's first syllable.
//! Closed means exact digital zeros; open means the samples pass bit for bit.

/// Gain ramp between open and closed.
pub struct Gate {
    /// Position on the ramp: 0 closed, 1 open.
    pos: f32,
    step: f32,
}

impl Gate {
    /// A gate for audio at `rate` Hz with a `ramp_ms` fade, starting `open` or closed.
    pub fn new(rate: u32, ramp_ms: f32, open: bool) -> Self {
        let ramp = (rate as f32 * ramp_ms / 1000.0).max(1.0);
        Self {
            pos: if open { 1.0 } else { 0.0 },
            step: 1.0 / ramp,
        }
    }

    /// Whether the gate is fully open.
    pub fn is_open(&self) -> bool {
        self.pos >= 1.0
    }

    /// Whether the gate is fully closed.
    pub fn is_closed(&self) -> bool {
        self.pos <= 0.0
    }

    /// Applies the gate in place to interleaved frames of `channels` samples, moving towards
    /// `open`.
    pub fn process(&mut self, frames: &mut [f32], channels: usize, open: bool) {
        let channels = channels.max(1);
        if open && self.pos >= 1.0 {
            return;
        }
        if !open && self.pos <= 0.0 {
            frames.iter_mut().for_each(|s| *s = 0.0);
            return;
        }
        let dir = if open { self.step } else { -self.step };
        for frame in frames.chunks_mut(channels) {
            self.pos = (self.pos + dir).clamp(0.0, 1.0);
            let gain = 0.5 - 0.5 * (std::f32::consts::PI * self.pos).cos();
            for s in frame {
                *s *= gain;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_is_exact_closed_is_silent_and_ramps_are_smooth() {
        let rate = 48_000;
        let mut g = Gate::new(rate, 5.0, true);
        let src: Vec<f32> = (0..4800).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let mut buf = src.clone();
        g.process(&mut buf, 1, true);
        assert_eq!(buf, src, "open passes samples bit for bit");

        let mut buf = vec![1.0f32; 960];
        g.process(&mut buf, 1, false);
        // 5 ms at 48 kHz = 240 samples of ramp, then zeros.
        assert!(
            buf[..240].windows(2).all(|w| w[1] <= w[0]),
            "monotonic fade"
        );
        assert!(
            buf[..240].windows(2).all(|w| (w[0] - w[1]) < 0.01),
            "no step larger than 1 %"
        );
        assert!(
            buf[240..].iter().all(|&s| s == 0.0),
            "closed is digital silence"
        );
        assert!(g.is_closed());

        let mut buf = vec![1.0f32; 960];
        g.process(&mut buf, 1, true);
        assert!(buf[..240]
            .windows(2)
            .all(|w| w[1] >= w[0] && (w[1] - w[0]) < 0.01));
        assert!(buf[240..].iter().all(|&s| s == 1.0));
        assert!(g.is_open());
    }

    #[test]
    fn stereo_frames_share_one_gain() {
        let mut g = Gate::new(8_000, 10.0, true);
        let mut buf = vec![1.0f32; 400];
        g.process(&mut buf, 2, false);
        assert!(buf.chunks(2).all(|f| f[0] == f[1]));
    }
}
