"""Directory listings (-l/--list): off by default, HTML5 page with
directories first and natural order, a parent link below the root, hostile
names escaped in HTML and percent-encoded in links (every link fetched
back), dotfiles hidden unless --dotfiles, the JSON form, and the security
headers of generated pages."""
import json
import os

import featlib as fl
import lib

HOSTILE = [
    "with space.txt",
    'dq"uote.txt',
    "sq'uote.txt",
    "<script>alert(1)<\\script>.txt",
    "<img src=x onerror=alert(1)>.txt",
    "&amp;.txt",
    "a&b=c.txt",
    "ünïcödé.txt",
    "日本.txt",
    "100%.txt",
    "%41%2e.txt",          # must not be decoded twice
    "hash#tag.txt",
    "q?mark.txt",
    "back\\slash.txt",
    "plus+sign.txt",
    "colon:name.txt",
    "javascript:alert(1)",
    "semi;colon.txt",
    "new\nline.txt",
    "tab\there.txt",
    "-dash.txt",
    "~tilde.txt",
    "a..b...txt",
]
HOSTILE_DIRS = ["<b>dir & co<\\b>", "sp ace#?%"]


def content(name):
    return ("content of " + name + "\n").encode("utf-8", errors="surrogateescape")


def hostile_site():
    root = lib.tempdir()
    for n in HOSTILE:
        fl.write(os.path.join(root, n), content(n))
    for d in HOSTILE_DIRS:
        for n in ("inner.txt", "<i>x<\\i>.txt", "日本.txt"):
            fl.write(os.path.join(root, d, n), content(d + "/" + n))
    return root


def listing(port, path, json_=False):
    r = lib.request(port, path, headers={"Accept": "application/json"} if json_ else None)
    assert r.status == 200, (path, r.raw_head)
    return r


def check_generated_headers(r, what):
    assert r.header("x-content-type-options") == "nosniff", (what, r.raw_head)
    csp = r.header("content-security-policy")
    assert csp, (what, "no Content-Security-Policy", r.raw_head)
    directives = {d.strip().split()[0]: d.strip().split()[1:] for d in csp.split(";") if d.strip()}
    # No script may run on a generated page.
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts == ["'none'"], (what, csp)


def test_listing_off_by_default():
    root = lib.make_site({"sub/a.txt": b"a", "b.txt": b"b"})
    with lib.Server(root=root) as s:
        for p in ("/", "/sub/"):
            r = lib.request(s.port, p)
            assert r.status == 403, (p, r.raw_head)
            assert b"b.txt" not in r.body and b"a.txt" not in r.body
            r = lib.request(s.port, p, headers={"Accept": "application/json"})
            assert r.status == 403, (p, r.raw_head)
    for flag in ("-l", "--list"):
        with lib.Server(root=root, args=[flag]) as s:
            for p in ("/", "/sub/"):
                assert lib.request(s.port, p).status == 200, (flag, p)


def test_index_file_wins_over_listing():
    root = lib.make_site({"index.html": b"<p>INDEX</p>", "sub/index.html": b"<p>SUB</p>",
                          "sub/x.txt": b"x"})
    with lib.Server(root=root, args=["-l"]) as s:
        assert lib.request(s.port, "/").body == b"<p>INDEX</p>"
        assert lib.request(s.port, "/sub/").body == b"<p>SUB</p>"


def test_html_listing_order_and_parent_link():
    files = {f"a{i}.txt": b"x" * i for i in (10, 2, 1, 100, 20)}
    files.update({"B.txt": b"b", "c.txt": b"c", "dir10/x": b"", "dir9/x": b"", "Zdir/x": b"",
                  "sub/deep/f.txt": b"deep"})
    root = lib.make_site(files)
    with lib.Server(root=root, args=["--list"]) as s:
        r = listing(s.port, "/")
        assert r.header("content-type") == "text/html; charset=utf-8", r.raw_head
        assert r.body.startswith(b"<!DOCTYPE html>"), r.body[:60]
        check_generated_headers(r, "listing")
        p = fl.parse_html(r.body)
        assert "/" in p.title
        names = [t for _, t in p.links]
        assert "../" not in names and all(h != "../" for h, _ in p.links), "parent link at the root"
        dirs = [n for n in names if n.endswith("/")]
        assert names[:len(dirs)] == dirs, f"directories not first: {names}"
        assert set(dirs) == {"dir9/", "dir10/", "Zdir/", "sub/"}, names
        assert dirs.index("dir9/") < dirs.index("dir10/"), dirs
        order = [n for n in names if n.startswith("a")]
        assert order == ["a1.txt", "a2.txt", "a10.txt", "a20.txt", "a100.txt"], order
        assert set(names) == {"dir9/", "dir10/", "Zdir/", "sub/", "a1.txt", "a2.txt", "a10.txt",
                              "a20.txt", "a100.txt", "B.txt", "c.txt"}, names

        r = listing(s.port, "/sub/")
        p = fl.parse_html(r.body)
        assert p.links[0] == ("../", "../"), p.links
        assert fl.resolve("/sub/", "../") == "/"
        assert [t for _, t in p.links[1:]] == ["deep/"]
        r = listing(s.port, "/sub/deep/")
        p = fl.parse_html(r.body)
        assert p.links[0][0] == "../" and fl.resolve("/sub/deep/", p.links[0][0]) == "/sub/"
        assert p.links[1] == ("./f.txt", "f.txt") or fl.resolve("/sub/deep/", p.links[1][0]) == "/sub/deep/f.txt"
        # The listing answers HEAD with the same head and no body.
        full = lib.request(s.port, "/sub/")
        h = lib.request(s.port, "/sub/", method="HEAD")
        assert h.status == 200 and h.body == b""
        assert h.header("content-length") == full.header("content-length")


