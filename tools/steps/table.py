#!/usr/bin/env python3
"""Markdown tables of the scaling study from `compose eval --json` output (tools/steps/study.sh writes it to
.compose/steps-study/summary.json): per method and n, accuracy with its 95% interval, calls, generated tokens per
question; then every method's accuracy at matched generated tokens per question (linear in log tokens between its
measured points; no extrapolation). Plain Python, no packages."""
import json
import math
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else ".compose/steps-study/summary.json"
results = json.load(open(path))["results"]
series = {}
for r in results:
    m = re.match(r"^(.*)-(\d+)$", r["pipeline"])
    if not m:
        continue
    method, n = m.group(1), int(m.group(2))
    items = r["items"]
    series.setdefault(method, []).append(dict(n=n, acc=r["accuracy"], lo=r["ci95"][0], hi=r["ci95"][1], calls=r["calls"] / items,
                                              gen=r["output_tokens"] / items, cov=r.get("coverage")))

print("| method | n | accuracy | 95% interval | calls/q | generated tokens/q |")
print("|---|---:|---:|---|---:|---:|")
for method, points in series.items():
    for p in sorted(points, key=lambda p: p["n"]):
        print(f"| {method} | {p['n']} | {p['acc']:.1%} | [{p['lo']:.1%}, {p['hi']:.1%}] | {p['calls']:.1f} | {p['gen']:.0f} |")

budgets = [64, 128, 256, 512, 1024, 2048]
print()
print("| method | " + " | ".join(f"{b} tokens" for b in budgets) + " |")
print("|---|" + "---:|" * len(budgets))
for method, points in series.items():
    pts = sorted(points, key=lambda p: p["gen"])
    row = []
    for b in budgets:
        value = None
        for a, c in zip(pts, pts[1:]):
            if a["gen"] <= b <= c["gen"]:
                t = (math.log2(b) - math.log2(a["gen"])) / (math.log2(c["gen"]) - math.log2(a["gen"])) if c["gen"] > a["gen"] else 0
                value = a["acc"] + t * (c["acc"] - a["acc"])
        row.append(f"{value:.1%}" if value is not None else "—")
    print(f"| {method} | " + " | ".join(row) + " |")
