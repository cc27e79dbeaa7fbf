"""Rules per path (docs/config.md, "Rules per path") and Netlify/Cloudflare
Pages files ("_headers and _redirects"): header set/add/remove on files and
error pages, every redirect status with $n captures and the query carried
over, rewrites, the first matching redirect winning, per-path Basic auth
that no spelling of the path gets around, per-path listing and CORS, the
pattern syntax; then _redirects (splats, placeholders, 200 rewrites, a
custom 404, ! forcing over a file) and _headers blocks, the two files never
served, edits picked up while running, and a broken file keeping the old.

    python3 tests/run_integration.py --server bin/server -k test_rules"""
import os

import conflib as cl
import featlib as fl
import h2lib as h
import lib

INDEX = b"<p>the index</p>\n"
SECRET = b"admin secret\n"
HOST = "r.test"
USER, PASSWORD = "root-user", "R00t-Pa55word"


def rules_site():
    return lib.make_site({
        "index.html": INDEX, "a.txt": b"plain a\n", "exists.txt": b"exists\n",
        "new/x.html": b"<p>new x</p>\n", "pages/about.html": b"<p>about page</p>\n",
        "admin/secret.txt": SECRET, "admin/index.html": SECRET,
        "assets/app.js": b"console.log(1)\n", "f.pdf": b"%PDF-1.4\n", "deep/er/g.pdf": b"%PDF g\n",
        "hdr/file.txt": b"hdr file\n", "docs/one.txt": b"1\n", "docs/private/p.txt": b"p\n",
        "listed/l.txt": b"l\n", "listed/nolist/n.txt": b"n\n", "api/data.json": b"{}\n",
        "api/v2/x.json": b"{}\n",
        "star/a.txt": b"sa\n", "star/sub/a.txt": b"ssa\n", "q/ab.txt": b"ab\n",
        "q/abc.txt": b"abc\n", "guarded/g.txt": b"guarded\n", "first/f.txt": b"f\n",
    })


def rules_conf(root, htp):
    return f"""header: ["X-Frame-Options: DENY"]
sites:
  - hosts: {HOST}
    default: true
    root: {cl.q(root)}
    rules:
      - match: /r301/**
        redirect: /new/$1
      - match: /r302/*/*
        redirect: /new/$2-$1
        status: 302
      - match: /r303/**
        redirect: /new/$1
        status: 303
      - match: /r307/**
        redirect: https://other.test/$1
        status: 307
      - match: /r308/*
        redirect: /new/$1
        status: 308
      - match: /exists.txt
        redirect: /new/x.html
        status: 302
      - match: /first/**
        redirect: /one
        status: 302
      - match: /first/**
        redirect: /two
        status: 302
      - match: /app/**
        rewrite: /index.html
      - match: /p/*
        rewrite: /pages/$1.html
      - match: /admin/**
        auth-file: {cl.q(htp)}
      - match: /guarded/**
        redirect: /new/x.html
        status: 302
      - match: /guarded/**
        auth-file: {cl.q(htp)}
      - match: /assets/**
        headers:
          set: {{ Cache-Control: "public, max-age=31536000, immutable" }}
      - match: "*.pdf"
        headers:
          add: {{ Content-Disposition: attachment }}
      - match: /**
        headers:
          set: {{ X-Order: first, X-Frame-Options: SAMEORIGIN }}
          add: {{ X-Multi: one }}
      - match: /hdr/**
        headers:
          set: {{ X-Order: second }}
          add: {{ X-Multi: two }}
          remove: [Accept-Ranges]
      - match: /missing/**
        headers:
          remove: [X-Content-Type-Options]
      - match: /docs/**
        list: true
      - match: /docs/private/**
        list: false
      - match: /api/**
        cors: "https://app.test"
      - match: /api/v2/**
        cors: "https://v2.test"
      - match: /star/*.txt
        headers:
          set: {{ X-Star: "yes" }}
      - match: /q/a?.txt
        headers:
          set: {{ X-Q: "yes" }}
  - hosts: listed.test
    root: {cl.q(root)}
    list: true
    rules:
      - match: /listed/nolist/**
        list: false
"""


