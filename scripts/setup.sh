#!/usr/bin/env bash
# Installs the system packages Hold Guard needs on Debian/Ubuntu. Safe to run again.
#
# Build: ALSA headers (cpal always needs them), PipeWire headers and clang (cpal's PipeWire host is
# generated with bindgen), pkg-config. Run and test: PipeWire with WirePlumber and pipewire-pulse,
# and PulseAudio (the live tests run against each), pactl/paplay/parec for the live tests; Xvfb,
# openbox, xdotool, ImageMagick, x11-utils and the D-Bus daemon for the desktop tests (a headless
# X session, key presses, screenshots); baresip (a real SIP softphone) and the ALSA PulseAudio
# plug-in it records and plays through, for the end-to-end call test. The Windows build: MinGW to
# link it, Wine to run its smoke test (scripts/windows.sh), and rustup's Windows target.
# Run it as yourself: it asks sudo for the packages, and adds the target to your toolchain.
set -euo pipefail
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust (1.89 or newer) first" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  pkg-config libasound2-dev libpipewire-0.3-dev libclang-dev clang \
  pipewire pipewire-pulse wireplumber pulseaudio pulseaudio-utils \
  xvfb openbox xdotool imagemagick x11-utils dbus \
  baresip-core libasound2-plugins \
  gcc-mingw-w64-x86-64 wine64 >/dev/null
echo "setup: system packages installed"
if command -v rustup >/dev/null 2>&1; then
  rustup target add x86_64-pc-windows-gnu >/dev/null 2>&1 &&
    echo "setup: Rust's x86_64-pc-windows-gnu target installed" ||
    echo "setup: could not add Rust's x86_64-pc-windows-gnu target; the Windows build will be skipped" >&2
else
  echo "setup: no rustup, so no Windows target; the Windows build will be skipped" >&2
fi
