"""HTTP semantics the unit tests decide and these drive end to end: the
conditional fields (RFC 9110 section 13), ranges and If-Range (section 14),
multipart/byteranges, Expect (section 10.1.1), and the options that change
how a file is found or sent: --no-symlinks, .well-known, --sendfile,
--cache-size and --chroot. Responses are judged by real clients: Python's
http.client, the email package for multipart bodies, and curl.

Behaviour that today's server gets wrong is in test_semantics_new.py."""
import email.parser
import email.policy
import email.utils
import http.client
import io
import os
import pwd
import re
import time

import featlib as fl
import lib

T0 = 1_700_000_000  # a file mtime in whole seconds, long past
T0_NS = T0 * 10**9 + 500_000_000  # the same second, mid-way: Last-Modified truncates
LAST_MODIFIED = email.utils.formatdate(T0, usegmt=True)
BODY = b"".join(b"line %04d: the quick brown fox jumps over the lazy dog\n" % i
                for i in range(40))  # 2200 bytes of text, no CR


def fetch(port, path, method="GET", headers=None, timeout=5.0):
    """One request with http.client; returns (HTTPResponse, body bytes).
    http.client sends Accept-Encoding: identity, so nothing is compressed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r, r.read()
    finally:
        conn.close()


def old_site(files=None):
    """A root whose files (default f.txt = BODY) have the mtime T0_NS."""
    root = lib.tempdir()
    for name, data in (files or {"f.txt": BODY}).items():
        fl.write(os.path.join(root, name), data, T0_NS)
    return root


def etag_of(port, path):
    r, body = fetch(port, path)
    assert r.status == 200, (path, r.status, r.getheaders())
    tag = r.getheader("ETag")
    assert tag and re.fullmatch(r'"[^"]+"', tag), f"no strong ETag: {tag!r}"
    return tag


def multipart_parts(content_type, body):
    """Parses a multipart/byteranges body with the email package, as a mail
    or HTTP client would: the Content-Type field supplies the boundary.
    Returns [(Content-Range, bytes)]."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    assert msg.get_content_type() == "multipart/byteranges", content_type
    assert msg.get_boundary(), f"no usable boundary parameter in {content_type!r}"
    assert msg.is_multipart(), f"email found no parts with {content_type!r}: {body[:200]!r}"
    assert not msg.defects, (msg.defects, content_type, body[:200])
    parts = []
    for part in msg.iter_parts():
        assert not part.defects, part.defects
        parts.append((part["Content-Range"], part.get_payload(decode=True)))
    return parts


# --- conditional requests ----------------------------------------------------


def test_if_modified_since():
    with lib.Server(root=old_site()) as s:
        r, body = fetch(s.port, "/f.txt")
        assert r.status == 200 and body == BODY
        assert r.getheader("Last-Modified") == LAST_MODIFIED, r.getheaders()
        etag = r.getheader("ETag")
        # Not modified since: the same second (the file's sub-second part
        # does not count), a later date, and the two obsolete formats.
        for date in (LAST_MODIFIED, email.utils.formatdate(T0 + 86400, usegmt=True),
                     time.strftime("%A, %d-%b-%y %H:%M:%S GMT", time.gmtime(T0)),
                     time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(T0))):
            r, body = fetch(s.port, "/f.txt", headers={"If-Modified-Since": date})
            assert r.status == 304, (date, r.status)
            assert body == b"", date
            assert r.getheader("ETag") == etag, (date, r.getheaders())
            assert r.getheader("Content-Range") is None
        # Modified since an older date: the whole file.
        older = email.utils.formatdate(T0 - 1, usegmt=True)
        r, body = fetch(s.port, "/f.txt", headers={"If-Modified-Since": older})
        assert r.status == 200 and body == BODY, r.status
        # A date that does not parse makes the field be ignored (13.1.3).
        for bad in ("yesterday", "Mon, 32 Foo 2023 25:61:00 GMT", "", "1700000000"):
            r, body = fetch(s.port, "/f.txt", headers={"If-Modified-Since": bad})
            assert r.status == 200 and body == BODY, (bad, r.status)
        # If-None-Match present: If-Modified-Since is not evaluated (13.2.2).
        r, body = fetch(s.port, "/f.txt", headers={"If-None-Match": '"other"',
                                                  "If-Modified-Since": LAST_MODIFIED})
        assert r.status == 200 and body == BODY, r.status
        # HEAD is conditional as well.
        r, body = fetch(s.port, "/f.txt", method="HEAD",
                       headers={"If-Modified-Since": LAST_MODIFIED})
        assert r.status == 304 and body == b"", r.status


