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
