#!/usr/bin/python3
"""The HTTP client benchmark on aiohttp: N GETs of a 13-byte body over
keep-alive (one ClientSession, a TCPConnector limited to CONCURRENCY),
CONCURRENCY workers at once. Same output as bench/http_client/eddy.cpp.

  aiohttp_bench.py PORT N CONCURRENCY
"""
import asyncio
import resource
import sys
import time

import aiohttp


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


async def run(session, url, n, concurrency):
    remaining = [n]
    bad = [0]

    async def worker():
        while remaining[0] > 0:
            remaining[0] -= 1
            async with session.get(url) as r:
                if len(await r.read()) != 13:
                    bad[0] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return bad[0]


async def main():
    port, n, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    url = "http://127.0.0.1:%s/hello" % port
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        bad = await run(session, url, concurrency * 20, concurrency)
        cpu0, t0 = cpu_seconds(), time.monotonic()
        bad += await run(session, url, n, concurrency)
        seconds, cpu = time.monotonic() - t0, cpu_seconds() - cpu0
    if bad:
        sys.exit("%d responses with a wrong body" % bad)
    print("RESULT impl=aiohttp concurrency=%d fetches=%d seconds=%.3f fetches_per_s=%.0f cpu_us_per_fetch=%.2f"
          % (concurrency, n, seconds, n / seconds, cpu * 1e6 / n))


asyncio.run(main())