def htpasswd():
    return cl.write(os.path.join(lib.tempdir(), "htpasswd"),
                    f"{USER}:{fl.crypt_hash(PASSWORD, 'sha512')}\n")


def server():
    cl.need_config()
    return cl.ConfServer(cl.config(rules_conf(rules_site(), htpasswd())))


def get(s, path, headers=None, host=HOST, method="GET"):
    return cl.get(s.port, path, host, headers, method)


def raw_get(port, target, host=HOST, extra=""):
    """GET with the request target exactly as given (no client normalising)."""
    data = lib.raw(port, f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{extra}"
                         f"Connection: close\r\n\r\n".encode())
    r, _ = lib.read_response(data)
    assert r is not None, (target, data[:300])
    return r


# ---------------------------------------------------------------------------
# headers


def test_header_set_add_remove():
    with server() as s:
        # set replaces the server's own value (one Cache-Control only).
        r = get(s, "/assets/app.js")
        assert r.status == 200 and r.body == b"console.log(1)\n"
        assert r.all("cache-control") == ["public, max-age=31536000, immutable"], r.raw_head
        r = get(s, "/a.txt")  # the control: the server's own policy
        assert r.all("cache-control") == ["no-cache"], r.raw_head
        # set replaces a -H/header: line too.
        assert r.all("x-frame-options") == ["SAMEORIGIN"], r.raw_head
        # add, for a pattern without / matching the last segment anywhere.
        for path in ("/f.pdf", "/deep/er/g.pdf"):
            r = get(s, path)
            assert r.status == 200 and r.all("content-disposition") == ["attachment"], path
        assert get(s, "/a.txt").header("content-disposition") is None
        # remove a header the server sends on a file...
        assert get(s, "/a.txt").header("accept-ranges") == "bytes"
        r = get(s, "/hdr/file.txt")
        assert r.status == 200 and r.body == b"hdr file\n"
        assert r.header("accept-ranges") is None, r.raw_head
        # ... and on an error page.
        r = get(s, "/nothing-here")
        assert r.status == 404 and r.header("x-content-type-options") == "nosniff", r.raw_head
        r = get(s, "/missing/nothing-here")
        assert r.status == 404 and r.header("x-content-type-options") is None, r.raw_head


def test_every_matching_header_rule_applies_in_order():
    with server() as s:
        r = get(s, "/a.txt")
        assert r.all("x-order") == ["first"] and r.all("x-multi") == ["one"], r.raw_head
        r = get(s, "/hdr/file.txt")
        assert r.all("x-order") == ["second"], r.raw_head
        assert r.all("x-multi") == ["one", "two"], r.raw_head
        # Error pages of a matching path too.
        r = get(s, "/hdr/absent.txt")
        assert r.status == 404 and r.all("x-order") == ["second"], r.raw_head
        assert r.all("x-multi") == ["one", "two"], r.raw_head
        # A redirect and a 401 are responses of their path as well.
        r = get(s, "/r301/a")
        assert r.status == 301 and r.all("x-order") == ["first"], r.raw_head
        r = get(s, "/admin/secret.txt")
        assert r.status == 401 and r.all("x-order") == ["first"], r.raw_head


def test_patterns_star_question_mark_double_star():
    with server() as s:
        assert get(s, "/star/a.txt").header("x-star") == "yes"
        assert get(s, "/star/sub/a.txt").header("x-star") is None  # * stays in a segment
        assert get(s, "/q/ab.txt").header("x-q") == "yes"
        assert get(s, "/q/abc.txt").header("x-q") is None  # ? is one character
        # The path is matched after decoding and normalising.
        assert get(s, "/star/%61.txt").header("x-star") == "yes"
        assert raw_get(s.port, "/star/sub/../a.txt").header("x-star") == "yes"
        assert raw_get(s.port, "//star//a.txt").header("x-star") == "yes"


# ---------------------------------------------------------------------------
# redirects and rewrites


