#!/usr/bin/env python3
"""Markdown tables of a `lathe vision-trial --json` result (docs/VISION.md): accuracy per method and shot count with
the 95 % bootstrap interval and the seen / unseen split, then the paired VLM − encoder differences."""
import json
import sys


def pct(x):
    return "–" if x is None else f"{100 * x:.1f}"


def ci(c):
    return "" if c is None else f"[{100 * c[0]:.1f}, {100 * c[1]:.1f}]"


def main(path):
    r = json.load(open(path))
    methods = r["settings"]["methods"]
    shots = r["settings"]["shots"]
    cell = {(x["method"], x["shots"]): x for x in r["results"]}
    print(f"{r['n_test']} test images, {r['settings']['seeds']} seeds per cell; unseen (held out of captions): "
          f"{', '.join(r['held_out_classes'])}\n")
    print("| shots | " + " | ".join(f"{m} (95 % CI)" for m in methods) + " | " +
          " | ".join(f"{m} seen / unseen" for m in methods) + " |")
    print("|---:|" + "---|" * (2 * len(methods)))
    for s in shots:
        row = [f"{pct(cell[(m, s)]['accuracy'])} {ci(cell[(m, s)]['ci95'])}" if (m, s) in cell else "" for m in methods]
        split = [f"{pct(cell[(m, s)].get('accuracy_seen'))} / {pct(cell[(m, s)].get('accuracy_unseen'))}" if (m, s) in cell else ""
                 for m in methods]
        print(f"| {s} | " + " | ".join(row) + " | " + " | ".join(split) + " |")
    print("\n| shots | pair | diff (95 % CI) | seen: diff (95 % CI) | unseen: diff (95 % CI) |")
    print("|---:|---|---|---|---|")
    def signed(x):
        return "" if x is None else f"{100 * x:+.1f}"

    for p in r["paired"]:
        print(f"| {p['shots']} | {p['a']} − {p['b']} | {signed(p['diff'])} {ci(p['ci95'])} | "
              f"{signed(p.get('diff_seen'))} {ci(p.get('ci95_seen'))} | {signed(p.get('diff_unseen'))} {ci(p.get('ci95_unseen'))} |")
    m = r.get("machine") or {}
    print(f"\nWall time {r['wall_s']:.0f} s on {r['threads']} threads"
          + (f" (sgemm {m.get('sgemm_gflops', 0):.0f} GFLOP/s, read {m.get('mem_read_gbs', 0):.1f} GB/s in the same run)" if m else "")
          + ".")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/results/vision-trials.json")
