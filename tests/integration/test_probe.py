"""--health answers without touching the disk; --probe is a HEAD health
check that exits 0 on 2xx/3xx and 1 otherwise."""
import os
import shutil
import subprocess

import lib


def probe(url, cwd=None):
    return subprocess.run([lib.SERVER, "--probe", url], capture_output=True, timeout=15, cwd=cwd)


def test_health_path_answers_200_even_when_the_root_is_gone():
    root = lib.make_site({"index.html": b"i"})
    with lib.Server(root=root, args=["--health", "/healthz"]) as s:
        shutil.rmtree(root)
        r = lib.request(s.port, "/healthz")
        assert r.status == 200 and r.body == b"OK\n", r.raw_head
        assert r.header("cache-control") == "no-store"
        h = lib.request(s.port, "/healthz", method="HEAD")
        assert h.status == 200 and h.body == b""
        assert lib.request(s.port, "/healthz/x").status == 404


def test_health_bypasses_authentication():
    root = lib.make_site({"index.html": b"i"})
    users = os.path.join(lib.tempdir(), "users")
    with open(users, "w") as f:
        f.write("u:$6$saltsalt$Hq2x5VcJqG5dJqzG0m6ql5Z3xq6cU8y0y1A7u0Hm0v8Gx9YxQ8s3Yk3o9mS1u5q5x1n6C5d0gB8z7qW0pQ1rV/\n")
    with lib.Server(root=root, args=["--health", "/healthz", "--auth-file", users]) as s:
        assert lib.request(s.port, "/").status == 401
        assert lib.request(s.port, "/healthz").status == 200


def test_bad_health_path_is_a_usage_error():
    p = subprocess.run([lib.SERVER, "--health", "healthz"], capture_output=True, timeout=10)
    assert p.returncode == 2, p


def test_probe_exit_codes():
    root = lib.make_site({"index.html": b"i", "dir/a.txt": b"a"})
    with lib.Server(root=root, args=["--health", "/healthz"]) as s:
        base = f"http://127.0.0.1:{s.port}"
        elsewhere = lib.tempdir()  # no ./web there: a probe needs no root
        p = probe(base + "/healthz", cwd=elsewhere)
        assert p.returncode == 0, p
        p = probe(base + "/")
        assert p.returncode == 0, p
        p = probe(base + "/dir")
        assert p.returncode == 0, p  # 301 counts as up
        p = probe(base + "/missing")
        assert p.returncode == 1 and b"404" in p.stderr, p
        p = probe(f"http://localhost:{s.port}/")
        assert p.returncode == 0, p
    port = lib.free_port()
    assert probe(f"http://127.0.0.1:{port}/").returncode == 1
    assert probe("ftp://127.0.0.1/").returncode == 1
    assert probe("http:///x").returncode == 1
