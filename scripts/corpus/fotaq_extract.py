#!/usr/bin/env python3
"""Carve the dialogue speech of Flight of the Amazon Queen out of queen.1c, one folder per character.

    python3 fotaq_extract.py QUEEN_1C OUT_DIR

queen.1c (Debian flight-of-the-amazon-queen 1.0.0-9) starts with a "QTBL" table: u16 BE entry count at byte 13,
then 21-byte entries (12-byte name, bundle byte, offset u32 BE, size u32 BE). The .SB entries are plain MP3
(MPEG-2 layer III, 11,025 Hz, 16 kbit/s) and are written byte for byte as OUT_DIR/CHAR/NAME.mp3.

Dialogue lines are named NNxxxx{J|P}n.SB: NN is the talk key (decimal), J = Joe King (the player character),
P = the person he talks to. Each .DOG dialogue file has its key as a u16 BE at byte 22, which maps NN to a
character (the .DOG name without digits). JOE*.SB (Joe's look-at descriptions) also go to JOE. Cutaway lines
(C*.SB, speaker not attributed), keys without a .DOG, and other entries are skipped. Writes OUT_DIR/speakers.tsv
(character, files). Deterministic: same input => same files.
"""
import collections
import os
import re
import struct
import sys


def entries(b):
    if b[:4] != b"QTBL":
        raise ValueError("not a FOTAQ queen.1c (no QTBL header)")
    n = struct.unpack(">H", b[13:15])[0]
    o, out = 15, []
    for _ in range(n):
        name = b[o:o + 12].rstrip(b"\0").decode("ascii")
        off, size = struct.unpack(">II", b[o + 13:o + 21])
        o += 21
        out.append((name, off, size))
    return out


def main(src, out):
    b = open(src, "rb").read()
    ents = entries(b)
    key2char = collections.defaultdict(set)
    for name, off, size in ents:
        if name.endswith(".DOG"):
            k = struct.unpack(">H", b[off + 22:off + 24])[0]
            key2char[k].add(re.sub(r"\d+$", "", name[:-4]))
    spk = collections.defaultdict(list)
    for name, off, size in ents:
        if not name.endswith(".SB"):
            continue
        base = name[:-3]
        if base.startswith("JOE"):
            c = "JOE"
        else:
            m = re.match(r"^(\d\d)[0-9A-FSX]{4}([JP])\d$", base)
            if not m:
                continue  # cutaway (C*) or other: speaker not attributed
            if m.group(2) == "J":
                c = "JOE"
            else:
                cs = key2char.get(int(m.group(1)))
                if not cs or len(cs) != 1:
                    continue  # no (or an ambiguous) .DOG for this key
                c = next(iter(cs))
        spk[c].append((base, b[off:off + size]))
    for c, v in sorted(spk.items()):
        d = os.path.join(out, c)
        os.makedirs(d, exist_ok=True)
        for base, blob in v:
            with open(os.path.join(d, base + ".mp3"), "wb") as f:
                f.write(blob)
    with open(os.path.join(out, "speakers.tsv"), "w") as f:
        f.write("character\tfiles\n")
        for c, v in sorted(spk.items()):
            f.write(f"{c}\t{len(v)}\n")
    print(f"{sum(len(v) for v in spk.values())} lines of {len(spk)} characters -> {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
