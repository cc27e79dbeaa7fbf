"""Directory listings (-l/--list): off by default, HTML5 page with
directories first and natural order, a parent link below the root, hostile
names escaped in HTML and percent-encoded in links (every link fetched
back), dotfiles hidden unless --dotfiles, the JSON form, and the security
headers of generated pages. The page's parts: breadcrumbs that link to
each ancestor, column headings that sort by name, size and time either way
through the query (no JavaScript), exact sizes and dates that lftp reads
without a request per file, ETag/Last-Modified/304 and compression like any
text. The error pages share the listing's stylesheet (light and dark)
unless the site has its own, and a 403 for a folder without an index tells
a local user about -l."""
import html.parser
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse

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


def is_entry(href):
    """Links to entries are relative ("./name", "../"); the breadcrumbs
    ("/...") and the column headings ("?sort=...") are the page's own."""
    return href is not None and (href.startswith("./") or href == "../")


def entry_links(body):
    """[(href, text)] of the entry links of a listing page, in order."""
    return [(h, t) for h, t in fl.parse_html(body).links if is_entry(h)]


def entry_names(body):
    """The entries' names as shown (directories with their slash), "../"
    left out."""
    return [t for h, t in entry_links(body) if h != "../"]


class Page(html.parser.HTMLParser):
    """The parts of a listing page: .crumbs [(href, text)] in the h1,
    .h1 (its whole text), .headings [{cls, aria, href, text}] (the column
    headings), .rows [{href, text, hidden, size, time}] (the table body:
    the hidden machine line, the size cell's attributes and text, the time
    element's attributes and text)."""

    def __init__(self, body):
        super().__init__(convert_charrefs=True)
        self.crumbs, self.headings, self.rows = [], [], []
        self.h1 = ""
        self.styles = []
        self._where = []      # open elements of interest
        self._a = None
        self._cell = -1
        self.feed(body.decode("utf-8", errors="surrogateescape"))
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("h1", "thead", "tbody", "span", "style", "time", "th", "td"):
            self._where.append(tag)
        if tag == "th":
            self.headings.append({"cls": a.get("class"), "aria": a.get("aria-sort"),
                                  "href": None, "text": ""})
        elif tag == "tr" and "tbody" in self._where:
            self.rows.append({"href": None, "text": "", "hidden": None, "size": None,
                              "size_text": "", "time": None, "time_text": ""})
            self._cell = -1
        elif tag == "td" and "tbody" in self._where:
            self._cell += 1
            if self._cell == 1:
                self.rows[-1]["size"] = a
        elif tag == "time" and self.rows:
            self.rows[-1]["time"] = a
        elif tag == "span" and "hidden" in a and self.rows:
            self.rows[-1]["hidden"] = ""
        elif tag == "a":
            self._a = [a.get("href"), ""]

    def handle_endtag(self, tag):
        if tag == "a" and self._a is not None:
            href, text = self._a
            self._a = None
            if "h1" in self._where:
                self.crumbs.append((href, text))
            elif "th" in self._where:
                self.headings[-1]["href"], self.headings[-1]["text"] = href, text
            elif "tbody" in self._where and self.rows:
                self.rows[-1]["href"], self.rows[-1]["text"] = href, text
        if tag in self._where:
            while self._where and self._where.pop() != tag:
                pass

    def handle_data(self, data):
        if self._a is not None:
            self._a[1] += data
        if "h1" in self._where:
            self.h1 += data
        if "style" in self._where:
            self.styles.append(data)
        if self.rows and "tbody" in self._where:
            row = self.rows[-1]
            if "span" in self._where and row["hidden"] is not None:
                row["hidden"] += data
            elif "time" in self._where:
                row["time_text"] += data
            elif self._cell == 1:
                row["size_text"] += data

    def entries(self):
        """The rows but the parent's."""
        return [r for r in self.rows if r["href"] != "../"]


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
        names = entry_names(r.body)
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
        links = entry_links(r.body)
        assert links[0] == ("../", "../"), links
        assert fl.resolve("/sub/", "../") == "/"
        assert [t for _, t in links[1:]] == ["deep/"]
        r = listing(s.port, "/sub/deep/")
        links = entry_links(r.body)
        assert links[0][0] == "../" and fl.resolve("/sub/deep/", links[0][0]) == "/sub/"
        assert links[1] == ("./f.txt", "f.txt"), links
        assert len(links) == 2, links
        # The listing answers HEAD with the same head and no body.
        full = lib.request(s.port, "/sub/")
        h = lib.request(s.port, "/sub/", method="HEAD")
        assert h.status == 200 and h.body == b""
        assert h.header("content-length") == full.header("content-length")


