"""Path rules that must hold however a request is spelled or routed: the
users a rule puts on a file are asked for whichever path reaches it (a
rewrite, a _redirects 200, a directory index, a pretty URL, a cached entry);
a site's users and a path's users together answer (no endless re-check);
framing headers cannot be changed by any rule; a CORS preflight gets the
path's origin."""
import base64
import threading
import time

import conflib as cl
import featlib as fl
import lib

HOST = "g.test"
USER, PASSWORD = "site-user", "S1te-Pa55word"
ADMIN, ADMIN_PW = "path-admin", "Adm1n-Pa55word"


def basic(user, pw):
    return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


def htpasswd(users):
    path = lib.tempdir() + "/htpasswd"
    with open(path, "w") as f:
        for u, pw in users.items():
            f.write(f"{u}:{fl.crypt_hash(pw, 'sha512')}\n")
    return path


def need_auth():
    assert "basic-auth" in fl.features(), "basic-auth not compiled in (needs libcrypt-dev)"


def test_path_users_follow_the_file_served():
    cl.need_config()
    need_auth()
    root = lib.make_site({
        "index.html": b"home\n", "admin/x.txt": b"secret x\n", "docs/index.html": b"docs\n",
        "secret.html": b"secret page\n", "_redirects": b"/blog/*  /:splat  200\n",
    })
    htp = htpasswd({ADMIN: ADMIN_PW})
    conf = cl.config(f"""sites:
  - hosts: {HOST}
    default: true
    root: {cl.q(root)}
    pretty-urls: true
    netlify: true
    rules:
      - match: /admin/**
        auth-file: {cl.q(htp)}
      - match: /docs/index.html
        auth-file: {cl.q(htp)}
      - match: /secret.html
        auth-file: {cl.q(htp)}
      - match: /alias/*
        rewrite: /admin/$1
""")
    with cl.ConfServer(conf) as s:
        good = {"Authorization": basic(ADMIN, ADMIN_PW)}
        # Served once with the password, so a cache could hold each file.
        for path in ("/admin/x.txt", "/docs/", "/secret", "/secret.html"):
            r = cl.get(s.port, path, HOST, good)
            assert r.status == 200, (path, r.status)
        for path in ("/admin/x.txt", "/blog/admin/x.txt", "/alias/x.txt", "/docs/", "/docs",
                     "/docs/index.html", "/secret", "/secret.html", "/%61dmin/x.txt"):
            r = cl.get(s.port, path, HOST)
            assert r.status in (401, 301), (path, r.status, r.body[:80])
            if r.status == 301:  # /docs -> /docs/, which asks
                assert cl.get(s.port, r.header("location"), HOST).status == 401, path
        r = cl.get(s.port, "/blog/admin/x.txt", HOST, good)
        assert r.status == 200 and r.body == b"secret x\n", r.status
        assert cl.get(s.port, "/index.html", HOST).status == 200


def test_site_users_and_path_users_together_answer():
    cl.need_config()
    need_auth()
    root = lib.make_site({"index.html": b"home\n", "admin/x.txt": b"secret x\n"})
    site_htp = htpasswd({USER: PASSWORD, ADMIN: ADMIN_PW})
    path_htp = htpasswd({ADMIN: ADMIN_PW})
    conf = cl.config(f"""sites:
  - hosts: {HOST}
    default: true
    root: {cl.q(root)}
    auth-file: {cl.q(site_htp)}
    rules:
      - match: /admin/**
        auth-file: {cl.q(path_htp)}
""")
    with cl.ConfServer(conf) as s:
        admin = {"Authorization": basic(ADMIN, ADMIN_PW)}
        user = {"Authorization": basic(USER, PASSWORD)}
        for _ in range(3):  # the second time from the verdicts remembered
            r = cl.get(s.port, "/admin/x.txt", HOST, admin)
            assert r.status == 200 and r.body == b"secret x\n", r.status
            assert cl.get(s.port, "/index.html", HOST, user).status == 200
            assert cl.get(s.port, "/admin/x.txt", HOST, user).status == 401
        assert cl.get(s.port, "/index.html", HOST).status == 401


