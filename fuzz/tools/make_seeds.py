#!/usr/bin/env python3
"""Writes the hand-made seed inputs into fuzz/corpus/<harness>/ (named
seed-*, so they stand apart from libFuzzer's hash-named files). Run from
the repository root: python3 fuzz/tools/make_seeds.py"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")


def write(harness, name, data):
    d = os.path.join(ROOT, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def req(line, *fields, body=b"", eol="\r\n"):
    s = line + eol + "".join(f + eol for f in fields) + eol
    return s.encode("latin-1") + body


IMF = "Sun, 06 Nov 1994 08:49:37 GMT"
RFC850 = "Sunday, 06-Nov-94 08:49:37 GMT"
ASCTIME = "Sun Nov  6 08:49:37 1994"
ETAG = '"2a-2710-2ebc6c21.0"'

http = {
    "chrome": req("GET /index.html HTTP/1.1", "Host: localhost:8080", "Connection: keep-alive",
                  'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
                  "sec-ch-ua-mobile: ?0", 'sec-ch-ua-platform: "Linux"',
                  "Upgrade-Insecure-Requests: 1",
                  "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                  "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
                  "Accept-Encoding: gzip, deflate, br, zstd", "Accept-Language: en-US,en;q=0.9"),
    "firefox": req("GET /style.css HTTP/1.1", "Host: example.com",
                   "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
                   "Accept: text/css,*/*;q=0.1", "Accept-Language: en-US,en;q=0.5",
                   "Accept-Encoding: gzip, deflate, br", "Referer: http://example.com/",
                   "Connection: keep-alive", "If-Modified-Since: " + IMF,
                   'If-None-Match: "x", ' + ETAG),
    "curl": req("GET / HTTP/1.1", "Host: 127.0.0.1:8080", "User-Agent: curl/8.5.0", "Accept: */*"),
    "curl-head": req("HEAD /big.bin HTTP/1.1", "Host: [::1]:8080", "User-Agent: curl/8.5.0"),
    "wget-10": req("GET /file.txt HTTP/1.0", "User-Agent: Wget/1.21.4", "Accept: */*",
                   "Accept-Encoding: identity", "Host: localhost", "Connection: Keep-Alive"),
    "http10-nohost": req("GET / HTTP/1.0"),
    "bare-lf": req("GET /a HTTP/1.1", "Host: h", eol="\n"),
    "leading-crlf": b"\r\n\r\n" + req("GET / HTTP/1.1", "Host: h"),
    "options-star": req("OPTIONS * HTTP/1.1", "Host: h"),
    "absolute-form": req("GET http://example.com:8080/a/b?x=1&y=2 HTTP/1.1", "Host: other"),
    "absolute-noslash": req("GET https://example.com?q HTTP/1.1", "Host: example.com"),
    "query": req("GET /search?q=a+b&lang=en%20US HTTP/1.1", "Host: h"),
    "pipelined-3": req("GET /a HTTP/1.1", "Host: h") + req("HEAD /b HTTP/1.1", "Host: h")
                   + req("GET /c HTTP/1.1", "Host: h", "Connection: close"),
    "pipelined-body": req("POST /form HTTP/1.1", "Host: h", "Content-Length: 11",
                          "Content-Type: application/x-www-form-urlencoded", body=b"a=1&b=2&c=3")
                      + req("GET / HTTP/1.1", "Host: h"),
    "pipelined-partial": req("GET /a HTTP/1.1", "Host: h") + b"GET /b HTTP/1.1\r\nHo",
    "expect-continue": req("PUT /up HTTP/1.1", "Host: h", "Content-Length: 5",
                           "Expect: 100-continue", body=b"hello"),
    "expect-other": req("GET / HTTP/1.1", "Host: h", "Expect: 200-ok"),
    "expect-empty": req("GET / HTTP/1.1", "Host: h", "Expect:"),
    "hash-in-query": req("GET /a?b#c HTTP/1.1", "Host: h"),
    "range-single": req("GET /video.mp4 HTTP/1.1", "Host: h", "Range: bytes=0-1023"),
    "range-multi": req("GET /big.bin HTTP/1.1", "Host: h", "Range: bytes=0-99, 200-299, -50, 9990-"),
    "range-overlap": req("GET /big.bin HTTP/1.1", "Host: h", "Range: bytes=0-5000,100-200,4000-9999"),
    "range-if-range-etag": req("GET /big.bin HTTP/1.1", "Host: h", "Range: bytes=500-",
                               "If-Range: " + ETAG),
    "range-if-range-date": req("GET /big.bin HTTP/1.1", "Host: h", "Range: bytes=-500",
                               "If-Range: " + IMF),
    "range-unsat": req("GET /big.bin HTTP/1.1", "Host: h", "Range: bytes=20000-"),
    "range-two-fields": req("GET / HTTP/1.1", "Host: h", "Range: bytes=0-1", "Range: bytes=2-3"),
    "if-match": req("GET / HTTP/1.1", "Host: h", "If-Match: W/\"weak\", " + ETAG),
    "if-match-star": req("POST / HTTP/1.1", "Host: h", "If-Match: *"),
    "if-unmodified-rfc850": req("GET / HTTP/1.1", "Host: h", "If-Unmodified-Since: " + RFC850),
    "if-modified-asctime": req("GET / HTTP/1.1", "Host: h", "If-Modified-Since: " + ASCTIME),
    "if-none-match-star": req("HEAD / HTTP/1.1", "Host: h", "If-None-Match: *"),
    "hostile-dotdot": req("GET /../../etc/passwd HTTP/1.1", "Host: h"),
    "hostile-encoded": req("GET /%2e%2e/%2E%2E/%2e%2e%2fetc/passwd HTTP/1.1", "Host: h"),
    "hostile-nul": req("GET /index.html%00.txt HTTP/1.1", "Host: h"),
    "hostile-dotfile": req("GET /.git/config HTTP/1.1", "Host: h"),
    "well-known": req("GET /.well-known/acme-challenge/tok HTTP/1.1", "Host: h"),
    "hostile-log": req("GET /\x1b[31mred\"\\x HTTP/1.1", "Host: h"),
    "long-path": req("GET /" + "a/" * 300 + " HTTP/1.1", "Host: h"),
    "bad-te": req("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked", "Content-Length: 3"),
    "bad-cl-dup": req("POST / HTTP/1.1", "Host: h", "Content-Length: 3, 4"),
    "cl-list-same": req("POST / HTTP/1.1", "Host: h", "Content-Length: 3, 3", body=b"abc"),
    "bad-space-colon": req("GET / HTTP/1.1", "Host : h"),
    "bad-obs-fold": req("GET / HTTP/1.1", "Host: h", "X-A: a", " folded"),
    "bad-bare-cr": b"GET / HTTP/1.1\rHost: h\r\n\r\n",
    "bad-userinfo": req("GET http://user@h/ HTTP/1.1", "Host: h"),
    "bad-fragment": req("GET /a#frag HTTP/1.1", "Host: h"),
    "bad-two-hosts": req("GET / HTTP/1.1", "Host: a", "Host: b"),
    "bad-host-chars": req("GET / HTTP/1.1", "Host: a/b"),
    "version-2": req("GET / HTTP/2.0", "Host: h"),
    "version-bad": req("GET / HTTP/1.10", "Host: h"),
    "too-many": req("GET / HTTP/1.1", "Host: h", *["X-%d: %d" % (i, i) for i in range(10)]),
    "method-other": req("DELETE /x HTTP/1.1", "Host: h"),
    "method-lower": req("get / HTTP/1.1", "Host: h"),
    "incomplete": b"GET /index.html HTTP/1.1\r\nHost: h\r\nAccept: */",
    "ctl-in-value": b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n",
}
for k, v in http.items():
    write("fuzz_http_parse", k, v)

paths = {
    "root": "/", "index": "/index.html", "dir": "/docs/", "nested": "/a/b/c/d.txt",
    "dots": "/a/./b/../c", "dotdot-root": "/..", "dotdot-deep": "/a/b/../../../etc/passwd",
    "enc-dotdot": "/%2e%2e/%2e%2e/etc/passwd", "enc-slash": "/a%2fb%2F..%2f..%2fc",
    "enc-nul": "/a%00b", "enc-bad": "/a%zz", "enc-short": "/a%2", "pct-pct": "/100%25",
    "dotfile": "/.env", "git": "/.git/HEAD", "well-known": "/.well-known/acme-challenge/x",
    "well-known-not": "/.well-known-x/y", "double-slash": "//a///b//", "utf8": "/caf\xc3\xa9/%E2%82%AC",
    "overlong-dot": "/%c0%ae%c0%ae/", "backslash": "/..\\..\\windows", "space": "/a%20b c",
    "trail-dot": "/a/.", "trail-dotdot": "/a/b/..", "dot-only": "/./././", "no-slash": "index.html",
    "query-like": "/a?b#c", "long": "/" + "abc/" * 200,
}
for k, v in paths.items():
    write("fuzz_path", k, v)


def rng(size, value):
    return struct.pack("<Q", size) + value.encode()


ranges = {
    "first": rng(10000, "bytes=0-499"), "second": rng(10000, "bytes=500-999"),
    "suffix": rng(10000, "bytes=-500"), "open": rng(10000, "bytes=9500-"),
    "first-last": rng(10000, "bytes=0-0,-1"), "multi": rng(10000, "bytes=500-600,601-999"),
    "overlap": rng(10000, "bytes=500-700,601-999"), "ows": rng(10000, "bytes= 0-1 ,\t2-3 , , 9-"),
    "unsat": rng(100, "bytes=100-"), "suffix-zero": rng(100, "bytes=-0"),
    "suffix-big": rng(100, "bytes=-1000"), "empty-file": rng(0, "bytes=0-"),
    "upper": rng(10000, "BYTES=1-2"), "other-unit": rng(10000, "items=0-1"),
    "backwards": rng(10000, "bytes=5-1"), "huge": rng(2**64 - 1, "bytes=18446744073709551614-"),
    "overflow": rng(2**63, "bytes=99999999999999999999999-"), "many": rng(10000, "bytes=" + ",".join("%d-%d" % (i * 10, i * 10 + 1) for i in range(17))),
    "sixteen": rng(10000, "bytes=" + ",".join("%d-%d" % (i * 10, i * 10 + 1) for i in range(16))),
    "adjacent": rng(10000, "bytes=0-9,10-19,20-29"), "reverse": rng(10000, "bytes=900-999,0-99"),
    "garbage": rng(10000, "bytes=0-1;x"), "trailing-comma": rng(10000, "bytes=0-1,"),
}
for k, v in ranges.items():
    write("fuzz_range", k, v)

dates = {
    "imf": IMF, "rfc850": RFC850, "asctime": ASCTIME, "asctime-2digit": "Thu Dec 25 23:59:59 2025",
    "epoch": "Thu, 01 Jan 1970 00:00:00 GMT", "leap-day": "Tue, 29 Feb 2000 12:00:00 GMT",
    "not-leap": "Mon, 29 Feb 1900 12:00:00 GMT", "leap-second": "Sat, 31 Dec 2016 23:59:60 GMT",
    "year-0": "Sat, 01 Jan 0000 00:00:00 GMT", "year-9999": "Fri, 31 Dec 9999 23:59:59 GMT",
    "rfc850-wed": "Wednesday, 09-Nov-99 23:12:40 GMT", "rfc850-future": "Friday, 01-Jan-70 00:00:00 GMT",
    "bad-month": "Sun, 06 Foo 1994 08:49:37 GMT", "bad-tz": "Sun, 06 Nov 1994 08:49:37 UTC",
    "bad-hour": "Sun, 06 Nov 1994 24:00:00 GMT", "wrong-wday": "Mon, 06 Nov 1994 08:49:37 GMT",
    "iso": "1994-11-06T08:49:37Z",
}
for k, v in dates.items():
    write("fuzz_date", k, v)


def logent(method, target, referer, ua, minor=1, status=200, sent=0, ipv6=False):
    """fuzz_log's input: the header (see fuzz/fuzz_log.c), then the fields."""
    f = [x.encode("latin-1") if isinstance(x, str) else x for x in (method, target, referer, ua)]
    return (struct.pack("<BHBQBHH", (minor + 1) % 11, status, int(ipv6), sent,
                        len(f[0]), len(f[1]), len(f[2])) + b"".join(f))


