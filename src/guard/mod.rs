//! The mute policy: a pure state machine.
//!
//! Fed once per hop with the classifier's output, the user's own microphone activity and the time
//! (passed in, never read from a clock), plus manual commands, it decides whether the outgoing
//! microphone is muted. It does no I/O, so every rule can be tested exhaustively.
//!
//! Automatic rules:
//! - **Hold music** mutes once music has dominated the far end for [`GuardConfig::music_confirm_s`].
//! - **Silent hold** mutes after [`GuardConfig::silent_hold_delay_s`] with neither far-end speech nor
//!   the user's voice: a live conversation never has both sides quiet that long (thinking pauses are
//!   under 4 s), and a user talking while the agent listens keeps the line live.
//! - **Agent speech** reopens the microphone as soon as a run of far-end speech is confirmed — unless
//!   it is a recorded announcement: speech that starts within [`GuardConfig::entry_window_s`] of the
//!   hold start (queues greet the caller with one), or speech whose spectral fingerprint matches
//!   something already heard during this hold (the loop repeats).
//!
//! Manual commands override the automatic decision:
//! - `Mute`: muted until `Unmute`, `Toggle` or `Resume`.
//! - `Unmute`: open now; automatic muting is suspended until the guard sees the next hold begin.
//! - `Pause`: guarding off, microphone open, until `Resume`.
//! - `Resume`: back to the automatic decision.
//! - `Toggle`: `Unmute` when muted, `Mute` when open.
//!
//! Every change of the output carries a [`Reason`].

mod rules;

pub use rules::{Command, Event, Guard, GuardConfig, Input, Reason, Transition};
