"""Confinement to the document root: dot segments in every spelling, NUL
bytes, symlinks out of the root, and symlinks that stay inside it."""
import os

import lib

SECRET = b"TOP-SECRET-7f3a9c-do-not-serve\n"


def layout():
    """base/secret.txt, base/outside/other.txt next to base/root (the
    document root), with symlinks in the root pointing in and out."""
    base = lib.tempdir()
    root = os.path.join(base, "root")
    os.makedirs(os.path.join(root, "sub", "deep"))
    os.makedirs(os.path.join(base, "outside"))
    os.makedirs(os.path.join(base, "root2"))  # shares the root's name prefix
    with open(os.path.join(base, "secret.txt"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(base, "outside", "other.txt"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(base, "outside", "index.html"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(base, "root2", "secret.txt"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(root, "index.html"), "wb") as f:
        f.write(b"<p>index</p>\n")
    with open(os.path.join(root, "a.txt"), "wb") as f:
        f.write(b"inside a\n")
    with open(os.path.join(root, "sub", "deep", "b.txt"), "wb") as f:
        f.write(b"inside b\n")
    # Out of the root.
    os.symlink("../secret.txt", os.path.join(root, "rel_out.txt"))
    os.symlink(os.path.join(base, "secret.txt"), os.path.join(root, "abs_out.txt"))
    os.symlink("..", os.path.join(root, "up"))
    os.symlink(os.path.join(base, "outside"), os.path.join(root, "outdir"))
    os.symlink("../../../root2", os.path.join(root, "sub", "deep", "sibling"))
    os.symlink("/etc/passwd", os.path.join(root, "passwd"))
    # Dotfiles inside the root hold the secret too: never served by default.
    os.makedirs(os.path.join(root, ".git"))
    for name in (".env", ".htpasswd", os.path.join(".git", "config")):
        with open(os.path.join(root, name), "wb") as f:
            f.write(SECRET)
    # Inside the root.
    os.symlink("a.txt", os.path.join(root, "rel_in.txt"))
    os.symlink(os.path.join(root, "a.txt"), os.path.join(root, "abs_in.txt"))
    os.symlink("sub", os.path.join(root, "sublink"))
    os.symlink("../a.txt", os.path.join(root, "sub", "up_in.txt"))
    return base, root


TRAVERSALS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/sub/../../secret.txt",
    "/sub/deep/../../../secret.txt",
    "/./../secret.txt",
    "//../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/%2e./secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%2e%2e%2Fsecret.txt",
    "/..%2fsecret.txt",
    "/sub/..%2f..%2fsecret.txt",
    "/sub%2f..%2f..%2fsecret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "/%2e%2e%2f%2e%2e%2froot2/secret.txt",
    "/../root2/secret.txt",
    "/..%5csecret.txt",
    "/%252e%252e/secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/secret.txt",
    "/a.txt%00",
    "/a.txt%00.html",
    "/%00/../secret.txt",
    "/%00",
    "/rel_out.txt",
    "/abs_out.txt",
    "/up/secret.txt",
    "/up/root2/secret.txt",
    "/up/outside/other.txt",
    "/outdir/other.txt",
    "/outdir/",
    "/outdir",
    "/sub/deep/sibling/secret.txt",
    "/passwd",
    "http://localhost/../secret.txt",
    "http://localhost/%2e%2e/secret.txt",
    # Backslashes are ordinary bytes on Linux, in any spelling.
    "/..\\secret.txt",
    "/\\..\\secret.txt",
    "/%5c..%5csecret.txt",
    "/sub\\..\\..\\secret.txt",
    "/%2e%2e%5c%2e%2e%5csecret.txt",
    # Mixed-case and partial escapes.
    "/%2E%2e/secret.txt",
    "/%2e%2E%2F%2E%2E%2Fsecret.txt",
    "/%2F..%2Fsecret.txt",
    "/sub/deep/%2e%2e/%2E%2E/%2e%2E/secret.txt",
    # Look-alikes of "..".
    "/..;/secret.txt",
    "/.../secret.txt",
    "/..../secret.txt",
    "/../secret.txt.",
    "/../secret.txt/",
    "/../secret.txt%20",
    # Double encoding and invalid escapes.
    "/%25%32%65%25%32%65/secret.txt",
    "/%%32%65%%32%65/secret.txt",
    "/%2/secret.txt",
    "/%zz/../secret.txt",
    # Overlong and odd UTF-8 forms of '.' and '/'.
    "/%c0%2e%c0%2e/secret.txt",
    "/%e0%80%ae%e0%80%ae/secret.txt",
    "/%c0%af../secret.txt",
    "/%c1%9c../secret.txt",
    # Many segments, and a very long path.
    "/" + "../" * 50 + "secret.txt",
    "/" + "sub/" * 30 + "../" * 31 + "secret.txt",
    "/" + "a" * 5000 + "/../../secret.txt",
    "/./././../secret.txt",
    "/sub/./../../secret.txt",
    "/a.txt/../../secret.txt",
    "/sublink/../../secret.txt",
    # Absolute form, any case, with a port, https.
    "http://localhost/../../secret.txt",
    "http://localhost/%2e%2e%2fsecret.txt",
    "HTTP://LOCALHOST/../secret.txt",
    "http://localhost:80/..%2fsecret.txt",
    "https://localhost/../secret.txt",
    "http://localhost/up/secret.txt",
    # Dotfiles and dot-directories.
    "/.env",
    "/.htpasswd",
    "/.git/config",
    "/%2eenv",
    "/%2Egit/config",
    "/sub/../.env",
    "/.git/../.env",
    "/sub/%2e%2e/.htpasswd",
    # Links out of the root, once more through other spellings.
    "/up",
    "/up/",
    "/outdir/index.html",
    "/%75p/secret.txt",
    "/rel_out.txt%00",
]


def test_nothing_outside_root_is_served():
    assert len(TRAVERSALS) >= 60, len(TRAVERSALS)
    base, root = layout()
    with lib.Server(root=root) as s:
        for target in TRAVERSALS:
            for method in ("GET", "HEAD"):
                req = f"{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                data = lib.raw(s.port, req.encode())
                r, _ = lib.read_response(data, head_only=(method == "HEAD"))
                assert r is not None, (target, data[:200])
                assert r.status in (400, 403, 404, 414), (target, method, r.raw_head)
                assert SECRET.strip() not in data, (target, method, data[:300])
                assert b"root:x:0:0" not in data, (target, data[:300])
                if method == "GET":
                    assert int(r.header("content-length")) == len(r.body), target


def test_traversal_with_curl_path_as_is():
    base, root = layout()
    with lib.Server(root=root) as s:
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/up/secret.txt"):
            p = lib.curl("--path-as-is", "-o", "-", "-w", "\n%{http_code}",
                         f"http://127.0.0.1:{s.port}{path}")
            assert p.returncode == 0, p.stderr
            body, _, code = p.stdout.rpartition(b"\n")
            assert code in (b"400", b"403", b"404"), (path, code)
            assert SECRET.strip() not in body


def test_nul_byte_is_rejected():
    base, root = layout()
    with lib.Server(root=root) as s:
        for path in ("/a.txt%00", "/%00", "/sub%00/deep/b.txt"):
            r = lib.request(s.port, path)
            assert r.status in (400, 403, 404), (path, r.raw_head)
            assert b"inside" not in r.body, path


def test_dot_segments_inside_root_resolve():
    base, root = layout()
    with lib.Server(root=root) as s:
        for path, body in (("/sub/../a.txt", b"inside a\n"), ("/./a.txt", b"inside a\n"),
                           ("/sub/deep/./b.txt", b"inside b\n"),
                           ("/sub/%2e%2e/a.txt", b"inside a\n"),
                           ("/sub/deep/..%2f..%2fa.txt", b"inside a\n"),
                           ("//sub//deep//b.txt", b"inside b\n")):
            r = lib.request(s.port, path)
            assert r.status == 200, (path, r.raw_head)
            assert r.body == body, path


def test_symlinks_inside_root_work():
    base, root = layout()
    with lib.Server(root=root) as s:
        for path, body in (("/rel_in.txt", b"inside a\n"), ("/abs_in.txt", b"inside a\n"),
                           ("/sublink/deep/b.txt", b"inside b\n"),
                           ("/sub/up_in.txt", b"inside a\n")):
            r = lib.request(s.port, path)
            assert r.status == 200, (path, r.raw_head)
            assert r.body == body, (path, r.body)
        r = lib.request(s.port, "/sublink")
        assert r.status == 301, r.raw_head


def test_own_pid_and_log_files_not_served():
    base, root = layout()
    with lib.Server(root=root, args=["--pid-file", os.path.join(root, "server.pid"),
                                     "--log-file", os.path.join(root, "server.log")]) as s:
        lib.request(s.port, "/a.txt")
        for path in ("/server.pid", "/server.log"):
            r = lib.request(s.port, path)
            assert r.status in (403, 404), (path, r.raw_head)
            assert r.body != b"%d\n" % s.proc.pid, path
            assert b"GET /a.txt" not in r.body, path
