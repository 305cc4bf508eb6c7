#!/usr/bin/env bash
# Reproduces src/dsp/model.rs bit for bit: installs the corpus sources, generates the `train` and
# `extra` sets (once; kept in $CORPUS), and fits the classifier on dev + train + extra.
#
#   sudo bash scripts/train.sh            (Debian 12; apt and pip need root)
#   CORPUS=/some/dir bash scripts/train.sh
#
# The `dev` set is read from ../shared/corpus/dev. Generated sets whose MANIFEST.json exists are
# reused. `holdguard train --check` then tells whether the data matches the data the checked-in
# weights came from, call by call. About 15 minutes on 2 cores the first time (sources 5 min,
# generation 7 min with both sets in parallel, training 1 min); 2 minutes after that.
set -euo pipefail
cd "$(dirname "$0")/.."
dev=$(cd ../shared/corpus/dev && pwd)
corpus=${CORPUS:-$PWD/target/corpus}
mkdir -p "$corpus"
bash scripts/corpus/setup_sources.sh "$corpus/sources" --no-fresh
pids=()
for set in train extra; do
    if [ ! -f "$corpus/$set/MANIFEST.json" ]; then
        python3 scripts/corpus/gen_corpus.py --set "$set" --out "$corpus/$set" \
            --src "$corpus/sources" --format flac --mic-rate 16000 > "$corpus/$set.log" 2>&1 &
        pids+=($!)
    fi
done
for p in "${pids[@]}"; do
    wait "$p"
done
cargo build --release --quiet
target/release/holdguard train "$dev" "$corpus/train" "$corpus/extra" > "$corpus/model.rs"
mv "$corpus/model.rs" src/dsp/model.rs
echo "train.sh: wrote src/dsp/model.rs; rebuild to use it"
