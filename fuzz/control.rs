//! Fuzz target: the control socket's request and reply parsers ([`checks::control`]).
#![no_main]

#[allow(dead_code)]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::control(data));