logs = {
    "curl": logent("GET", "/index.html?x=1&y=2", "", "curl/8.5.0", sent=1234),
    "browser": logent("GET", "/style.css", "http://example.com/",
                      "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
                      status=304, sent=784111777),
    "http10": logent("HEAD", "/", "", "Wget/1.21.4", minor=0, ipv6=True),
    "unparsed": logent("", "", "", "", minor=-1, status=400),
    "no-version": logent("GET", "/", "", "", minor=-1, status=414),
    "quotes": logent('G"T', '/a"b\\c', 'x"y', 'a\\"b', status=501),
    "controls": logent("GET", "/\t\r\n\x01\x1b[31m\x00\x7f", "\x00", "\n\r", status=400),
    "latin1": logent("GET", "/caf\xc3\xa9\x80\xff", "\xff", "\xc3\xa9", sent=2**64 - 1),
    "forged": logent("GET", "/", "-", 'a"\n1.2.3.4 - - [x] "GET / HTTP/1.1" 200 0 "-" "-'),
    "long": logent("M" * 40, "/" + "\x01" * 1100, '"' * 600, "\\" * 600, minor=9, status=65535),
}
for k, v in logs.items():
    write("fuzz_log", k, v)

encodings = {
    "chrome": "gzip, deflate, br, zstd", "firefox": "gzip, deflate, br", "curl": "deflate, gzip",
    "weights": "br;q=1.0, gzip;q=0.8, *;q=0.1", "star": "*", "star-zero": "*;q=0",
    "no-identity": "identity;q=0, *;q=0", "identity-only": "identity", "x-gzip": "x-gzip",
    "ows": "gzip ; Q=0.5 , br ;q=0 ,\tzstd;q=0.999", "bad-q": "gzip;q=1.001, br;q=.5, zstd;q=0.1234",
    "param": "br;q=0.5;x=1, gzip;level=1", "empty": "", "commas": ", , ,", "other": "deflate, compress",
    "two-fields": "gzip;q=0.5\nAccept-Encoding:br;q=0.6", "other-field": "Accept:text/html\nbr",
    "upper-name": "ACCEPT-ENCODING:zstd;q=0.001\ngzip;q=0", "dup": "gzip;q=0.1, gzip;q=0.9, gzip;q=0",
}
for k, v in encodings.items():
    write("fuzz_encoding", k, v)


