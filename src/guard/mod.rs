//! The mute policy: a pure state machine.
//!
//! Fed once per hop with the classifier's output, the user's own microphone activity and the time
//! (passed in, never read from a clock), plus manual commands, it decides whether the outgoing
//! microphone is muted. It does no I/O, so every rule can be tested exhaustively.
//!
//! Automatic rules:
//! - **Hold music** mutes once music has dominated the far end for [`GuardConfig::music_confirm_s`]
//!   and no clean far-end speech came in the last 0.4 s; for twice that time within a second of
//!   sustained far-end talk or of the user answering, so half a second of a voice heard as music
//!   mid-conversation does not mute.
//! - **Silent hold** mutes after [`GuardConfig::silent_hold_delay_s`] with neither far-end speech nor
//!   the user answering, the far end silent for most of the last second and without a sound for
//!   two (a voice heard as music pauses for breath, not for seconds): a live conversation never
//!   has both sides quiet that long (thinking pauses are under 4 s), and a user talking while the
//!   agent listens keeps the line live — but talk that starts long after the far end fell silent
//!   is private talk on hold, not an answer.
//! - **Agent speech** reopens the microphone as soon as a run of far-end speech is confirmed and the
//!   music has gone (speech after a silence has none under it) — unless it is a recorded
//!   announcement: speech that starts within [`GuardConfig::entry_window_s`] of a music hold's
//!   start (queues greet the caller with one; but not once the music has been gone 4 s and the
//!   user has answered the far end since; and a hold that mutes again, for music or silence,
//!   keeps its start when it reopened less than 15 s ago or the user and the far end have not
//!   taken turns since: a false alarm in the music is no new hold), or speech whose spectral
//!   fingerprint matches something heard during this hold or in the quiet 30 s before it (the loop repeats). Speech
//!   over a music bed stays muted until clean speech stands on its own, or
//!   [`GuardConfig::over_music_wait_s`] passes without a match — unless it came over a bed that
//!   did not make room for it: a voice that lifts the level 6 dB above the music's usual loudness,
//!   when the music did not dip 10 dB under it in the second before, is a new source talking over
//!   the hold (a live agent's line), where a recorded announcement's producer ducks the bed first:
//!   it waits only 0.6 s for its print (a loud passage of the music lifts the level too, and held
//!   out it was as often that as an agent). The music that plays on under such an agent does not
//!   mute them again while they talk.
//!   Conversely a voice that comes as the bed ducks for it — the music 10 dB under its usual
//!   loudness in the quarter second before the voice, playing on with no silence between — is how
//!   a recorded announcement is mixed, however clean it sounds over the low bed: it waits
//!   [`GuardConfig::over_music_wait_s`] for its print to match, as speech over music does.
//!   Whether a voice came into a duck is judged at its first words and kept through pauses of up
//!   to a second, either way: a syllable heard as music must not make an agent who spoke after a
//!   silence look like a recording once the silence has left the look-back.
//!   The guard keeps the bed's usual loudness for this from the far end's level, a few seconds of
//!   memory.
//!   A voice that comes out of a short hole in the music (0.2 s of silence or less, music before
//!   it) may be the music itself back from a burst of lost packets, which the classifier hears as
//!   speech until its context has refilled: it reopens only after twice the usual run of speech.
//! - **Conversation** wins over every classifier verdict: when the user answers the far end and
//!   the far end answers back (see `turns`), a muted microphone reopens, and while the far end is
//!   answering it is not muted for sounding like music until it pauses, or has sounded like music
//!   for 4 s without a break. A speech-like answer or two exchanges within 30 s are needed, so
//!   private talk over hold music (which plays on under it) never counts.
//! - **No flapping**: a reopening that the music takes back within a few seconds makes the next
//!   reopening in the same hold need a longer run of speech (twice, then three times).
//! - **A person back keeps the line**: a reopening that the far end backs with a second of speech
//!   (or one for an answer to the user) is a return; for 20 s after it, and after every exchange
//!   with the user, music mutes only when it also dominates the longer window and runs a second
//!   without a break, so an agent whose phrases sound like music is not muted again. A reopening
//!   for a burst of "speech" in the music is no return and is taken back as fast as before. A
//!   far end that keeps sounding is no silent hold either.
//!
//! A pre-hold voice menu ("say 'billing' or press 2") is a recording, so it stays muted: privacy
//! first. The user answers it with the manual controls.
//!
//! Manual commands override the automatic decision:
//! - `Mute`: muted until `Unmute`, `Toggle` or `Resume`.
//! - `Unmute`: open now; automatic muting is suspended until the guard sees the next hold begin.
//! - `Pause`: guarding off, microphone open, until `Resume`.
//! - `Resume`: back to the automatic decision.
//! - `Toggle`: `Unmute` when muted, `Mute` when open.
//!
//! Every change of the output carries a [`Reason`].
//!
//! The code: `evidence` measures what the far end's recent hops say (flag histories, running
//! averages, the music bed's loudness, holes in the music); `turns` follows the user and the far
//! end taking turns; `rules` judges far-end speech on hold (agent, greeting, repeat, or wait) and
//! keeps the automatic and manual state; `tuning` holds every value the rules use, in seconds,
//! decibels and shares.

mod evidence;
mod rules;
pub mod tuning;
mod turns;

pub use rules::{Command, Event, Guard, GuardConfig, Input, Mode, Reason, Transition};
