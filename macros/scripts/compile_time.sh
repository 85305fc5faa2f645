#!/usr/bin/env bash
# Build time of a throwaway crate with N functions (default 200), each with two loops and,
# for half of them, an await: plain vs. every function under #[cancellable].
#
#   macros/scripts/compile_time.sh [N] [RUNS]
#   OPTIMIZE_MACROS=1 macros/scripts/compile_time.sh   # with [profile.dev.build-override] opt-level = 3
#
# The crate lives in a temporary directory (deleted at exit) with its own target dir; the
# dependencies are built once before timing, then each variant is rebuilt RUNS times
# (default 3) after touching its source, and the fastest run is reported.
set -euo pipefail

N=${1:-200}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

mkdir -p "$DIR/src"
cat > "$DIR/Cargo.toml" <<TOML
[package]
name = "cancellable-compile-time"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
cancelkit = { path = "$ROOT/runtime" }
tokio = { version = "1", features = ["sync"] }

[workspace]
TOML
# OPTIMIZE_MACROS=1: build proc macros (and syn) optimized, as many projects do.
if [[ "${OPTIMIZE_MACROS:-0}" == 1 ]]; then
    printf '\n[profile.dev.build-override]\nopt-level = 3\n' >> "$DIR/Cargo.toml"
fi

generate() { # $1 = attribute line (empty for plain)
    echo 'use cancelkit::CancellationError;'
    for i in $(seq 1 "$N"); do
        if (( i % 2 == 0 )); then
            cat <<RS
$1
pub async fn f$i(rx: &mut tokio::sync::mpsc::Receiver<u64>, items: &[u64]) -> Result<u64, CancellationError> {
    let mut sum = 0;
    while let Some(n) = rx.recv().await {
        sum += n;
    }
    for (k, item) in items.iter().enumerate() {
        if k % 3 == 0 { continue; }
        sum = sum.wrapping_mul(31).wrapping_add(*item);
    }
    Ok(sum)
}
RS
        else
            cat <<RS
$1
pub fn f$i(items: &[u64]) -> Result<u64, CancellationError> {
    let mut sum = 0;
    let mut i = 0;
    while i < items.len() {
        sum += items[i];
        i += 1;
    }
    for item in items {
        sum = sum.wrapping_mul(31).wrapping_add(*item);
    }
    Ok(sum)
}
RS
        fi
    done
}

export CARGO_TARGET_DIR="$DIR/target"
cd "$DIR"
generate "" > src/lib.rs
cargo build --quiet 2>/dev/null || cargo build

measure() { # $1 = label, $2 = attribute
    generate "$2" > src/lib.rs
    local best=""
    for _ in $(seq 1 "$RUNS"); do
        touch src/lib.rs
        local start end ms
        start=$(date +%s%N)
        cargo build --quiet
        end=$(date +%s%N)
        ms=$(( (end - start) / 1000000 ))
        if [[ -z "$best" || "$ms" -lt "$best" ]]; then best=$ms; fi
    done
    printf '%-18s %6d ms  (fastest of %d, %d functions)\n' "$1" "$best" "$RUNS" "$N"
}

measure "plain" ""
measure "#[cancellable]" "#[cancelkit::cancellable]"
# The macro's own cost (parse, walk, print) without inserting any checkpoint.
measure "no checkpoints" "#[cancelkit::cancellable(loops = false, awaits = false)]"