def creds(user_pass, cap=255):
    """fuzz_auth's input for credentials the harness sends as Basic."""
    return bytes([1, cap]) + user_pass.encode("utf-8")


def authval(value, cap=255):
    """fuzz_auth's input for an Authorization value (and base64 to decode)."""
    return bytes([0, cap]) + value.encode("latin-1")


auths = {
    "alice": creds("alice:secret"), "bob": creds("bob:pa:ss w\u00f6rd"), "carol": creds("carol:"),
    "wrong": creds("alice:secreT"), "nobody": creds("mallory:secret"), "no-colon": creds("alice"),
    "nul": creds("alice\0:secret"), "long": creds("alice:" + "x" * 900),
    "value": authval("Basic YWxpY2U6c2VjcmV0"), "value-ows": authval(" basic \t YWxpY2U6c2VjcmV0 "),
    "value-bob": authval("BASIC Ym9iOnBhOnNzIHfDtnJk"), "bearer": authval("Bearer abc"),
    "no-pad": authval("Basic YWxpY2U6c2VjcmV"), "b64-cap5": authval("Zm9vYmFy", 5),
    "b64-cap6": authval("Zm9vYmFy", 6), "b64-pad": authval("Zm9vYg==", 4), "b64-bad": authval("Zg=a"),
    "b64-nonzero-bits": authval("Zh=="), "b64-all": authval(
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw=="),
}
for k, v in auths.items():
    write("fuzz_auth", k, v)

mimes = {
    "apache": "# MIME type\t\tExtensions\ntext/html\t\t\t\thtml htm shtml\n"
              "application/json\t\t\tjson\nimage/svg+xml\t\t\t\tsvg svgz\n"
              "application/x-empty\n\ntext/x-c\tc cc cxx cpp h hh dic\n",
    "nginx": "types {\n    text/html                             html htm shtml;\n"
             "    application/javascript                js;\n    image/png png;\n"
             "    application/vnd.ms-excel              xls;\n}\n",
    "crlf": "text/plain txt TXT\r\napplication/xml xml\r\n", "dup": "a/b dupe\nc/d dupe DUPE\n",
    "long-ext": "a/b " + "x" * 15 + " " + "y" * 16 + "\n", "no-slash": "notatype ext\n",
    "comment-mid": "text/x-a ext1 # ext2\n#text/x-b ext3\n", "types-word": "types text/x-t tt\n",
    "nested": "types { types { a/b c; } }", "semi-apache": "a/b c; d/e f\n", "nul": "a/b c\0d/e f\n",
    "names": "index.HTML /a/b.c/d .bashrc x. archive.tar.gz a.b.c.d.e.webmanifest",
    "ctl": "text/x\x0bvt vt\n", "comment-eof": "a/b c #x",
    "long-type": "text/" + "x" * 9000 + " big\n",
}
for k, v in mimes.items():
    write("fuzz_mime", k, v)


def argv(*args):
    """fuzz_config's input: the arguments after argv[0], NUL-separated."""
    return b"\0".join(a.encode("latin-1") if isinstance(a, str) else a for a in args)


configs = {
    "none": argv(), "port": argv("-p", "8080", "-a", "127.0.0.1", "-t", "2"),
    "header": argv("-H", "X-Frame-Options: DENY", "--header", "X-B:\t two  words", "-H", "X-E:"),
    "header-1024": argv("-H", "X-Long: " + "v" * 1016), "header-1025": argv("-H", "X-Long: " + "v" * 1017),
    "headers-2048": argv("-H", "X-A: " + "a" * 1017, "-H", "X-B: " + "b" * 1017),
    "header-cors": argv("-H", "X-A: " + "a" * 1000, "--cors", "https://" + "o" * 1000),
    "headers-2049": argv("-H", "X-A: " + "a" * 1017, "-H", "X-B: " + "b" * 1018),
    "cors-2049": argv("-H", "X-A: " + "a" * 1017, "--cors", "https://" + "o" * 1017),
    "header-bad": argv("-H", "X-NL: a\r\nInjected: yes"), "header-name": argv("-H", "X(y): v"),
    "cors": argv("--cors"), "cors-origin": argv("--cors", "https://app.example", "--max-age", "5"),
    "cors-eq": argv("--cors=https://a.example"), "cors-empty": argv("--cors="),
    "help": argv("--help"), "version": argv("-V"), "help-late": argv("-p", "0", "-h"),
    "bogus": argv("--bogus=1"), "no-value": argv("--pid-file"), "flag-value": argv("--daemon=1"),
    "cluster": argv("-lbH", "X: y", "-p80"), "stray": argv("extra", "--cors", "x"),
    "root": argv("-d", "/tmp"), "root-missing": argv("-d", "/no/such/dir"),
    "probe": argv("--probe", "http://127.0.0.1:1/", "-d", "/no/such/dir"),
    "tls": argv("--tls-cert", "c.pem", "--tls-key", "k.pem", "--redirect-http", "80"),
    "redirect": argv("--redirect-http", "80"),
    "index": argv("--index", "a.html", "--index", "b.htm", "--fallback", "app.html", "--pretty-urls"),
    "index-bad": argv("--index", ".."),
    "numbers": argv("--max-conns", "1", "--max-head", "1024", "--max-headers", "1000", "--max-body",
                    "18446744073709551615", "--head-timeout", "86400", "--grace", "0",
                    "--cache-size", "0", "--max-age", "2147483647"),
    "words": argv("--sendfile", "auto", "--access-log", "off", "--log-format", "combined",
                  "--unix-socket-mode", "600", "--unix-socket", "/run/t.sock", "-u", "www:www"),
    "pages": argv("--health", "/healthz", "--metrics", "/metrics", "--error-log", "e.log",
                  "--log-file", "a.log", "--pid-file", "p.pid", "-b", "--chroot", "/",
                  "--no-sandbox", "--no-compress", "--compress", "--no-smart-cache", "--dotfiles",
                  "--no-symlinks", "--mime-types", "/etc/mime.types", "--auth-file", "h"),
    "abbrev": argv("--max", "1", "--por", "81", "--he", "/h"),
}
for k, v in configs.items():
    write("fuzz_config", k, v)


# fuzz_h2: what an HTTP/2 client sends after the connection preface (the
# harness writes the preface itself). A frame with the reserved bit R set
# (r=True) starts a new segment: the harness delivers it in a loop turn
# of its own. HPACK by hand (RFC 7541): no Huffman coding, except in the
# one block the hpack module made.
def hint(v, prefix, first=0):
    """An HPACK integer with a prefix of that many bits under first."""
    top = (1 << prefix) - 1
    if v < top:
        return bytes([first | v])
    out = [first | top]
    v -= top
    while v >= 128:
        out.append(v % 128 + 128)
        v //= 128
    return bytes(out + [v])


def hstr(s):
    s = s.encode("latin-1") if isinstance(s, str) else s
    return hint(len(s), 7) + s


def lit(name, value):
    """Literal field without indexing, new name."""
    return b"\0" + hstr(name) + hstr(value)


def lit_inc(name, value):
    """Literal field with incremental indexing (enters the dynamic table)."""
    return b"\x40" + hstr(name) + hstr(value)


def idx(i):
    """Indexed field: 2 :method GET, 3 POST, 4 :path /, 6 :scheme http,
    7 https; 62 and up the dynamic table, newest first."""
    return hint(i, 7, 0x80)


def frame(ftype, flags, stream, payload=b"", r=False):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream | (0x80000000 if r else 0)) + payload


