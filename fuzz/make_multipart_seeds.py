#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/multipart/: multipart/form-data bodies
as curl -F, browsers and Python's requests send them, and one input per error
class of the parser. Each file is a Content-Type value, a newline, then the
body (a first body byte with the high bit set picks small limits: see
fuzz/multipart_fuzzer.cpp). Re-run after editing; the files are committed so
CI replays them without Python."""
import os

CT = b"multipart/form-data; boundary=------------------------d74496d66958873e"
B = b"--------------------------d74496d66958873e"


def part(name, value, extra=b""):
    return b"--" + B + b"\r\nContent-Disposition: form-data; name=\"" + name + b"\"" + extra + b"\r\n\r\n" + value + b"\r\n"


SEEDS = {
    "curl_fields": CT + b"\n" + part(b"a", b"1") + part(b"b", b"two words") + b"--" + B + b"--\r\n",
    "curl_file": CT + b"\n" + b"--" + B + b"\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n"
                 b"Content-Type: text/plain\r\n\r\nalpha\r\n--" + B + b"--\r\n",
    "two_files_one_field": b"multipart/form-data; boundary=XyZ\n"
                           b"--XyZ\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\n1\r\n"
                           b"--XyZ\r\nContent-Disposition: form-data; name=f; filename=b\r\n\r\n2\r\n--XyZ--",
    "filename_star": b"multipart/form-data; boundary=\"a b\"\n"
                     b"--a b\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''%e2%82%ac.txt\r\n\r\nx\r\n"
                     b"--a b--",
    "quoted_escape": b"multipart/form-data; boundary=q\n"
                     b"--q\r\nContent-Disposition: form-data; name=\"a\\\"b\"; filename=\"c\\\\d\"\r\n\r\nx\r\n--q--",
    "binary_body": b"multipart/form-data; boundary=z\n--z\r\nContent-Disposition: form-data; name=f; filename=b\r\n"
                   b"\r\n\x00\x01\r\n-\r\n--y\xff\r\n--z--",
    "empty": b"multipart/form-data; boundary=z\n--z--",
    "padding": b"multipart/form-data; boundary=z\n--z \t\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--z--  ",
    "err_no_final": b"multipart/form-data; boundary=z\n--z\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n",
    "err_preamble": b"multipart/form-data; boundary=z\njunk\r\n--z\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--z--",
    "err_epilogue": b"multipart/form-data; boundary=z\n--z\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--z--x",
    "err_no_disposition": b"multipart/form-data; boundary=z\n--z\r\nContent-Type: text/plain\r\n\r\nv\r\n--z--",
    "err_no_name": b"multipart/form-data; boundary=z\n--z\r\nContent-Disposition: form-data\r\n\r\nv\r\n--z--",
    "err_boundary_long": b"multipart/form-data; boundary=" + b"x" * 71 + b"\n--" + b"x" * 71 + b"--",
    "err_header_never_ends": b"multipart/form-data; boundary=z\n--z\r\nContent-Disposition: form-data; name=a\r\n",
    "limit_parts": b"multipart/form-data; boundary=z\n\x82" + b"--z\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n" * 3
                   + b"--z--",
    "limit_header": b"multipart/form-data; boundary=z\n\x87--z\r\nContent-Disposition: form-data; name=a\r\nX: "
                    + b"p" * 80 + b"\r\n\r\nv\r\n--z--",
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "multipart")
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {out}")
