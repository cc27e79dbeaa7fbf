"""--metrics PATH: the Prometheus text page, its counters (requests by
status class, body bytes, cache lookups) and the open-connections gauge."""
import re

import lib


def site():
    return lib.make_site({"index.html": b"<p>m</p>\n", "a.txt": b"A\n",
                          "page.html": b"<p>page</p>\n"})


PROM_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                         r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? '
                         r'(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)$')
PROM_COMMENT = re.compile(r'^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$')


def scrape(port, sock=None):
    """GETs /metrics (on sock when given, kept open); returns (Response,
    {name+labels: float})."""
    if sock is None:
        r = lib.request(port, "/metrics")
    else:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        r, _ = lib.read_one(sock)
    assert r is not None and r.status == 200, r and r.raw_head
    ctype = r.header("content-type", "")
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    body = r.body.decode()
    assert body.endswith("\n"), body[-50:]
    values, types = {}, {}
    for line in body.splitlines():
        if line.startswith("#"):
            m = PROM_COMMENT.match(line)
            assert m, f"bad comment line {line!r}"
            if m.group(1) == "TYPE":
                assert m.group(3) in ("counter", "gauge", "histogram", "summary", "untyped"), line
                types[m.group(2)] = m.group(3)
            continue
        m = PROM_SAMPLE.match(line)
        assert m, f"not a Prometheus sample: {line!r}"
        assert m.group(1) in types, f"sample before its TYPE: {line!r}"
        key = m.group(1) + (m.group(2) or "")
        assert key not in values, f"duplicate sample {line!r}"
        values[key] = float(m.group(3))
    return r, values


def req_total(v, cls):
    return v[f'tern_requests_total{{code="{cls}"}}']


def test_metrics_counts_requests_and_bytes():
    with lib.Server(root=site(), args=["--metrics", "/metrics"]) as s:
        lib.request(s.port, "/a.txt")  # warm up: the first scrape sees it
        first, v1 = scrape(s.port)
        for name in ("tern_sent_bytes_total", "tern_connections_open", "tern_cache_hits_total",
                     "tern_cache_misses_total"):
            assert name in v1, (name, sorted(v1))
        for cls in ("1xx", "2xx", "3xx", "4xx", "5xx"):
            assert req_total(v1, cls) >= 0
        assert req_total(v1, "2xx") >= 1
        bodies = 0
        a = lib.request(s.port, "/a.txt")
        bodies += len(a.body)
        for _ in range(2):
            bodies += len(lib.request(s.port, "/page.html").body)
        assert lib.request(s.port, "/a.txt", method="HEAD").status == 200
        nf = lib.request(s.port, "/missing")
        assert nf.status == 404 and nf.body
        bodies += len(nf.body)
        nm = lib.request(s.port, "/a.txt", headers={"If-None-Match": a.header("etag")})
        assert nm.status == 304
        other = lib.request(s.port, "/metrics/")  # not the metrics path: a 404
        assert other.status == 404
        bodies += len(other.body)
        second, v2 = scrape(s.port)
    # The first scrape was counted (as a 2xx, with its body) once sent.
    assert req_total(v2, "2xx") - req_total(v1, "2xx") == 3 + 1 + 1, (v1, v2)
    assert req_total(v2, "3xx") - req_total(v1, "3xx") == 1, (v1, v2)
    assert req_total(v2, "4xx") - req_total(v1, "4xx") == 2, (v1, v2)
    assert req_total(v2, "5xx") == req_total(v1, "5xx") and req_total(v2, "1xx") == req_total(v1, "1xx")
    sent = v2["tern_sent_bytes_total"] - v1["tern_sent_bytes_total"]
    assert sent == bodies + len(first.body), (sent, bodies, len(first.body))
    lookups = lambda v: v["tern_cache_hits_total"] + v["tern_cache_misses_total"]
    assert lookups(v2) > lookups(v1), (v1, v2)
    assert second.header("cache-control") == "no-store"


def test_metrics_connections_gauge():
    with lib.Server(root=site(), args=["--metrics", "/metrics"]) as s:
        # Alone, a scrape sees only its own connection (once the start-up
        # check's connection is gone).
        gauge = lambda: scrape(s.port)[1]["tern_connections_open"]
        assert lib.wait_for(lambda: gauge() == 1, 5), gauge()
        held = []
        for _ in range(2):
            c = lib.connect(s.port)
            c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            r, _ = lib.read_one(c)
            assert r is not None and r.status == 200
            held.append(c)
        _, v = scrape(s.port, sock=held[0])  # on one of the open connections
        assert v["tern_connections_open"] == 2, v
        _, v = scrape(s.port)
        assert v["tern_connections_open"] == 3, v
        for c in held:
            c.close()
        assert lib.wait_for(lambda: gauge() == 1, 5), gauge()


def test_metrics_path_is_404_without_option():
    with lib.Server(root=site()) as s:
        r = lib.request(s.port, "/metrics")
        assert r.status == 404 and b"tern_requests_total" not in r.body, r.raw_head
    with lib.Server(root=site(), args=["--metrics", "/stats/prom"]) as s:
        assert lib.request(s.port, "/metrics").status == 404
        r = lib.request(s.port, "/stats/prom")
        assert r.status == 200 and b"tern_requests_total" in r.body, r.raw_head
