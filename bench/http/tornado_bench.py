"""The HTTP benchmark server on Tornado: a web.Application with one route,
GET /plaintext answering "Hello, World!" as text/plain, on 127.0.0.1, one
process. argv[1] port (0: a free one, printed as "PORT <n>"). Runs until
killed. Needs /usr/bin/python3 (Debian's python3-tornado)."""

import socket
import sys

from tornado import httpserver, ioloop, web


class Plaintext(web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain")
        self.write(b"Hello, World!")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    app = web.Application([(r"/plaintext", Plaintext)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    sock.setblocking(False)
    server = httpserver.HTTPServer(app, idle_connection_timeout=3600)
    server.add_socket(sock)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
