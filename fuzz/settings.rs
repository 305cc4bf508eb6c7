//! Fuzz target: the settings file ([`checks::settings`]).
#![no_main]

#[allow(dead_code)]
mod checks;

use std::path::PathBuf;
use std::sync::OnceLock;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    checks::settings(data, DIR.get_or_init(|| checks::scratch("settings")));
});