def test_redirect_statuses_captures_and_query():
    with server() as s:
        cases = [
            ("/r301/a/b.html", 301, "/new/a/b.html"),
            ("/r301/a/b.html?x=1&y=two", 301, "/new/a/b.html?x=1&y=two"),
            ("/r301/", 301, "/new/"),
            ("/r302/one/two", 302, "/new/two-one"),
            ("/r302/one/two?q", 302, "/new/two-one?q"),
            ("/r303/z", 303, "/new/z"),
            ("/r307/deep/path.txt?a=b", 307, "https://other.test/deep/path.txt?a=b"),
            ("/r308/x.html", 308, "/new/x.html"),
            ("/r308/x.html?k=v", 308, "/new/x.html?k=v"),
        ]
        for path, status, loc in cases:
            r = get(s, path)
            assert r.status == status and r.header("location") == loc, (path, r.raw_head)
        # /r308/* is one segment: a deeper path does not match.
        assert get(s, "/r308/a/b").status == 404
        # A redirect of the config file applies where a file exists.
        r = get(s, "/exists.txt")
        assert r.status == 302 and r.header("location") == "/new/x.html", r.raw_head
        # The first matching redirect wins.
        r = get(s, "/first/f.txt")
        assert r.status == 302 and r.header("location") == "/one", r.raw_head
        # curl follows one to the file.
        p = lib.curl("-L", "--resolve", f"{HOST}:{s.port}:127.0.0.1",
                     f"http://{HOST}:{s.port}/r308/x.html")
        assert p.returncode == 0 and p.stdout == b"<p>new x</p>\n", p


def test_rewrite_serves_another_path():
    with server() as s:
        for path in ("/app/", "/app/some/client/route", "/app/x?y=1"):
            r = get(s, path)
            assert r.status == 200 and r.body == INDEX, (path, r.raw_head)
            assert r.header("location") is None
        r = get(s, "/p/about")
        assert r.status == 200 and r.body == b"<p>about page</p>\n", r.raw_head
        r = get(s, "/p/nope")
        assert r.status == 404, r.raw_head


# ---------------------------------------------------------------------------
# auth, list, cors


def test_path_auth_cannot_be_bypassed_by_spelling():
    assert "basic-auth" in fl.features(), "basic-auth not compiled in (server -V)"
    good = {"Authorization": fl.basic(USER, PASSWORD)}
    with server() as s:
        assert get(s, "/a.txt").status == 200  # outside the rule: open
        for target in ("/admin/secret.txt", "/%61dmin/secret.txt", "/x/../admin/secret.txt",
                       "/admin/./secret.txt", "//admin//secret.txt", "/%61%64%6d%69%6e/secret.txt",
                       "/admin/", "/admin/index.html", "/admin/nope", "/admin/%2e/secret.txt",
                       "/x/%2e%2e/admin/secret.txt", "/admin/secret.txt?x=1"):
            r = raw_get(s.port, target)
            assert r.status == 401, (target, r.raw_head)
            assert r.header("www-authenticate", "").lower().startswith("basic"), target
            assert SECRET not in r.body, target
            r = raw_get(s.port, target, extra=f"Authorization: {good['Authorization']}\r\n")
            assert r.status in (200, 404), (target, r.raw_head)
        r = get(s, "/admin/secret.txt", good)
        assert r.status == 200 and r.body == SECRET, r.raw_head
        r = get(s, "/admin/secret.txt", {"Authorization": fl.basic(USER, "wrong")})
        assert r.status == 401
        # Asked before a redirect of the same path (the redirect is first in
        # the file, the password still comes first).
        r = get(s, "/guarded/g.txt")
        assert r.status == 401, r.raw_head
        r = get(s, "/guarded/g.txt", good)
        assert r.status == 302 and r.header("location") == "/new/x.html", r.raw_head
        p = lib.curl("-u", f"{USER}:{PASSWORD}", "--resolve", f"{HOST}:{s.port}:127.0.0.1",
                     f"http://{HOST}:{s.port}/%61dmin/secret.txt")
        assert p.returncode == 0 and p.stdout == SECRET, p


