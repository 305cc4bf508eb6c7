#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, through the libfuzzer-sys crate) of everything that reads
# outside input: the audio decoder front end, the settings file, the journal and call labels, and
# the control socket's request and reply parsers. Runs on the stable toolchain: coverage comes from
# LLVM's sanitizer-coverage pass, as `cargo fuzz` sets it up, without a sanitizer (the fuzzed code is
# safe Rust; what is looked for is a panic, an overflow — debug assertions are on — a hang or a
# runaway allocation).
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s; audio settings journal control)
#
# The corpus each target grows is kept in target/fuzz/corpus/TARGET, seeded from fuzz/seeds/TARGET,
# so a second run goes on where the first stopped. An input that fails is saved to
# target/fuzz/artifacts/TARGET/ and the script exits non-zero with the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(audio settings journal control)
case $secs in '' | *[!0-9]*) echo "fuzz: SECONDS_PER_TARGET must be a whole number, not '$secs'" >&2; exit 2 ;; esac
for t in "${targets[@]}"; do
  [ -f "fuzz/$t.rs" ] || { echo "fuzz: no target '$t' (fuzz/*.rs: audio settings journal control)" >&2; exit 2; }
done

# Building for the host triple explicitly keeps the instrumentation out of build scripts and
# proc macros (RUSTFLAGS reach those only without --target).
host=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
  -Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
  -Cllvm-args=-simplifycfg-branch-fold-threshold=0 --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
bins=()
for t in "${targets[@]}"; do bins+=(--bin "fuzz_$t"); done
start=$(date +%s)
cargo build --release --quiet --no-default-features --features fuzz --target "$host" \
  --target-dir target/fuzz "${bins[@]}"
echo "fuzz: built ${#targets[@]} targets in $(($(date +%s) - start)) s"

failed=0
for t in "${targets[@]}"; do
  corpus=target/fuzz/corpus/$t
  artifacts=target/fuzz/artifacts/$t
  log=target/fuzz/$t.log
  mkdir -p "$corpus" "$artifacts"
  bin=target/fuzz/$host/release/fuzz_$t
  # -timeout: one input that takes 10 s is a hang; -rss_limit_mb: 2 GB is a runaway allocation.
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "fuzz/seeds/$t" > "$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    echo "fuzz: $t: ${secs} s, ${runs:-?} inputs, $(ls "$corpus" | wc -l) in the corpus, $cov, no failure"
  else
    failed=1
    tail -40 "$log" >&2
    for a in "$artifacts"/*; do
      [ -f "$a" ] && echo "fuzz: $t FAILED on $a; replay with: $bin $a" >&2
    done
  fi
done
exit $failed
