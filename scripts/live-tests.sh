#!/usr/bin/env bash
# Runs the end-to-end tests of `holdguard run` (tests/live.rs) against a private, headless
# PipeWire server with two null sinks, sink_a (the phone's speaker) and sink_b (the microphone).
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR=$(mktemp -d /tmp/holdguard-live-xdg.XXXXXX)
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_CONFIG_HOME="$XDG_RUNTIME_DIR/config" XDG_DATA_HOME="$XDG_RUNTIME_DIR/data"
trap 'source scripts/audio-pipewire.sh stop >/dev/null 2>&1; rm -rf "$XDG_RUNTIME_DIR"' EXIT
source scripts/audio-pipewire.sh start
cargo test --release --test live -- --ignored --test-threads 1
