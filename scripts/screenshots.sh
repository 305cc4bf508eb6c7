#!/usr/bin/env bash
# Regenerates docs/main.png and docs/log.png from a real run: inside a private session
# (scripts/session.sh) the app guards while a call from tests/fixtures plays into the "phone
# speaker" sink; the main window is captured mid-hold, the log view after the call.
# usage: bash scripts/session.sh bash scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/holdguard
mkdir -p docs "$XDG_CONFIG_HOME/holdguard"
printf '[devices]\nmic = "pipewire:sink_b"\nfar = "pipewire:sink_a"\n' > "$XDG_CONFIG_HOME/holdguard/config.toml"
$BIN 2>/dev/null & APP=$!
trap 'kill $APP 2>/dev/null' EXIT
sleep 3
WID=$(xdotool search --sync --onlyvisible --name '^Hold Guard$' | head -1)
# The softphone: it records the virtual microphone, or the app would stay in standby.
parec -d holdguard_mic --latency-msec=20 >/dev/null & PHONE=$!
trap 'kill $APP $PHONE 2>/dev/null' EXIT
paplay -d sink_b tests/fixtures/hold_repeat_agent.mic.flac &
paplay -d sink_a tests/fixtures/hold_repeat_agent.far.flac & FAR=$!
# 62 s in: the hold music has played for a minute and its announcement was just recognised.
sleep 62
import -window "$WID" docs/main.png
wait $FAR
sleep 2
$BIN show log >/dev/null
sleep 1
import -window "$WID" docs/log.png
$BIN show guard >/dev/null
