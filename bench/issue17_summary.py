#!/usr/bin/env python3
"""Medians of bench/issue17.sh's raw output: for every (variant, benchmark) the median,
minimum and maximum of each metric over the rounds. Usage: issue17_summary.py < raw.txt"""
import collections
import statistics
import sys

runs = collections.defaultdict(lambda: collections.defaultdict(list))
for line in sys.stdin:
    f = line.split()
    if len(f) < 5 or not f[2].startswith("Benchmark"):
        if line.startswith("#"):
            print(line.rstrip())
        continue
    variant, name = f[1], f[2].rsplit("-", 1)[0]
    vals = f[4:]
    for i in range(0, len(vals) - 1, 2):
        try:
            runs[(variant, name)][vals[i + 1]].append(float(vals[i]))
        except ValueError:
            pass
for (variant, name), metrics in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    parts = []
    for metric, v in metrics.items():
        if metric in ("ns/op", "B/op", "allocs/op"):
            continue
        parts.append(f"{metric} {statistics.median(v):.4g} [{min(v):.4g}, {max(v):.4g}] n={len(v)}")
    print(f"{variant:4s} {name:70s} " + "; ".join(parts))