def test_framing_headers_cannot_be_changed():
    cl.need_config()
    root = lib.make_site({"index.html": b"0123456789abcdef\n",
                          "_headers": b"/*\n  Content-Length: 3\n  Connection: close\n  X-Ok: yes\n"})
    conf = cl.config(f"""sites:
  - hosts: {HOST}
    default: true
    root: {cl.q(root)}
    netlify: true
""")
    with cl.ConfServer(conf) as s:
        sock = lib.connect(s.port)
        try:
            r, buf = cl.keepalive_get(sock, "/index.html", HOST)
            assert r.header("x-ok") == "yes", r.raw_head
            assert r.header("content-length") == "17" and r.body == b"0123456789abcdef\n", r.raw_head
            assert (r.header("connection") or "") != "close", r.raw_head
            r, buf = cl.keepalive_get(sock, "/index.html", HOST, buf)
            assert r.status == 200 and r.body == b"0123456789abcdef\n", r.raw_head
        finally:
            sock.close()
    bad = cl.config(f"""sites:
  - hosts: {HOST}
    root: {cl.q(root)}
    rules:
      - match: /**
        headers:
          set: {{ Transfer-Encoding: chunked }}
""")
    r = cl.check_config(bad)
    assert r.returncode == 1 and "frames the response" in r.stderr and f"{bad}:7:" in r.stderr, r


def test_preflight_gets_the_path_origin_and_header_rules():
    cl.need_config()
    root = lib.make_site({"index.html": b"home\n", "api/x.json": b"{}\n"})
    conf = cl.config(f"""sites:
  - hosts: {HOST}
    default: true
    root: {cl.q(root)}
    rules:
      - match: /api/**
        cors: "https://app.example"
        headers:
          set: {{ X-Api: "1" }}
""")
    with cl.ConfServer(conf) as s:
        pre = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
        r = cl.get(s.port, "/api/x.json", HOST, pre, method="OPTIONS")
        assert r.status == 204, r.status
        assert r.header("access-control-allow-origin") == "https://app.example", r.raw_head
        assert r.header("x-api") == "1", r.raw_head
        r = cl.get(s.port, "/index.html", HOST, pre, method="OPTIONS")
        assert r.header("access-control-allow-origin") is None, r.raw_head


def test_many_wildcard_rules_never_stall_the_loop():
    """A site with thousands of interior-wildcard rules, and paths at the
    request limit made to reach them all: each answer stays quick (414 past
    the documented work bound), and other clients are not slowed."""
    cl.need_config()
    red = "".join(f"/blog/:y/:m/:slug  /news/:y/:slug?v={i}  301\n" for i in range(1000))
    red += "".join(f"/a/:w/b/:x/c{i}/*  /found/{i}/:splat  302\n" for i in range(1000))
    red += "".join(f"/store id={i}  /product/{i}  301\n" for i in range(2000))
    hdr = "".join(f"/h/:a/:b/:c/k{i}/*\n  X-K: {i}\n" for i in range(2000))
    hdr += "/h/:a/:b/:c/*\n  ! X-Gone\n" * 100
    root = lib.make_site({"index.html": b"home\n", "_redirects": red.encode(),
                          "_headers": hdr.encode()})
    conf = cl.config(f"""sites:
  - hosts: {HOST}
    default: true
    root: {cl.q(root)}
    netlify: true
""")
    with cl.ConfServer(conf, args=["--threads", "1"]) as s:
        r = cl.get(s.port, "/blog/2024/05/hello", HOST)
        assert r.status == 301 and r.header("location") == "/news/2024/hello?v=0", r.raw_head
        r = cl.get(s.port, "/a/x/b/y/c777/z", HOST)
        assert r.status == 302 and r.header("location") == "/found/777/z", r.raw_head
        long_a = "/a/" + "x" * 1900 + "/b/" + "y" * 1900 + "/c7/z"
        r = cl.get(s.port, long_a, HOST)
        assert r.status == 302 and r.header("location").startswith("/found/7/z"), r.raw_head
        r = cl.get(s.port, "/h/1/2/3/k5/x", HOST)
        assert r.header("x-k") == "5", r.raw_head
        hostile = ["/blog/" + "/".join(["z" * 1300] * 3),
                   "/h/" + "/".join(["q" * 1000] * 3) + "/w",
                   "/a/" + "x" * 1900 + "/b/" + "y" * 1900 + "/c/z"]
        for p in hostile:
            took = []
            for _ in range(3):
                t0 = time.monotonic()
                r = cl.get(s.port, p, HOST)
                took.append(time.monotonic() - t0)
                # 301: the first route answers, so the lookup is cheap;
                # 414: what matching would cost passes the bound.
                assert r.status in (301, 414, 404), (p[:40], r.status)
            # A few ms (more under sanitizers); matching every rule took
            # 80 to 200 ms before the work bound.
            assert min(took) < 0.05, f"{p[:40]}... took {min(took):.3f} s"
        # A preflight is bounded the same way; so are query conditions.
        pre = {"Origin": "https://x.example", "Access-Control-Request-Method": "GET"}
        assert cl.get(s.port, hostile[1], HOST, pre, method="OPTIONS").status == 414
        assert cl.get(s.port, "/index.html", HOST, pre, method="OPTIONS").status == 204
        r = cl.get(s.port, "/store?id=1999", HOST)
        assert r.status == 301 and r.header("location") == "/product/1999", r.raw_head
        t0 = time.monotonic()
        r = cl.get(s.port, "/store?" + "&" * 6000, HOST)
        assert r.status == 414 and time.monotonic() - t0 < 0.1, r.status
        stop = threading.Event()

        def hammer():
            while not stop.is_set():
                for p in hostile:
                    try:
                        cl.get(s.port, p, HOST)
                    except OSError:
                        pass
        ts = [threading.Thread(target=hammer) for _ in range(3)]
        for t in ts:
            t.start()
        try:
            worst = 0.0
            for _ in range(20):
                t0 = time.monotonic()
                r = cl.get(s.port, "/index.html", HOST)
                worst = max(worst, time.monotonic() - t0)
                assert r.status == 200 and r.body == b"home\n", r.status
        finally:
            stop.set()
            for t in ts:
                t.join()
        # One loop thread shared with three clients sending hostile paths:
        # each of those costs at most a few ms, so a plain request waits
        # for a handful of them at worst.
        assert worst < 0.5, f"a plain request waited {worst:.3f} s"


