#!/usr/bin/env bash
# Installs the system packages Hold Guard needs on Debian/Ubuntu. Safe to run again.
#
# The detection engine (analyze, eval) is pure Rust and needs nothing beyond a Rust toolchain:
# no system package is installed for it. Live audio and the desktop app will add theirs here.
set -euo pipefail
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust from your distribution or rustup first" >&2
  exit 1
fi
echo "setup: nothing to install for the engine"
