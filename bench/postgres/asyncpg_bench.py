#!/usr/bin/python3
"""asyncpg under the PostgreSQL workloads (bench/postgres/run).

  asyncpg_bench.py pipelined <n> [c]   n `SELECT $1::int` from c tasks on one
                                       connection. asyncpg runs one query at a
                                       time per connection (a second concurrent
                                       one raises InterfaceError), so the tasks
                                       share it through an asyncio.Lock: this is
                                       the most asyncpg can do on one connection.
  asyncpg_bench.py serial <n>          one at a time.

Prints RESULT workload=pg_<mode> impl=asyncpg n= c= queries_per_s=
cpu_us_per_query= (process CPU) after a warm-up of n/10. The connection
string ($EDDY_PG_CONNINFO) is libpq's key=value form; host, port, user and
dbname are taken from it.
"""
import asyncio
import os
import sys
import time

import asyncpg


def parse_conninfo(text):
    params = {}
    for item in text.split():
        key, _, value = item.partition("=")
        params[key] = value
    return params


async def run(conn, lock, n, c):
    async def worker(first, count):
        total = 0
        for i in range(first, first + count):
            async with lock:
                total += await conn.fetchval("SELECT $1::int", i)
        return total

    sums = await asyncio.gather(*(worker(w * (n // c), n // c) for w in range(c)))
    return sum(sums)


async def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    c = 1 if mode == "serial" else (int(sys.argv[3]) if len(sys.argv) > 3 else 100)
    n -= n % c
    p = parse_conninfo(os.environ.get("EDDY_PG_CONNINFO", ""))
    conn = await asyncpg.connect(host=p.get("host", p.get("hostaddr")), port=int(p.get("port", 5432)),
                                 user=p.get("user"), database=p.get("dbname"))
    lock = asyncio.Lock()
    warm = n // 10 - (n // 10) % c
    await run(conn, lock, warm, c)
    wall0, cpu0 = time.monotonic(), time.process_time()
    total = await run(conn, lock, n, c)
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    assert total == (n - 1) * n // 2, "wrong answers"
    print(f"RESULT workload=pg_{mode} impl=asyncpg n={n} c={c} queries_per_s={n / wall:.0f} "
          f"cpu_us_per_query={cpu * 1e6 / n:.3f}", flush=True)
    await conn.close()


asyncio.run(main())