def _check_links(port, base, page_body, expected):
    """expected: {visible name: content bytes or None for a directory}."""
    seen = {}
    for href, text in entry_links(page_body):
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
                               "table", "thead", "tbody", "tr", "th", "td", "a", "span",
                               "time"}, set(p.tags)
        # Only the page's own links besides the entries: the crumb to "/",
        # and the three column headings.
        others = [h for h, _ in p.links if not is_entry(h)]
        assert others == ["/", "?sort=name&order=desc", "?sort=size&order=asc",
                          "?sort=time&order=asc"], others
        expected = {n: content(n) for n in HOSTILE}
        expected.update({d: None for d in HOSTILE_DIRS})
        _check_links(s.port, "/", raw, expected)

        # Inside the hostile directories: escaped heading, parent link,
        # working links relative to the encoded directory URL.
        for d in HOSTILE_DIRS:
            href = dict((t, h) for h, t in entry_links(raw))[d + "/"]
            base = fl.resolve("/", href)
            sub = listing(s.port, base)
            assert b"<b>" not in sub.body and b"<i>" not in sub.body, sub.body
            sp = fl.parse_html(sub.body)
            assert d in sp.title, (d, sp.title)
            assert entry_links(sub.body)[0][0] == "../"
            # The heading's last crumb is this directory, by its encoded URL.
            crumbs = Page(sub.body).crumbs
            assert crumbs == [("/", "/"), (base, d)], (crumbs, base)
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
                      for t in entry_names(listing(s.port, "/").body)]
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
        hrefs = [h for h, t in entry_links(listing(s.port, "/").body) if t.startswith("bad")]
        assert len(hrefs) == 1
        assert lib.request(s.port, fl.resolve("/", hrefs[0])).body == b"b"


def test_dotfiles_hidden_unless_enabled():
    root = lib.make_site({".env": b"SECRET=1", ".git/config": b"[core]", "visible.txt": b"v",
                          "sub/.hidden.txt": b"h", "sub/shown.txt": b"s"})
    with lib.Server(root=root, args=["-l"]) as s:
        for path, hidden, shown in (("/", {".env", ".git/"}, {"visible.txt", "sub/"}),
                                    ("/sub/", {".hidden.txt"}, {"shown.txt"})):
            r = listing(s.port, path)
            texts = set(entry_names(r.body))
            assert texts == shown, (path, texts)
            assert b".env" not in r.body and b".git" not in r.body and b".hidden" not in r.body
            j = json.loads(listing(s.port, path, json_=True).body)
            assert {e["name"] for e in j} == {n.rstrip("/") for n in shown}, j
        assert lib.request(s.port, "/.env").status == 404
    with lib.Server(root=root, args=["-l", "--dotfiles"]) as s:
        r = listing(s.port, "/")
        texts = {t: h for h, t in entry_links(r.body)}
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
        texts = {t: h for h, t in entry_links(r.body)}
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


# ---------------------------------------------------------------------------
# Sorting through the query, breadcrumbs, tools


T0 = 1_700_000_000  # 2023-11-14T22:13:20Z


def sort_site():
    """Two directories and five files with distinct sizes and times, but
    b2.txt and b10.txt equal in both (the name breaks the tie), and "E.txt"
    upper case (byte order puts it first)."""
    root = lib.tempdir()
    files = {"a.txt": (300, 100), "b2.txt": (20, 300), "b10.txt": (20, 300),
             "c.txt": (1000, 200), "E.txt": (5, 400)}
    for name, (size, t) in files.items():
        fl.write(os.path.join(root, name), b"x" * size, mtime=(T0 + t) * 10**9)
    for name, t in (("alpha", 500), ("beta", 100)):
        fl.write(os.path.join(root, name, "inside.txt"), b"i")
        fl.set_mtime(os.path.join(root, name), (T0 + t) * 10**9)
    return root


