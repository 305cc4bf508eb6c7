#!/usr/bin/env bash
# Held-out estimate of the engine: 4-fold cross-validation over a labelled corpus.
#
#   bash scripts/crossval.sh [CORPUS]                    (default ../shared/corpus/dev)
#   SEEDS="0 1 2" bash scripts/crossval.sh [CORPUS]      (several training draws)
#
# Call i goes to fold i mod 4. For each fold the classifier is retrained on the other calls
# (`holdguard train --seed S`), the release build rebuilt with those weights, and the fold's calls
# evaluated (`holdguard eval`), so every call is scored once by a model that never saw it. Prints
# each fold's aggregate line and one line over all calls per draw; with several draws, also their
# mean and the worst of them. The held-out scores swing with the draw of the networks' random starts (false
# reopenings 9-18 over draws 0-2), so compare changes over several draws, not one. The checked-in
# weights are put back (and rebuilt) at the end, also on failure or Ctrl-C. Takes about 5 minutes
# per draw on 2 cores.
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
done
for s in ${SEEDS:-0}; do
    mkdir -p "$work/draw$s"
    for k in 0 1 2 3; do
        target/release/holdguard train "$work/train$k" --seed "$s" > src/dsp/model.rs
        cargo build --release --quiet
        target/release/holdguard eval "$work/test$k" --json > "$work/draw$s/fold$k.json"
        echo "draw $s, fold $k: $(target/release/holdguard eval "$work/test$k" | grep AGGREGATE)"
    done
done
python3 - "$work" <<'PY'
import glob, json, statistics, sys
keys = ["hold_exposure_s", "false_unmutes", "hold_misses", "unmute_misses",
        "live_false_mute_s", "user_speech_lost_s", "leaked_private_speech_s"]
def held_out(folder):
    sc = {}
    for f in sorted(glob.glob(folder + "/fold*.json")):
        sc.update(json.load(open(f))["scenarios"])
    lat, cover = [], []
    m = {k: 0.0 for k in keys}
    for d in sc.values():
        u = d["unmute_latency_s"]
        if u["n"] == 1:
            lat.append(u["max"])
        elif u["n"] == 2:
            lat += [2 * u["median"] - u["max"], u["max"]]
        if d["hold_coverage"] is not None:
            cover.append(d["hold_coverage"])
        for k in keys:
            m[k] += d[k]
    lat.sort()
    def pct(p):
        x = (len(lat) - 1) * p / 100
        i = int(x)
        return lat[i] + (lat[min(i + 1, len(lat) - 1)] - lat[i]) * (x - i)
    m.update(coverage=statistics.mean(cover), reopen_median=pct(50), reopen_p95=pct(95),
             reopen_max=lat[-1], calls=len(sc))
    return m
def count(x):
    return f"{x:.0f}" if x == int(x) else f"{x:.1f}"
def line(f):
    return (f"coverage (mean of calls) {f('coverage'):.3f}, exposure {f('hold_exposure_s'):.1f} s, "
            f"false reopenings {count(f('false_unmutes'))}, hold misses {count(f('hold_misses'))}, "
            f"reopen median/p95/max {f('reopen_median'):.2f}/{f('reopen_p95'):.2f}/{f('reopen_max'):.2f} s, "
            f"unmute misses {count(f('unmute_misses'))}, live false mute {f('live_false_mute_s'):.1f} s, "
            f"user speech lost {f('user_speech_lost_s'):.2f} s, leaked private speech {f('leaked_private_speech_s'):.1f} s")
ms = []
for d in sorted(glob.glob(sys.argv[1] + "/draw*")):
    m = held_out(d)
    ms.append(m)
    print(f"held out, draw {d.rsplit('draw', 1)[1]}, {m['calls']} calls: {line(lambda k: m[k])}")
if len(ms) > 1:
    print(f"held out, mean of {len(ms)} draws: {line(lambda k: statistics.mean(m[k] for m in ms))}")
    print(f"held out, worst of {len(ms)} draws: "
          f"{line(lambda k: (min if k == 'coverage' else max)(m[k] for m in ms))}")
PY
