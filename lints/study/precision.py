#!/usr/bin/env python3
"""Precision study for `cargo cancelkit check` (default mode).

Runs the release binary over crates from cargo's registry cache, joins every finding with the
hand labels, and prints markdown tables with Wilson 95% confidence intervals. A finding is a
true positive when reading the code shows it is real (for `uncancellable_loop`: the loop can run
unbounded on the executor thread without yielding); everything else is a false positive.

What it runs on:
- the first study (labels.tsv): tokio, hyper, axum, reqwest and eight more, which the first
  default mode was tuned on;
- corpus.tsv (fetched by fetch.sh): 50 crates split by a rule fixed before any run into a
  `study` part (tuned on) and a `heldback` part (study_labels.tsv, heldback_labels.tsv);
- the held-back corpora corpus2.tsv, corpus3.tsv, ... (fetched by `fetch_heldback.sh N`, parts
  `heldbackN`, labels in heldbackN_labels.tsv). Each was chosen blind by a rule written in its
  header before any run, run once with the checker frozen, then read and labelled. RESULTS.md
  keeps each one's first run, with the commit it was measured at, and what changed after it.

Each part is run in the default mode and with --report-bounded-loops (every await-free path):
the labels of the latter give the real spins the default mode misses. The later rules
(unobserved_token, cancel_unsafe_select, blocking_in_async, unshielded_cleanup) are labelled in
rules_labels.tsv.

Usage: precision.py BIN REGISTRY_SRC CORPUS_LIST [CORPUS2_LIST ...]
where the lists are the output of fetch.sh and fetch_heldback.sh N (`name version part path` per
line). The figures printed are for the code as it is now, not the first runs.
"""
import json
import math
import os
import re
import subprocess
import sys

FIRST_PRIMARY = ["tokio", "hyper", "axum", "reqwest"]
FIRST_EXTENDED = ["tokio-util", "h2", "hyper-util", "tower", "tower-http", "quinn", "futures-util", "criterion"]
HERE = os.path.dirname(os.path.abspath(__file__))


def part_order(part):
    """Parts in the order the corpora were made: study, heldback, then heldbackN by N (the part
    `fetch_heldback.sh N` lists its crates as)."""
    if part == "study":
        return 0
    n = part.removeprefix("heldback")
    return int(n) if n else 1


def wilson(k, n, z=1.96):
    """Wilson score interval for k successes out of n, in percent."""
    if n == 0:
        return None
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (100 * max(0.0, c - h), 100 * min(1.0, c + h))


def fmt_precision(tp, fp):
    n = tp + fp
    if n == 0:
        return "n/a", "n/a"
    lo, hi = wilson(tp, n)
    return f"{100 * tp / n:.0f}%", f"{lo:.0f}–{hi:.0f}%"


def newest(registry, name):
    best = None
    for index in sorted(os.listdir(registry)):
        for d in os.listdir(os.path.join(registry, index)):
            m = re.fullmatch(re.escape(name) + r"-(\d+)\.(\d+)\.(\d+)(.*)", d)
            if m:
                key = tuple(int(x) for x in m.groups()[:3])
                if best is None or key > best[0]:
                    best = (key, os.path.join(registry, index, d))
    return best[1] if best else None


NEW_RULES = ["unobserved_token", "cancel_unsafe_select", "blocking_in_async", "unshielded_cleanup"]
# Rules allowed by default are measured turned on (corpora 1-4 ran while unobserved_token was
# still a warning by default, so their figures are the same either way).
RULE_FLAGS = {"unobserved_token": ["-W", "unobserved_token"]}


def findings(binary, crate_dir, extra, rule="uncancellable_loop"):
    out = subprocess.run(
        [binary, "check", "--no-cargo-check", "--message-format", "json", *extra, crate_dir],
        capture_output=True, text=True, check=False,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"checker failed on {crate_dir}: {out.stderr}")
    result = []
    for line in out.stdout.splitlines():
        msg = json.loads(line)["message"]
        if msg["code"]["code"] != f"cancelkit::{rule}":
            continue
        span = next(s for s in msg["spans"] if s["is_primary"])
        rel = os.path.relpath(os.path.join(os.getcwd(), span["file_name"]), crate_dir)
        result.append(f"{rel}:{span['line_start']}")
    return result


def read_labels(path):
    labels = {}
    if not os.path.exists(path):  # a corpus not read yet: every finding is unlabelled
        return labels
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, verdict, reason = line.rstrip("\n").split("\t")
            labels[key] = (verdict, reason)
    return labels


def count_lines(d):
    files = lines = 0
    for r, _, fs in os.walk(d):
        for x in fs:
            if x.endswith(".rs"):
                files += 1
                with open(os.path.join(r, x), "rb") as fh:
                    lines += fh.read().count(b"\n")
    return files, lines