def _check_links(port, base, page_body, expected):
    """expected: {visible name: content bytes or None for a directory}."""
    p = fl.parse_html(page_body)
    seen = {}
    for href, text in p.links:
        if href == "../":
            continue
        assert href is not None
        for bad in ('"', "'", "<", ">", " ", "#", "?", "\n", "\t", "\\"):
            assert bad not in href, (f"unencoded {bad!r} in href", href)
        assert not href.lower().startswith("javascript:"), href
        seen[text] = href
    want_texts = {n + ("/" if c is None else "") for n, c in expected.items()}
    assert set(seen) == want_texts, (sorted(seen), sorted(want_texts))
    for n, c in expected.items():
        text = n + ("/" if c is None else "")
        path = fl.resolve(base, seen[text])
        r = lib.request(port, path)
        assert r.status == 200, (n, path, r.raw_head)
        if c is not None:
            assert r.body == c, (n, path, r.body)
        else:
            assert r.header("content-type").startswith("text/html"), (n, path)
        # curl follows the same link to the same bytes.
        if c is not None:
            pr = lib.curl(f"http://127.0.0.1:{port}{path}")
            assert pr.returncode == 0 and pr.stdout == c, (n, path, pr)


def test_hostile_names_are_escaped_and_every_link_works():
    root = hostile_site()
    with lib.Server(root=root, args=["-l"]) as s:
        r = listing(s.port, "/")
        raw = r.body
        # No markup from a name survives as markup.
        for bad in (b"<script", b"<img", b"<b>", b"<i>", b"onerror=alert(1)>"):
            assert bad not in raw, (bad, raw)
        p = fl.parse_html(raw)
        assert set(p.tags) <= {"html", "head", "meta", "title", "style", "body", "main", "h1",
                               "table", "thead", "tbody", "tr", "th", "td", "a"}, set(p.tags)
        expected = {n: content(n) for n in HOSTILE}
        expected.update({d: None for d in HOSTILE_DIRS})
        _check_links(s.port, "/", raw, expected)

        # Inside the hostile directories: escaped heading, parent link,
        # working links relative to the encoded directory URL.
        for d in HOSTILE_DIRS:
            href = dict((t, h) for h, t in p.links)[d + "/"]
            base = fl.resolve("/", href)
            sub = listing(s.port, base)
            assert b"<b>" not in sub.body and b"<i>" not in sub.body, sub.body
            sp = fl.parse_html(sub.body)
            assert d in sp.title, (d, sp.title)
            assert sp.links[0][0] == "../"
            assert fl.resolve(base, "../") == "/"
            _check_links(s.port, base, sub.body,
                         {n: content(d + "/" + n) for n in ("inner.txt", "<i>x<\\i>.txt", "日本.txt")})


