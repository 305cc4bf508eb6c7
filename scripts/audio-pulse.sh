#!/usr/bin/env bash
# Start/stop a headless PulseAudio 16 daemon as root without a desktop session, with the same two
# null sinks as audio-pipewire.sh (sink_a: the phone's speaker, sink_b: the microphone), so the
# live tests can run against a plain PulseAudio server too (adapted from shared/platform).
# usage: source audio-pulse.sh start|stop
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-0}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG_RUNTIME_DIR/bus"
export PULSE_SERVER="unix:$XDG_RUNTIME_DIR/pulse/native"
# No PipeWire here: cpal must not find a stray one and pick it over PulseAudio.
export PIPEWIRE_REMOTE="$XDG_RUNTIME_DIR/no-pipewire"
LOG="$XDG_RUNTIME_DIR/pa-logs"; mkdir -p "$LOG"
case "${1:-start}" in
start)
  # Where the daemon writes its auth cookie, as on a desktop: without it the daemon keeps a cookie
  # of its own, the first libpulse client (paplay) writes a different one, and clients that
  # authenticate by cookie alone (cpal's PulseAudio host, the virtual microphone) are refused.
  mkdir -p "${XDG_CONFIG_HOME:-$HOME/.config}/pulse"
  if [ ! -S "$XDG_RUNTIME_DIR/bus" ]; then
    dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --fork --nopidfile --syslog-only --print-pid > "$LOG/dbus.pid"
  fi
  # -n: no default.pa (no udev/ALSA probing, no suspend-on-idle, no stream-restore).
  pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit -n \
    --load=module-native-protocol-unix \
    --load="module-null-sink sink_name=sink_a rate=48000 sink_properties=device.description=SinkA" \
    --load="module-null-sink sink_name=sink_b rate=48000 sink_properties=device.description=SinkB" \
    --log-target=file:"$LOG/pulse.log" 2>/dev/null
  for i in $(seq 1 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
  pactl set-default-sink sink_a
  pactl info | grep -E 'Server (Name|Version)|Default (Sink|Source)'
  ;;
stop)
  pulseaudio --kill 2>/dev/null || true
  for i in $(seq 1 50); do pulseaudio --check 2>/dev/null || break; sleep 0.1; done
  [ -f "$LOG/dbus.pid" ] && kill "$(cat "$LOG/dbus.pid")" 2>/dev/null; rm -f "$LOG/dbus.pid"
  rm -f "$XDG_RUNTIME_DIR/bus"
  ;;
esac