def test_path_auth_over_http2():
    h.need_h2()
    with server() as s:
        with h.Client(s.port, authority=HOST) as c:
            for path in ("/admin/secret.txt", "/%61dmin/secret.txt", "/x/../admin/secret.txt"):
                st = c.get(path)
                assert st.status == 401 and SECRET not in bytes(st.body), (path, st)
            st = c.get("/admin/secret.txt", [("authorization", fl.basic(USER, PASSWORD))])
            assert st.status == 200 and bytes(st.body) == SECRET, st
            st = c.get("/hdr/file.txt")
            assert st.all("x-multi") == ["one", "two"] and st.header("accept-ranges") is None, st
            st = c.get("/r302/a/b?z=1")
            assert st.status == 302 and st.header("location") == "/new/b-a?z=1", st


def test_path_list_and_cors():
    with server() as s:
        r = get(s, "/docs/")
        assert r.status == 200 and b"one.txt" in r.body, r.raw_head
        r = get(s, "/docs/private/")  # the last matching rule wins: off
        assert r.status == 403 and b"p.txt" not in r.body, r.raw_head
        assert get(s, "/listed/").status == 403  # the site lists nothing
        r = get(s, "/listed/", host="listed.test")
        assert r.status == 200 and b"l.txt" in r.body, r.raw_head
        r = get(s, "/listed/nolist/", host="listed.test")
        assert r.status == 403 and b"n.txt" not in r.body, r.raw_head
        r = get(s, "/api/data.json", {"Origin": "https://app.test"})
        assert r.status == 200 and r.header("access-control-allow-origin") == "https://app.test", \
            r.raw_head
        r = get(s, "/api/v2/x.json", {"Origin": "https://v2.test"})  # the last one wins
        assert r.header("access-control-allow-origin") == "https://v2.test", r.raw_head
        r = get(s, "/a.txt", {"Origin": "https://app.test"})
        assert r.header("access-control-allow-origin") is None, r.raw_head


# ---------------------------------------------------------------------------
# _headers and _redirects


REDIRECTS = """# Netlify-style redirects
/blog/*              /news/:splat                    301
/posts/:year/:slug   /archive/:year/:slug            302
/old-page            /exists.html
/shadow.html         /target.html                    301
/forced.html         /target.html                    301!
/app/*               /index.html                     200
/*                   /404.html                       404
"""

HEADERS = """# Netlify-style headers
/*
  X-Global: all
  X-Frame-Options: DENY
/assets/*
  Cache-Control: public, max-age=31536000, immutable
  ! X-Global
/exists.html
  X-Page: exists
"""

NL_INDEX = b"<p>spa shell</p>\n"
NL_404 = b"<p>custom not found</p>\n"


def netlify_site():
    return lib.make_site({
        "index.html": NL_INDEX, "404.html": NL_404, "exists.html": b"<p>exists</p>\n",
        "shadow.html": b"<p>shadow file</p>\n", "forced.html": b"<p>forced file</p>\n",
        "target.html": b"<p>target</p>\n", "assets/app.js": b"js\n",
        "_redirects": REDIRECTS.encode(), "_headers": HEADERS.encode(),
    })


def netlify_server(root):
    cl.need_config()
    return cl.ConfServer(cl.config(f"sites:\n  - hosts: n.test\n    default: true\n"
                                   f"    netlify: true\n    root: {cl.q(root)}\n"))


