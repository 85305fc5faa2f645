#!/usr/bin/env bash
# Reproducible study: precision over real crates, and speed and memory against `syn::parse_file`.
# Run from anywhere; needs network access to crates.io the first time (fetch.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
cargo build --release -p cargo-cancelkit --bin cargo-cancelkit --example speed
target="${CARGO_TARGET_DIR:-$root/target}"
list="$(mktemp)"
list2="$(mktemp)"
list3="$(mktemp)"
list4="$(mktemp)"
list5="$(mktemp)"
list6="$(mktemp)"
list7="$(mktemp)"
list8="$(mktemp)"
list9="$(mktemp)"
list10="$(mktemp)"
list11="$(mktemp)"
list12="$(mktemp)"
list13="$(mktemp)"
lints/study/fetch.sh > "$list"
lints/study/fetch_heldback.sh 2 > "$list2"
lints/study/fetch_heldback.sh 3 > "$list3"
lints/study/fetch_heldback.sh 4 > "$list4"
lints/study/fetch_heldback.sh 5 > "$list5"
lints/study/fetch_heldback.sh 6 > "$list6"
lints/study/fetch_heldback.sh 7 > "$list7"
lints/study/fetch_heldback.sh 8 > "$list8"
lints/study/fetch_heldback.sh 9 > "$list9"
lints/study/fetch_heldback.sh 10 > "$list10"
lints/study/fetch_heldback.sh 11 > "$list11"
lints/study/fetch_heldback.sh 12 > "$list12"
lints/study/fetch_heldback.sh 13 > "$list13"
# The first study's crates come from the workspace's own dependencies.
cargo fetch --quiet
echo "## Precision"
python3 lints/study/precision.py "$target/release/cargo-cancelkit" "$registry" "$list" "$list2" "$list3" "$list4" "$list5" "$list6" "$list7" "$list8" "$list9" "$list10" "$list11" "$list12" "$list13"
echo
echo "## Speed and memory"
tokio="$(ls -d "$registry"/*/tokio-1.* | sort -V | tail -n1)"
RUNS="${RUNS:-7}" "$target/release/examples/speed" "$tokio"
