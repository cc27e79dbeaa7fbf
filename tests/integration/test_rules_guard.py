"""Path rules that must hold however a request is spelled or routed: the
users a rule puts on a file are asked for whichever path reaches it (a
rewrite, a _redirects 200, a directory index, a pretty URL, a cached entry);
a site's users and a path's users together answer (no endless re-check);
framing headers cannot be changed by any rule; a CORS preflight gets the
path's origin."""
import base64

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
