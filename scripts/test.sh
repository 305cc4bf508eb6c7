#!/usr/bin/env bash
# The whole test suite. First the tests that need nothing but the build (unit, engine, policy,
# CLI, real-time, window logic), then the tests against real parts inside a private headless
# session (scripts/session.sh: Xvfb + openbox, a D-Bus session bus, PipeWire with null sinks):
# the desktop app (window screenshots, tray over D-Bus, hotkey, control socket) and the live
# guard end to end (virtual microphone, kill -9 recovery, device loss), on PipeWire and on
# PulseAudio. Last, the Windows build under Wine (scripts/windows.sh).
# System packages: scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release
bash scripts/session.sh cargo test --release --test desktop -- --ignored --nocapture --test-threads 1
bash scripts/session.sh cargo test --release --test live -- --ignored --test-threads 1
# The same live tests against a plain PulseAudio server, which moves a stream whose device went
# away instead of ending it, and checks clients' auth cookies.
bash scripts/session.sh --pulseaudio cargo test --release --test live -- --ignored --test-threads 1
bash scripts/windows.sh
