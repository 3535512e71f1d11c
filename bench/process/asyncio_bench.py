#!/usr/bin/env python3
"""The spawn workload on asyncio (see spawn_workload.hpp): `width` lanes, each
starting /bin/true with asyncio.create_subprocess_exec and awaiting its exit,
until `total` children have run. The interpreter's default child watcher.
    asyncio_bench.py [total=1000] [width=10] [parent_mib=0]"""
import asyncio
import sys
import time


async def main(total, width):
    started = 0
    failed = 0

    async def lane():
        nonlocal started, failed
        while started < total:
            started += 1
            child = await asyncio.create_subprocess_exec("/bin/true")
            if await child.wait() != 0:
                failed += 1

    await asyncio.gather(*(lane() for _ in range(width)))
    return failed


def run():
    total = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1000
    width = int(float(sys.argv[2])) if len(sys.argv) > 2 else 10
    parent_mib = int(float(sys.argv[3])) if len(sys.argv) > 3 else 0
    ballast = bytearray(b"\1" * (parent_mib << 20))  # touched: a large parent
    wall0, cpu0 = time.monotonic_ns(), time.process_time_ns()
    failed = asyncio.run(main(total, width))
    wall, cpu = time.monotonic_ns() - wall0, time.process_time_ns() - cpu0
    print(f"RESULT workload=spawn impl=asyncio width={width} parent_mib={parent_mib} n={total} "
          f"ns_per_op={wall / total:.1f} cpu_ns_per_op={cpu / total:.1f}", flush=True)
    del ballast
    if failed:
        sys.exit(f"{failed} children failed")


if __name__ == "__main__":
    run()
