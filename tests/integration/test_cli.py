"""Command line: -p, -d, -a, -t, -h, -V, unknown options and the checks
done before the server starts."""
import os
import re

import lib


def _site():
    return lib.make_site({"index.html": b"<h1>cli</h1>\n"})


def test_help_prints_usage_on_stdout_exit_0():
    for flag in ("-h", "--help"):
        r = lib.run_server([flag])
        assert r.returncode == 0, (flag, r)
        assert "usage" in r.stdout.lower(), (flag, r.stdout)
        for opt in ("--port", "--root", "--daemon", "--addr", "--threads", "--pid-file",
                    "--log-file", "--help", "--version"):
            assert opt in r.stdout, (flag, opt, r.stdout)
        assert r.stderr == "", (flag, r.stderr)


def test_version_exit_0():
    for flag in ("-V", "--version"):
        r = lib.run_server([flag])
        assert r.returncode == 0, (flag, r)
        assert re.search(r"\d+\.\d+", r.stdout), (flag, r.stdout)
        assert "usage" not in r.stdout.lower()
        assert r.stderr == ""


def test_unknown_option_usage_on_stderr_exit_2():
    for args in (["--bogus"], ["-x"], ["--bogus=1"], ["-p", "8080", "--no-such-thing"]):
        r = lib.run_server(args)
        assert r.returncode == 2, (args, r)
        assert "usage" in r.stderr.lower(), (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)


def test_option_missing_value_exit_2():
    for args in (["-p"], ["--port"], ["-d"], ["--root"], ["--pid-file"]):
        r = lib.run_server(args)
        assert r.returncode == 2, (args, r)
        assert r.stderr.strip(), args


def test_stray_argument_exit_2():
    r = lib.run_server(["-d", _site(), "extra"])
    assert r.returncode == 2, r
    assert "extra" in r.stderr


def test_bad_port_values_exit_2():
    root = _site()
    # (0 asks for a free port: see test_first_minutes.py)
    for port in ("65536", "70000", "-1", "-80", "abc", "", "80x", "8.5", "0x50", " 80",
                 "+80", "1e3", "99999999999999999999"):
        r = lib.run_server(["-p", port, "-a", "127.0.0.1", "-d", root], timeout=5)
        assert r.returncode == 2, (port, r)
        assert "port" in r.stderr.lower(), (port, r.stderr)
        assert r.stdout == "", (port, r.stdout)
    r = lib.run_server(["--port=65536", "-d", root], timeout=5)
    assert r.returncode == 2 and "port" in r.stderr.lower(), r


def test_port_with_leading_whitespace_rejected():
    # " 80" is refused; a tab or newline before the digits must be too.
    import subprocess
    import time
    root = _site()
    for prefix in ("\t", "\n"):
        n = lib.free_port()
        p = lib.register(subprocess.Popen(
            [lib.SERVER, "-p", prefix + str(n), "-a", "127.0.0.1", "-d", root],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        end = time.monotonic() + 5
        listening = False
        while p.poll() is None and time.monotonic() < end:
            if lib.wait_port(n, timeout=0.05):
                listening = True
                break
        if p.poll() is None:
            p.kill()
        err = p.communicate(timeout=5)[1].decode(errors="replace")
        assert not listening, f"-p {prefix + str(n)!r} accepted: the server listens on {n}"
        assert p.returncode == 2, (prefix, p.returncode, err)
        assert "port" in err.lower(), err


def test_port_bounds_accepted():
    # 1 and 65535 are valid: with a missing root the server must get past
    # the port and fail on the root instead (exit 1, not the usage exit 2).
    missing = os.path.join(lib.tempdir(), "missing")
    for port in ("1", "65535", "08080"):
        r = lib.run_server(["-p", port, "-d", missing], timeout=5)
        assert r.returncode == 1, (port, r)
        assert missing in r.stderr and "port" not in r.stderr.lower(), (port, r.stderr)


def test_root_missing_names_path():
    base = lib.tempdir()
    missing = os.path.join(base, "no-such-dir")
    r = lib.run_server(["-p", str(lib.free_port()), "-d", missing], timeout=5)
    assert r.returncode != 0, r
    assert missing in r.stderr, r.stderr


def test_root_is_a_file_names_path():
    root = _site()
    f = os.path.join(root, "index.html")
    r = lib.run_server(["-p", str(lib.free_port()), "--root", f], timeout=5)
    assert r.returncode != 0, r
    assert f in r.stderr, r.stderr


def test_root_unreadable_names_path():
    base = lib.tempdir()
    os.chmod(base, 0o755)
    locked = os.path.join(base, "locked")
    os.mkdir(locked)
    with open(os.path.join(locked, "index.html"), "w") as f:
        f.write("x")
    os.chmod(locked, 0o000)
    kw = {}
    if os.geteuid() == 0:
        # root reads anything: run the server as nobody so permissions count.
        kw = {"user": 65534, "group": 65534, "extra_groups": []}
    try:
        r = lib.run_server(["-p", str(lib.free_port()), "-a", "127.0.0.1", "-d", locked],
                           timeout=5, **kw)
    finally:
        os.chmod(locked, 0o755)
    assert r.returncode != 0, r
    assert locked in r.stderr, r.stderr


def test_bad_thread_count_exit_2():
    root = _site()
    for t in ("0", "-1", "abc", ""):
        r = lib.run_server(["-t", t, "-p", str(lib.free_port()), "-d", root], timeout=5)
        assert r.returncode == 2, (t, r)


def test_threads_and_addr_options_serve():
    root = _site()
    for t in ("1", "3"):
        with lib.Server(root=root, args=["-t", t]) as s:
            r = lib.request(s.port, "/")
            assert r.status == 200 and r.body == b"<h1>cli</h1>\n"
            # -t N: N event-loop threads besides the main one.
            n = len(os.listdir(f"/proc/{s.proc.pid}/task"))
            # Besides: the log writer and the helper pool (POOL_THREADS).
            assert n == int(t) + 1 + 1 + 2, (t, n)


def test_bad_addr_fails():
    r = lib.run_server(["-p", str(lib.free_port()), "-a", "not an address", "-d", _site()],
                       timeout=10)
    assert r.returncode != 0, r
    assert "not an address" in r.stderr, r.stderr


def test_addr_long_option_binds_loopback_only():
    root = _site()
    s = lib.Server(root=root)
    s.start()
    try:
        # lib.Server passes -a 127.0.0.1; the socket is bound there only.
        port_hex = f"{s.port:04X}"
        with open("/proc/net/tcp") as f:
            rows = [l.split() for l in f.readlines()[1:]]
        listening = [r[1] for r in rows if r[1].endswith(":" + port_hex) and r[3] == "0A"]
        assert listening and all(a == "0100007F:" + port_hex for a in listening), listening
    finally:
        assert s.stop() == 0
