#!/usr/bin/env bash
# Reproducible study: precision over real crates, and speed against `syn::parse_file`.
# Run from anywhere; needs the crates in cargo's registry cache (a built workspace has them).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
cargo build --release -p cargo-cancelkit --bin cargo-cancelkit --example speed
target="${CARGO_TARGET_DIR:-$root/target}"
echo "## Precision"
python3 lints/study/precision.py "$target/release/cargo-cancelkit" "$registry" lints/study/labels.tsv
echo
echo "## Speed"
tokio="$(ls -d "$registry"/*/tokio-1.* | sort -V | tail -n1)"
RUNS="${RUNS:-7}" "$target/release/examples/speed" "$tokio"
