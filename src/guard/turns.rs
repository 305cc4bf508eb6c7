//! Turn-taking between the user and the far end: the one sign of a live call that no classifier
//! slip can fake.
//!
//! In a conversation the user answers what the far end said, the far end goes quiet while the
//! user talks, and answers back soon after the user stops. Hold music plays on under the user's
//! private talk, and a recording does not wait for the user to finish, so neither makes this
//! pattern. The far end counts as sounding whenever the classifier hears anything but silence
//! or a tone: a voice it mistakes for music still answers, and a line's steady background noise
//! (which it has learned to call silence) does not.

use super::evidence::Bits;
use super::tuning::{Hops, Tuning};

/// The far end answered the user back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exchange {
    /// When the answer was confirmed (seconds).
    pub t: f64,
    /// The classifier heard the answer as speech rather than music.
    pub speechy: bool,
}

/// The user's turn in progress.
#[derive(Clone, Copy, Debug)]
struct Turn {
    hops: u32,
    far_hops: u32,
    answers: bool,
    /// When the user's voice last stopped (for a turn that paused).
    end: f64,
}

/// A finished answering turn, waiting for the far end to answer back.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    end: f64,
    speech: f32,
    music: f32,
}

/// Tracks turns hop by hop.
#[derive(Clone, Debug)]
pub struct Turns {
    hop_s: f64,
    tune: Tuning,
    n: Hops,
    far: Bits,
    last_far: f64,
    turn: Option<Turn>,
    /// The last turn, paused: resumed if the user goes on before the far end speaks.
    paused: Option<Turn>,
    waiting: Option<Waiting>,
}

impl Turns {
    /// Turn-taking by `tune`, whose durations `n` holds in hops of `hop_s`.
    pub fn new(tune: &Tuning, n: &Hops, hop_s: f64) -> Self {
        Self {
            hop_s,
            tune: tune.clone(),
            n: n.clone(),
            far: Bits::default(),
            last_far: f64::NEG_INFINITY,
            turn: None,
            paused: None,
            waiting: None,
        }
    }

    /// Whether the user is talking now in answer to the far end, which listens.
    pub fn user_answering(&self) -> bool {
        self.turn.is_some_and(|t| {
            t.answers && t.far_hops as f32 <= self.tune.listen_share * t.hops as f32
        })
    }

    /// Feeds one hop: whether the far end sounds (the classifier hears neither silence nor a
    /// tone: a voice it mistakes for music still sounds), whether the user speaks, and how much
    /// the classifier hears speech and music. Returns the exchange when the far end has just
    /// answered the user back.
    pub fn step(
        &mut self,
        t: f64,
        far_sounds: bool,
        mic: bool,
        speech: f32,
        music: f32,
    ) -> Option<Exchange> {
        self.far.push(far_sounds);
        let sounding = self.far.count(self.n.sound) >= self.n.sound_need;
        match (&mut self.turn, mic) {
            (Some(turn), true) => {
                turn.hops += 1;
                turn.far_hops += far_sounds as u32;
            }
            (None, true) => {
                let resumed = self
                    .paused
                    .take()
                    .filter(|p| t - p.end <= self.tune.resume_s && self.last_far < p.end);
                self.turn = Some(match resumed {
                    Some(mut p) => {
                        p.hops += 1;
                        p.far_hops += far_sounds as u32;
                        p
                    }
                    None => Turn {
                        hops: 1,
                        far_hops: far_sounds as u32,
                        answers: t - self.last_far <= self.tune.turn_answer_s,
                        end: t,
                    },
                });
                self.waiting = None;
            }
            (Some(turn), false) => {
                let long = turn.hops as f64 * self.hop_s >= self.tune.min_turn_s;
                let listened = turn.far_hops as f32 <= self.tune.listen_share * turn.hops as f32;
                if turn.answers && long && listened {
                    self.waiting = Some(Waiting {
                        end: t,
                        speech: 0.0,
                        music: 0.0,
                    });
                }
                turn.end = t;
                self.paused = self.turn.take();
            }
            (None, false) => {}
        }
        if sounding {
            self.last_far = t;
        }
        let w = self.waiting.as_mut()?;
        if t - w.end > self.tune.back_s + self.n.answer_window as f64 * self.hop_s {
            self.waiting = None;
            return None;
        }
        if far_sounds {
            w.speech += speech;
            w.music += music;
        }
        if self.far.count(self.n.answer_window) >= self.n.answer_need {
            let e = Exchange {
                t,
                speechy: w.speech > w.music,
            };
            self.waiting = None;
            return Some(e);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOP: f64 = 0.016;

    /// Plays (far sounds, mic, seconds) stretches; returns the exchanges.
    fn play(parts: &[(bool, bool, f64)]) -> Vec<Exchange> {
        let tune = &crate::guard::tuning::TUNING;
        let mut turns = Turns::new(tune, &Hops::new(tune, HOP), HOP);
        let mut out = Vec::new();
        let mut i = 0;
        for &(far, mic, secs) in parts {
            for _ in 0..(secs / HOP).round() as usize {
                i += 1;
                out.extend(turns.step(i as f64 * HOP, far, mic, 0.9, 0.05));
            }
        }
        out
    }

    #[test]
    fn an_answer_answered_back_is_an_exchange() {
        let e = play(&[
            (true, false, 2.0),
            (false, false, 0.5),
            (false, true, 2.0),
            (false, false, 0.6),
            (true, false, 1.0),
        ]);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].speechy);
        assert!((e[0].t - (5.1 + 0.2)).abs() < 0.1, "{e:?}");
    }

    #[test]
    fn talk_over_music_or_long_after_the_far_end_or_unanswered_is_not() {
        // Music plays on under the user's talk.
        assert!(play(&[(true, false, 2.0), (true, true, 2.0), (true, false, 2.0)]).is_empty());
        // The user starts long after the far end fell silent: private talk.
        assert!(play(&[
            (true, false, 2.0),
            (false, false, 5.0),
            (false, true, 2.0),
            (true, false, 2.0)
        ])
        .is_empty());
        // A pause inside the user's turn does not end it.
        assert_eq!(
            play(&[
                (true, false, 2.0),
                (false, true, 1.0),
                (false, false, 1.0),
                (false, true, 2.0),
                (false, false, 0.5),
                (true, false, 1.0)
            ])
            .len(),
            1
        );
        // Nobody answers back within two seconds.
        assert!(play(&[
            (true, false, 2.0),
            (false, true, 2.0),
            (false, false, 3.0),
            (true, false, 2.0)
        ])
        .is_empty());
        // A cough is not a turn.
        assert!(play(&[
            (true, false, 2.0),
            (false, true, 0.3),
            (false, false, 0.3),
            (true, false, 2.0)
        ])
        .is_empty());
    }
}
