#!/usr/bin/env python3
"""Runs several implementations of one workload in alternating rounds (so slow
drifts of the machine hit all of them alike) and prints the medians of their
RESULT lines and eddy's ratio to the best peer, as a Markdown table.

usage: alternate.py ROUNDS LABEL=COMMAND [LABEL=COMMAND ...]
  each COMMAND is a shell command printing RESULT lines (support/report.hpp);
  the label is informational, the impl= field of the RESULT line names the row.
Used by the workload folders' runners (bench/process/run, bench/udp/run)."""

import statistics
import subprocess
import sys
from collections import defaultdict


def run(command):
    out = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {command}\n{out.stderr[-2000:]}")
    rows = []
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            rows.append(dict(word.split("=", 1) for word in line.split()[1:]))
    if not rows:
        sys.exit(f"no RESULT line: {command}")
    return rows


def main():
    rounds = int(sys.argv[1])
    commands = [arg.split("=", 1) for arg in sys.argv[2:]]
    samples = defaultdict(lambda: defaultdict(list))  # params -> impl -> [(wall, cpu)]
    for r in range(rounds):
        for label, command in commands:
            for row in run(command):
                params = " ".join(f"{k}={v}" for k, v in row.items()
                                  if k not in ("workload", "impl", "ns_per_op", "cpu_ns_per_op"))
                samples[f"{row['workload']} {params}"][row["impl"]].append(
                    (float(row["ns_per_op"]), float(row["cpu_ns_per_op"])))
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    print(f"Medians of {rounds} alternating rounds; wall and CPU time per operation.\n")
    print("| workload | impl | wall ns/op | CPU ns/op | eddy ÷ impl (wall) | rounds eddy faster |")
    print("|---|---|---:|---:|---:|---:|")
    for key, impls in samples.items():
        eddy = impls.get("eddy", [])
        for impl, values in impls.items():
            wall = statistics.median(v[0] for v in values)
            cpu = statistics.median(v[1] for v in values)
            ratio = faster = ""
            if eddy and impl != "eddy":
                ratio = f"{statistics.median(v[0] for v in eddy) / wall:.2f}"
                faster = f"{sum(e[0] < o[0] for e, o in zip(eddy, values))} / {len(values)}"
            print(f"| {key} | {impl} | {wall:,.0f} | {cpu:,.0f} | {ratio} | {faster} |")


if __name__ == "__main__":
    main()