def test_netlify_redirects():
    root = netlify_site()
    with netlify_server(root) as s:
        r = get(s, "/blog/2024/hello")
        assert r.status == 301 and r.header("location") == "/news/2024/hello", r.raw_head
        r = get(s, "/posts/2023/my-post")
        assert r.status == 302 and r.header("location") == "/archive/2023/my-post", r.raw_head
        r = get(s, "/old-page")
        assert r.status == 301 and r.header("location") == "/exists.html", r.raw_head
        # Not forced: the existing file shadows the rule.
        r = get(s, "/shadow.html")
        assert r.status == 200 and r.body == b"<p>shadow file</p>\n", r.raw_head
        # Forced with !: the rule wins over the file.
        r = get(s, "/forced.html")
        assert r.status == 301 and r.header("location") == "/target.html", r.raw_head
        # 200: a rewrite for a single-page app.
        for path in ("/app/", "/app/users/42", "/app/deep/x/y?z=1"):
            r = get(s, path)
            assert r.status == 200 and r.body == NL_INDEX, (path, r.raw_head)
            assert r.header("location") is None
        # 404: the custom page's body with status 404; files still served.
        for path in ("/nope", "/deep/nope.html"):
            r = get(s, path)
            assert r.status == 404 and r.body == NL_404, (path, r.raw_head)
        r = get(s, "/exists.html")
        assert r.status == 200 and r.body == b"<p>exists</p>\n"
        r = get(s, "/")
        assert r.status == 200 and r.body == NL_INDEX


def test_config_rules_come_before_redirects_file():
    cl.need_config()
    root = netlify_site()
    conf = cl.config(f"""sites:
  - hosts: n.test
    default: true
    netlify: true
    root: {cl.q(root)}
    rules:
      - match: /blog/**
        redirect: /from-config/$1
        status: 307
""")
    with cl.ConfServer(conf) as s:
        r = get(s, "/blog/a/b")
        assert r.status == 307 and r.header("location") == "/from-config/a/b", r.raw_head
        r = get(s, "/old-page")  # the file's rules still apply elsewhere
        assert r.status == 301 and r.header("location") == "/exists.html", r.raw_head


def test_netlify_headers():
    root = netlify_site()
    with netlify_server(root) as s:
        r = get(s, "/exists.html")
        assert r.header("x-global") == "all" and r.header("x-frame-options") == "DENY", r.raw_head
        assert r.header("x-page") == "exists", r.raw_head
        r = get(s, "/assets/app.js")
        assert r.status == 200 and r.body == b"js\n"
        assert r.all("cache-control") == ["public, max-age=31536000, immutable"], r.raw_head
        assert r.header("x-global") is None and r.header("x-frame-options") == "DENY", r.raw_head
        r = get(s, "/target.html")
        assert r.header("x-page") is None and r.header("x-global") == "all", r.raw_head


def test_netlify_files_are_never_served():
    root = netlify_site()
    with netlify_server(root) as s:
        for target in ("/_redirects", "/_headers", "/%5fredirects", "/%5F%68eaders",
                       "/x/../_redirects", "/_redirects?x=1"):
            r = raw_get(s.port, target, host="n.test")
            assert r.status == 404, (target, r.raw_head)
            assert b"/news/:splat" not in r.body and b"X-Global" not in r.body, target
    # Without netlify: true they are ordinary files and nothing applies.
    cl.need_config()
    conf = cl.config(f"sites:\n  - hosts: n.test\n    default: true\n    root: {cl.q(root)}\n")
    with cl.ConfServer(conf) as s:
        assert get(s, "/blog/x", host="n.test").status == 404
        assert get(s, "/exists.html", host="n.test").header("x-global") is None


def test_netlify_files_reloaded_while_running():
    root = netlify_site()
    red = os.path.join(root, "_redirects")
    with netlify_server(root) as s:
        assert get(s, "/fresh").status == 404
        cl.write(red, "/fresh  /target.html  302\n" + REDIRECTS)
        cl.wait_until(lambda: get(s, "/fresh").status == 302, 3.0, "the edited _redirects")
        r = get(s, "/fresh")
        assert r.status == 302 and r.header("location") == "/target.html", r.raw_head
        hdr = os.path.join(root, "_headers")
        cl.write(hdr, HEADERS + "/target.html\n  X-New: 1\n")
        cl.wait_until(lambda: get(s, "/target.html").header("x-new") == "1", 3.0,
                      "the edited _headers")
        # A broken file: the old rules stay, the log names the file and line.
        cl.write(red, "/ok  /target.html  302\n/lonely\n")
        text = s.wait_log("_redirects:2", timeout=4.0)
        assert red in text or "_redirects:2" in text
        r = get(s, "/fresh")
        assert r.status == 302 and r.header("location") == "/target.html", r.raw_head
        assert get(s, "/ok").status == 404
        assert get(s, "/forced.html").status == 301



