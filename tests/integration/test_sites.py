"""Virtual hosts (docs/config.md, "Sites"): routing by Host and HTTP/2
:authority (exact name, one-label wildcard, case, port and trailing dot
ignored, the default site, 421 without one), each site's own options, cache
entries that never cross sites, a certificate per site chosen by SNI
(openssl s_client, curl --resolve over HTTP/1.1 and HTTP/2), and
--acme-challenge answered for every site and on the --redirect-http port.

    python3 tests/run_integration.py --server bin/server -k test_sites"""
import os
import signal

import conflib as cl
import featlib as fl
import h2lib as h
import lib


def page(name):
    return f"<p>site {name}</p>\n".encode()


def roots():
    """Roots A, W (wildcard), B and D (default), each with its own index."""
    a = lib.make_site({"index.html": page("A"), "docs/x.txt": b"x\n", "about.html": b"ab\n",
                       ".env": b"SECRET=1\n"})
    w = lib.make_site({"index.html": page("W")})
    b = lib.make_site({"index.html": page("B-index"), "start.html": page("B"),
                       "docs/x.txt": b"x\n", "app.html": b"<p>app shell</p>\n",
                       "about.html": b"<p>about B</p>\n", ".env": b"B=1\n",
                       "only-index/index.html": b"oi\n"})
    d = lib.make_site({"index.html": page("D")})
    return a, w, b, d


def routing_conf(a, w, b, d, default=True):
    dflt = "    default: true\n" if default else ""
    return f"""header: ["X-Top: 1"]
sites:
  - hosts: [a.example.test, WWW.A.Example.test]
    root: {cl.q(a)}
  - hosts: "*.example.test"
    root: {cl.q(w)}
  - hosts: b.test
    root: {cl.q(b)}
    list: true
    index: [start.html]
    header: ["X-Site: b"]
    fallback: /app.html
    dotfiles: true
    pretty-urls: true
    cors: "https://x.test"
  - hosts: d.test
    root: {cl.q(d)}
{dflt}"""


ROUTES = [
    ("a.example.test", "A"), ("A.Example.TEST", "A"), ("a.example.test:8080", "A"),
    ("a.example.test.", "A"), ("A.EXAMPLE.TEST.:1", "A"), ("www.a.example.test", "A"),
    ("x.example.test", "W"), ("X.Example.Test.", "W"), ("zz-9.example.test:443", "W"),
    ("b.test", "B"), ("B.TEST.", "B"), ("b.test:80", "B"),
    ("a.b.example.test", "D"), ("example.test", "D"), ("unknown.test", "D"), ("d.test", "D"),
    ("127.0.0.1", "D"), ("127.0.0.1:3000", "D"), ("[::1]", "D"), ("[::1]:80", "D"),
]


def test_routing_by_host():
    cl.need_config()
    conf = cl.config(routing_conf(*roots()))
    with cl.ConfServer(conf) as s:
        for host, want in ROUTES:
            r = cl.get(s.port, "/", host)
            assert r.status == 200 and r.body == page(want), (host, want, r.status, r.body)
        # No Host (HTTP/1.0) goes to the default site.
        r = lib.request(s.port, "/", version="1.0", headers={"Host": None})
        assert r.status == 200 and r.body == page("D"), r.raw_head


def test_start_up_line_names_what_is_served():
    """With sites: there is no top-level root; the start-up line must not
    print a null one."""
    cl.need_config()
    conf = cl.config(routing_conf(*roots()))
    with cl.ConfServer(conf) as s:
        start = cl.wait_until(lambda: [l for l in s.log_text().splitlines() if " serving " in l],
                              5, "the start-up line")
        assert "(null)" not in start[0], start


def test_421_without_a_default_site():
    cl.need_config()
    conf = cl.config(routing_conf(*roots(), default=False))
    with cl.ConfServer(conf) as s:
        for host in ("unknown.test", "a.b.example.test", "example.test", "d.test.example",
                     "127.0.0.1", f"127.0.0.1:{s.port}", "[::1]"):
            r = cl.get(s.port, "/", host)
            assert r.status == 421, (host, r.raw_head)
            assert page("A") not in r.body and page("D") not in r.body
        r = lib.request(s.port, "/", version="1.0", headers={"Host": None})
        assert r.status == 421, r.raw_head
        assert cl.get(s.port, "/", "d.test").body == page("D")  # listed, only not default
        r = cl.get(s.port, "/", "x.example.test")
        assert r.status == 200 and r.body == page("W")