DATA, HEADERS, PRIORITY, RST, SETTINGS, PING, GOAWAY, WINDOW, CONT = 0, 1, 2, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS, PADDED, PRIO = 1, 1, 4, 8, 0x20


def settings(*pairs, flags=0, r=False):
    return frame(SETTINGS, flags, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs), r=r)


def get(stream, path, *fields, method="GET", end=True, r=False):
    block = lit(":method", method) + lit(":scheme", "http") + lit(":path", path) + \
        lit(":authority", "localhost") + b"".join(lit(n, v) for n, v in fields)
    return frame(HEADERS, END_HEADERS | (END_STREAM if end else 0), stream, block, r=r)


def window(stream, inc, r=False):
    return frame(WINDOW, 0, stream, struct.pack(">I", inc), r=r)


def rst(stream, code=8, r=False):
    return frame(RST, 0, stream, struct.pack(">I", code), r=r)


# Made once with /usr/bin/python3 (Debian's python3-hpack):
# hpack.Encoder().encode([(":method", "GET"), (":scheme", "https"),
#     (":authority", "localhost:8443"), (":path", "/index.html?x=1"),
#     ("user-agent", "curl/8.5.0"), ("accept", "*/*"),
#     ("accept-encoding", "gzip, br")], huffman=True)
HUFFMAN_BLOCK = bytes.fromhex(
    "8287418aa0e41d139d09b8f34d33448c60d5485f2bce9a68ff3cc01f7a8825b650c3cbb6b83f"
    "5383f963e750879bd9abfa523b3f")

