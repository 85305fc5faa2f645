#!/usr/bin/env bash
# Fetch the crates of corpus.tsv (exact pinned versions) into cargo's registry cache; build nothing.
# Usage: fetch.sh [SCRATCH_DIR]   (default /tmp/cancelkit-corpus)
# Prints one line per crate: `name version part path`, where path is the unpacked source dir
# under ${CARGO_HOME:-$HOME/.cargo}/registry/src/*/NAME-VERSION.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
corpus="$here/corpus.tsv"
dir="${1:-/tmp/cancelkit-corpus}"

mkdir -p "$dir/src"
: > "$dir/src/lib.rs"
{
    printf '[package]\nname = "cancelkit-corpus"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
    printf '[workspace]\n\n[dependencies]\n'
    grep -v '^#' "$corpus" | while IFS=$'\t' read -r name version _; do
        printf '%s = "=%s"\n' "$name" "$version"
    done
} > "$dir/Cargo.toml"

(cd "$dir" && cargo fetch --quiet) >&2

source "$here/sources.sh"
list_sources "$corpus"
