#!/usr/bin/env python3
"""A tiny HTTP proxy for the client's proxy tests (tests/http_client_proxy_test.cpp).

    http_proxy.py DIR

Listens on 127.0.0.1 port 0 and writes the port to DIR/port. Each request
line it gets (and whether Proxy-Authorization came with it) is appended to
DIR/log, one per line. CONNECT host:port opens a tunnel (200, then bytes
both ways) unless the host is "refused.invalid" (403); an absolute-form
request ("GET http://host:port/path") is sent on to host:port in origin form
with "Connection: close", and its answer piped back (one request per
connection). Anything else gets 400.
"""
import asyncio
import os
import sys
from urllib.parse import urlsplit

DIR = sys.argv[1]


def log(line):
    with open(os.path.join(DIR, "log"), "a") as f:
        f.write(line + "\n")


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(reader, writer):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    auth = any(l.lower().startswith("proxy-authorization:") for l in lines[1:])
    log(lines[0] + (" auth" if auth else ""))
    if method == "CONNECT":
        host, port = target.rsplit(":", 1)
        if host == "refused.invalid":
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
    elif target.startswith("http://"):
        url = urlsplit(target)
        up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port or 80)
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        kept = [l for l in lines[1:] if l and not l.lower().startswith(("proxy-authorization:", "connection:"))]
        kept += ["Connection: close", "", ""]
        up_writer.write((" ".join([method, path, version]) + "\r\n" + "\r\n".join(kept)).encode("latin-1"))
    else:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(os.path.join(DIR, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
    async with server:
        await server.serve_forever()


asyncio.run(main())
