#!/usr/bin/env python3
"""Precision study for `cargo cancelkit check` (default mode).

Runs the release binary over crates from cargo's registry cache, joins every finding with the
hand labels in labels.tsv (TP: the loop really can run unbounded without yielding or checking;
FP: it cannot), and prints a markdown table. Unlabelled findings are listed so they can be read
and labelled. Usage: precision.py BIN REGISTRY_SRC LABELS
"""
import json
import os
import re
import subprocess
import sys

PRIMARY = ["tokio", "hyper", "axum", "reqwest"]
EXTENDED = ["tokio-util", "h2", "hyper-util", "tower", "tower-http", "quinn", "futures-util", "criterion"]


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


def findings(binary, crate_dir, extra):
    out = subprocess.run(
        [binary, "check", "--no-cargo-check", "--message-format", "json", *extra, crate_dir],
        capture_output=True, text=True, check=False,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"checker failed on {crate_dir}: {out.stderr}")
    result = []
    for line in out.stdout.splitlines():
        msg = json.loads(line)["message"]
        if msg["code"]["code"] != "cancelkit::uncancellable_loop":
            continue
        span = next(s for s in msg["spans"] if s["is_primary"])
        rel = os.path.relpath(os.path.join(os.getcwd(), span["file_name"]), crate_dir)
        result.append(f"{rel}:{span['line_start']}")
    return result


def main():
    binary, registry, labels_path = sys.argv[1:4]
    labels = {}
    with open(labels_path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, verdict, reason = line.rstrip("\n").split("\t")
            labels[key] = (verdict, reason)
    modes = [("default", []), ("default without bounded-loop heuristics", ["--report-bounded-loops"])]
    unlabelled = []
    for title, crates in [("Primary set", PRIMARY), ("Extended set", EXTENDED)]:
        for mode, extra in modes:
            print(f"\n### {title}, {mode} mode\n")
            print("| crate | files | findings | TP | FP | precision |")
            print("| --- | ---: | ---: | ---: | ---: | ---: |")
            tot = [0, 0, 0, 0]
            for name in crates:
                d = newest(registry, name)
                if d is None:
                    print(f"| {name} | (not in registry) | | | | |")
                    continue
                nfiles = sum(1 for r, _, fs in os.walk(d) for x in fs if x.endswith(".rs"))
                fs = findings(binary, d, extra)
                tp = fp = 0
                for f in fs:
                    v = labels.get(f"{name}/{f}")
                    if v is None:
                        unlabelled.append(f"{name}/{f}")
                    elif v[0] == "TP":
                        tp += 1
                    else:
                        fp += 1
                prec = f"{100 * tp / (tp + fp):.0f}%" if tp + fp else "n/a"
                print(f"| {os.path.basename(d)} | {nfiles} | {len(fs)} | {tp} | {fp} | {prec} |")
                for i, x in enumerate([nfiles, len(fs), tp, fp]):
                    tot[i] += x
            prec = f"{100 * tot[2] / (tot[2] + tot[3]):.0f}%" if tot[2] + tot[3] else "n/a"
            print(f"| **total** | {tot[0]} | {tot[1]} | {tot[2]} | {tot[3]} | **{prec}** |")
    if unlabelled:
        print("\nUnlabelled findings (read them and add them to labels.tsv):")
        for u in sorted(set(unlabelled)):
            print(f"- {u}")
    print("\nLabels:\n")
    for key, (verdict, reason) in labels.items():
        print(f"- `{key}` — **{verdict}**: {reason}")


if __name__ == "__main__":
    main()
