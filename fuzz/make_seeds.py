#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/http_request/: real browser and tool
requests, pipelined and chunked ones, and one input per error class. Each
file is one control byte (the fuzzer's limit/split selector; 0xFF = the
64 KiB default limit) followed by the message bytes. Re-run after editing;
the files are committed so CI replays them without Python."""
import os

CHROME = (
    b"GET /static/app.js?v=3 HTTP/1.1\r\n"
    b"Host: www.example.com\r\n"
    b"Connection: keep-alive\r\n"
    b"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
    b"sec-ch-ua-mobile: ?0\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/124.0.0.0 Safari/537.36\r\n"
    b"sec-ch-ua-platform: \"Linux\"\r\n"
    b"Accept: */*\r\n"
    b"Sec-Fetch-Site: same-origin\r\n"
    b"Sec-Fetch-Mode: no-cors\r\n"
    b"Sec-Fetch-Dest: script\r\n"
    b"Referer: https://www.example.com/\r\n"
    b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
    b"Accept-Language: en-US,en;q=0.9\r\n"
    b"Cookie: _ga=GA1.2.1234567890.1700000000; session=eyJhbGciOiJIUzI1NiJ9.abc.def; theme=dark\r\n"
    b"\r\n")
FIREFOX = (
    b"GET /index.html HTTP/1.1\r\n"
    b"Host: localhost:8888\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"DNT: 1\r\n"
    b"Connection: keep-alive\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Dest: document\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"Sec-Fetch-Site: none\r\n"
    b"Sec-Fetch-User: ?1\r\n"
    b"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
    b"\r\n")
CURL = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"
WRK = b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"
POST_FORM = (b"POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             b"Content-Length: 27\r\n\r\nuser=alice&pass=s%3Dcr%26t+x")
POST_CHUNKED = (b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n")
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nHello, World!"
RESPONSE_CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"

seeds = {
    "chrome_get": CHROME,
    "firefox_get": FIREFOX,
    "curl_get": CURL,
    "wrk_get": WRK,
    "http10_keepalive": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "pipelined_x3": WRK * 3,
    "post_form": POST_FORM,
    "post_chunked": POST_CHUNKED,
    "expect_continue": b"PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    "leading_crlf": b"\r\n\r\n" + WRK,
    "options_star": b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    "connect_authority": b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "absolute_uri": b"GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "response_200": RESPONSE,
    "response_chunked": RESPONSE_CHUNKED,
    "response_100_then_204": CONTINUE,
    "response_no_reason": b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    "chunked_body_only": b"1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n",
    # one per error class
    "err_garbage_line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    "err_bare_cr": b"GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n",
    "err_bare_lf": b"GET / HTTP/1.1\nHost: a\n\n",
    "err_nul": b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
    "err_space_before_colon": b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "err_obs_fold": b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n",
    "err_version_505": b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    "err_version_09": b"GET / HTTP/0.9\r\n\r\n",
    "err_version_malformed": b"GET / HTTP/1.10\r\nHost: a\r\n\r\n",
    "err_cl_and_te": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "err_cl_differ": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    "err_cl_list": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello",
    "err_cl_sign": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
    "err_cl_overflow": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n",
    "err_te_not_last": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    "err_te_unknown": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n",
    "err_no_host": b"GET / HTTP/1.1\r\n\r\n",
    "err_two_hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "err_chunk_size": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "err_chunk_overflow": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
    "err_chunk_no_crlf": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n",
    "err_smuggle_dummy": b"GET / HTTP/1.1\r\nConnection: close\r\nHost: a\r\n\rZGET /evil: HTTP/1.1\r\nHost: a\r\n\r\n",
}

# Long paths against the harness's regex routes (std::regex overflowed the
# stack on them), each under the 64 KiB head limit, and many arguments in a
# query and in a form body (parsing them was quadratic).
def get(target):
    return b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n"
FORM = b"&".join(b"n%d=%d" % (i, i % 10) for i in range(6000)) + b"&a=last"
seeds.update({
    "long_path_user_digits": get(b"/user/" + b"7" * 60000),
    "long_path_files": get(b"/files/" + b"f" * 60000),
    "long_path_alternation": get(b"/" + b"ab" * 30000 + b"c"),
    "long_path_no_match": get(b"/" + b"ab" * 30000 + b"d"),
    "long_path_slashes": get(b"/" * 60000),
    "long_path_named_lazy": get(b"/page-1/12345678/" + b"x/" * 20000 + b"y.html"),
    "many_query_arguments": get(b"/?" + b"&".join(b"q%d=v" % i for i in range(5000)) + b"&b=1&b=2"),
    "many_form_arguments": (b"POST /files/form HTTP/1.1\r\nHost: a\r\n"
                            b"Content-Type: application/x-www-form-urlencoded\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(FORM)) + FORM,
    "bad_form_escape": (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        b"Content-Length: 7\r\n\r\na=%zz&b"),
    "path_bad_escape": get(b"/files/%zz"),
    "static_route": get(b"/static/css/site/main.css/"),
})

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "http_request")
os.makedirs(out, exist_ok=True)
for name, message in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"\xff" + message)
# Small limits reach the 431 path: 0x00 = 16 bytes, 0x05 = 101, 0x20 = 560.
for control, name in ((0x00, "limit16_chrome"), (0x05, "limit101_firefox"), (0x20, "limit560_chrome")):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([control]) + (CHROME if "chrome" in name else FIREFOX))
print(len(os.listdir(out)), "seeds in", out)