def test_if_unmodified_since():
    with lib.Server(root=old_site()) as s:
        older = email.utils.formatdate(T0 - 60, usegmt=True)
        r, body = fetch(s.port, "/f.txt", headers={"If-Unmodified-Since": older})
        assert r.status == 412, r.status
        assert BODY not in body
        for date in (LAST_MODIFIED, email.utils.formatdate(T0 + 60, usegmt=True)):
            r, body = fetch(s.port, "/f.txt", headers={"If-Unmodified-Since": date})
            assert r.status == 200 and body == BODY, (date, r.status)
        r, body = fetch(s.port, "/f.txt", headers={"If-Unmodified-Since": "not a date"})
        assert r.status == 200 and body == BODY, r.status
        # If-Match present: If-Unmodified-Since is not evaluated (13.2.2).
        etag = etag_of(s.port, "/f.txt")
        r, body = fetch(s.port, "/f.txt", headers={"If-Match": etag, "If-Unmodified-Since": older})
        assert r.status == 200 and body == BODY, r.status


def test_if_none_match():
    with lib.Server(root=old_site()) as s:
        etag = etag_of(s.port, "/f.txt")
        for value in (etag, "*", f'"nope", {etag}', "W/" + etag):  # weak comparison
            r, body = fetch(s.port, "/f.txt", headers={"If-None-Match": value})
            assert r.status == 304, (value, r.status)
            assert body == b"" and r.getheader("ETag") == etag, value
        for value in ('"nope"', etag[:-2] + '"', '"nope", W/"other"'):
            r, body = fetch(s.port, "/f.txt", headers={"If-None-Match": value})
            assert r.status == 200 and body == BODY, (value, r.status)


def test_if_match():
    with lib.Server(root=old_site()) as s:
        etag = etag_of(s.port, "/f.txt")
        for value in ('"wrong"', "W/" + etag, '"a", "b"'):  # a weak tag never matches
            r, body = fetch(s.port, "/f.txt", headers={"If-Match": value})
            assert r.status == 412, (value, r.status)
            assert BODY not in body, value
        for value in (etag, "*", f'"wrong", {etag}'):
            r, body = fetch(s.port, "/f.txt", headers={"If-Match": value})
            assert r.status == 200 and body == BODY, (value, r.status)


# --- ranges ------------------------------------------------------------------


def test_single_ranges_all_three_forms():
    n = len(BODY)
    with lib.Server(root=old_site()) as s:
        cases = (("bytes=0-99", 0, 99), ("bytes=100-", 100, n - 1), ("bytes=-50", n - 50, n - 1),
                 ("bytes=2000-999999", 2000, n - 1), ("bytes=-999999", 0, n - 1),
                 ("bytes=7-7", 7, 7))
        for spec, first, last in cases:
            r, body = fetch(s.port, "/f.txt", headers={"Range": spec})
            assert r.status == 206, (spec, r.status)
            assert r.getheader("Content-Range") == f"bytes {first}-{last}/{n}", (spec, r.getheaders())
            assert body == BODY[first:last + 1], spec
            assert int(r.getheader("Content-Length")) == last - first + 1, spec
            assert r.getheader("Content-Type") == "text/plain; charset=utf-8", spec
        # curl's -r asks for the same.
        p = lib.curl("-r", "10-19", f"http://127.0.0.1:{s.port}/f.txt")
        assert p.returncode == 0 and p.stdout == BODY[10:20], p