def test_json_listing_has_the_same_entries():
    root = hostile_site()
    fl.write(os.path.join(root, "sized.bin"), b"z" * 12345)
    fl.write(os.path.join(root, ".secret"), b"hidden")
    with lib.Server(root=root, args=["-l"]) as s:
        r = listing(s.port, "/", json_=True)
        assert r.header("content-type").split(";")[0].strip() == "application/json", r.raw_head
        assert r.header("x-content-type-options") == "nosniff", r.raw_head
        assert fl.vary_has(r, "Accept"), r.raw_head
        entries = json.loads(r.body.decode("utf-8"))
        assert isinstance(entries, list)
        names = [e["name"] for e in entries]
        assert sorted(names) == sorted(HOSTILE + HOSTILE_DIRS + ["sized.bin"]), names
        byname = {e["name"]: e for e in entries}
        for d in HOSTILE_DIRS:
            assert byname[d]["type"] == "directory", byname[d]
        for n in HOSTILE:
            assert byname[n]["type"] == "file" and byname[n]["size"] == len(content(n)), byname[n]
        assert byname["sized.bin"]["size"] == 12345
        # Same order as the HTML page (directories first, natural order).
        html_names = [t.rstrip("/") if t.endswith("/") else t
                      for h, t in fl.parse_html(listing(s.port, "/").body).links if h != "../"]
        assert names == html_names, (names, html_names)
        # A subdirectory, and an Accept list that names JSON among others.
        r = lib.request(s.port, "/sp%20ace%23%3F%25/",
                        headers={"Accept": "text/plain;q=0.5, application/json"})
        assert r.status == 200, r.raw_head
        sub = json.loads(r.body.decode("utf-8"))
        assert sorted(e["name"] for e in sub) == sorted(["inner.txt", "<i>x<\\i>.txt", "日本.txt"])
        # A browser's Accept gets HTML.
        r = lib.request(s.port, "/", headers={
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
        assert r.header("content-type").startswith("text/html"), r.raw_head


def test_json_listing_is_valid_utf8_with_a_non_utf8_name():
    """RFC 8259: JSON exchanged between systems is UTF-8. One file whose
    name is not valid UTF-8 must not make the whole listing unparseable."""
    root = lib.make_site({"good.txt": b"g", "日本.txt": b"j"})
    with open(os.path.join(root.encode(), b"bad\xffname.txt"), "wb") as f:
        f.write(b"b")
    with lib.Server(root=root, args=["-l"]) as s:
        r = listing(s.port, "/", json_=True)
        try:
            entries = json.loads(r.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError(f"JSON listing is not valid UTF-8 JSON: {e}: {r.body!r}")
        names = [e["name"] for e in entries]
        assert "good.txt" in names and "日本.txt" in names, names
        # The HTML form still links to it.
        p = fl.parse_html(listing(s.port, "/").body)
        hrefs = [h for h, t in p.links if t.startswith("bad")]
        assert len(hrefs) == 1
        assert lib.request(s.port, fl.resolve("/", hrefs[0])).body == b"b"


def test_dotfiles_hidden_unless_enabled():
    root = lib.make_site({".env": b"SECRET=1", ".git/config": b"[core]", "visible.txt": b"v",
                          "sub/.hidden.txt": b"h", "sub/shown.txt": b"s"})
    with lib.Server(root=root, args=["-l"]) as s:
        for path, hidden, shown in (("/", {".env", ".git/"}, {"visible.txt", "sub/"}),
                                    ("/sub/", {".hidden.txt"}, {"shown.txt"})):
            r = listing(s.port, path)
            texts = {t for h, t in fl.parse_html(r.body).links if h != "../"}
            assert texts == shown, (path, texts)
            assert b".env" not in r.body and b".git" not in r.body and b".hidden" not in r.body
            j = json.loads(listing(s.port, path, json_=True).body)
            assert {e["name"] for e in j} == {n.rstrip("/") for n in shown}, j
        assert lib.request(s.port, "/.env").status == 404
    with lib.Server(root=root, args=["-l", "--dotfiles"]) as s:
        r = listing(s.port, "/")
        p = fl.parse_html(r.body)
        texts = {t: h for h, t in p.links}
        assert {".env", ".git/", "visible.txt", "sub/"} == set(texts), texts
        assert texts[".git/"] == "./.git/" or fl.resolve("/", texts[".git/"]) == "/.git/"
        assert lib.request(s.port, fl.resolve("/", texts[".env"])).body == b"SECRET=1"
        assert listing(s.port, fl.resolve("/", texts[".git/"])).status == 200
        j = json.loads(listing(s.port, "/sub/", json_=True).body)
        assert {e["name"] for e in j} == {".hidden.txt", "shown.txt"}


def test_symlinks_listed_only_when_servable():
    root = lib.make_site({"real.txt": b"real", "d/x.txt": b"x"})
    outside = lib.make_site({"secret.txt": b"outside"})
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(root, "out-link.txt"))
    os.symlink("real.txt", os.path.join(root, "in-link.txt"))
    os.symlink("missing.txt", os.path.join(root, "dangling.txt"))
    os.mkfifo(os.path.join(root, "fifo"))
    with lib.Server(root=root, args=["-l"]) as s:
        r = listing(s.port, "/")
        texts = {t: h for h, t in fl.parse_html(r.body).links}
        assert set(texts) == {"d/", "real.txt", "in-link.txt"}, texts
        assert lib.request(s.port, fl.resolve("/", texts["in-link.txt"])).body == b"real"


def test_generated_pages_have_security_headers():
    root = lib.make_site({"sub/x.txt": b"x", "f.txt": b"f"})
    with lib.Server(root=root, args=["-l"]) as s:
        check_generated_headers(listing(s.port, "/"), "listing")
        check_generated_headers(listing(s.port, "/", json_=True), "json listing")
        check_generated_headers(lib.request(s.port, "/missing"), "404")
        check_generated_headers(lib.request(s.port, "/sub"), "301")
        check_generated_headers(lib.request(s.port, "/f.txt", method="POST"), "405/501")
        check_generated_headers(lib.request(s.port, "/a/../../etc/passwd"), "400")
    with lib.Server(root=root) as s:
        r = lib.request(s.port, "/sub/")
        assert r.status == 403
        check_generated_headers(r, "403")
        r = lib.request(s.port, "/missing", method="HEAD")
        assert r.status == 404
        check_generated_headers(r, "HEAD 404")
