#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/resp/: replies of every RESP2 and RESP3
type as Redis 7 sends them (DEBUG PROTOCOL's set among them), pub/sub
traffic, pipelined batches and one input per error class. Each file is one
control byte (the fuzzer's limit/split selector; 0x00 = default limits)
followed by the reply bytes. Re-run after editing; the files are committed so
CI replays them without Python."""
import os

SEEDS = {
    "simple_ok": b"+OK\r\n",
    "error_wrongtype": b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    "integer": b":1000\r\n",
    "integer_min": b":-9223372036854775808\r\n",
    "bulk": b"$16\r\n0123456789abcdef\r\n",
    "bulk_empty": b"$0\r\n\r\n",
    "bulk_binary": b"$6\r\na\r\nb\x00c\r\n",
    "null_bulk": b"$-1\r\n",
    "null_array": b"*-1\r\n",
    "array_nested": b"*2\r\n$1\r\n0\r\n*3\r\n$3\r\nk:1\r\n$3\r\nk:2\r\n$3\r\nk:3\r\n",
    "array_empty": b"*0\r\n",
    "resp3_null": b"_\r\n",
    "resp3_double": b",3.141\r\n",
    "resp3_double_exp": b",-1.5e-300\r\n",
    "resp3_double_inf": b",inf\r\n",
    "resp3_double_nan": b",nan\r\n",
    "resp3_bignum": b"(1234567999999999999999999999999999999\r\n",
    "resp3_true": b"#t\r\n",
    "resp3_false": b"#f\r\n",
    "resp3_map": b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
    "resp3_set": b"~3\r\n:0\r\n:1\r\n:2\r\n",
    "resp3_verbatim": b"=29\r\ntxt:This is a verbatim\nstring\r\n",
    "resp3_bulk_error": b"!21\r\nSYNTAX invalid syntax\r\n",
    "resp3_attribute": b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
                       b"$39\r\nSome real reply following the attribute\r\n",
    "resp3_attribute_inner": b"*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n",
    "resp3_push_then_reply": b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n",
    "resp3_hello": b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"
                   b"$2\r\nid\r\n:5\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                   b"$7\r\nmodules\r\n*0\r\n",
    "pubsub_resp2": b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n"
                    b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
    "pubsub_resp3": b">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n+PONG\r\n_\r\n>3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n",
    "pipeline": b"+OK\r\n$5\r\nvalue\r\n:1\r\n-ERR unknown command 'NOPE'\r\n*1\r\n+x\r\n",
    "deep": b"*1\r\n" * 70 + b":1\r\n",
    "err_type": b"?what\r\n",
    "err_bare_lf": b"+OK\nx\r\n",
    "err_bare_cr": b"+OK\rx\r\n",
    "err_negative_length": b"$-5\r\n",
    "err_streamed": b"$?\r\n;4\r\nHell\r\n;0\r\n",
    "err_verbatim_format": b"=3\r\ntxt\r\n",
    "err_boolean": b"#x\r\n",
    "err_integer_overflow": b":99999999999999999999\r\n",
    "err_no_crlf": b"$3\r\nabcdef\r\n",
    "huge_declared": b"*16777216\r\n$536870912\r\nabc",
    "cut": b"*3\r\n$5\r\nhel",
}
# Limits picked by the control byte (see pick_limits in resp_fuzzer.cpp).
LIMITED = {
    "limit_depth": (0x31, b"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"),
    "limit_bulk": (0x22, b"$5\r\nabcde\r\n"),
    "limit_elements": (0x14, b"*3\r\n:1\r\n:2\r\n*2\r\n:3\r\n:4\r\n"),
    "limit_size": (0x08, b"$10\r\n0123456789\r\n"),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "resp")
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"\x00" + data)
for name, (control, data) in LIMITED.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([control]) + data)
print(f"{len(SEEDS) + len(LIMITED)} seeds in {out}")
