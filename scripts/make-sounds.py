#!/usr/bin/env python3
"""Regenerates assets/chime.wav and assets/click.wav (48 kHz mono 16-bit), the only sounds
Hold Guard plays. Both are synthesised here, so they carry no third-party rights.

chime: two soft bell tones a fifth apart (the agent is back); click: a 12 ms tick (hotkey)."""
import math, struct, wave, os

RATE = 48000
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets")

def write(name, samples):
    with wave.open(os.path.join(here, name), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(max(-1, min(1, s)) * 32767)) for s in samples))

def bell(f, t):
    # a few inharmonic partials with their own decays, like a small bell
    return sum(a * math.sin(2 * math.pi * f * r * t) * math.exp(-t * d)
               for r, a, d in ((1.0, 1.0, 5.0), (2.0, 0.35, 8.0), (3.01, 0.15, 12.0)))

chime = []
for n in range(int(0.75 * RATE)):
    t = n / RATE
    s = 0.22 * bell(880.0, t)
    if t >= 0.14:
        s += 0.22 * bell(1318.5, t - 0.14)
    fade_in = min(1.0, t / 0.004)
    chime.append(s * fade_in)
write("chime.wav", chime)

click = []
for n in range(int(0.012 * RATE)):
    t = n / RATE
    click.append(0.5 * math.sin(2 * math.pi * 2000 * t) * math.exp(-t * 400) * min(1.0, t / 0.0005))
write("click.wav", click)