def test_netlify_files_unlisted_and_oversized_headers_refused():
    """_headers and _redirects are neither served nor listed; header rules
    that make a response head larger than it can hold give a 500 with a
    line in the error log (never a response missing some of its headers)."""
    cl.need_config()
    big = "x" * 4000
    hdr = "/big/*\n" + "".join(f"  X-Big-{i}: {big}\n" for i in range(3)) + \
        "/*\n  X-All: yes\n"
    root = lib.make_site({"index.txt": b"i\n", "big/a.txt": b"a\n", "sub/_headers": b"kept\n",
                          "_headers": hdr.encode(), "_redirects": b"/old /index.txt 301\n"})
    conf = cl.config(f"""sites:
  - hosts: {HOST}
    default: true
    root: {cl.q(root)}
    netlify: true
    list: true
""")
    with cl.ConfServer(conf) as s:
        r = cl.get(s.port, "/", HOST, {"Accept": "application/json"})
        assert r.status == 200, r.status
        html = cl.get(s.port, "/?format=json", HOST).body.decode()
        for page in (r.body.decode(), html):
            assert "index.txt" in page and "big" in page, page
            assert "_headers" not in page and "_redirects" not in page, page
        # Only the root's files are the site's rules; elsewhere a file of
        # that name is content like any other.
        r = cl.get(s.port, "/sub/", HOST)
        assert r.status == 200 and "_headers" in r.body.decode(), r.body
        assert cl.get(s.port, "/sub/_headers", HOST).body == b"kept\n"
        for p in ("/_headers", "/_redirects"):
            assert cl.get(s.port, p, HOST).status == 404, p
        r = cl.get(s.port, "/index.txt", HOST)
        assert r.status == 200 and r.header("x-all") == "yes", r.raw_head
        r = cl.get(s.port, "/big/a.txt", HOST)
        assert r.status == 500 and r.header("x-big-0") is None, r.raw_head
        s.wait_log("response head passed")
        # The connection-level answer did not poison the next request.
        assert cl.get(s.port, "/index.txt", HOST).status == 200


def test_an_empty_capture_never_makes_a_host():
    """A redirect target "/$1/..." with $1 empty is "/...", never "//..."
    (which a browser reads as another host)."""
    cl.need_config()
    root = lib.make_site({"index.html": b"home\n",
                          "_redirects": b"/n/*  /:splat/evil.example/x  302\n"})
    conf = cl.config(f"""sites:
  - hosts: {HOST}
    default: true
    root: {cl.q(root)}
    netlify: true
    rules:
      - match: /p/**
        redirect: /$1/evil.example
        status: 301
""")
    with cl.ConfServer(conf) as s:
        for path, want in (("/p", "/evil.example"), ("/p/", "/evil.example"),
                           ("/p/a", "/a/evil.example"), ("/n", "/evil.example/x"),
                           ("/n/b", "/b/evil.example/x")):
            r = cl.get(s.port, path, HOST)
            loc = r.header("location")
            assert r.status in (301, 302) and loc == want, (path, r.status, loc)
            out = lib.curl("-s", "-o", "/dev/null", "-w", "%{redirect_url}",
                           "-H", f"Host: {HOST}", f"http://127.0.0.1:{s.port}{path}")
            assert out.stdout.decode().startswith(f"http://127.0.0.1:{s.port}/"), (path, out.stdout)