def test_options_of_each_site():
    cl.need_config()
    a, w, b, d = roots()
    conf = cl.config(routing_conf(a, w, b, d))
    with cl.ConfServer(conf) as s:
        A, B = "a.example.test", "b.test"
        # index: the site's list replaces the top-level one.
        assert cl.get(s.port, "/", B).body == page("B")
        r = cl.get(s.port, "/only-index/", B)
        assert r.status == 200 and b"index.html" in r.body and r.body != b"oi\n", r.body
        assert cl.get(s.port, "/only-index/", A).status == 404  # no such dir in A
        # list
        r = cl.get(s.port, "/docs/", B)
        assert r.status == 200 and b"x.txt" in r.body, r.raw_head
        assert cl.get(s.port, "/docs/", A).status == 403
        # header: the site's lines after the top-level ones
        r = cl.get(s.port, "/docs/x.txt", B)
        assert [(k, v) for k, v in r.headers if k.startswith("x-")] == \
            [("x-top", "1"), ("x-site", "b")], r.raw_head
        r = cl.get(s.port, "/docs/x.txt", A)
        assert r.header("x-top") == "1" and r.header("x-site") is None, r.raw_head
        # fallback
        r = cl.get(s.port, "/some/client/route", B)
        assert r.status == 200 and r.body == b"<p>app shell</p>\n", r.raw_head
        assert cl.get(s.port, "/some/client/route", A).status == 404
        # dotfiles
        r = cl.get(s.port, "/.env", B)
        assert r.status == 200 and r.body == b"B=1\n", r.raw_head
        assert cl.get(s.port, "/.env", A).status == 404
        # pretty-urls
        r = cl.get(s.port, "/about", B)
        assert r.status == 200 and r.body == b"<p>about B</p>\n", r.raw_head
        assert cl.get(s.port, "/about", A).status == 404
        # cors
        r = cl.get(s.port, "/docs/x.txt", B, {"Origin": "https://x.test"})
        assert r.header("access-control-allow-origin") == "https://x.test", r.raw_head
        r = cl.get(s.port, "/docs/x.txt", A, {"Origin": "https://x.test"})
        assert r.header("access-control-allow-origin") is None, r.raw_head


def test_auth_file_of_one_site():
    cl.need_config()
    assert "basic-auth" in fl.features(), "basic-auth not compiled in (server -V)"
    a, w, b, d = roots()
    htp = cl.write(os.path.join(lib.tempdir(), "htpasswd"),
                   f"kim:{fl.crypt_hash('Kim-Pa55word', 'sha512')}\n")
    conf = cl.config(f"""sites:
  - hosts: open.test
    root: {cl.q(a)}
    default: true
  - hosts: closed.test
    root: {cl.q(b)}
    auth-file: {cl.q(htp)}
""")
    with cl.ConfServer(conf) as s:
        r = cl.get(s.port, "/", "closed.test")
        assert r.status == 401 and r.header("www-authenticate", "").lower().startswith("basic")
        assert page("B") not in r.body
        r = cl.get(s.port, "/", "closed.test", {"Authorization": fl.basic("kim", "Kim-Pa55word")})
        assert r.status == 200 and r.body == page("B-index"), r.raw_head
        r = cl.get(s.port, "/", "closed.test", {"Authorization": fl.basic("kim", "wrong")})
        assert r.status == 401
        r = cl.get(s.port, "/", "open.test")
        assert r.status == 200 and r.body == page("A"), r.raw_head
        p = lib.curl("-u", "kim:Kim-Pa55word", "--resolve", f"closed.test:{s.port}:127.0.0.1",
                     f"http://closed.test:{s.port}/")
        assert p.returncode == 0 and p.stdout == page("B-index"), p