h2 = {
    "get-root": settings() + get(1, "/"),
    "post-body": settings() + get(1, "/form", ("content-type", "text/plain"),
                                  ("content-length", "11"), method="POST", end=False)
                 + frame(DATA, END_STREAM, 1, b"hello world"),
    "ping": settings() + frame(PING, 0, 0, b"12345678") + settings(flags=ACK),
    "window-update": settings((4, 65535)) + get(1, "/big.txt") + window(0, 1 << 20, r=True)
                     + window(1, 1 << 20),
    "rst-stream": settings() + get(1, "/big.txt") + rst(1, r=True),
    "preface-alone": settings(r=True) + get(1, "/index.html", ("accept-encoding", "br")),
    "segments": settings() + get(1, "/sub/", r=True)
                + get(3, "/big.txt", ("accept-encoding", "gzip"), r=True)
                + rst(3, r=True) + window(0, 1 << 20, r=True) + frame(PING, 0, 0, b"abcdefgh")
                + get(5, "/sub/?sort=name", r=True) + frame(GOAWAY, 0, 0, struct.pack(">II", 5, 0), r=True),
    "browser": settings((1, 65536), (2, 0), (4, 6291456), (6, 262144)) + window(0, 15663105)
               + frame(HEADERS, END_HEADERS | END_STREAM, 1,
                       idx(2) + lit_inc(":authority", "localhost:3000") + idx(7) +
                       lit_inc(":path", "/index.html") +
                       lit_inc("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0") +
                       lit_inc("accept-encoding", "gzip, deflate, br, zstd") +
                       lit("referer", "http://localhost:3000/"))
               + frame(HEADERS, END_HEADERS | END_STREAM, 3,
                       idx(2) + idx(65) + idx(7) + lit(":path", "/style.css") + idx(63) + idx(62)),
    "paths": settings((4, 1 << 20)) + window(0, 1 << 24)
             + get(1, "/sub/") + get(3, "/sub") + get(5, "/big.txt", ("accept-encoding", "gzip"))
             + get(7, "/big.txt", ("accept-encoding", "br"), method="HEAD")
             + get(9, "/metrics") + get(11, "/healthz") + get(13, "/missing")
             + get(15, "/.secret") + get(17, "/sub/?sort=size&desc", ("accept", "application/json"))
             + get(19, "/sub/", ("accept-encoding", "identity;q=0"))
             + get(21, "/photo.jpg", r=True) + get(23, "/mid.txt", ("accept-encoding", "zstd")),
    "conditional": settings()
                   + get(1, "/index.html", ("range", "bytes=0-9,20-29,-5"))
                   + get(3, "/index.html", ("if-none-match", '"x", *'))
                   + get(5, "/big.txt", ("if-modified-since", "Tue, 14 Nov 2023 22:13:20 GMT"))
                   + get(7, "/big.txt", ("range", "bytes=100-"), ("if-range", "Sun, 06 Nov 1994 08:49:37 GMT"))
                   + get(9, "/", method="OPTIONS", end=True)
                   + get(11, "/", ("origin", "https://app.example"), method="DELETE"),
    "continuation": settings()
                    + frame(HEADERS, END_STREAM, 1, lit(":method", "GET") + lit(":scheme", "http"))
                    + frame(CONT, 0, 1, lit(":path", "/index.html"))
                    + frame(CONT, END_HEADERS, 1, lit(":authority", "localhost")),
    "priority-padded": settings() + frame(PRIORITY, 0, 3, struct.pack(">IB", 1, 15))
                       + frame(HEADERS, END_HEADERS | END_STREAM | PADDED | PRIO, 1,
                               b"\x04" + struct.pack(">IB", 0x80000000, 255)
                               + idx(2) + idx(6) + idx(4) + lit(":authority", "h") + b"\0" * 4),
    "goaway": settings() + get(1, "/big.txt")
              + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0) + b"bye"),
    "body-too-big": settings() + get(1, "/upload", ("content-length", "20000"), method="PUT", end=False)
                    + frame(DATA, 0, 1, b"x" * 100) + frame(DATA, 0, 1, b"y" * 100),
    "window-zero": settings((4, 0), (5, 16777215)) + get(1, "/big.txt") + get(3, "/index.html")
                   + window(1, 100) + window(3, 70000) + window(0, 1 << 30),
    "huffman": settings() + frame(HEADERS, END_HEADERS | END_STREAM, 1, HUFFMAN_BLOCK),
    "trailers": settings() + get(1, "/", ("te", "trailers"), method="POST", end=False)
                + frame(DATA, 0, 1, b"abc")
                + frame(HEADERS, END_HEADERS | END_STREAM, 1, lit("x-checksum", "1")),
    "table-size": settings((1, 0)) + frame(HEADERS, END_HEADERS | END_STREAM, 1,
                                           b"\x20" + idx(2) + idx(6) + idx(4) + lit(":authority", "h")),
}