# (sort, order) -> the entries as the page must show them
SORTED = {
    ("name", "asc"): ["alpha/", "beta/", "E.txt", "a.txt", "b2.txt", "b10.txt", "c.txt"],
    ("name", "desc"): ["beta/", "alpha/", "c.txt", "b10.txt", "b2.txt", "a.txt", "E.txt"],
    ("size", "asc"): ["alpha/", "beta/", "E.txt", "b2.txt", "b10.txt", "a.txt", "c.txt"],
    ("size", "desc"): ["beta/", "alpha/", "c.txt", "a.txt", "b10.txt", "b2.txt", "E.txt"],
    ("time", "asc"): ["beta/", "alpha/", "a.txt", "c.txt", "b2.txt", "b10.txt", "E.txt"],
    ("time", "desc"): ["alpha/", "beta/", "E.txt", "b10.txt", "b2.txt", "c.txt", "a.txt"],
}


def test_sorting_by_query_without_javascript():
    root = sort_site()
    with lib.Server(root=root, args=["-l"]) as s:
        bodies = {}
        for (by, order), want in SORTED.items():
            r = listing(s.port, f"/?sort={by}&order={order}")
            assert r.header("content-type") == "text/html; charset=utf-8", r.raw_head
            assert b"<script" not in r.body
            got = entry_names(r.body)
            assert got == want, (by, order, got, want)
            bodies[by, order] = r.body
            # The JSON form follows the same order.
            j = json.loads(listing(s.port, f"/?sort={by}&order={order}", json_=True).body)
            assert [e["name"] + ("/" if e["type"] == "directory" else "") for e in j] == want, \
                (by, order, j)
        # No query, and the defaults spelt out, are name ascending.
        assert entry_names(listing(s.port, "/").body) == SORTED["name", "asc"]
        assert listing(s.port, "/").body == bodies["name", "asc"]
        # Other spellings: Caddy's "modified", ';' between the pair, the
        # pair in either order, extra parameters, repeated separators.
        for q, key in (("sort=modified&order=desc", ("time", "desc")),
                       ("sort=size;order=desc", ("size", "desc")),
                       ("order=desc&sort=time", ("time", "desc")),
                       ("utm=x&sort=size&&order=asc&", ("size", "asc")),
                       ("order=desc", ("name", "desc")),
                       ("sort=size", ("size", "asc"))):
            r = listing(s.port, "/?" + q)
            assert entry_names(r.body) == SORTED[key], (q, entry_names(r.body))
            assert r.body == bodies[key], q
        # The slash redirect keeps the order asked for.
        r = lib.request(s.port, "/alpha?sort=size&order=desc")
        assert r.status in (301, 308) and \
            r.header("location").endswith("/alpha/?sort=size&order=desc"), r.raw_head
        # Unknown values fall back to name ascending, never an error.
        for q in ("sort=bogus", "sort=&order=", "sort=SIZE&order=DESC", "sort=size%26order=desc",
                  "order=up", "sort=../../etc", "sort=%00", "x" * 2000):
            r = listing(s.port, "/?" + q)
            assert entry_names(r.body) == SORTED["name", "asc"], (q[:40], entry_names(r.body))
        # The six pages are cached apart: asked again, in another order,
        # each is still itself, with its own ETag.
        etags = {}
        for key in reversed(list(SORTED)):
            r = listing(s.port, f"/?sort={key[0]}&order={key[1]}")
            assert r.body == bodies[key], key
            etags[key] = r.header("etag")
        assert len(set(etags.values())) == 6, etags