def test_cache_entries_never_cross_sites():
    """Same path, same size, same mtime, different sites: each keeps its own."""
    cl.need_config()
    one = lib.make_site({"index.html": b"<p>one!</p>\n", "f.css": b"body{color:red}\n"})
    two = lib.make_site({"index.html": b"<p>two!</p>\n", "f.css": b"body{color:tan}\n"})
    for rel in ("index.html", "f.css"):
        for r in (one, two):
            os.utime(os.path.join(r, rel), (1_700_000_000, 1_700_000_000))
    conf = cl.config(f"""sites:
  - hosts: one.test
    root: {cl.q(one)}
  - hosts: two.test
    root: {cl.q(two)}
""")
    with cl.ConfServer(conf) as s:
        for path, b1, b2 in (("/index.html", b"<p>one!</p>\n", b"<p>two!</p>\n"),
                             ("/", b"<p>one!</p>\n", b"<p>two!</p>\n"),
                             ("/f.css", b"body{color:red}\n", b"body{color:tan}\n")):
            for _ in range(5):
                assert cl.get(s.port, path, "one.test").body == b1
            assert cl.get(s.port, path, "two.test").body == b2, path
            assert cl.get(s.port, path, "one.test").body == b1, path
        # Both sites on one keep-alive connection, alternating.
        c = lib.connect(s.port)
        try:
            buf = b""
            for i in range(6):
                host = ("one.test", "two.test")[i % 2]
                r, buf = cl.keepalive_get(c, "/index.html", host, buf)
                assert r.body == (b"<p>one!</p>\n", b"<p>two!</p>\n")[i % 2], (i, r.body)
        finally:
            c.close()
        # And over HTTP/2, one connection, the :authority changing.
        if h.h2 is not None and "http2" in fl.features():
            with h.Client(s.port, authority="one.test") as c2:
                for i in range(6):
                    c2.authority = ("one.test", "two.test")[i % 2]
                    st = c2.get("/index.html")
                    assert bytes(st.body) == (b"<p>one!</p>\n", b"<p>two!</p>\n")[i % 2], st


def test_http2_authority_routing_h2c():
    cl.need_config()
    h.need_h2()
    conf = cl.config(routing_conf(*roots()))
    with cl.ConfServer(conf) as s:
        with h.Client(s.port, authority="a.example.test") as c:
            for host, want in ROUTES:
                c.authority = host
                st = c.get("/")
                assert st.status == 200 and bytes(st.body) == page(want), (host, want, st)
            c.authority = "b.test"
            st = c.get("/docs/x.txt")
            assert st.header("x-site") == "b", st
            # A Host field beside :authority must name the same host (RFC
            # 9113 section 8.3.1), as a site sees it: case, a port and a
            # trailing dot aside; another host is a malformed request.
            c.authority = "a.example.test"
            c.conn.config.validate_outbound_headers = False  # send them as given
            for same in ("A.Example.TEST", f"a.example.test:{s.port}", "a.example.test."):
                st = c.get("/", headers=[("host", same)])
                assert st.status == 200 and bytes(st.body) == page("A"), (same, st)
            st = c.get("/", headers=[("host", "b.test")])
            assert st.status == 400, st
    conf = cl.config(routing_conf(*roots(), default=False))
    with cl.ConfServer(conf) as s:
        with h.Client(s.port, authority="unknown.test") as c:
            st = c.get("/")
            assert st.status == 421, st
            c.authority = "a.b.example.test"
            assert c.get("/").status == 421
            c.authority = "x.example.test"
            st = c.get("/")
            assert st.status == 200 and bytes(st.body) == page("W"), st


# ---------------------------------------------------------------------------
# TLS, a certificate per site


def tls_conf(a, b, c, certs, top=None, default="b"):
    (acert, akey), (bcert, bkey) = certs["a.test"], certs["b.test"]
    head = f"tls-cert: {cl.q(top[0])}\ntls-key: {cl.q(top[1])}\n" if top else ""
    return f"""{head}sites:
  - hosts: a.test
    root: {cl.q(a)}
    tls-cert: {cl.q(acert)}
    tls-key: {cl.q(akey)}
{"    default: true" if default == "a" else ""}
  - hosts: b.test
    root: {cl.q(b)}
    tls-cert: {cl.q(bcert)}
    tls-key: {cl.q(bkey)}
{"    default: true" if default == "b" else ""}
  - hosts: c.test
    root: {cl.q(c)}
"""


def make_certs():
    d = lib.tempdir()
    return {n: cl.self_signed(n, d) for n in ("a.test", "b.test", "top.test")}


def curl_site(port, name, cacert, *extra):
    return lib.curl("--resolve", f"{name}:{port}:127.0.0.1", "--cacert", cacert,
                    "-w", "\n%{http_version}", *extra, f"https://{name}:{port}/")


