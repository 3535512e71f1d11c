#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/cookie/: Cookie headers as browsers and
Python's http.cookies send them, Set-Cookie names and values (after a 0xFF
byte) good and bad, signed values and If-None-Match lists. Re-run after
editing; the files are committed so CI replays them without Python."""
import os

SEEDS = {
    "browser": b"a=1; b=2; session=abc123",
    "no_spaces": b"a=1;b=2;c=3",
    "blanks": b"  a = 1 ;\tb=two words ; ;",
    "quoted_python": b'q="a\\054b\\"c\\\\"; r=1',
    "duplicate": b"a=1; a=2",
    "nameless": b"junk; =x; b=; c=3",
    "equals_in_value": b"a=x=y==",
    "signed": b"user=2|1:0|10:1700000000|4:user|8:dmFsdWU=|a10442fe9dfd04c38d66405499eca973aa061c03364bdc2e4d993487049011fd",
    "signed_bad_length": b"2|99999999999:0|10:1|",
    "set_ok": b"sid=abc\xffabc-123_XYZ",
    "set_space": b"sid\xffhas space",
    "set_quoted": b"sid\xff\"quoted\"",
    "set_utf8": b"caf\xc3\xa9\xffcaf\xc3\xa9",
    "set_ctl": b"a\r\n\xffb\x00",
    "etag_list": b'"abc", W/"def", *',
    "etag_weak": b'W/"x"',
    "etag_star": b"*",
    "etag_open": b'"unterminated',
    "empty": b"",
}

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "cookie")
os.makedirs(here, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
