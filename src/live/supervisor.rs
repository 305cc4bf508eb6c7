//! The live guard's life around the streams, as a state machine with the time passed in: opening
//! them (again after a pause that grows while they keep failing), guarding, and standby while no
//! application records the virtual microphone. No I/O here: `live::guard_streams` does what the
//! supervisor says and tells it what happened, so every path is tested below with made-up
//! instants instead of a sound server.

use std::time::{Duration, Instant};

/// With no application recording from the virtual microphone for this long, the guard releases
/// the audio devices (standby): three streams' wake-ups are most of an idle guard's CPU, and a
/// tray app waits between calls far longer than it guards them.
pub const STANDBY_AFTER: Duration = Duration::from_secs(10);
/// How often the sound server is asked who records what.
pub(super) const POLL: Duration = Duration::from_millis(500);
/// How often the journal gets its heartbeat and the devices are checked for changes.
pub(super) const BEAT: Duration = Duration::from_secs(5);
/// The pause before the first retry of streams that would not open; it doubles up to
/// [`MAX_BACKOFF`] while they keep failing.
pub(super) const FIRST_BACKOFF: Duration = Duration::from_millis(500);
pub(super) const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Where the guard is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    /// The streams are to be opened at `at`. `fresh`: look the devices up again first (after a
    /// loss or a failure); not after standby, where the softphone is already waiting.
    Opening { at: Instant, fresh: bool },
    /// The streams run; `unused_since`: since when no application has recorded the virtual
    /// microphone.
    Guarding { unused_since: Option<Instant> },
    /// The devices are released until an application records the virtual microphone.
    Standby,
}

/// What is due on a tick.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Due {
    /// Open the streams now; `Some(true)` after looking the devices up again.
    pub open: Option<bool>,
    /// Ask the sound server who records what (and tell [`Supervisor::users`]).
    pub poll: bool,
    /// Journal heartbeat; while guarding, check whether the devices to use have changed.
    pub beat: bool,
}

/// A change of phase that the driver acts on beyond the streams.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Change {
    /// Nobody has recorded the virtual microphone for [`STANDBY_AFTER`]: close the streams, end
    /// the call.
    Standby,
    /// Someone records it again (or the server could not be asked): open the streams.
    Resume,
}

/// The supervisor's state: the phase and its clocks.
#[derive(Debug)]
pub struct Supervisor {
    phase: Phase,
    backoff: Duration,
    polled: Instant,
    beat: Instant,
    /// Only our own virtual microphone tells whether a softphone uses it.
    may_standby: bool,
}

impl Supervisor {
    /// Opens at once, with the devices just resolved.
    pub fn new(now: Instant, may_standby: bool) -> Self {
        Self {
            phase: Phase::Opening {
                at: now,
                fresh: false,
            },
            backoff: FIRST_BACKOFF,
            polled: now,
            beat: now,
            may_standby,
        }
    }

    #[cfg(test)]
    fn phase(&self) -> Phase {
        self.phase
    }

    pub fn guarding(&self) -> bool {
        matches!(self.phase, Phase::Guarding { .. })
    }

    /// What is due now.
    pub fn tick(&mut self, now: Instant) -> Due {
        let open = match self.phase {
            Phase::Opening { at, fresh } if now >= at => Some(fresh),
            _ => None,
        };
        let poll = now.duration_since(self.polled) >= POLL;
        if poll {
            self.polled = now;
        }
        let beat = now.duration_since(self.beat) >= BEAT;
        if beat {
            self.beat = now;
        }
        Due { open, poll, beat }
    }

    /// The streams opened.
    pub fn opened(&mut self) {
        self.backoff = FIRST_BACKOFF;
        self.phase = Phase::Guarding { unused_since: None };
    }

    /// The streams would not open: returns how long until the next try.
    pub fn open_failed(&mut self, now: Instant) -> Duration {
        let wait = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        self.phase = Phase::Opening {
            at: now + wait,
            fresh: true,
        };
        wait
    }

    /// A running stream failed, stalled or was moved, or the devices to use changed: open again
    /// at once, with the devices looked up again.
    pub fn lost(&mut self, now: Instant) {
        if self.guarding() {
            self.phase = Phase::Opening {
                at: now,
                fresh: true,
            };
        }
    }

    /// What the sound server said: how many applications record the virtual microphone (`None`:
    /// it could not be asked).
    pub fn users(&mut self, now: Instant, apps: Option<usize>) -> Option<Change> {
        match &mut self.phase {
            Phase::Guarding { unused_since } if self.may_standby => {
                if apps == Some(0) {
                    if now.duration_since(*unused_since.get_or_insert(now)) >= STANDBY_AFTER {
                        self.phase = Phase::Standby;
                        return Some(Change::Standby);
                    }
                } else {
                    *unused_since = None;
                }
                None
            }
            // An unanswered question also ends standby: opening the streams is what waits for
            // the server and recreates the virtual microphone.
            Phase::Standby if apps != Some(0) => {
                self.phase = Phase::Opening {
                    at: now,
                    fresh: false,
                };
                Some(Change::Resume)
            }
            _ => None,
        }
    }