def test_tls_certificate_by_sni():
    cl.need_config()
    cl.need_openssl()
    certs = make_certs()
    a, c = lib.make_site({"index.html": page("A")}), lib.make_site({"index.html": page("C")})
    b = lib.make_site({"index.html": page("B")})
    A, B, T = (cl.cert_b64(certs[n][0]) for n in ("a.test", "b.test", "top.test"))
    names = {A: "a.test", B: "b.test", T: "top.test"}

    wrong = []

    def check(port, sni, want):
        got = cl.presented_cert(port, sni)
        if got != want:
            wrong.append(f"SNI {sni}: got the certificate of {names.get(got, '?')}, "
                         f"not {names[want]}")
    # No top-level certificate: no SNI, an unknown name and a site without
    # its own certificate get the default site's.
    with cl.ConfServer(cl.config(tls_conf(a, b, c, certs))) as s:
        check(s.port, "a.test", A)
        check(s.port, "b.test", B)
        check(s.port, "A.TEST", A)
        check(s.port, None, B)
        check(s.port, "unknown.test", B)
        check(s.port, "c.test", B)
    # A top-level certificate comes first.
    with cl.ConfServer(cl.config(tls_conf(a, b, c, certs, top=certs["top.test"]))) as s:
        check(s.port, "a.test", A)
        check(s.port, "b.test", B)
        check(s.port, None, T)
        check(s.port, "unknown.test", T)
        check(s.port, "c.test", T)
    # Neither: the first site's.
    with cl.ConfServer(cl.config(tls_conf(a, b, c, certs, default=None))) as s:
        check(s.port, None, A)
        check(s.port, "b.test", B)
    assert not wrong, wrong


def test_tls_sites_with_curl_http1_and_http2():
    cl.need_config()
    cl.need_openssl()
    h.need_h2()
    certs = make_certs()
    a, b = lib.make_site({"index.html": page("A")}), lib.make_site({"index.html": page("B")})
    c = lib.make_site({"index.html": page("C")})
    with cl.ConfServer(cl.config(tls_conf(a, b, c, certs))) as s:
        for name, want in (("a.test", "A"), ("b.test", "B")):
            for proto, ver in (("--http1.1", "1.1"), ("--http2", "2")):
                p = curl_site(s.port, name, certs[name][0], proto)
                assert p.returncode == 0, (name, proto, p.stderr)
                assert p.stdout == page(want) + f"\n{ver}".encode(), (name, proto, p.stdout)
        # The other site's certificate does not verify: each name gets its own.
        p = curl_site(s.port, "a.test", certs["b.test"][0])
        assert p.returncode == 60, p  # CURLE_PEER_FAILED_VERIFICATION
        # The site comes from Host, not from SNI.
        p = curl_site(s.port, "a.test", certs["a.test"][0], "--http1.1", "-H", "Host: b.test")
        assert p.returncode == 0 and p.stdout == page("B") + b"\n1.1", p
        # A site without its own certificate, by Host.
        p = lib.curl("-k", "--http2", "--resolve", f"c.test:{s.port}:127.0.0.1",
                     f"https://c.test:{s.port}/")
        assert p.returncode == 0 and p.stdout == page("C"), p
        # HTTP/2 over TLS routes by :authority.
        with h.Client(s.port, tls=True, authority="a.test") as cl2:
            for name, want in (("a.test", "A"), ("b.test", "B"), ("c.test", "C"),
                               ("other.test", "B")):
                cl2.authority = name
                st = cl2.get("/")
                assert st.status == 200 and bytes(st.body) == page(want), (name, st)


def test_tls_sighup_adds_a_site_and_its_certificate():
    cl.need_config()
    cl.need_openssl()
    certs = make_certs()
    d = os.path.dirname(certs["a.test"][0])
    a, b = lib.make_site({"index.html": page("A")}), lib.make_site({"index.html": page("B")})
    c = lib.make_site({"index.html": page("C"), "e/index.html": page("E")})
    conf = cl.config(tls_conf(a, b, c, certs))
    with cl.ConfServer(conf) as s:
        ecert, ekey = cl.self_signed("e.test", d)
        E = cl.cert_b64(ecert)
        assert cl.presented_cert(s.port, "e.test") != E
        cl.write(conf, tls_conf(a, b, c, certs) + f"""  - hosts: e.test
    root: {cl.q(os.path.join(c, "e"))}
    tls-cert: {cl.q(ecert)}
    tls-key: {cl.q(ekey)}
""")
        s.proc.send_signal(signal.SIGHUP)
        try:
            cl.wait_until(lambda: cl.presented_cert(s.port, "e.test") == E, 5, "the new cert")
        except AssertionError:
            errors = [l for l in s.log_text().splitlines() if "[error]" in l]
            raise AssertionError(f"e.test's certificate not presented after SIGHUP: {errors}")
        p = curl_site(s.port, "e.test", ecert)
        assert p.returncode == 0 and p.stdout in (page("E") + b"\n1.1", page("E") + b"\n2"), p
        assert cl.presented_cert(s.port, "a.test") == cl.cert_b64(certs["a.test"][0])


# ---------------------------------------------------------------------------
# ACME http-01 challenges


TOKEN = "Tok3n_-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
ANSWER = TOKEN + ".Thumb-print_xyz"


