//! Telling the user something happened while they were away from the window: the agent-is-back
//! chime and desktop notification, and the hotkey's click.
//!
//! Sounds are bundled WAV files (`assets/`, synthesised by `scripts/make-sounds.py`), played once
//! on the default output from a short-lived thread. That output may be what the guard listens to
//! as the far end, so the guard is told to hear silence while our own sound plays.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use crate::control::{now_unix, Controller};

/// Which bundled sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sound {
    /// The agent is back.
    Chime,
    /// Manual mute toggled.
    Click,
}

impl Sound {
    fn bytes(self) -> &'static [u8] {
        match self {
            Sound::Chime => include_bytes!("../../assets/chime.wav"),
            Sound::Click => include_bytes!("../../assets/click.wav"),
        }
    }

    /// The sound as mono samples and their rate.
    pub fn samples(self) -> Result<(Vec<f32>, u32), String> {
        let mut r = hound::WavReader::new(std::io::Cursor::new(self.bytes()))
            .map_err(|e| format!("bundled sound unreadable: {e}"))?;
        let spec = r.spec();
        let ch = spec.channels.max(1) as usize;
        let scale = 1.0 / (1u32 << (spec.bits_per_sample.saturating_sub(1))) as f32;
        let all: Vec<f32> = r
            .samples::<i32>()
            .map(|s| s.map(|v| v as f32 * scale))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("bundled sound unreadable: {e}"))?;
        Ok((
            all.chunks(ch)
                .map(|c| c.iter().sum::<f32>() / ch as f32)
                .collect(),
            spec.sample_rate,
        ))
    }
}

/// Plays `sound` on the default output without blocking the caller. Failures (no output device)
/// are reported on stderr once per sound and otherwise ignored: an alert must never stop the guard.
pub fn play(sound: Sound, ctl: &Arc<Controller>) {
    let ctl = ctl.clone();
    let _ = std::thread::Builder::new()
        .name("holdguard-sound".into())
        .spawn(move || {
            if let Err(e) = play_blocking(sound, &ctl) {
                eprintln!("holdguard: cannot play the {sound:?} sound: {e}");
            }
        });
}

fn play_blocking(sound: Sound, ctl: &Controller) -> Result<(), String> {
    let (mono, rate) = sound.samples()?;
    let host = cpal::default_host();
    let dev = host
        .default_output_device()
        .ok_or("no default output device")?;
    let cfg = dev.default_output_config().map_err(|e| e.to_string())?;
    let channels = cfg.channels().max(1) as usize;
    let out_rate = cfg.sample_rate();
    // Linear interpolation to the device rate: plenty for a chime, and done before the stream
    // starts so the callback only copies.
    let n = (mono.len() as u64 * out_rate as u64 / rate as u64) as usize;
    let step = rate as f64 / out_rate as f64;
    let resampled: Arc<[f32]> = (0..n)
        .map(|i| {
            let x = i as f64 * step;
            let k = x as usize;
            let f = (x - k as f64) as f32;
            let a = mono.get(k).copied().unwrap_or(0.0);
            let b = mono.get(k + 1).copied().unwrap_or(0.0);
            a + (b - a) * f
        })
        .collect();
    let seconds = n as f64 / out_rate as f64;
    ctl.quiet_far_until(now_unix() + seconds + 0.4);
    let pos = Arc::new(AtomicUsize::new(0));
    let (data, p) = (resampled.clone(), pos.clone());
    let config = cpal::StreamConfig {
        channels: channels as u16,
        sample_rate: out_rate,
        buffer_size: cpal::BufferSize::Default,
    };
    let stream = dev
        .build_output_stream(
            config,
            move |out: &mut [f32], _: &cpal::OutputCallbackInfo| {
                let mut k = p.load(Ordering::Relaxed);
                for frame in out.chunks_mut(channels) {
                    let v = data.get(k).copied().unwrap_or(0.0);
                    frame.fill(v);
                    k += 1;
                }
                p.store(k, Ordering::Relaxed);
            },
            |_e| {},
            None,
        )
        .map_err(|e| e.to_string())?;
    stream.play().map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_secs_f64(seconds + 0.25));
    Ok(())
}

/// Shows the "agent is back" desktop notification without blocking the caller.
pub fn notify_agent_back() {
    let _ = std::thread::Builder::new()
        .name("holdguard-notify".into())
        .spawn(|| {
            let r = notify_rust::Notification::new()
                .appname("Hold Guard")
                .summary(&crate::tr!("notify-agent-back"))
                .body(&crate::tr!("notify-agent-back-body"))
                .icon("audio-input-microphone")
                .timeout(notify_rust::Timeout::Milliseconds(10_000))
                .show();
            if let Err(e) = r {
                eprintln!("holdguard: cannot show a desktop notification: {e}");
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_sounds_decode_and_are_short_and_soft() {
        let (chime, rate) = Sound::Chime.samples().unwrap();
        assert_eq!(rate, 48_000);
        let secs = chime.len() as f32 / rate as f32;
        assert!((0.3..=1.5).contains(&secs), "{secs}");
        let peak = chime.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((0.1..0.9).contains(&peak), "{peak}");
        // Starts at silence: no pop.
        assert!(chime[0].abs() < 0.01);
        let (click, _) = Sound::Click.samples().unwrap();
        assert!(click.len() < 48_000 / 20);
    }
}
