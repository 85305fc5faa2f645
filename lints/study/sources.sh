# Sourced by fetch.sh and fetch_heldback.sh, after the crates are fetched.
# list_sources CORPUS_TSV [PART]: prints `name version part path` for each crate of the corpus,
# where path is its unpacked source dir under ${CARGO_HOME:-$HOME/.cargo}/registry/src/*/;
# without PART, the tsv's third column is the part. Fails on a crate that is not unpacked.
list_sources() {
    local corpus="$1" fixed="${2:-}"
    local registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
    grep -v '^#' "$corpus" | while IFS=$'\t' read -r name version third _; do
        local path=""
        for d in "$registry"/*/"$name-$version"; do
            [ -d "$d" ] && { path="$d"; break; }
        done
        if [ -z "$path" ]; then
            echo "missing: $name $version" >&2
            exit 1
        fi
        echo "$name $version ${fixed:-$third} $path"
    done
}