def acme_setup():
    base = lib.tempdir()
    chal = os.path.join(base, "challenge")
    os.makedirs(chal)
    cl.write(os.path.join(chal, TOKEN), ANSWER)
    cl.write(os.path.join(chal, "tok.bad"), "dotted\n")
    cl.write(os.path.join(chal, ".hidden"), "hidden\n")
    cl.write(os.path.join(base, "secret.txt"), "outside the challenge dir\n")
    htp = cl.write(os.path.join(base, "htpasswd"), f"u:{fl.crypt_hash('Pw-12345678', 'sha512')}\n")
    return chal, htp


def acme_sites(htp, extra=""):
    a = lib.make_site({"index.html": page("A")})
    b = lib.make_site({"index.html": page("B")})
    c = lib.make_site({"index.html": page("C")})
    return f"""{extra}sites:
  - hosts: a.test
    root: {cl.q(a)}
    auth-file: {cl.q(htp)}
    default: true
  - hosts: b.test
    root: {cl.q(b)}
    rules:
      - match: /**
        redirect: https://elsewhere.test/$1
        status: 302
  - hosts: c.test
    root: {cl.q(c)}
"""


CHALLENGE = "/.well-known/acme-challenge/"


def test_acme_challenge_for_every_site():
    cl.need_config()
    chal, htp = acme_setup()
    conf = cl.config(acme_sites(htp))
    with cl.ConfServer(conf, args=["--acme-challenge", chal]) as s:
        # Before each site's password and rules, and for any name.
        for host in ("a.test", "b.test", "c.test", "other.test", "127.0.0.1"):
            r = cl.get(s.port, CHALLENGE + TOKEN, host)
            assert r.status == 200 and r.body == ANSWER.encode(), (host, r.raw_head, r.body)
        # The site itself still asks for its password, and redirects.
        assert cl.get(s.port, "/", "a.test").status == 401
        r = cl.get(s.port, "/x", "b.test")
        assert r.status == 302 and r.header("location") == "https://elsewhere.test/x"
        assert cl.get(s.port, CHALLENGE + "absent-token", "c.test").status == 404
        # Tokens are base64url: a dot, a dot-dot or an encoded dot is no token.
        for target in (CHALLENGE + "tok.bad", CHALLENGE + ".hidden", CHALLENGE + "tok%2ebad",
                       CHALLENGE + "%2ehidden", CHALLENGE + "%2e", CHALLENGE + "%2e%2e",
                       CHALLENGE + "..%2fsecret.txt", CHALLENGE + "%2e%2e/secret.txt",
                       CHALLENGE + "%2e%2e%2fsecret.txt", CHALLENGE + "../secret.txt"):
            r = lib.raw(s.port, f"GET {target} HTTP/1.1\r\nHost: c.test\r\n"
                                f"Connection: close\r\n\r\n".encode())
            resp, _ = lib.read_response(r)
            assert resp is not None, (target, r)
            assert resp.status == 404, (target, resp.raw_head)
            for leaked in (b"dotted", b"hidden", b"outside the challenge"):
                assert leaked not in resp.body, (target, resp.body)


def test_acme_challenge_on_the_redirect_port():
    cl.need_config()
    cl.need_openssl()
    chal, htp = acme_setup()
    cert, key = cl.self_signed("a.test")
    plain = lib.free_port()
    conf = cl.config(acme_sites(htp, f"acme-challenge: {cl.q(chal)}\n"
                                      f"redirect-http: {plain}\n"
                                      f"tls-cert: {cl.q(cert)}\ntls-key: {cl.q(key)}\n"))
    with cl.ConfServer(conf) as s:
        assert lib.wait_port(plain), "the --redirect-http port did not open"
        for host in ("a.test", "b.test", "unknown.test"):
            r = cl.get(plain, CHALLENGE + TOKEN, host)
            assert r.status == 200 and r.body == ANSWER.encode(), (host, r.raw_head)
        r = cl.get(plain, "/index.html?q=1", "a.test")
        assert r.status == 308, r.raw_head
        assert r.header("location") == f"https://a.test:{s.port}/index.html?q=1", r.raw_head
        r = cl.get(plain, "/.well-known/other", "b.test")
        assert r.status == 308, r.raw_head
        # Over TLS on the main port too.
        p = lib.curl("-k", "--resolve", f"c.test:{s.port}:127.0.0.1",
                     f"https://c.test:{s.port}{CHALLENGE}{TOKEN}")
        assert p.returncode == 0 and p.stdout == ANSWER.encode(), p
