#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/websocket_frame/: frame streams as
browsers and servers send them (masked text, fragmented messages with pings
between the fragments, compressed messages, close frames) and one input per
rule the parser enforces. Each file is one control byte (bit 0: 1 = the
client side, reading unmasked server frames; bit 1: permessage-deflate
negotiated; bits 4-7: the message limit, 2^(6+n) bytes) followed by the
frames. Re-run after editing; the files are committed so CI replays them
without Python."""
import os
import struct
import zlib

KEY = b"\x37\xfa\x21\x3d"


def frame(opcode, payload=b"", fin=True, rsv1=False, masked=True, length_form=None):
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    bit = 0x80 if masked else 0
    if length_form == 16 or (length_form is None and 126 <= n <= 0xFFFF):
        head = struct.pack("!BBH", first, bit | 126, n)
    elif length_form == 64 or (length_form is None and n > 0xFFFF):
        head = struct.pack("!BBQ", first, bit | 127, n)
    else:
        head = struct.pack("!BB", first, bit | n)
    if masked:
        body = bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))
        return head + KEY + body
    return head + payload


def deflate(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


SERVER = 0xF0        # reads client frames, 10 MiB-ish limit (2^21)
CLIENT = 0xF1        # reads server frames
SERVER_DEFLATE = 0xF2
SMALL_LIMIT = 0x00   # 64-byte messages

seeds = {
    "text_hello": (SERVER, frame(0x1, b"Hello")),
    "binary_256": (SERVER, frame(0x2, bytes(range(256)))),
    "binary_64k": (SERVER, frame(0x2, b"x" * 65536)),
    "fragmented_with_ping": (SERVER, frame(0x1, b"Hel", fin=False) + frame(0x9, b"ping") +
                             frame(0x0, b"lo", fin=False) + frame(0x0, b"!")),
    "utf8_kosme": (SERVER, frame(0x1, "κόσμε".encode())),
    "utf8_split_across_fragments": (SERVER, frame(0x1, b"\xce", fin=False) + frame(0x0, b"\xba")),
    "close_1000_reason": (SERVER, frame(0x8, struct.pack("!H", 1000) + b"bye")),
    "close_empty": (SERVER, frame(0x8)),
    "pong_then_text": (SERVER, frame(0xA, b"p") + frame(0x1, b"after")),
    "server_frames": (CLIENT, frame(0x1, b"from the server", masked=False) + frame(0x9, masked=False)),
    "compressed_text": (SERVER_DEFLATE, frame(0x1, deflate(b"Hello, Hello, Hello, Hello"), rsv1=True)),
    "compressed_fragmented": (SERVER_DEFLATE, frame(0x1, deflate(b"abc" * 100)[:5], fin=False, rsv1=True) +
                              frame(0x0, deflate(b"abc" * 100)[5:])),
    "zip_bomb": (SERVER_DEFLATE, frame(0x2, deflate(b"\0" * 1000000), rsv1=True)),
    "err_rsv2": (SERVER, frame(0x1 | 0x20, b"x")),
    "err_rsv1_without_extension": (SERVER, frame(0x1, b"x", rsv1=True)),
    "err_opcode_3": (SERVER, frame(0x3, b"x")),
    "err_opcode_b": (SERVER, frame(0xB, b"x")),
    "err_fragmented_ping": (SERVER, frame(0x9, b"x", fin=False)),
    "err_ping_126": (SERVER, frame(0x9, b"x" * 126)),
    "err_continuation_first": (SERVER, frame(0x0, b"x")),
    "err_text_inside_message": (SERVER, frame(0x1, b"a", fin=False) + frame(0x1, b"b")),
    "err_unmasked_client_frame": (SERVER, frame(0x1, b"x", masked=False)),
    "err_masked_server_frame": (CLIENT, frame(0x1, b"x")),
    "err_length_not_shortest": (SERVER, frame(0x2, b"x" * 100, length_form=16)),
    "err_length_top_bit": (SERVER, b"\x82\xff\x80\x00\x00\x00\x00\x00\x00\x01" + KEY),
    "err_too_big": (SMALL_LIMIT, frame(0x2, b"x" * 65)),
    "err_bad_utf8": (SERVER, frame(0x1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited")),
    "err_close_one_byte": (SERVER, frame(0x8, b"\x03")),
    "err_close_code_1005": (SERVER, frame(0x8, struct.pack("!H", 1005))),
    "err_close_reason_not_utf8": (SERVER, frame(0x8, struct.pack("!H", 1000) + b"\xff")),
    "err_rsv1_on_continuation": (SERVER_DEFLATE, frame(0x1, b"a", fin=False) + frame(0x0, b"b", rsv1=True)),
    "err_corrupt_deflate": (SERVER_DEFLATE, frame(0x1, b"\xff\xff\xff\xff", rsv1=True)),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "websocket_frame")
os.makedirs(out, exist_ok=True)
for name, (control, data) in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([control]) + data)
print(f"wrote {len(seeds)} seeds to {out}")
