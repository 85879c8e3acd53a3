#!/usr/bin/env python3
"""Markdown table of JS-1..6 (reference and clean modes) from `textwgan eval --json` outputs.

    python3 scripts/results_table.py NAME=FILE.json ... [--floor FILE.json]

Each NAME=FILE gives one row; --floor adds the held-out floor of that file as a last row.
Standard library only.
"""
import json
import sys


def cells(js, n_max):
    out = []
    for mode in ("reference", "clean"):
        for n in range(1, n_max + 1):
            v = js[mode].get(str(n))
            out.append("—" if v is None else f"{v:.3f}")
    return out


def main(argv):
    rows, floor = [], None
    args = iter(argv)
    for a in args:
        if a == "--floor":
            floor = next(args)
        else:
            name, path = a.rsplit("=", 1)
            rows.append((name, path))
    n_max = 6
    head = ["model"] + [f"ref JS-{n}" for n in range(1, n_max + 1)] + [f"clean JS-{n}" for n in range(1, n_max + 1)]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, path in rows:
        d = json.load(open(path))
        print("| " + " | ".join([name] + cells(d["js"], n_max)) + " |")
    if floor:
        d = json.load(open(floor))
        print("| " + " | ".join([f"held-out floor ({d['floor_rows']} real lines)"] + cells(d["floor"], n_max)) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
