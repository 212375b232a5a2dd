#!/usr/bin/env python3
"""Summarise a merged Verilator coverage file: line and toggle points hit, per module
(of rtl/mc for mc_coverage, of the whole device for device_coverage); --exclude leaves
a module (a test bench) out of the table and the totals.

A module is its source file (one module a file). A point is counted once however many
instances and parameterisations of its module the runs had (Verilator names each
parameterisation apart): it is hit when any of them hit it."""
import argparse
import collections
import os
import re

# Each record: C '<key><0x01><value><0x02>...' <count>; keys: t (type), page, f (file), h (hierarchy).
REC = re.compile(r"^C '(.*)' (\d+)$")


def fields(text):
    out = {}
    for part in text.split("\x01"):
        if "\x02" in part:
            k, v = part.split("\x02", 1)
            out[k] = v
    return out


def main(path, exclude=()):
    points = {}  # (module, kind, file, line, column, comment) -> hit
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = REC.match(line.rstrip("\n"))
            if not m:
                continue
            rec = fields("\x01" + m.group(1))
            kind = rec.get("page", "").split("/")[0].replace("v_", "")
            if kind == "branch":
                kind = "line"
            module = os.path.splitext(os.path.basename(rec.get("f", "?")))[0]
            if module in exclude:
                continue
            key = (module, kind, rec.get("f"), rec.get("l"), rec.get("n"), rec.get("o"))
            points[key] = points.get(key, False) or int(m.group(2)) > 0
    stats = collections.defaultdict(lambda: [0, 0])  # (module, kind) -> [hit, total]
    for (module, kind, *_), hit in points.items():
        s = stats[(module, kind)]
        s[1] += 1
        s[0] += hit
    totals = collections.defaultdict(lambda: [0, 0])
    print(f"{'module':<20} {'line':>16} {'toggle':>18}")
    for module in sorted({k[0] for k in stats}):
        row = [module]
        for kind in ("line", "toggle"):
            hit, total = stats.get((module, kind), [0, 0])
            totals[kind][0] += hit
            totals[kind][1] += total
            row.append(f"{hit}/{total} {100.0 * hit / total if total else 100.0:5.1f}%")
        print(f"{row[0]:<20} {row[1]:>16} {row[2]:>18}")
    row = ["total"]
    for kind in ("line", "toggle"):
        hit, total = totals[kind]
        row.append(f"{hit}/{total} {100.0 * hit / total if total else 100.0:5.1f}%")
    print(f"{row[0]:<20} {row[1]:>16} {row[2]:>18}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("merged", help="merged coverage file (verilator_coverage --write)")
    ap.add_argument("--exclude", action="append", default=[], help="module to leave out")
    args = ap.parse_args()
    main(args.merged, set(args.exclude))