def read_rule_labels(path):
    """rule<TAB>key<TAB>verdict<TAB>reason lines -> {(rule, key): (verdict, reason)}."""
    labels = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rule, key, verdict, reason = line.rstrip("\n").split("\t")
            labels[(rule, key)] = (verdict, reason)
    return labels


def rule_tables(binary, parts, labels, unlabelled):
    """One row per (rule, part): findings, TP, FP, precision and CI."""
    print("\n### The four later rules (default levels; unobserved_token turned on)\n")
    print("| rule | part | findings | TP | FP | precision | Wilson 95% CI |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for rule in NEW_RULES:
        for part, crates in parts:
            tp = fp = n = 0
            for name, d in crates:
                for f in findings(binary, d, RULE_FLAGS.get(rule, []), rule):
                    n += 1
                    v = labels.get((rule, f"{name}/{f}"))
                    if v is None:
                        unlabelled.append(f"{rule} {name}/{f}")
                    elif v[0] == "TP":
                        tp += 1
                    else:
                        fp += 1
            prec, ci = fmt_precision(tp, fp)
            print(f"| {rule} | {part} | {n} | {tp} | {fp} | {prec} | {ci} |")


def table(title, binary, crates, labels, extra, unlabelled):
    """crates: [(name, dir)]. Returns (tp, fp, keys found)."""
    print(f"\n### {title}\n")
    print("| crate | files | lines | findings | TP | FP |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    tot = [0, 0, 0, 0, 0]
    keys = set()
    for name, d in crates:
        nfiles, nlines = count_lines(d)
        fs = findings(binary, d, extra)
        tp = fp = 0
        for f in fs:
            key = f"{name}/{f}"
            keys.add(key)
            v = labels.get(key)
            if v is None:
                unlabelled.append(key)
            elif v[0] == "TP":
                tp += 1
            else:
                fp += 1
        if fs:
            print(f"| {os.path.basename(d)} | {nfiles} | {nlines} | {len(fs)} | {tp} | {fp} |")
        for i, x in enumerate([nfiles, nlines, len(fs), tp, fp]):
            tot[i] += x
    prec, ci = fmt_precision(tot[3], tot[4])
    print(f"| **all {len(crates)} crates** | {tot[0]} | {tot[1]} | {tot[2]} | {tot[3]} | {tot[4]} |")
    print(f"\nPrecision **{prec}** (Wilson 95% CI {ci}).")
    return tot[3], tot[4], keys


def main():
    binary, registry = sys.argv[1:3]
    unlabelled = []
    print("## The corpora: split before tuning, then two fresh held-back sets")
    parts = {}
    for lst in sys.argv[3:]:
        with open(lst) as f:
            for line in f:
                name, _version, part, path = line.split()
                parts.setdefault(part, []).append((name, path))
    parts = dict(sorted(parts.items(), key=lambda kv: part_order(kv[0])))
    summary = []
    loop_parts = [(p, f"{p}_labels.tsv") for p in parts]
    for part, label_file in loop_parts:
        labels = read_labels(os.path.join(HERE, label_file))
        tp, fp, found = table(f"{part}, default mode", binary, parts[part], labels, [], unlabelled)
        atp, afp, _ = table(f"{part}, every await-free path (--report-bounded-loops)", binary,
                            parts[part], labels, ["--report-bounded-loops"], unlabelled)
        missed = sorted(k for k, v in labels.items() if v[0] == "TP" and k not in found)
        summary.append((part, tp, fp, atp, afp, missed))
    print("\n### Summary\n")
    print("| part | default: findings | TP | precision | 95% CI | real spins found / all labelled |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for part, tp, fp, atp, afp, missed in summary:
        prec, ci = fmt_precision(tp, fp)
        print(f"| {part} | {tp + fp} | {tp} | {prec} | {ci} | {tp} / {atp} |")
    for part, *_, missed in summary:
        for m in missed:
            print(f"\nMissed in {part}: `{m}`")

    rule_labels = read_rule_labels(os.path.join(HERE, "rules_labels.tsv"))
    rule_parts = list(parts.items())
    rule_tables(binary, rule_parts, rule_labels, unlabelled)

    print("\n## The first study (tuned on by the first default mode)")
    first = read_labels(os.path.join(HERE, "labels.tsv"))
    for title, names in [("primary", FIRST_PRIMARY), ("extended", FIRST_EXTENDED)]:
        crates = [(n, newest(registry, n)) for n in names]
        crates = [(n, d) for n, d in crates if d]
        table(f"{title}, default mode", binary, crates, first, [], unlabelled)
    if unlabelled:
        print("\nUnlabelled findings (read them and label them):")
        for u in sorted(set(unlabelled)):
            print(f"- {u}")


if __name__ == "__main__":
    main()
