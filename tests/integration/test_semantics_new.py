"""HTTP semantics that today's server gets wrong: each test here states the
rule it checks and fails until the server follows it. The behaviour that
already works is in test_semantics.py, whose helpers these share."""
import email.utils
import os
import pwd
import re
import time

import featlib as fl
import lib
from test_semantics import BODY, fetch, old_site

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
