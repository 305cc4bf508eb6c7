#!/usr/bin/env bash
# Held-out estimate of the engine: 4-fold cross-validation over a labelled corpus.
#
#   bash scripts/crossval.sh [CORPUS]      (default ../shared/corpus/dev)
#
# Call i goes to fold i mod 4. For each fold the classifier is retrained on the other calls
# (`holdguard train`), the release build rebuilt with those weights, and the fold's calls evaluated
# (`holdguard eval`), so every call is scored once by a model that never saw it. Prints each fold's
# aggregate line and one line over all calls. The checked-in weights are put back (and rebuilt) at
# the end, also on failure or Ctrl-C. Takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=$(cd "${1:-../shared/corpus/dev}" && pwd)
work=$(mktemp -d)
cp src/dsp/model.rs "$work/model.rs"
restore() {
    cp "$work/model.rs" src/dsp/model.rs
    cargo build --release --quiet 2>/dev/null || true
    rm -rf "$work"
}
trap restore EXIT
cargo build --release --quiet
mapfile -t calls < <(cd "$corpus" && ls -- *.json | grep -v '^MANIFEST' | sed 's/\.json$//')
for k in 0 1 2 3; do
    mkdir -p "$work/train$k" "$work/test$k"
    for i in "${!calls[@]}"; do
        c=${calls[$i]}
        dst=$work/train$k
        [ $((i % 4)) -eq "$k" ] && dst=$work/test$k
        for f in "$corpus/$c".*; do ln -s "$f" "$dst/"; done
    done
    target/release/holdguard train "$work/train$k" > src/dsp/model.rs
    cargo build --release --quiet
    target/release/holdguard eval "$work/test$k" --json > "$work/fold$k.json"
    echo "fold $k: $(target/release/holdguard eval "$work/test$k" | grep AGGREGATE)"
done
python3 - "$work" <<'PY'
import glob, json, statistics, sys
sc = {}
for f in sorted(glob.glob(sys.argv[1] + "/fold*.json")):
    sc.update(json.load(open(f))["scenarios"])
lat, tot = [], dict(hold_s=0.0, muted_s=0.0)
keys = ["hold_exposure_s", "false_unmutes", "hold_misses", "unmute_misses",
        "live_false_mute_s", "user_speech_lost_s", "leaked_private_speech_s"]
sums = {k: 0.0 for k in keys}
cover = []
for d in sc.values():
    u = d["unmute_latency_s"]
    if u["n"] == 1:
        lat.append(u["max"])
    elif u["n"] == 2:
        lat += [2 * u["median"] - u["max"], u["max"]]
    if d["hold_coverage"] is not None:
        cover.append(d["hold_coverage"])
    for k in keys:
        sums[k] += d[k]
lat.sort()
def pct(p):
    x = (len(lat) - 1) * p / 100
    i = int(x)
    return lat[i] + (lat[min(i + 1, len(lat) - 1)] - lat[i]) * (x - i)
print(f"held out, {len(sc)} calls: coverage (mean of calls) {statistics.mean(cover):.3f}, "
      f"exposure {sums['hold_exposure_s']:.1f} s, false reopenings {int(sums['false_unmutes'])}, "
      f"hold misses {int(sums['hold_misses'])}, reopen median/p95/max {pct(50):.2f}/{pct(95):.2f}/{lat[-1]:.2f} s, "
      f"unmute misses {int(sums['unmute_misses'])}, live false mute {sums['live_false_mute_s']:.1f} s, "
      f"user speech lost {sums['user_speech_lost_s']:.2f} s, leaked private speech {sums['leaked_private_speech_s']:.1f} s")
PY