def test_heading_links_lead_to_the_next_order():
    root = sort_site()
    cols = ("name", "size", "time")
    with lib.Server(root=root, args=["-l"]) as s:
        for (by, order) in SORTED:
            page = f"/?sort={by}&order={order}"
            p = Page(listing(s.port, page).body)
            hs = p.headings
            assert [h["cls"] for h in hs] == list(cols), hs
            assert [h["text"] for h in hs] == ["Name", "Size", "Modified (UTC)"], hs
            for col, h in zip(cols, hs):
                current = col == by
                want_next = "desc" if current and order == "asc" else "asc"
                assert h["href"] == f"?sort={col}&order={want_next}", (by, order, col, h)
                want_aria = ({"asc": "ascending", "desc": "descending"}[order]
                             if current else None)
                assert h["aria"] == want_aria, (by, order, col, h)
                # Follow the link as a browser would: it replaces the query.
                target = fl.resolve(page, h["href"])
                assert target == f"/?sort={col}&order={want_next}", target
                q = Page(listing(s.port, target).body)
                assert entry_names_of(q) == SORTED[col, want_next], (target, entry_names_of(q))
                marked = [x["cls"] for x in q.headings if x["aria"]]
                assert marked == [col], (target, q.headings)
            # The arrow sits on the current column only.
            raw = listing(s.port, page).body.decode()
            arrow = "\u2191" if order == "asc" else "\u2193"
            assert raw.count("\u2191") + raw.count("\u2193") == 1, page
            assert re.search(rf'<th class="{by}"[^>]*>.*?{arrow}</th>', raw), (page, arrow)
        # In a subdirectory the links stay in it.
        sub = Page(listing(s.port, "/alpha/").body)
        target = fl.resolve("/alpha/", sub.headings[1]["href"])
        assert target == "/alpha/?sort=size&order=asc", target
        assert entry_names(listing(s.port, target).body) == ["inside.txt"]


def entry_names_of(page):
    return [r["text"] for r in page.entries()]


def test_breadcrumbs_link_to_each_ancestor():
    segs = ["a b", "<x>&y", "日本", "deep"]
    root = lib.make_site({"/".join(segs) + "/f.txt": b"f", "top.txt": b"t"})
    with lib.Server(root=root, args=["-l"]) as s:
        enc = [urllib.parse.quote(x, safe="") for x in segs]
        path = "/" + "/".join(enc) + "/"
        p = Page(listing(s.port, path).body)
        ancestors = ["/"] + ["/" + "/".join(enc[:i + 1]) + "/" for i in range(len(segs))]
        hrefs = [h for h, _ in p.crumbs]
        texts = [t for _, t in p.crumbs]
        assert texts == ["/"] + segs, texts
        # Each crumb names its ancestor, percent-encoded (the server's own
        # spelling may differ in case; compare decoded).
        assert [urllib.parse.unquote(h) for h in hrefs] == \
            [urllib.parse.unquote(a) for a in ancestors], hrefs
        assert p.h1 == "Index of /" + "/".join(segs) + "/", p.h1
        assert fl.parse_html(listing(s.port, path).body).title == p.h1
        for i, h in enumerate(hrefs):
            assert h.startswith("/") and all(c not in h for c in ' <>&"\'#?'), h
            r = lib.request(s.port, h)
            assert r.status == 200, (h, r.raw_head)
            q = Page(r.body)
            # The ancestor's page has the crumbs up to itself.
            assert q.crumbs == p.crumbs[:i + 1], (h, q.crumbs)
            if i == 0:
                assert "top.txt" in entry_names_of(q)
            else:
                assert entry_names_of(q) == [(segs[i] + "/") if i < len(segs) else "f.txt"], \
                    (h, entry_names_of(q))
        # The root's heading is "/" alone.
        assert Page(listing(s.port, "/").body).crumbs == [("/", "/")]


