"""Turns the RESULT lines collected by bench/run into a table of medians per
workload/impl with eddy/peer ratios, printed and written to results.md
together with a description of the machine.

usage: summarize.py RAW_RESULTS RESULTS_MD BUILD_DIR ROUNDS"""

import os
import platform
import re
import statistics
import subprocess
import sys
from collections import defaultdict

METRICS = ["ns_per_op", "cpu_ns_per_op", "median_ns", "p99_ns"]
# The memory workloads' figures (bytes per object, allocations per operation).
MEMORY_METRICS = ["caller_bytes", "heap_bytes", "bytes_per_op", "allocs_per_op"]
ALL_METRICS = METRICS + MEMORY_METRICS
# Workloads whose peers run fewer items than eddy (results are per item).
PER_ITEM = {"queue_chain"}
PEER_PACKAGES = ["libev-dev", "libuv1-dev", "libevent-dev", "libasio-dev",
                 "python3-tornado"]


def parse(path):
    """{(workload, params): {impl: {metric: [values]}}}"""
    groups = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    with open(path) as f:
        for line in f:
            if not line.startswith("RESULT "):
                continue
            fields = dict(word.split("=", 1) for word in line.split()[1:])
            workload, impl = fields.pop("workload"), fields.pop("impl")
            # Scaled-down peers (Python) report per item on fewer items: n
            # stays out of the key so they share a row group with eddy.
            params = " ".join(f"{k}={v}" for k, v in fields.items()
                              if k not in ALL_METRICS and not (k == "n" and workload in PER_ITEM))
            for metric in ALL_METRICS:
                if metric in fields:
                    groups[(workload, params)][impl][metric].append(float(fields[metric]))
    return groups


def primary(metrics):
    """The figure a ratio is taken on: CPU per op for throughput, the median
    for latency."""
    for name in ("cpu_ns_per_op", "median_ns", "bytes_per_op", "allocs_per_op"):
        if name in metrics:
            return name
    return None


def table(groups, metrics=METRICS):
    names = {"ns_per_op": "ns/op", "cpu_ns_per_op": "cpu ns/op", "median_ns": "median ns",
             "p99_ns": "p99 ns", "caller_bytes": "caller bytes", "heap_bytes": "heap bytes",
             "bytes_per_op": "bytes/object", "allocs_per_op": "allocs/op"}
    header = ("| workload | params | impl | " + " | ".join(names[m] for m in metrics)
              + " | runs | eddy ÷ impl |")
    rows = [header, "|" + "---|" * (len(metrics) + 5)]
    for (workload, params), impls in sorted(groups.items()):
        if not any(m in ms for ms in impls.values() for m in metrics):
            continue
        medians = {impl: {m: statistics.median(v) for m, v in ms.items()}
                   for impl, ms in impls.items()}
        eddy = medians.get("eddy")
        for impl in sorted(medians, key=lambda i: (i != "eddy", i)):
            m = medians[impl]
            runs = max(len(v) for v in impls[impl].values())
            key = primary(m)
            ratio = ""
            if eddy and impl != "eddy" and key in eddy and m.get(key):
                ratio = f"{eddy[key] / m[key]:.2f}"
            cells = [f"{m[x]:.1f}" if x in m else "" for x in metrics]
            rows.append(f"| {workload} | {params} | {impl} | " + " | ".join(cells)
                        + f" | {runs} | {ratio} |")
    return "\n".join(rows)


# The goals: (workload, params prefix, reference impl, highest eddy ÷ ref).
GOALS = [
    ("timers_schedule", "", "libev", 1.0),
    ("timers_fire", "", "libev", 1.0),
    ("timers_churn", "", "libev", 1.0),
    ("timers_user_schedule", "loop=user reserve=caller sched=later", "libev", 1.0),
    ("timers_user_fire", "loop=user reserve=caller sched=later", "libev", 1.0),
    ("timers_user_churn", "loop=user reserve=caller sched=later", "libev", 1.0),
    ("dispatch", "", "epoll", 1.03),
    ("callbacks_chain", "", "asio", 1.0),
    ("callbacks_xthread", "", "asio", 1.0),
    ("queue_chain", "maxsize=1", "tornado", 0.05),
]


