#!/usr/bin/python3
"""The HTTP client benchmark on Tornado's AsyncHTTPClient (the simple
client, max_clients=CONCURRENCY): N GETs of a 13-byte body, CONCURRENCY
coroutines at once. Tornado's simple client opens a new connection per
fetch (its issue #324), so this row pays connection setup each time: that
is what its users get. Same output as bench/http_client/eddy.cpp.

  tornado_bench.py PORT N CONCURRENCY
"""
import resource
import sys
import time

from tornado import gen, httpclient, ioloop


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


async def run(client, url, n, concurrency):
    remaining = [n]
    bad = [0]

    async def worker():
        while remaining[0] > 0:
            remaining[0] -= 1
            r = await client.fetch(url)
            if len(r.body) != 13:
                bad[0] += 1

    await gen.multi([worker() for _ in range(concurrency)])
    return bad[0]


async def main():
    port, n, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    url = "http://127.0.0.1:%s/hello" % port
    client = httpclient.AsyncHTTPClient(max_clients=concurrency)
    bad = await run(client, url, concurrency * 20, concurrency)
    cpu0, t0 = cpu_seconds(), time.monotonic()
    bad += await run(client, url, n, concurrency)
    seconds, cpu = time.monotonic() - t0, cpu_seconds() - cpu0
    if bad:
        sys.exit("%d responses with a wrong body" % bad)
    print("RESULT impl=tornado concurrency=%d fetches=%d seconds=%.3f fetches_per_s=%.0f cpu_us_per_fetch=%.2f"
          % (concurrency, n, seconds, n / seconds, cpu * 1e6 / n))


ioloop.IOLoop.current().run_sync(main)