def test_exact_sizes_and_dates_for_tools():
    """Each row carries the exact byte count (data-bytes, title) and the
    ISO time (datetime, title) beside the human forms, and a hidden line
    in Apache's layout (" DD-Mon-YYYY HH:MM BYTES ") that mirroring tools
    read."""
    root = sort_site()
    fl.write(os.path.join(root, "big.iso"), b"", mtime=(T0 + 7) * 10**9)
    os.truncate(os.path.join(root, "big.iso"), 5 * 2**30 + 3)  # sparse
    fl.set_mtime(os.path.join(root, "big.iso"), (T0 + 7) * 10**9)
    with lib.Server(root=root, args=["-l"]) as s:
        p = Page(listing(s.port, "/").body)
    rows = {r["text"]: r for r in p.entries()}
    assert set(rows) == set(SORTED["name", "asc"]) | {"big.iso"}, sorted(rows)
    for name, r in rows.items():
        st = os.stat(os.path.join(root, name.rstrip("/")))
        t = int(st.st_mtime)
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        apache = time.strftime("%d-%b-%Y %H:%M", time.gmtime(t))
        assert r["time"] == {"datetime": iso, "title": iso}, (name, r["time"])
        assert r["time_text"] == time.strftime("%Y-%m-%d %H:%M", time.gmtime(t)), (name, r)
        if name.endswith("/"):
            assert r["hidden"] == f" {apache} - ", (name, r["hidden"])
            assert r["size"] == {"class": "size"} and r["size_text"] == "-", (name, r)
        else:
            n = st.st_size
            assert r["hidden"] == f" {apache} {n} ", (name, r["hidden"])
            assert r["size"] == {"class": "size", "data-bytes": str(n),
                                 "title": f"{n} bytes"}, (name, r["size"])
    assert rows["big.iso"]["size_text"] == "5.0 GiB", rows["big.iso"]
    assert rows["c.txt"]["size_text"] == "1000 B" and rows["a.txt"]["size_text"] == "300 B"


LFTP_LINE = re.compile(r"^([-dl][-rwxsStT]{9})\s+(\d+|-)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)\s+(.*)$")


def test_lftp_reads_exact_sizes_and_dates_from_one_request():
    lftp = shutil.which("lftp")
    if not lftp:
        raise lib.Skip("lftp not installed (Debian package lftp)")
    files = {  # name: (size, mtime)
        "empty.txt": (0, 946684800),            # 2000-01-01 00:00
        "one.bin": (1, 1700000000),             # 2023-11-14 22:13
        "kib.dat": (1023, 951782400),           # 2000-02-29 00:00
        "odd size.bin": (12345, 1234567890),    # 2009-02-13 23:31
        "mib.iso": (1048577, 1709251199),       # 2024-02-29 23:59
        "日本.txt": (777, 1000000000),           # 2001-09-09 01:46
    }
    root = lib.tempdir()
    for name, (size, t) in files.items():
        fl.write(os.path.join(root, "dir", name), b"z" * size, mtime=t * 10**9)
    fl.write(os.path.join(root, "dir", "sub", "x"), b"x")
    fl.set_mtime(os.path.join(root, "dir", "sub"), 1600000000 * 10**9)  # 2020-09-13 12:26
    home = lib.tempdir()
    with lib.Server(root=root, args=["-l"]) as s:
        env = dict(os.environ, TZ="UTC", HOME=home, LC_ALL="C.UTF-8")
        cmd = (f"set net:max-retries 1; set net:timeout 10; set cmd:interactive no; "
               f"open http://127.0.0.1:{s.port}/dir/; ls")
        p = subprocess.run([lftp, "-c", cmd], capture_output=True, timeout=60, env=env, cwd=home)
        out = p.stdout.decode("utf-8", errors="replace")
        assert p.returncode == 0, (p.returncode, out, p.stderr)
    got = {}
    for line in out.splitlines():
        m = LFTP_LINE.match(line)
        if m:
            got[m.group(4)] = (m.group(2), m.group(3), m.group(1)[0])
    for name, (size, t) in files.items():
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))
        assert got.get(name) == (str(size), when, "-"), (name, got.get(name), out)
    assert got.get("sub") == ("-", "2020-09-13 12:26", "d"), (got.get("sub"), out)
    # One listing request (lftp may HEAD the directory first), no request
    # per file.
    requests = [m.group(3) for m in map(lib.LOG_LINE.match, s.out.splitlines()) if m]
    assert requests, s.out
    assert all(r.split()[1] == "/dir/" for r in requests), requests
    assert sum(r.startswith("GET ") for r in requests) == 1, requests