def test_unsatisfiable_range_is_416():
    n = len(BODY)
    with lib.Server(root=old_site()) as s:
        for spec in (f"bytes={n}-", f"bytes={n + 100}-{n + 200}", "bytes=-0", f"bytes={n}-,{n + 5}-"):
            r, body = fetch(s.port, "/f.txt", headers={"Range": spec})
            assert r.status == 416, (spec, r.status)
            assert r.getheader("Content-Range") == f"bytes */{n}", (spec, r.getheaders())
            assert BODY not in body, spec
        # A Range the server does not understand is ignored: 200.
        for spec in ("bytes=5-2", "lines=1-2", "bytes=abc"):
            r, body = fetch(s.port, "/f.txt", headers={"Range": spec})
            assert r.status == 200 and body == BODY, (spec, r.status)


def test_two_ranges_multipart_byteranges_parsed_by_email():
    """Fails on today's server: its Content-Type names the parameter
    'serve_boundary()=' instead of 'boundary=', so no client finds the parts."""
    n = len(BODY)
    with lib.Server(root=old_site()) as s:
        r, body = fetch(s.port, "/f.txt", headers={"Range": "bytes=0-9, 1000-1099"})
        assert r.status == 206, r.status
        assert r.getheader("Content-Range") is None, "a multipart 206 has no top-level Content-Range"
        assert int(r.getheader("Content-Length")) == len(body)
        ctype = r.getheader("Content-Type")
        assert ctype.startswith("multipart/byteranges"), ctype
        parts = multipart_parts(ctype, body)
        assert parts == [(f"bytes 0-9/{n}", BODY[0:10]), (f"bytes 1000-1099/{n}", BODY[1000:1100])], parts


# --- If-Range -----------------------------------------------------------------


def test_if_range_with_etag():
    with lib.Server(root=old_site()) as s:
        etag = etag_of(s.port, "/f.txt")
        r, body = fetch(s.port, "/f.txt", headers={"Range": "bytes=5-14", "If-Range": etag})
        assert r.status == 206 and body == BODY[5:15], r.status
        # A stale (or weak) validator: the whole, current file.
        for stale in ('"0-0-0.0"', etag[:-2] + 'x"', "W/" + etag):
            r, body = fetch(s.port, "/f.txt", headers={"Range": "bytes=5-14", "If-Range": stale})
            assert r.status == 200, (stale, r.status)
            assert body == BODY and r.getheader("Content-Range") is None, stale


def test_if_range_with_old_last_modified_date():
    """The file changed long before: its Last-Modified is a strong
    validator (RFC 9110 8.8.2.2) and If-Range with it gives the range."""
    with lib.Server(root=old_site()) as s:
        r, body = fetch(s.port, "/f.txt", method="HEAD")
        assert r.getheader("Last-Modified") == LAST_MODIFIED
        r, body = fetch(s.port, "/f.txt", headers={"Range": "bytes=-20", "If-Range": LAST_MODIFIED})
        assert r.status == 206 and body == BODY[-20:], r.status
        assert r.getheader("Content-Range") == f"bytes {len(BODY) - 20}-{len(BODY) - 1}/{len(BODY)}"
        # Any other date: the whole file.
        other = email.utils.formatdate(T0 + 1, usegmt=True)
        r, body = fetch(s.port, "/f.txt", headers={"Range": "bytes=-20", "If-Range": other})
        assert r.status == 200 and body == BODY, r.status


# --- Expect --------------------------------------------------------------------


class _Replay:
    """What http.client.HTTPResponse needs of a socket, over bytes read."""

    def __init__(self, data):
        self.data = data

    def makefile(self, mode, *args, **kw):
        return io.BytesIO(self.data)


