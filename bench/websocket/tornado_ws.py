#!/usr/bin/python3
"""Tornado's WebSocket server for bench/websocket/run: a WebSocketHandler that
echoes every message; a text message "broadcast" makes it send one 100-byte
message to every connection. Prints "port N".

  tornado_ws.py [--deflate]"""
import asyncio
import signal
import sys

import tornado.web
import tornado.websocket

DEFLATE = "--deflate" in sys.argv
PAYLOAD = "B" * 100
everyone = set()


class Echo(tornado.websocket.WebSocketHandler):
    def get_compression_options(self):
        return {} if DEFLATE else None

    def open(self):
        everyone.add(self)

    def on_message(self, message):
        if message == "broadcast":
            for other in everyone:
                other.write_message(PAYLOAD)
            return
        self.write_message(message, binary=isinstance(message, bytes))

    def on_close(self):
        everyone.discard(self)


async def main():
    app = tornado.web.Application([(r"/", Echo)], websocket_max_message_size=2 ** 24)
    server = app.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    print("port %d" % port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()


asyncio.run(main())