def goal_table(groups):
    rows = ["| workload | params | eddy cpu ns/op | reference | ref cpu ns/op | eddy ÷ ref | goal | met |",
            "|---|---|---|---|---|---|---|---|"]
    for workload, prefix, ref, limit in GOALS:
        for (w, params), impls in sorted(groups.items()):
            if w != workload or not params.startswith(prefix):
                continue
            if "eddy" not in impls or ref not in impls:
                continue
            e = statistics.median(impls["eddy"]["cpu_ns_per_op"])
            r = statistics.median(impls[ref]["cpu_ns_per_op"])
            ratio = e / r
            rows.append(f"| {w} | {params} | {e:.1f} | {ref} | {r:.1f} | {ratio:.2f} | ≤ {limit} "
                        f"| {'yes' if ratio <= limit else 'no'} |")
    return "\n".join(rows)


def command_output(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "(unavailable)"


def machine(build_dir):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    compiler = "unknown"
    cache = os.path.join(build_dir, "CMakeCache.txt")
    if os.path.exists(cache):
        with open(cache) as f:
            match = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.*)$", f.read(), re.M)
        if match:
            compiler = command_output([match.group(1), "--version"]).splitlines()[0]
    peers = command_output(["dpkg-query", "-W", "-f=${Package} ${Version}\\n"] + PEER_PACKAGES)
    return "\n".join([
        f"- CPUs (nproc): {os.cpu_count()}; model: {cpu}",
        f"- kernel: {platform.release()}",
        f"- load average at the end of the run (1, 5, 15 min): "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine is shared with builds)",
        f"- C++ compiler: {compiler}; Python: {platform.python_version()}",
        "- peer packages:",
        *(f"  - {line}" for line in peers.splitlines()),
    ])


def main():
    raw, md, build_dir, rounds = sys.argv[1:5]
    groups = parse(raw)
    text = table(groups)
    memory = table(groups, MEMORY_METRICS)
    goals = goal_table(groups)
    print(text + "\n\n" + memory + "\n\n" + goals)
    with open(md, "w") as f:
        f.write("# eddy benchmark results\n\n")
        f.write("Generated by `bench/run`: medians of "
                f"{rounds} alternating rounds. Times in ns; `cpu ns/op` is process CPU "
                "time (all threads) per operation; latency rows give median and p99. "
                "`eddy ÷ impl` divides eddy's CPU per op (or median latency) by the "
                "peer's: below 1 means eddy is cheaper.\n\n")
        f.write("## Machine\n\n" + machine(build_dir) + "\n\n")
        f.write("## Goals\n\n" + goals + "\n\n")
        callgrind = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callgrind-dispatch.md")
        if os.path.exists(callgrind):
            with open(callgrind) as c:
                f.write("## Dispatch: user-space instructions per event (bench/callgrind-dispatch)\n\n"
                        "Counted by callgrind, which sees no kernel work: the cost of the loop "
                        "itself. The goal is eddy ≤ 0.75 × the best peer.\n\n" + c.read() + "\n")
        f.write("## Results\n\n" + text + "\n\n")
        f.write("## Memory\n\n`caller bytes` is the watcher struct the caller must keep "
                "(sizeof), `heap bytes` what the library added to the heap (mallinfo2) per "
                "object; `allocs/op` counts operator new calls in steady state.\n\n"
                + memory + "\n")
        # Hand-written companions, kept in their own files so a new run does
        # not overwrite them: the streams figures and the optimisation log.
        here = os.path.dirname(os.path.abspath(__file__))
        for extra in ("timers-results.md", "streams-results.md", "hotpaths-results.md", "optimisations.md"):
            path = os.path.join(here, extra)
            if os.path.exists(path):
                with open(path) as e:
                    f.write("\n" + e.read())


if __name__ == "__main__":
    main()
