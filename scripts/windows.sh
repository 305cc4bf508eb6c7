#!/usr/bin/env bash
# The Windows build: cross-compiles holdguard.exe (x86_64-pc-windows-gnu, with MinGW) and runs it
# under Wine. `analyze` must print exactly what the Linux build prints for the same call, `eval`
# must pass the dev gate when the corpus sits beside the clone, and the commands that need the
# Linux desktop (the window, `run`, `devices`, `toggle`…) must refuse in one line with exit 2.
# Needs: rustup's x86_64-pc-windows-gnu target, gcc-mingw-w64-x86-64 and wine64 (scripts/setup.sh).
# Without them it says the Windows build was skipped, and why, and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
wine=/usr/lib/wine/wine64
skip() {
  echo "windows: SKIPPED, $1" >&2
  exit 0
}
rustup target list --installed 2>/dev/null | grep -qx "$target" ||
  skip "the $target target is not installed (rustup target add $target)"
command -v x86_64-w64-mingw32-gcc >/dev/null || skip "MinGW is missing (apt install gcc-mingw-w64-x86-64)"
[ -x "$wine" ] || skip "Wine is missing (apt install wine64)"

cargo build --release --target "$target" --bin holdguard
cargo build --release --bin holdguard
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "target/$target/release/holdguard.exe" "$dir/"
x86_64-w64-mingw32-gcc -O2 -shared -o "$dir/bcryptprimitives.dll" tests/windows/bcryptprimitives.c -ladvapi32
export WINEPREFIX="$dir/wine" WINEDEBUG=-all
# Wine's first start builds its prefix (and complains about the 32-bit half it does not have).
"$wine" "$dir/holdguard.exe" --version >/dev/null 2>&1 || true
exe() { "$wine" "$dir/holdguard.exe" "$@"; }
echo "windows: $(exe --version) built, $(stat -c %s "$dir/holdguard.exe") bytes"

fail=0
for call in hold_repeat_agent silent_hold_agent; do
  far=tests/fixtures/$call.far.flac mic=tests/fixtures/$call.mic.flac
  if diff <(exe analyze "$far" --mic "$mic" --json | tr -d '\r') \
    <(target/release/holdguard analyze "$far" --mic "$mic" --json) >/dev/null; then
    echo "windows: analyze $call: the same as on Linux"
  else
    echo "windows: analyze $call differs from the Linux build" >&2
    fail=1
  fi
done
# The journal and the letters: the same commands on the same journal, each build in a folder of
# its own (labels.json sits beside the journal), must print the same.
for build in linux windows; do
  mkdir -p "$dir/$build"
  printf '%s\n' \
    '{"type":"close","call":"2026-11-28-09-00-00","start":1795856410.0,"end":1795857010.0,"reason":"hold_music","closed_by":"agent_speech"}' \
    '{"type":"close","call":"2026-11-27-09-00-00","start":1795770010.0,"end":1795770070.0,"reason":"silent_hold","closed_by":"agent_speech"}' \
    >"$dir/$build/journal.jsonl"
  j="$dir/$build/journal.jsonl"
  run() { if [ $build = linux ]; then target/release/holdguard "$@"; else exe "$@"; fi; }
  (
    export TZ=Europe/Amsterdam LANG=C.UTF-8
    run label last --journal "$j" --company "Voorbeeld B.V." --number "+31 20 555 0000"
    run letter last --journal "$j" --kind access --lang nl --date 2026-12-01
    run log --journal "$j"
    run log --journal "$j" --csv
  ) 2>&1 | tr -d '\r' >"$dir/$build.txt"
done
if diff "$dir/windows.txt" "$dir/linux.txt" >/dev/null; then
  echo "windows: label, letter and log: the same as on Linux"
else
  echo "windows: label, letter or log differ from the Linux build:" >&2
  diff "$dir/windows.txt" "$dir/linux.txt" | head -20 >&2
  fail=1
fi
if [ -d ../shared/corpus/dev ]; then
  exe eval ../shared/corpus/dev --gate tests/dev-gate.toml | tail -1
fi
# `holdguard ARGS...` must refuse in one line containing PATTERN, with exit 2.
refuses() {
  local pattern=$1 rc=0 msg
  shift
  msg=$(exe "$@" 2>&1 >/dev/null | tr -d '\r') || rc=$?
  if [ $rc -ne 2 ] || [ "$(wc -l <<<"$msg")" -ne 1 ] || ! grep -q "$pattern" <<<"$msg"; then
    echo "windows: 'holdguard $*' should refuse in one line with exit 2, got $rc: $msg" >&2
    fail=1
  fi
}
for cmd in run devices toggle status; do refuses "need Linux" $cmd; done
refuses "need Linux" # the window
refuses "not a supported audio file" analyze Cargo.toml
[ $fail -eq 0 ] && echo "windows: smoke test passed"
exit $fail
