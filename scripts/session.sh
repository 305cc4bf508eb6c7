#!/usr/bin/env bash
# Runs a command inside a private, headless desktop session: Xvfb (+ the openbox window manager),
# a D-Bus session bus (tray icon, notifications) and PipeWire with two null sinks, sink_a (the
# phone's speaker) and sink_b (the microphone). Everything is torn down afterwards.
# usage: bash scripts/session.sh [--pulseaudio] command args...
#   --pulseaudio: a plain PulseAudio server with the same sinks instead of PipeWire.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
AUDIO="$HERE/audio-pipewire.sh"
if [ "${1:-}" = --pulseaudio ]; then AUDIO="$HERE/audio-pulse.sh"; shift; fi
# For the test that restarts the sound server mid-call.
export HOLDGUARD_AUDIO_SCRIPT="$AUDIO"
export XDG_RUNTIME_DIR=$(mktemp -d /tmp/holdguard-session.XXXXXX)
chmod 700 "$XDG_RUNTIME_DIR"
# The app's settings, journal and autostart entry stay inside the session.
export XDG_CONFIG_HOME="$XDG_RUNTIME_DIR/config" XDG_DATA_HOME="$XDG_RUNTIME_DIR/data" XDG_STATE_HOME="$XDG_RUNTIME_DIR/state"
unset WAYLAND_DISPLAY
PIDS=()
cleanup() {
  set +e
  source "$AUDIO" stop >/dev/null 2>&1
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$XDG_RUNTIME_DIR"
}
trap cleanup EXIT
# X server on a free display number (Xvfb writes it to fd 3).
exec 3<> "$XDG_RUNTIME_DIR/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$XDG_RUNTIME_DIR/xvfb.log" 2>&1 & PIDS+=($!)
for i in $(seq 1 50); do [ -s "$XDG_RUNTIME_DIR/display" ] && break; sleep 0.1; done
export DISPLAY=":$(head -1 "$XDG_RUNTIME_DIR/display")"
# The audio script starts the session bus at $XDG_RUNTIME_DIR/bus.
source "$AUDIO" start >/dev/null
openbox >"$XDG_RUNTIME_DIR/openbox.log" 2>&1 & PIDS+=($!)
sleep 0.5
echo "session: DISPLAY=$DISPLAY XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"
"$@"
