#!/usr/bin/env bash
# Reproducible study: precision over real crates, and speed and memory against `syn::parse_file`.
# Run from anywhere; needs network access to crates.io the first time (fetch.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
cargo build --release -p cargo-cancelkit --bin cargo-cancelkit --example speed
target="${CARGO_TARGET_DIR:-$root/target}"
# One list per corpus: corpus.tsv through fetch.sh, then each held-back corpusN.tsv by N.
lists=("$(mktemp)")
lints/study/fetch.sh > "${lists[0]}"
for n in $(ls lints/study/corpus[0-9]*.tsv | sed 's/.*corpus\([0-9]*\)\.tsv/\1/' | sort -n); do
    lists+=("$(mktemp)")
    lints/study/fetch_heldback.sh "$n" > "${lists[-1]}"
done
# The first study's crates come from the workspace's own dependencies.
cargo fetch --quiet
echo "## Precision"
python3 lints/study/precision.py "$target/release/cargo-cancelkit" "$registry" "${lists[@]}"
echo
echo "## Speed and memory"
tokio="$(ls -d "$registry"/*/tokio-1.* | sort -V | tail -n1)"
RUNS="${RUNS:-7}" "$target/release/examples/speed" "$tokio"
