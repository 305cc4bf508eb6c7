//! Hold Guard: mutes the caller's microphone while a call is on hold, and reopens it when a live
//! agent speaks.
//!
//! The rooms: [`dsp`] measures and classifies audio, [`guard`] decides when to mute (a pure state
//! machine), [`engine`] wires them hop by hop, [`source`] streams audio files, and [`eval`] scores
//! the engine on a labelled corpus. The live side: [`audio`] (the only real-time code), [`live`]
//! (the guard thread), [`control`] (status, commands and the local socket), [`journal`],
//! [`config`] and [`ui`] (window, tray, hotkey, alerts). After the call, [`rights`] drafts the
//! user's GDPR letters from the journal.

pub mod analyze;
pub mod audio;
pub mod config;
pub mod control;
pub mod dsp;
pub mod engine;
pub mod eval;
pub mod guard;
pub mod i18n;
pub mod journal;
#[cfg(all(unix, feature = "desktop"))]
pub mod live;
pub mod rights;
pub mod source;
pub mod train;
#[cfg(all(unix, feature = "desktop"))]
pub mod ui;