def top_level_conf():
    """A config file without sites: whose rules and netlify: are the
    folder's."""
    return cl.config(f"""root: {cl.q(netlify_site())}
netlify: true
rules:
  - match: /old/**
    redirect: /target.html?from=$1
    status: 308
  - match: "*.html"
    headers:
      set: {{ X-Top: "on" }}
      remove: [Accept-Ranges]
  - match: /assets/**
    auth-file: {cl.q(htpasswd())}
""")


def test_top_level_rules_serve_a_folder_without_sites():
    """rules: and netlify: at the top level of a file without sites: are
    the one folder's; beside sites: they are refused with their place, and
    --check-config prints them back as a file it accepts."""
    cl.need_config()
    conf = top_level_conf()
    p = cl.check_config(conf)
    assert p.returncode == 0, p.stderr
    strip = lambda t: [l for l in t.splitlines() if not l.startswith("#")]  # noqa: E731
    again = cl.config("\n".join(strip(p.stdout)) + "\n", name="printed.yaml")
    q = cl.check_config(again)
    assert q.returncode == 0, q.stderr
    assert strip(q.stdout) == strip(p.stdout), (p.stdout, q.stdout)
    assert "rules:\n  - match: \"/old/**\"" in p.stdout and "netlify: true" in p.stdout, p.stdout
    with cl.ConfServer(conf) as s:
        # curl: the config rule's redirect, the capture and the status.
        r = lib.curl("-si", f"http://127.0.0.1:{s.port}/old/a/b")
        head = r.stdout.split(b"\r\n\r\n")[0].decode()
        assert head.startswith("HTTP/1.1 308"), head
        assert "\r\nLocation: /target.html?from=a/b\r\n" in head + "\r\n", head
        r = lib.curl("-s", "-L", f"http://127.0.0.1:{s.port}/old/x")
        assert r.stdout == b"<p>target</p>\n", r.stdout
        # Header rules of the config file, then those of _headers, apply.
        st = get(s, "/exists.html", host="any.test")
        assert st.status == 200 and st.header("x-top") == "on", st.raw_head
        assert st.header("accept-ranges") is None, st.raw_head
        assert st.header("x-page") == "exists" and st.header("x-global") == "all", st.raw_head
        assert get(s, "/assets/app.js", host="any.test").header("x-top") is None
        # The folder's _redirects: splats and the single-page-app rewrite.
        st = get(s, "/blog/2024/hello", host="any.test")
        assert st.status == 301 and st.header("location") == "/news/2024/hello", st.raw_head
        st = get(s, "/app/users/42", host="any.test")
        assert st.status == 200 and st.body == NL_INDEX, st.raw_head
        # Per-path users.
        assert get(s, "/assets/app.js", host="any.test").status == 401
        st = get(s, "/assets/app.js", host="any.test",
                 headers={"Authorization": fl.basic(USER, PASSWORD)})
        assert st.status == 200 and st.body == b"js\n", st.raw_head
        for target in ("/_redirects", "/_headers"):
            assert get(s, target, host="any.test").status == 404
    bad = cl.config(f"sites:\n  - hosts: a.test\n    root: {cl.q(lib.make_site({}))}\n"
                    "netlify: true\n", name="bad.yaml")
    p = cl.check_config(bad)
    assert p.returncode == 1 and "bad.yaml:4:1: 'netlify' at the top level" in p.stderr, p.stderr


def test_top_level_rules_over_http2():
    h.need_h2()
    cl.need_config()
    with cl.ConfServer(top_level_conf()) as s:
        with h.Client(s.port, authority="any.test") as c:
            assert c.get("/assets/app.js").status == 401
            st = c.get("/old/z")
            assert st.status == 308 and st.header("location") == "/target.html?from=z", st
            st = c.get("/exists.html")
            assert st.header("x-top") == "on" and st.header("accept-ranges") is None, st
            assert st.header("x-page") == "exists", st