def test_listing_etag_last_modified_304_and_head():
    root = sort_site()
    fl.set_mtime(root, (T0 + 50) * 10**9)
    with lib.Server(root=root, args=["-l"]) as s:
        r = listing(s.port, "/")
        etag, lm = r.header("etag"), r.header("last-modified")
        assert etag and re.fullmatch(r'(W/)?"[^"]+"', etag), r.raw_head
        assert lm and lm.endswith(" GMT"), r.raw_head
        # Last-Modified is the newest of the directory and its entries
        # (alpha/, T0+500).
        assert lm == "Tue, 14 Nov 2023 22:21:40 GMT", lm
        assert r.header("cache-control") == "no-cache", r.raw_head
        for h in ({"If-None-Match": etag}, {"If-None-Match": f'"nope", {etag}'},
                  {"If-None-Match": "W/" + etag if not etag.startswith("W/") else etag},
                  {"If-None-Match": "*"}, {"If-Modified-Since": lm}):
            n = lib.request(s.port, "/", headers=h)
            assert n.status == 304, (h, n.raw_head)
            assert n.body == b"" and n.header("etag") == etag, (h, n.raw_head)
        # A different tag, or an older date, gets the page.
        assert lib.request(s.port, "/", headers={"If-None-Match": '"other"'}).status == 200
        assert lib.request(s.port, "/", headers={
            "If-Modified-Since": "Tue, 14 Nov 2023 22:21:39 GMT"}).status == 200
        # Another order is another representation: its own tag.
        o = listing(s.port, "/?sort=size&order=desc")
        assert o.header("etag") != etag, (o.header("etag"), etag)
        assert lib.request(s.port, "/?sort=size&order=desc",
                           headers={"If-None-Match": etag}).status == 200
        assert lib.request(s.port, "/?sort=size&order=desc",
                           headers={"If-None-Match": o.header("etag")}).status == 304
        # HEAD: the same head, no body.
        for path in ("/", "/?sort=time&order=desc"):
            full = listing(s.port, path)
            h = lib.request(s.port, path, method="HEAD")
            assert h.status == 200 and h.body == b"", h.raw_head
            for k in ("content-length", "etag", "last-modified", "content-type"):
                assert h.header(k) == full.header(k), (path, k, h.raw_head, full.raw_head)
            # Nothing after the head on a kept-alive connection either.
            data = lib.exchange(s.port, f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n"
                                f"GET /E.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                .encode(), half_close=True)
            rs, rest = lib.parse_seq(data, ["HEAD", "GET"])
            assert len(rs) == 2 and rs[1].body == b"x" * 5 and rest == b"", data[:400]
        # A new file: a new tag, the old one no longer matches.
        fl.write(os.path.join(root, "new.txt"), b"n")
        r2 = lib.wait_for(lambda: (lambda x: x if x.header("etag") != etag else None)(
            listing(s.port, "/")), timeout=15)
        assert r2, "listing not refreshed after a new file"
        assert "new.txt" in entry_names(r2.body)
        assert lib.request(s.port, "/", headers={"If-None-Match": etag}).status == 200


def many_files_site(n=80):
    root = lib.tempdir()
    for i in range(n):
        fl.write(os.path.join(root, f"file-{i:03d}-{'x' * (i % 7)}.txt"), b"y" * (i * 37),
                 mtime=(T0 + i * 60) * 10**9)
    fl.write(os.path.join(root, "folder", "inner.txt"), b"i")
    return root


def test_listing_compressed_like_other_text():
    codings = fl.codings()
    if not codings:
        raise lib.Skip("no compression compiled in (server -V)")
    root = many_files_site()
    with lib.Server(root=root, args=["-l"]) as s:
        for path in ("/", "/?sort=size&order=desc"):
            plain = lib.request(s.port, path, headers={"Accept-Encoding": "identity"})
            assert plain.status == 200 and plain.header("content-encoding") is None
            assert len(plain.body) > 4096
            assert fl.vary_has(plain, "Accept-Encoding"), plain.raw_head
            for c in [x for x in ("gzip", "br") if x in codings] + \
                     [x for x in codings if x not in ("gzip", "br")]:
                r = lib.request(s.port, path, headers={"Accept-Encoding": c})
                assert r.status == 200, (c, r.raw_head)
                assert r.header("content-encoding") == c, (path, c, r.raw_head)
                assert fl.vary_has(r, "Accept-Encoding"), r.raw_head
                assert len(r.body) < len(plain.body) // 2, (c, len(r.body), len(plain.body))
                assert fl.decode(c, r.body) == plain.body, (path, c)
                assert int(r.header("content-length")) == len(r.body)
                # Its own tag, and 304 on it.
                assert r.header("etag") and r.header("etag") != plain.header("etag"), r.raw_head
                n = lib.request(s.port, path, headers={"Accept-Encoding": c,
                                                        "If-None-Match": r.header("etag")})
                assert n.status == 304 and n.body == b"", n.raw_head
                h = lib.request(s.port, path, method="HEAD", headers={"Accept-Encoding": c})
                assert h.body == b"" and h.header("content-length") == r.header("content-length")
                assert h.header("content-encoding") == c
            # A browser's Accept-Encoding gets one of them.
            r = lib.request(s.port, path, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
            assert r.header("content-encoding") in codings, r.raw_head
            assert fl.decode(r.header("content-encoding"), r.body) == plain.body
            # curl --compressed agrees byte for byte.
            pr = lib.curl("--compressed", f"http://127.0.0.1:{s.port}{path}")
            assert pr.returncode == 0 and pr.stdout == plain.body, pr.returncode


# ---------------------------------------------------------------------------
# Error pages


def style_of(body):
    return "".join(Page(body).styles)


def visible_text(body):
    """The page's text without its stylesheet (whose "--line" holds "-l")."""
    text = re.sub(rb"<style>.*?</style>", b"", body, flags=re.S)
    return re.sub(rb"<[^>]*>", b"", text).decode("utf-8")


def has_list_hint(body):
    return re.search(r"(^|\s)-l(\s|$|[.,])", visible_text(body)) is not None


def check_styled_error(r, status, what, headers=True):
    assert r.status == status, (what, r.raw_head)
    assert r.header("content-type") == "text/html; charset=utf-8", (what, r.raw_head)
    body = r.body.decode("utf-8")
    assert "prefers-color-scheme" in body, (what, body)
    assert '<meta name="viewport"' in body, (what, body)
    assert "<script" not in body, what
    assert f"<h1>{status} " in body, (what, body)
    if headers:
        check_generated_headers(r, what)
    return body


# Requests for each error status the server answers with its own page
# (None: 405 or 501 for a method it does not serve).
ERROR_REQUESTS = {
    400: b"GET /a/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    412: b'GET /f.txt HTTP/1.1\r\nHost: x\r\nIf-Match: "zz"\r\n\r\n',
    414: b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    416: b"GET /f.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=99-\r\n\r\n",
    431: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"b" * 20000 + b"\r\n\r\n",
    505: b"GET / HTTP/2.5\r\nHost: x\r\n\r\n",
    None: b"DELETE /f.txt HTTP/1.1\r\nHost: x\r\n\r\n",
}


def test_error_pages_share_the_listing_style():
    root = lib.make_site({"sub/x.txt": b"x", "f.txt": b"f"})
    with lib.Server(root=root, args=["-l"]) as s:
        page_style = style_of(listing(s.port, "/").body)
        r = lib.request(s.port, "/missing")
        check_styled_error(r, 404, "404")
        # The listing's stylesheet begins with the shared one.
        shared = style_of(r.body)
        assert shared and page_style.startswith(shared), (shared, page_style[:400])
        assert "--bg" in shared and "prefers-color-scheme:dark" in shared.replace(" ", "")
        # "The rest": every error the server writes itself.
        for status, data in ERROR_REQUESTS.items():
            r, _ = lib.read_response(lib.exchange(s.port, data, half_close=True))
            assert r is not None, status
            check_styled_error(r, status or r.status, f"{status}", headers=False)
            assert r.status >= 400 and style_of(r.body) == shared, (status, r.status)
        # HEAD: the same head, no body.
        g, h = lib.request(s.port, "/missing"), lib.request(s.port, "/missing", method="HEAD")
        assert h.status == 404 and h.body == b"" and \
            h.header("content-length") == g.header("content-length"), h.raw_head
    with lib.Server(root=root) as s:
        r = lib.request(s.port, "/sub/")
        check_styled_error(r, 403, "403")
        assert style_of(r.body) == shared


def test_every_error_page_has_the_generated_page_headers():
    """nosniff and a script-free Content-Security-Policy on each built-in
    error page, as on the listing."""
    root = lib.make_site({"f.txt": b"f"})
    with lib.Server(root=root) as s:
        for status, data in ERROR_REQUESTS.items():
            r, _ = lib.read_response(lib.exchange(s.port, data, half_close=True))
            assert r is not None and r.status >= 400, status
            check_generated_headers(r, f"{r.status} page")


def test_site_error_pages_win():
    own404 = b"<!doctype html><title>Lost</title><p>our own 404</p>\n"
    own403 = b"<!doctype html><title>No</title><p>our own 403</p>\n"
    root = lib.make_site({"404.html": own404, "sub/x.txt": b"x"})
    with lib.Server(root=root) as s:
        r = lib.request(s.port, "/missing")
        assert r.status == 404 and r.body == own404, r.raw_head
        assert b"prefers-color-scheme" not in r.body
        # The site's page is the site's: no generated-page policy that would
        # block its own stylesheet or images.
        assert "default-src 'none'" not in (r.header("content-security-policy") or ""), \
            r.raw_head
        assert lib.request(s.port, "/deeper/still/missing.png").body == own404
        # No 403.html: the built-in one, with the hint (a local client).
        r = lib.request(s.port, "/sub/")
        check_styled_error(r, 403, "403 without 403.html")
        assert has_list_hint(r.body), visible_text(r.body)
    fl.write(os.path.join(root, "403.html"), own403)
    with lib.Server(root=root) as s:
        r = lib.request(s.port, "/sub/")
        assert r.status == 403 and r.body == own403, r.raw_head
        h = lib.request(s.port, "/sub/", method="HEAD")
        assert h.status == 403 and h.body == b"" and int(h.header("content-length")) == len(own403)


class AllInterfacesServer(lib.Server):
    """The server as people start it: no -a (every interface, IPv6 and
    IPv4)."""

    def command(self):
        cmd = super().command()
        i = cmd.index("-a")
        return cmd[:i] + cmd[i + 2:]


def _request_from(family, host, port, path):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((host, port))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = lib.recv_all(s)
    finally:
        s.close()
    r, _ = lib.read_response(data)
    assert r is not None, data[:200]
    return r


def _own_addresses():
    """This machine's non-loopback addresses [(family, address)]."""
    out = []
    try:
        p = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, timeout=5)
        for m in re.finditer(r"\binet6? ([0-9a-f.:]+)/\d+ (?:brd \S+ )?scope global", p.stdout):
            a = m.group(1)
            out.append((socket.AF_INET6 if ":" in a else socket.AF_INET, a))
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def test_forbidden_directory_hint_for_local_clients():
    root = lib.make_site({"sub/x.txt": b"x", "index.html": b"home"})
    with AllInterfacesServer(root=root) as s:
        r = _request_from(socket.AF_INET, "127.0.0.1", s.port, "/sub/")
        check_styled_error(r, 403, "403 from 127.0.0.1")
        text = visible_text(r.body)
        assert has_list_hint(r.body) and "index" in text, text
        assert b"<code>-l</code>" in r.body, r.body
        # The hint is static text: nothing from the request in it.
        r = _request_from(socket.AF_INET, "127.0.0.1", s.port, "/sub/?<script>")
        assert r.status == 403 and b"<script" not in r.body
        if socket.has_ipv6:
            try:
                r = _request_from(socket.AF_INET6, "::1", s.port, "/sub/")
            except OSError:
                r = None
            if r is not None:
                assert r.status == 403 and has_list_hint(r.body), r.body
        # From another address of this machine: a plain 403.
        others = _own_addresses()
        for fam, addr in others:
            try:
                r = _request_from(fam, addr, s.port, "/sub/")
            except OSError:
                continue
            assert r.status == 403, (addr, r.raw_head)
            assert not has_list_hint(r.body) and b"prefers-color-scheme" in r.body, (addr, r.body)
        # A 404 carries no hint.
        r = _request_from(socket.AF_INET, "127.0.0.1", s.port, "/missing/")
        assert r.status == 404 and not has_list_hint(r.body)
    # With -l the folder is listed.
    with lib.Server(root=root, args=["-l"]) as s:
        assert entry_names(listing(s.port, "/sub/").body) == ["x.txt"]