def test_expect_other_than_100_continue_is_417():
    with lib.Server(root=old_site()) as s:
        for value in ("something-else", "100-continue, fancy"):
            r, body = fetch(s.port, "/f.txt", headers={"Expect": value})
            assert r.status == 417, (value, r.status)
            assert BODY not in body


def test_expect_100_continue_interim_before_final():
    with lib.Server(root=old_site()) as s:
        sock = lib.connect(s.port)
        try:
            sock.sendall(b"GET /f.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                         b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
            # The body is held back: the interim response must come first.
            sock.settimeout(5)
            first = b""
            while b"\r\n\r\n" not in first:
                chunk = sock.recv(4096)
                assert chunk, f"closed before 100 Continue: {first!r}"
                first += chunk
            head, _, early = first.partition(b"\r\n\r\n")
            assert head == b"HTTP/1.1 100 Continue", first
            assert early == b"", f"final response before the body was sent: {early[:100]!r}"
            sock.sendall(b"hello")
            rest = lib.recv_all(sock)
        finally:
            sock.close()
    r = http.client.HTTPResponse(_Replay(rest), method="GET")
    r.begin()
    assert r.status == 200, (r.status, rest[:200])
    assert r.read() == BODY
    assert r.getheader("Content-Length") == str(len(BODY))


# --- options -------------------------------------------------------------------


def symlink_site():
    root = lib.tempdir()
    fl.write(os.path.join(root, "a.txt"), b"regular file\n")
    fl.write(os.path.join(root, "sub", "b.txt"), b"in sub\n")
    os.symlink("a.txt", os.path.join(root, "link.txt"))
    os.symlink("sub", os.path.join(root, "sublink"))
    return root


def test_no_symlinks_refuses_links_inside_the_root():
    root = symlink_site()
    with lib.Server(root=root) as s:  # the links work without the option
        assert fetch(s.port, "/link.txt")[1] == b"regular file\n"
        assert fetch(s.port, "/sublink/b.txt")[1] == b"in sub\n"
    with lib.Server(root=root, args=["--no-symlinks"]) as s:
        for path in ("/link.txt", "/sublink/b.txt"):
            r, body = fetch(s.port, path)
            assert r.status == 403, (path, r.status)
            assert b"regular file" not in body and b"in sub" not in body, path
        for path, want in (("/a.txt", b"regular file\n"), ("/sub/b.txt", b"in sub\n")):
            r, body = fetch(s.port, path)
            assert r.status == 200 and body == want, (path, r.status)


def test_well_known_served_without_dotfiles():
    root = lib.tempdir()
    fl.write(os.path.join(root, ".well-known", "acme-challenge", "token"), b"acme-token-xyz\n")
    fl.write(os.path.join(root, ".hidden"), b"HIDDEN\n")
    fl.write(os.path.join(root, ".git", "config"), b"HIDDEN\n")
    with lib.Server(root=root) as s:
        r, body = fetch(s.port, "/.well-known/acme-challenge/token")
        assert r.status == 200 and body == b"acme-token-xyz\n", r.status
        p = lib.curl("-f", f"http://127.0.0.1:{s.port}/.well-known/acme-challenge/token")
        assert p.returncode == 0 and p.stdout == b"acme-token-xyz\n", p
        for path in ("/.hidden", "/.git/config", "/.well-known/../.hidden"):
            r, body = fetch(s.port, path)
            assert r.status == 404, (path, r.status)
            assert b"HIDDEN" not in body, path
    with lib.Server(root=root, args=["--dotfiles"]) as s:  # the file is there
        r, body = fetch(s.port, "/.hidden")
        assert r.status == 200 and body == b"HIDDEN\n", r.status


def test_sendfile_on_and_off_byte_exact():
    data = os.urandom(1 << 20)
    root = lib.make_site({"big.bin": data})
    out = os.path.join(lib.tempdir(), "got.bin")
    for mode in ("on", "off"):
        with lib.Server(root=root, args=["--sendfile", mode]) as s:
            url = f"http://127.0.0.1:{s.port}/big.bin"
            p = lib.curl("-f", "-o", out, url)
            assert p.returncode == 0, (mode, p.stderr)
            with open(out, "rb") as f:
                assert f.read() == data, f"{mode}: curl got other bytes"
            # Two on one kept-alive connection, the second a range.
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
            try:
                conn.request("GET", "/big.bin")
                r = conn.getresponse()
                assert r.status == 200 and r.read() == data, mode
                conn.request("GET", "/big.bin", headers={"Range": "bytes=300000-700000"})
                r = conn.getresponse()
                assert r.status == 206 and r.read() == data[300000:700001], mode
            finally:
                conn.close()


def _rewrite_in_place(path, data):
    with open(path, "r+b") as f:
        f.write(data)


def test_cache_size_zero_and_small_serve_current_bytes():
    small1, small2 = b"S" * 100, b"s" * 100
    mid1, mid2 = fl.text_body(3000, "one"), fl.text_body(3000, "two")  # same size
    big = os.urandom(200_000)  # larger than the small cache
    for size in ("0", "4096"):
        root = lib.make_site({"small.txt": small1, "mid.txt": mid1, "big.bin": big})
        with lib.Server(root=root, args=["--cache-size", size]) as s:
            for _ in range(4):  # every thread sees (and may cache) each file
                for path, want in (("/small.txt", small1), ("/mid.txt", mid1), ("/big.bin", big)):
                    r, body = fetch(s.port, path)
                    assert r.status == 200 and body == want, (size, path, r.status)
            _rewrite_in_place(os.path.join(root, "small.txt"), small2)
            _rewrite_in_place(os.path.join(root, "mid.txt"), mid2)
            time.sleep(1.5)
            for _ in range(8):
                for path, want in (("/small.txt", small2), ("/mid.txt", mid2), ("/big.bin", big)):
                    r, body = fetch(s.port, path)
                    assert r.status == 200, (size, path, r.status)
                    assert body == want, (f"--cache-size {size}: {path} stale 1.5 s after "
                                          f"it was rewritten: {body[:30]!r}")


def test_chroot_follows_links_inside_and_refuses_links_out():
    if os.geteuid() != 0:
        raise lib.Skip("--chroot needs root")
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        raise lib.Skip("no user 'nobody' to run the chrooted server as")
    jail = lib.tempdir()
    os.chmod(jail, 0o755)
    www = os.path.join(jail, "www")
    os.makedirs(os.path.join(www, "sub"), mode=0o755)
    os.chmod(www, 0o755)
    fl.write(os.path.join(www, "a.txt"), b"inside\n")
    fl.write(os.path.join(www, "sub", "b.txt"), b"inside sub\n")
    fl.write(os.path.join(jail, "secret.txt"), b"SECRET\n")
    os.symlink("a.txt", os.path.join(www, "in.txt"))
    os.symlink("../a.txt", os.path.join(www, "sub", "up.txt"))
    os.symlink("sub", os.path.join(www, "subdir"))
    os.symlink("../secret.txt", os.path.join(www, "out.txt"))
    os.symlink("..", os.path.join(www, "up"))
    # LeakSanitizer reads /proc at exit, which the jail has not.
    asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    with lib.Server(root=www, args=["--chroot", jail, "-u", "nobody"],
                    env={"ASAN_OPTIONS": asan}) as s:
        for path, want in (("/a.txt", b"inside\n"), ("/in.txt", b"inside\n"),
                           ("/sub/up.txt", b"inside\n"), ("/subdir/b.txt", b"inside sub\n")):
            r, body = fetch(s.port, path)
            assert r.status == 200 and body == want, (path, r.status, body)
        assert os.readlink(f"/proc/{s.proc.pid}/root") == os.path.realpath(jail)
        for path in ("/out.txt", "/up/secret.txt"):
            r, body = fetch(s.port, path)
            assert r.status == 403, (path, r.status)
            assert b"SECRET" not in body, path


# ---------------------------------------------------------------------------
# Boundaries per response, HEAD with Range, If-Range dates of fresh files

BOUNDARY_LINE = re.compile(rb"--([^\r\n]+)\r\n")


def body_boundary(body):
    """The boundary a multipart body actually uses: its first delimiter line
    (read from the body, so this does not depend on the Content-Type)."""
    m = BOUNDARY_LINE.match(body)
    assert m, f"multipart body does not start with a delimiter: {body[:80]!r}"
    return m.group(1).decode("latin-1")


def test_consecutive_multipart_responses_use_different_boundaries():
    """A boundary fixed for the server's lifetime can be learnt from one
    response and then planted in a file, where it would end a part early
    for every later client: each multipart response gets its own."""
    with lib.Server(root=old_site()) as s:
        seen = []
        for _ in range(3):
            r, body = fetch(s.port, "/f.txt", headers={"Range": "bytes=0-9, 1000-1099"})
            assert r.status == 206, r.status
            b = body_boundary(body)
            m = re.search(r";\s*boundary=\"?([^\";]+)", r.getheader("Content-Type", ""))
            if m:
                assert m.group(1) == b, (r.getheader("Content-Type"), b)
            seen.append(b)
        assert len(set(seen)) == len(seen), f"the same boundary in every response: {seen}"


def test_head_with_range_is_200():
    """Range is defined for GET only (RFC 9110 section 14.2): a HEAD with a
    Range field gets the headers of the 200 a plain GET would get."""
    with lib.Server(root=old_site()) as s:
        for spec in ("bytes=0-9", "bytes=0-9, 100-109", "bytes=-5"):
            r, body = fetch(s.port, "/f.txt", method="HEAD", headers={"Range": spec})
            assert r.status == 200, (spec, r.status, r.getheaders())
            assert body == b""
            assert r.getheader("Content-Length") == str(len(BODY)), (spec, r.getheaders())
            assert r.getheader("Content-Range") is None, (spec, r.getheaders())
            assert r.getheader("Content-Type") == "text/plain; charset=utf-8", spec


def _start_of_a_second():
    """Sleeps until at most 0.2 s into a wall-clock second."""
    frac = time.time() % 1
    if frac > 0.2:
        time.sleep(1.02 - frac)


def test_if_range_date_of_a_file_changed_this_second_gives_whole_file():
    """A Last-Modified date is a strong validator only if the file changed
    at least a second before the response's Date (RFC 9110 8.8.2.2); If-Range
    needs a strong one (13.1.5). A file changed in the same second may change
    again in that second with the same date, so the range is not sent."""
    root = lib.tempdir()
    path = os.path.join(root, "fresh.txt")
    with lib.Server(root=root) as s:
        for attempt in range(3):
            _start_of_a_second()
            fl.write(path, BODY)  # a new inode each time: nothing cached
            modified = email.utils.formatdate(int(os.stat(path).st_mtime), usegmt=True)
            r, body = fetch(s.port, "/fresh.txt",
                            headers={"Range": "bytes=0-9", "If-Range": modified})
            if r.getheader("Date") == modified:
                break  # the response came within the second the file changed
            os.unlink(path)  # a slow machine: the second passed; try again
        else:
            raise AssertionError("could not request within the second of a change")
        assert r.getheader("Last-Modified") == modified, r.getheaders()
        assert r.status == 200, (f"If-Range: {modified} is a weak date (file changed at "
                                 f"Date {r.getheader('Date')}) but got {r.status}")
        assert body == BODY and r.getheader("Content-Range") is None