def short_get(stream, *extra, end=True):
    """A GET of / in a few bytes: indexed fields (no dynamic table use)."""
    return frame(HEADERS, END_HEADERS | (END_STREAM if end else 0), stream,
                 idx(2) + idx(6) + idx(4) + lit(":authority", "h") + b"".join(extra))


# Abuse the server bounds itself: floods of control frames, of resets, of
# empty DATA and of CONTINUATION; header lists too long or too many; a
# body larger than --max-body without a content-length.
h2.update({
    "ping-flood": settings() + b"".join(frame(PING, 0, 0, struct.pack(">Q", i)) for i in range(120)),
    "reset-flood": settings() + frame(HEADERS, END_HEADERS | END_STREAM, 1, idx(2) + idx(6) + idx(4) +
                                      lit_inc(":authority", "h")) + rst(1)
                   + b"".join(frame(HEADERS, END_HEADERS | END_STREAM, i, idx(2) + idx(6) + idx(4) +
                                    idx(62)) + rst(i) for i in range(3, 423, 2)),
    "empty-data-flood": settings() + get(1, "/", method="POST", end=False)
                        + frame(DATA, 0, 1) * 260,
    "continuation-flood": settings() + frame(HEADERS, 0, 1, idx(2) + idx(6), r=True)
                          + b"".join(frame(CONT, 0, 1, idx(4)) for _ in range(10)),
    "body-no-length": settings() + get(1, "/", method="POST", end=False)
                      + frame(DATA, 0, 1, b"a" * 2100) + frame(DATA, END_STREAM, 1, b"b" * 2100),
    "too-many-fields": settings() + get(1, "/", *[("x-f%d" % i, "v") for i in range(40)]),
    "header-bomb": settings()
                   + frame(HEADERS, END_HEADERS | END_STREAM, 1, idx(2) + idx(6) + idx(4) +
                           lit(":authority", "h") + lit_inc("x-big", "a" * 3000) + idx(62) * 2)
                   + b"".join(short_get(i, idx(62), end=False) for i in range(3, 121, 2)),
})
for k, v in h2.items():
    write("fuzz_h2", k, v)
