#!/usr/bin/env bash
# Soak measurement of the live guard: for MINUTES (default 30) a real call loops into the "phone
# speaker" sink and its microphone track into the "microphone" sink while `holdguard run` guards,
# printing pipe latency, cushion, underruns and memory every STATS seconds (default 300).
# usage: bash scripts/session.sh bash scripts/soak.sh [MINUTES] [STATS]
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${1:-30}; STATS=${2:-300}
BIN=target/release/holdguard
loop() { while true; do paplay -d "$1" "$2" || return; done; }
loop sink_a tests/fixtures/hold_repeat_agent.far.flac & A=$!
loop sink_b tests/fixtures/hold_repeat_agent.mic.flac & B=$!
trap 'kill $A $B 2>/dev/null' EXIT
START=$(date +%s)
$BIN run --mic pipewire:sink_b --far pipewire:sink_a --journal "$XDG_RUNTIME_DIR/soak.jsonl" \
  --seconds $((MIN * 60)) --stats "$STATS" --keep-devices-open | grep -E '^(stats|audio)' &
P=$!
# The softphone: something records the virtual microphone for the whole call, as in real use.
until pactl list short sources | grep -q holdguard_mic; do sleep 0.2; done
parec -d holdguard_mic --latency-msec=20 >/dev/null & R=$!
trap 'kill $A $B $R 2>/dev/null' EXIT
sleep 30
PID=$(pgrep -n -f 'holdguard run --mic pipewire:sink_b')
C0=$(awk '{print $14+$15}' /proc/$PID/stat); T0=$(date +%s)
while kill -0 $PID 2>/dev/null; do C1=$(awk '{print $14+$15}' /proc/$PID/stat 2>/dev/null || echo $C1); T1=$(date +%s); sleep 5; done
wait $P
echo "soak: $MIN min; CPU $(awk -v c=$((C1-C0)) -v t=$((T1-T0)) 'BEGIN{printf "%.2f", c/t}') % of one core (whole process)"
