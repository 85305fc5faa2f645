#!/usr/bin/env python3
"""Precision study for `cargo cancelkit check` (default mode).

Runs the release binary over crates from cargo's registry cache, joins every finding with the
hand labels (TP: the loop really can run unbounded on the executor thread without yielding; FP:
it cannot), and prints markdown tables with Wilson 95% confidence intervals.

Two studies:
- the first one (labels.tsv): tokio, hyper, axum, reqwest and eight more, which the first
  default mode was tuned on;
- the corpus (corpus.tsv, fetched by fetch.sh): 50 crates split by a rule fixed before any run
  into a `study` part, which the current default mode was tuned on, and a `heldback` part,
  which was run once, with the code frozen, and then labelled (study_labels.tsv,
  heldback_labels.tsv).

Each part is run in the default mode and with --report-bounded-loops (every await-free path):
the labels of the latter give the real spins the default mode misses.

The four rules added later (unobserved_token, cancel_unsafe_select, blocking_in_async,
unshielded_cleanup) were tuned on both parts of that corpus (rules_labels.tsv holds the labels
of both, before and after tuning) and measured once on a second held-back corpus
(corpus2.tsv, fetched by `fetch_heldback.sh 2` after they were written), as was uncancellable_loop again.

After reading corpus 2's findings the checker was changed again, and both were measured once
more on a third held-back corpus (corpus3.tsv, `fetch_heldback.sh 3`), fetched after the last change.

Then once more on a fourth (corpus4.tsv, `fetch_heldback.sh 4`), after the changes corpus 3 prompted,
and on a fifth (corpus5.tsv, `fetch_heldback.sh 5`) with the code unchanged since the fourth,
and on a sixth (corpus6.tsv, `fetch_heldback.sh 6`, 1.1 million lines) after the changes that
corpora 3 to 5 prompted, and on a seventh (corpus7.tsv, `fetch_heldback.sh 7`, 1.1 million
lines) after the one change corpus 6 prompted, and on an eighth (corpus8.tsv, `fetch_heldback.sh 8`,
0.73 million lines) after the changes corpus 7 prompted, and on a ninth (corpus9.tsv,
`fetch_heldback.sh 9`) after the changes corpus 8 prompted, and on a tenth (corpus10.tsv,
`fetch_heldback.sh 10`) after the changes corpus 9 prompted, and on an eleventh (corpus11.tsv,
`fetch_heldback.sh 11`) after the one change corpus 10 prompted, and on a twelfth (corpus12.tsv,
`fetch_heldback.sh 12`, 0.57 million lines) after the one change corpus 11 prompted, and on a
thirteenth (corpus13.tsv, `fetch_heldback.sh 13`, 1.0 million lines) after the changes made
between corpus 12 and it (a blocking helper of the crate, a `from` conversion in a condition),
and on a fourteenth (corpus14.tsv, `fetch_heldback.sh 14`, 0.77 million lines) after the changes
corpus 13 prompted (crossterm's `event::read()` and re-exports, a line editor's `readline`), and
on a fifteenth (corpus15.tsv, `fetch_heldback.sh 15`, 0.81 million lines) after the change corpus 14
prompted (local booleans set to a constant) and the fixes a review of the session's changes found,
and on a sixteenth (corpus16.tsv, `fetch_heldback.sh 16`, 0.77 million lines) after the one change
corpus 15 prompted (a constant of the file holding a zero duration), and on a seventeenth
(corpus17.tsv, `fetch_heldback.sh 17`, 0.84 million lines) after the changes made since
(`bytes::Buf` getters advance; a `send` in a crate that makes only unbounded channels), and on an
eighteenth (corpus18.tsv, `fetch_heldback.sh 18`, 0.83 million lines) after the change corpus 17
prompted (a blocking helper's `loop`, `stdin.lock()`), and on a nineteenth (corpus19.tsv,
`fetch_heldback.sh 19`, 0.71 million lines) after the change corpus 18 prompted (a timeout's
`Err` arm that leaves), and on a twentieth (corpus20.tsv, `fetch_heldback.sh 20`, 0.23 million
lines: fresh crates ran out) after a review's fixes, and on a twenty-first (corpus21.tsv,
`fetch_heldback.sh 21`, 0.38 million lines) of crates whose newest release is from 2022 to
October 2024, a rule set before its run, with the code of corpus 20 (its macro-token scan for
channel constructors narrowed to files that call one), and on a twenty-second (corpus22.tsv,
`fetch_heldback.sh 22`, 0.53 million lines) of crates earlier headers had left out only for
their age, size or balance, a looser rule set before its run, with the code of corpus 21, and on
a twenty-third (corpus23.tsv, `fetch_heldback.sh 23`, 0.79 million lines) of the crates corpus
22 had cut only to keep its parts balanced, with the same code, and on a twenty-fourth
(corpus24.tsv, `fetch_heldback.sh 24`, 1.8 million lines) of the async crates corpus 22 had left
out only as over its 60k-line cap, after the changes corpus 23 prompted (a terminal prompt's
`interact()`, a `for` over `try_iter()` that runs out), and on a twenty-fifth (corpus25.tsv,
`fetch_heldback.sh 25`, 2.7 million lines) of the crates earlier headers had left out only
as too large, after a review's fixes to those changes, and on a twenty-sixth (corpus26.tsv,
`fetch_heldback.sh 26`, 0.74 million lines), the two crates corpus 25 left out only for its
total, after the changes corpus 25 prompted (a counter known to be zero, a zero timeout), and
on a twenty-seventh (corpus27.tsv, `fetch_heldback.sh 27`, 2.5 million lines), the three crates
corpus 25 left out as over 450,000 lines, with the same checker (only made faster).

Usage: precision.py BIN REGISTRY_SRC CORPUS_LIST [CORPUS2_LIST ...]
where the lists are the output of fetch.sh and fetch_heldback.sh N (`name version part path` per line).
The figures printed are for the code as it is now; RESULTS.md also keeps each held-back
corpus's first run, with the commit it was measured at.
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
# Every part, in the order the corpora were made; `fetch_heldback.sh N` lists crates as heldbackN.
PARTS = ["study", "heldback", "heldback2", "heldback3", "heldback4", "heldback5", "heldback6", "heldback7", "heldback8", "heldback9", "heldback10", "heldback11", "heldback12", "heldback13", "heldback14", "heldback15", "heldback16", "heldback17", "heldback18", "heldback19", "heldback20", "heldback21", "heldback22", "heldback23", "heldback24", "heldback25", "heldback26", "heldback27"]


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
    parts = {part: [] for part in PARTS}
    for lst in sys.argv[3:]:
        with open(lst) as f:
            for line in f:
                name, _version, part, path = line.split()
                parts[part].append((name, path))
    summary = []
    loop_parts = [(p, f"{p}_labels.tsv") for p in PARTS if parts[p]]
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
    rule_parts = [(p, parts[p]) for p in PARTS if parts[p]]
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
