#!/usr/bin/env bash
# Fetch the crates of held-back corpus N (corpusN.tsv, exact pinned versions, N = 2 to 64) into
# cargo's registry cache; build nothing.
# Usage: fetch_heldback.sh N [SCRATCH_DIR]   (default /tmp/cancelkit-corpusN)
# The pinned versions of a corpus do not always resolve in one manifest (two crates may pin
# incompatible versions of a dependency, or two versions of a `links` crate), so crates are put
# greedily, in corpusN.tsv order, into the first scratch manifest SCRATCH_DIR/gM whose lockfile
# still resolves with them added.
# Prints one line per crate: `name version heldbackN path`, where path is the unpacked source dir
# under ${CARGO_HOME:-$HOME/.cargo}/registry/src/*/NAME-VERSION.
set -euo pipefail
n="${1:?usage: fetch_heldback.sh N [SCRATCH_DIR]}"
shift
here="$(cd "$(dirname "$0")" && pwd)"
corpus="$here/corpus$n.tsv"
dir="${1:-/tmp/cancelkit-corpus$n}"

new_group() { # $1 = group dir
    mkdir -p "$1/src"
    : > "$1/src/lib.rs"
    rm -f "$1/Cargo.lock"
    printf '[package]\nname = "cancelkit-corpus%s-%s"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n\n[dependencies]\n' \
        "$n" "$(basename "$1")" > "$1/Cargo.toml"
}

mkdir -p "$dir"
rm -rf "$dir"/g[0-9]*
groups=0
while IFS=$'\t' read -r name version _; do
    line="$(printf '%s = "=%s"' "$name" "$version")"
    placed=""
    for ((g = 1; g <= groups + 1; g++)); do
        gdir="$dir/g$g"
        fresh=""
        if ((g > groups)); then
            new_group "$gdir"
            groups=$g
            fresh=1
        fi
        cp "$gdir/Cargo.toml" "$gdir/Cargo.toml.bak"
        echo "$line" >> "$gdir/Cargo.toml"
        if (cd "$gdir" && cargo generate-lockfile --quiet </dev/null) 2> "$gdir/resolve.log"; then
            placed=$g
            break
        fi
        mv "$gdir/Cargo.toml.bak" "$gdir/Cargo.toml"
        if [ -n "$fresh" ]; then
            cat "$gdir/resolve.log" >&2
            echo "cannot resolve alone: $name $version" >&2
            exit 1
        fi
    done
    echo "$name $version -> g$placed" >&2
done < <(grep -v '^#' "$corpus")

for ((g = 1; g <= groups; g++)); do
    (cd "$dir/g$g" && cargo fetch --quiet </dev/null) >&2
done

source "$here/sources.sh"
list_sources "$corpus" "heldback$n"
