#!/usr/bin/python3
"""Real WebSocket peers for eddy's tests (tests/websocket_peers_test.cpp).

  ws_peer.py websockets-client URL [--deflate] [--cafile PEM]
                                                 Python's websockets as client (wss:// trusting PEM)
  ws_peer.py websockets-server CERT KEY          Python's websockets as a wss:// echo server;
                                                 prints "port N", serves until stdin closes
  ws_peer.py tornado-client URL [--deflate]      Tornado's websocket_connect as client
  ws_peer.py tornado-server [--deflate]          Tornado's WebSocketHandler as an echo server;
                                                 prints "port N", serves until stdin closes

A client sends a short text, a 100 KB text, a binary message with every
byte value, and a ping; checks each echo; reports whether compression was
negotiated; closes with 1000 and prints "ok" lines, or "FAIL ..." and
exits 1."""
import asyncio
import sys

HELLO = "hello from the peer, κόσμε"
BIG = "the quick brown fox jumps over the lazy dog; " * 2300
BINARY = bytes(range(256)) * 4


def fail(why):
    print("FAIL " + why, flush=True)
    sys.exit(1)


def option(name):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None


async def websockets_client(url, deflate):
    import ssl
    import websockets
    context = None
    if url.startswith("wss:"):
        context = ssl.create_default_context(cafile=option("--cafile"))
    async with websockets.connect(url, compression="deflate" if deflate else None,
                                  max_size=2 ** 24, ping_interval=None, ssl=context) as ws:
        for message in (HELLO, BIG, BINARY):
            await ws.send(message)
            echo = await ws.recv()
            if echo != message:
                fail("echo of a %d-byte %s differs" % (len(message), type(message).__name__))
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 10)
        names = [e.name for e in ws.extensions]
        print("ok echoes", flush=True)
        print("ok extensions %s" % (",".join(names) or "none"), flush=True)
        await ws.close(1000, "done")
        print("ok closed %s" % ws.close_code, flush=True)


async def tornado_client(url, deflate):
    import tornado.websocket
    conn = await tornado.websocket.websocket_connect(url, compression_options={} if deflate else None,
                                                     max_message_size=2 ** 24)
    for message in (HELLO, BIG, BINARY):
        await conn.write_message(message, binary=isinstance(message, bytes))
        echo = await conn.read_message()
        if echo != message:
            fail("echo of a %d-byte %s differs" % (len(message), type(message).__name__))
    extensions = conn.headers.get("Sec-WebSocket-Extensions", "none")
    print("ok echoes", flush=True)
    print("ok extensions %s" % ("permessage-deflate" if "permessage-deflate" in extensions else "none"), flush=True)
    conn.close(1000, "done")
    for _ in range(100):
        if conn.close_code is not None:
            break
        await asyncio.sleep(0.02)
    print("ok closed %s" % conn.close_code, flush=True)


async def tornado_server(deflate):
    import tornado.web
    import tornado.websocket

    class Echo(tornado.websocket.WebSocketHandler):
        def get_compression_options(self):
            return {} if deflate else None

        def on_message(self, message):
            self.write_message(message, binary=isinstance(message, bytes))

    app = tornado.web.Application([(r"/echo", Echo)], websocket_max_message_size=2 ** 24)
    server = app.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    print("port %d" % port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin


async def websockets_server(cert, key):
    import ssl
    import websockets
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    async def echo(ws, path=None):
        async for message in ws:
            await ws.send(message)

    async with websockets.serve(echo, "127.0.0.1", 0, ssl=context, max_size=2 ** 24, ping_interval=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print("port %d" % port, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin


def main():
    mode = sys.argv[1]
    deflate = "--deflate" in sys.argv
    if mode == "websockets-client":
        asyncio.run(websockets_client(sys.argv[2], deflate))
    elif mode == "tornado-client":
        asyncio.run(tornado_client(sys.argv[2], deflate))
    elif mode == "websockets-server":
        asyncio.run(websockets_server(sys.argv[2], sys.argv[3]))
    elif mode == "tornado-server":
        asyncio.run(tornado_server(deflate))
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
