#!/usr/bin/python3
"""Python websockets' server for bench/websocket/run: echoes every message; a
text message "broadcast" makes it send one 100-byte message to every
connection (websockets.broadcast). Prints "port N".

  websockets_ws.py [--deflate]"""
import asyncio
import signal
import sys

import websockets

DEFLATE = "--deflate" in sys.argv
PAYLOAD = "B" * 100
everyone = set()


async def echo(ws, path=None):
    everyone.add(ws)
    try:
        async for message in ws:
            if message == "broadcast":
                websockets.broadcast(everyone, PAYLOAD)
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    finally:
        everyone.discard(ws)


async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, compression="deflate" if DEFLATE else None,
                                max_size=2 ** 24, ping_interval=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print("port %d" % port, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        await stop.wait()


asyncio.run(main())