    /// How long to sleep before the next tick: streams are drained every 10 ms; standby only
    /// serves requests and polls.
    pub fn nap(&self) -> Duration {
        match self.phase {
            Phase::Standby => Duration::from_millis(100),
            _ => Duration::from_millis(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn it_opens_at_once_without_looking_the_devices_up_again() {
        let t = Instant::now();
        let mut s = Supervisor::new(t, true);
        assert_eq!(s.tick(t).open, Some(false));
        s.opened();
        assert!(s.guarding());
        assert_eq!(s.tick(t + ms(10)).open, None);
    }

    #[test]
    fn failed_opens_back_off_doubling_to_two_seconds_and_reset_once_open() {
        let t = Instant::now();
        let mut s = Supervisor::new(t, true);
        let mut now = t;
        let mut waits = Vec::new();
        for _ in 0..5 {
            assert!(s.tick(now).open.is_some());
            let w = s.open_failed(now);
            waits.push(w.as_millis());
            // Not before the pause is over, and then with the devices looked up again.
            assert_eq!(s.tick(now + w - ms(1)).open, None);
            now += w;
            assert_eq!(s.tick(now).open, Some(true));
        }
        assert_eq!(waits, [500, 1000, 2000, 2000, 2000]);
        s.opened();
        s.lost(now);
        assert_eq!(s.tick(now).open, Some(true));
        assert_eq!(s.open_failed(now), FIRST_BACKOFF);
    }

    #[test]
    fn a_lost_stream_reopens_at_once_and_only_while_guarding() {
        let t = Instant::now();
        let mut s = Supervisor::new(t, true);
        s.lost(t);
        assert_eq!(
            s.phase(),
            Phase::Opening {
                at: t,
                fresh: false
            }
        );
        s.opened();
        s.lost(t + ms(50));
        assert_eq!(s.tick(t + ms(50)).open, Some(true));
    }

    #[test]
    fn standby_follows_ten_seconds_unused_and_any_user_resets_the_wait() {
        let t = Instant::now();
        let mut s = Supervisor::new(t, true);
        s.opened();
        assert_eq!(s.users(t, Some(0)), None);
        assert_eq!(s.users(t + ms(9_000), Some(0)), None);
        // A softphone that opens its microphone for a moment starts the wait again.
        assert_eq!(s.users(t + ms(9_500), Some(1)), None);
        assert_eq!(s.users(t + ms(10_000), Some(0)), None);
        // A server that cannot be asked is no proof that nobody records.
        assert_eq!(s.users(t + ms(15_000), None), None);
        assert_eq!(s.users(t + ms(15_500), Some(0)), None);
        assert_eq!(s.users(t + ms(25_499), Some(0)), None);
        assert_eq!(s.users(t + ms(25_500), Some(0)), Some(Change::Standby));
        assert_eq!(s.phase(), Phase::Standby);
        assert_eq!(s.nap(), ms(100));
        assert_eq!(s.tick(t + ms(26_000)).open, None);
    }

    #[test]
    fn standby_ends_when_someone_records_or_the_server_cannot_be_asked() {
        for apps in [Some(1), None] {
            let t = Instant::now();
            let mut s = Supervisor::new(t, true);
            s.opened();
            s.users(t, Some(0));
            assert_eq!(s.users(t + STANDBY_AFTER, Some(0)), Some(Change::Standby));
            assert_eq!(s.users(t + ms(11_000), Some(0)), None);
            // A stream's late error after closing them changes nothing.
            s.lost(t + ms(11_100));
            assert_eq!(s.phase(), Phase::Standby);
            let back = t + ms(11_500);
            assert_eq!(s.users(back, apps), Some(Change::Resume));
            // The softphone is already recording: the same devices, at once.
            assert_eq!(s.tick(back).open, Some(false));
        }
    }

    #[test]
    fn without_our_own_virtual_microphone_there_is_no_standby() {
        let t = Instant::now();
        let mut s = Supervisor::new(t, false);
        s.opened();
        assert_eq!(s.users(t, Some(0)), None);
        assert_eq!(s.users(t + ms(60_000), Some(0)), None);
        assert!(s.guarding());
    }

    #[test]
    fn polls_and_heartbeats_come_at_their_own_pace() {
        let t = Instant::now();
        let mut s = Supervisor::new(t, true);
        let (mut polls, mut beats) = (0, 0);
        for i in 1..=1000 {
            let d = s.tick(t + ms(10 * i));
            polls += d.poll as u32;
            beats += d.beat as u32;
        }
        assert_eq!((polls, beats), (20, 2));
    }
}
