#!/usr/bin/env python3
"""Extract files from a Qt resource bundle (.rcc), keeping their resource paths.

    python3 rcc_extract.py BUNDLE.rcc OUT_DIR [SUFFIX ...]     (e.g. .ogg .qml)

Parses the rcc header/tree/names (format versions 1-3); zlib-compressed entries are inflated.
"""
import os
import struct
import sys
import zlib


def extract(path, out, suffixes=()):
    b = open(path, "rb").read()
    if b[:4] != b"qres":
        raise ValueError(f"{path}: not a Qt rcc bundle")
    version, tree, data, names = struct.unpack(">IIII", b[4:20])
    esz = 14 if version == 1 else 22

    def name(off):
        n = struct.unpack(">H", b[names + off:names + off + 2])[0]
        return b[names + off + 6:names + off + 6 + 2 * n].decode("utf-16-be")

    written = []

    def walk(idx, prefix):
        e = tree + idx * esz
        noff, flags = struct.unpack(">IH", b[e:e + 6])
        nm = name(noff) if idx else ""
        p = os.path.join(prefix, nm) if nm else prefix
        if flags & 2:  # directory
            count, first = struct.unpack(">II", b[e + 6:e + 14])
            for c in range(first, first + count):
                walk(c, p)
            return
        doff = struct.unpack(">I", b[e + 10:e + 14])[0]
        size = struct.unpack(">I", b[data + doff:data + doff + 4])[0]
        blob = b[data + doff + 4:data + doff + 4 + size]
        if flags & 1:
            blob = zlib.decompress(blob[4:])
        elif flags & 4:
            raise ValueError(f"{p}: zstd-compressed entry not supported")
        if suffixes and not p.endswith(tuple(suffixes)):
            return
        dst = os.path.join(out, p)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as f:
            f.write(blob)
        written.append(dst)

    walk(0, "")
    return written


if __name__ == "__main__":
    for p in extract(sys.argv[1], sys.argv[2], sys.argv[3:]):
        print(p)
