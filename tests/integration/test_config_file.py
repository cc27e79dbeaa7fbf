"""The YAML config file (docs/config.md, "The format", "The command line
wins" and "Reloading"): a key of every kind (a number, a switch in its four
spellings, a list), the strict reading (no YAML typing, unknown and
duplicate keys, anchors, aliases, merge keys, tags, a list or mapping where
one value belongs, limits) with file:line:col in each error, flags over the
file at the top and in a site, --check-config and its printed round trip,
and SIGHUP: new connections get the new file, an open keep-alive keeps the
old one, an invalid file or a new port changes nothing that it must not.

    python3 tests/run_integration.py --server bin/server -k test_config_file"""
import os
import signal
import sys

import conflib as cl
import featlib as fl
import h2lib as h
import lib

HOME = b"<p>home.htm</p>\n"
INDEX = b"<p>index.html</p>\n"
TEXT = fl.text_body(6000, "config")


def site():
    return lib.make_site({"home.htm": HOME, "index.html": INDEX, "sub/f.txt": b"f\n",
                          "t.txt": TEXT, ".hidden": b"dot\n"})


def gz(port, path, host="localhost"):
    return cl.get(port, path, host, {"Accept-Encoding": "gzip"})


# ---------------------------------------------------------------------------
# Keys of every kind


def test_top_level_keys_of_each_kind():
    cl.need_config()
    root = site()
    on = cl.config(f"""# every kind of value
root: {cl.q(root)}
list: on
compress: off
dotfiles: true
max-age: 120
header: ["X-One: 1", "X-Two: two words"]
index: [home.htm, index.html]
""")
    with cl.ConfServer(on) as s:
        r = cl.get(s.port, "/", "localhost")
        assert r.status == 200 and r.body == HOME, r.raw_head  # index list, in order
        r = cl.get(s.port, "/sub/", "localhost")
        assert r.status == 200 and b"f.txt" in r.body, r.raw_head  # list: on
        r = gz(s.port, "/t.txt")
        assert r.status == 200 and r.header("content-encoding") is None, r.raw_head  # off
        assert r.body == TEXT
        assert r.header("cache-control") == "max-age=120", r.raw_head  # a number
        assert r.all("x-one") == ["1"] and r.all("x-two") == ["two words"], r.raw_head
        r = cl.get(s.port, "/.hidden", "localhost")
        assert r.status == 200 and r.body == b"dot\n", r.raw_head  # dotfiles: true
    # The opposite spellings turn each one the other way.
    off = cl.config(f"""root: {cl.q(root)}
list: off
compress: true
dotfiles: false
""")
    with cl.ConfServer(off) as s:
        r = cl.get(s.port, "/", "localhost")
        assert r.status == 200 and r.body == INDEX, r.raw_head  # default index
        r = cl.get(s.port, "/sub/", "localhost")
        assert r.status == 403 and b"f.txt" not in r.body, r.raw_head
        r = gz(s.port, "/t.txt")
        assert r.header("content-encoding") == "gzip", r.raw_head
        assert fl.decode("gzip", r.body) == TEXT
        assert "max-age=120" not in (r.header("cache-control") or ""), r.raw_head
        assert r.header("x-one") is None
        r = cl.get(s.port, "/.hidden", "localhost")
        assert r.status == 404, r.raw_head


def test_port_and_addr_from_the_file_and_p_wins():
    cl.need_config()
    root = site()
    p1, p2 = lib.free_port(), lib.free_port()
    conf = cl.config(f"port: {p1}\naddr: 127.0.0.1\nroot: {cl.q(root)}\n")
    with lib.CommandServer([lib.SERVER, "-c", conf], ready=lambda: not cl.not_listening(p1)):
        r = cl.get(p1, "/", "localhost")
        assert r.status == 200 and r.body == INDEX
    with lib.CommandServer([lib.SERVER, "-c", conf, "-p", str(p2)],
                           ready=lambda: not cl.not_listening(p2)):
        r = cl.get(p2, "/", "localhost")
        assert r.status == 200 and r.body == INDEX
        assert cl.not_listening(p1), "the file's port is open although -p gave another"


# ---------------------------------------------------------------------------
# Strict reading, errors with file:line:col


SWITCH_MSG = "'list' takes true or false (or on, off), not '{}'"


def test_switch_spellings():
    cl.need_config()
    root = site()
    for v in ("true", "false", "on", "off"):
        p = cl.check_config(cl.config(f"root: {cl.q(root)}\nlist: {v}\n"))
        assert p.returncode == 0, (v, p.stderr)
    # YAML 1.1 booleans are text here, and text that is not a switch.
    for v, shown in (("no", "no"), ("yes", "yes"), ("y", "y"), ("1", "1"), ('"yes"', "yes"),
                     ("enabled", "enabled")):
        path = cl.config(f"# a comment\nroot: {cl.q(root)}\nlist: {v}\n")
        want = f"{path}:3:7: " + SWITCH_MSG.format(shown)
        p = cl.check_config(path)
        assert p.returncode == 1, (v, p)
        assert want in p.stderr, (v, want, p.stderr)
        assert "configuration is valid" not in p.stdout, (v, p.stdout)
        # The server does not start either.
        p = lib.run_server(["-c", path, "-p", str(lib.free_port()), "-a", "127.0.0.1"])
        assert p.returncode == 1 and want in p.stderr, (v, p)
    # Inside a site, the same.
    path = cl.config(f"sites:\n  - hosts: a.test\n    root: {cl.q(root)}\n    list: no\n")
    p = cl.check_config(path)
    assert p.returncode == 1 and f"{path}:4:11: " + SWITCH_MSG.format("no") in p.stderr, p


def error_cases(root):
    """(name, yaml, line, column, words the message must hold)."""
    R = cl.q(root)
    return [
        ("unknown key", f"root: {R}\nlistt: true\n", 2, 1, ["unknown key", "listt"]),
        ("duplicate key", f"port: 1\nroot: {R}\nport: 2\n", 3, 1, ["duplicate", "port"]),
        ("anchor", f"root: {R}\nmax-age: &a 5\n", 2, 10, ["&a"]),
        ("alias", f"root: {R}\nmax-age: *a\n", 2, 10, ["*a"]),
        ("merge key", f"sites:\n  - <<: {{root: {R}}}\n    hosts: x.test\n", 2, 5, ["<<"]),
        ("tag", f"root: {R}\nmax-age: !!str 5\n", 2, 10, ["!!str"]),
        ("list for a value", f"root: {R}\nport: [1, 2]\n", 2, 7, ["port", "list"]),
        ("mapping for a value", f"root: {R}\nport: {{a: 1}}\n", 2, 7, ["port"]),
        ("list for a switch", f"root: {R}\nlist: [true]\n", 2, 7, ["list"]),
        ("server option in a site",
         f"sites:\n  - hosts: a.test\n    root: {R}\n    port: 8080\n", 4, 5, ["port"]),
        ("help", f"root: {R}\nhelp: true\n", 2, 1, ["help"]),
        ("version", f"root: {R}\nversion: true\n", 2, 1, ["version"]),
        ("config", f"root: {R}\nconfig: other.yaml\n", 2, 1, ["config"]),
        ("check-config", f"root: {R}\ncheck-config: other.yaml\n", 2, 1, ["check-config"]),
        ("probe", f"root: {R}\nprobe: http://127.0.0.1:1/\n", 2, 1, ["probe"]),
        ("unknown key in a rule",
         f"sites:\n  - hosts: a.test\n    root: {R}\n    rules:\n      - match: /x\n"
         f"        redirekt: /y\n", 6, 9, ["redirekt"]),
        ("redirect status 200",
         f"sites:\n  - hosts: a.test\n    root: {R}\n    rules:\n      - match: /x\n"
         f"        redirect: /y\n        status: 200\n", 7, 17, ["200"]),
        ("two default sites",
         f"sites:\n  - hosts: a.test\n    root: {R}\n    default: true\n"
         f"  - hosts: b.test\n    root: {R}\n    default: true\n", (5, 7), 5, ["default"]),
        ("a name on two sites",
         f"sites:\n  - hosts: a.test\n    root: {R}\n  - hosts: [b.test, A.test]\n"
         f"    root: {R}\n", 4, 5, ["a.test"]),
        ("a site without root", "sites:\n  - hosts: a.test\n", 2, 5, ["root"]),
        ("bad port", f"root: {R}\nport: 99999\n", 2, 7, ["99999"]),
        ("syntax", f"root: {R}\nport: [1\n", 3, 1, []),
        ("too deep", f"root: {R}\nheader: {'[' * 40}{']' * 40}\n", 2, None, []),
    ]


def test_errors_name_file_line_column():
    cl.need_config()
    root = site()
    for name, text, line, col, words in error_cases(root):
        path = cl.config(text)
        p = cl.check_config(path)
        assert p.returncode == 1, (name, p)
        # The second default site: at the site or at its key, either names it.
        lines = line if isinstance(line, tuple) else (line,)
        wheres = [f"{path}:{n}:{col}: " if col else f"{path}:{n}:" for n in lines]
        assert any(w in p.stderr for w in wheres), (name, wheres, p.stderr)
        for w in words:
            assert w.lower() in p.stderr.lower(), (name, w, p.stderr)
        assert "configuration is valid" not in p.stdout, (name, p.stdout)
    # The same refusals stop the server at start.
    for name, text, line, col, _ in error_cases(root)[:4]:
        path = cl.config(text)
        p = lib.run_server(["-c", path, "-p", str(lib.free_port()), "-a", "127.0.0.1"])
        assert p.returncode == 1 and f"{path}:{line}:{col}: " in p.stderr, (name, p)


def test_file_limits_and_missing_file():
    cl.need_config()
    root = site()
    big = cl.config(f"root: {cl.q(root)}\n#{'x' * (1 << 20)}\n")
    p = cl.check_config(big)
    assert p.returncode == 1 and big in p.stderr and "1 MiB" in p.stderr, p.stderr
    # 32 levels (the document's mapping and 31 lists) are read, and the
    # value then refused for what it is; 40 are refused for depth.
    ok = cl.config(f"root: {cl.q(root)}\nheader: {'[' * 31}{']' * 31}\n")
    p = cl.check_config(ok)
    assert p.returncode == 1 and "deep" not in p.stderr and "header" in p.stderr, p.stderr
    deep = cl.config(f"root: {cl.q(root)}\nheader: {'[' * 40}{']' * 40}\n")
    p = cl.check_config(deep)
    assert p.returncode == 1 and "deep" in p.stderr and f"{deep}:2:" in p.stderr, p.stderr
    missing = os.path.join(lib.tempdir(), "absent.yaml")
    p = cl.check_config(missing)
    assert p.returncode == 1 and missing in p.stderr, p
    p = lib.run_server(["-c", missing, "-p", str(lib.free_port())])
    assert p.returncode == 1 and missing in p.stderr, p


# ---------------------------------------------------------------------------
# The command line wins


def test_command_line_wins_at_the_top_and_in_a_site():
    cl.need_config()
    top, sroot = site(), site()
    conf = cl.config(f"""root: {cl.q(top)}
list: false
compress: true
max-age: 60
header: ["X-File: top"]
sites:
  - hosts: s.test
    root: {cl.q(sroot)}
    default: true
    compress: true
    list: false
    max-age: 30
    header: ["X-Site: s"]
""")
    # Without flags, the file's values (the control).
    with cl.ConfServer(conf) as s:
        r = gz(s.port, "/t.txt", "s.test")
        assert r.header("content-encoding") == "gzip", r.raw_head
        assert r.header("cache-control") == "max-age=30", r.raw_head
        # A site's header lines come after the top-level ones.
        names = [k for k, _ in r.headers if k in ("x-file", "x-site")]
        assert names == ["x-file", "x-site"], r.raw_head
        assert cl.get(s.port, "/sub/", "s.test").status == 403
    with cl.ConfServer(conf, args=["--no-compress", "-H", "X-Cli: 1", "-H", "X-Cli2: 2",
                                   "-l", "--max-age", "5"]) as s:
        wrong = []
        r = gz(s.port, "/t.txt", "s.test")
        assert r.status == 200, r.raw_head
        if r.header("content-encoding") is not None or fl.decode(
                r.header("content-encoding"), r.body) != TEXT:
            wrong.append("--no-compress did not win over the site's compress: true")
        if r.header("cache-control") != "max-age=5":
            wrong.append("--max-age did not win")
        # -H replaces the file's list: the top one and the site's.
        if r.all("x-cli") != ["1"] or r.all("x-cli2") != ["2"]:
            wrong.append("-H lines missing")
        if r.header("x-file") is not None or r.header("x-site") is not None:
            wrong.append("a header list of the file survived -H")
        r2 = cl.get(s.port, "/sub/", "s.test")
        if r2.status != 200 or b"f.txt" not in r2.body:
            wrong.append(f"-l did not win over the site's list: false ({r2.status})")
        assert not wrong, (wrong, r.raw_head)


def test_command_line_root_is_not_a_site():
    """With sites:, -d sets the top-level root, which no site uses."""
    cl.need_config()
    top, sroot = site(), lib.make_site({"index.html": b"<p>the site</p>\n"})
    conf = cl.config(f"sites:\n  - hosts: s.test\n    root: {cl.q(sroot)}\n    default: true\n")
    with cl.ConfServer(conf, args=["-d", top]) as s:
        for host in ("s.test", "other.test", "localhost"):
            r = cl.get(s.port, "/", host)
            assert r.status == 200 and r.body == b"<p>the site</p>\n", (host, r.raw_head)
        assert cl.get(s.port, "/home.htm", "s.test").status == 404


# ---------------------------------------------------------------------------
# --check-config


def rich_config(root, other, htp):
    return f"""# a config with a bit of everything
max-age: 60
header: ["X-Frame-Options: DENY"]
index: [index.html, home.htm]
trusted-proxies: "10.0.0.0/8, ::1"
keepalive-timeout: 7
sites:
  - hosts: [r.test, "*.r.test"]
    root: {cl.q(root)}
    default: true
    list: on
    header: ["X-Site: r"]
    rules:
      - match: /old/**
        redirect: /new/$1
        status: 308
      - match: /app/**
        rewrite: /index.html
      - match: /sub/**
        auth-file: {cl.q(htp)}
      - match: "*.txt"
        headers:
          set: {{ Cache-Control: "public, max-age=9" }}
          add: {{ X-Added: "yes" }}
          remove: [Accept-Ranges]
      - match: /api/**
        cors: "https://app.test"
        list: false
  - hosts: o.test
    root: {cl.q(other)}
    netlify: true
    compress: off
"""


def test_check_config_prints_a_config_that_round_trips():
    cl.need_config()
    root, other = site(), lib.make_site({"index.html": b"<p>other</p>\n"})
    htp = os.path.join(lib.tempdir(), "htpasswd")
    cl.write(htp, f"ann:{fl.crypt_hash('Ann-Pa55word', 'sha512')}\n")
    path = cl.config(rich_config(root, other, htp))
    p = cl.check_config(path)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for needle in ("/new/$1", "308", "/index.html", htp, "https://app.test", "X-Site: r",
                   "public, max-age=9", "Accept-Ranges", "o.test", "*.r.test",
                   "10.0.0.0/8"):
        assert needle in out, (needle, out)
    # YAML a YAML reader reads (PyYAML where installed).
    try:
        if "/usr/lib/python3/dist-packages" not in sys.path:
            sys.path.append("/usr/lib/python3/dist-packages")
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        doc = yaml.safe_load(out)
        assert isinstance(doc, dict) and len(doc["sites"]) == 2, doc
    # The printed file is itself valid and prints the same again.
    again = cl.config(out, "printed.yaml")
    p2 = cl.check_config(again)
    assert p2.returncode == 0, (p2.stderr, out)

    def body(text):
        return [l for l in text.splitlines() if not l.startswith("#")]
    assert body(p2.stdout) == body(out), (p2.stdout, out)
    # And the server runs from it as from the original.
    with cl.ConfServer(again) as s:
        r = cl.get(s.port, "/old/a/b?x=1", "r.test")
        assert r.status == 308 and r.header("location") == "/new/a/b?x=1", r.raw_head
        r = cl.get(s.port, "/sub/f.txt", "x.r.test")
        assert r.status == 401, r.raw_head
        r = cl.get(s.port, "/sub/f.txt", "x.r.test",
                   {"Authorization": fl.basic("ann", "Ann-Pa55word")})
        assert r.status == 200 and r.body == b"f\n", r.raw_head
        assert r.all("cache-control") == ["public, max-age=9"], r.raw_head
        assert r.header("accept-ranges") is None and r.header("x-added") == "yes", r.raw_head
        assert r.header("x-frame-options") == "DENY" and r.header("x-site") == "r", r.raw_head
        r = cl.get(s.port, "/app/deep/route", "r.test")
        assert r.status == 200 and r.body == INDEX, r.raw_head
        r = cl.get(s.port, "/", "o.test")
        assert r.status == 200 and r.body == b"<p>other</p>\n", r.raw_head


def test_check_config_invalid_exits_1():
    cl.need_config()
    root = site()
    path = cl.config(f"root: {cl.q(root)}\nsites:\n  - hosts: a.test\n    root: /nonexistent/x\n")
    p = cl.check_config(path)
    assert p.returncode == 1, p
    assert f"{path}:4:11: " in p.stderr and "/nonexistent/x" in p.stderr, p.stderr
    assert "configuration is valid" not in p.stdout


# ---------------------------------------------------------------------------
# SIGHUP


def reload_sites(T, version, with_b, extra=""):
    b = f"""  - hosts: b.test
    root: {cl.q(os.path.join(T, "a", "bsite"))}
""" if with_b else ""
    return f"""{extra}header: ["X-File: 1"]
sites:
  - hosts: a.test
    default: true
    root: {cl.q(os.path.join(T, "a"))}
    rules:
      - match: /**
        headers:
          set: {{ X-Version: "{version}" }}
{b}"""


def send_plain(port):
    """Status of a GET without a PROXY header (0: closed unanswered)."""
    data = lib.exchange(port, b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
    r, _ = lib.read_response(data)
    return r.status if r else 0


def reload_tree():
    return lib.make_site({"a/index.html": b"A\n", "a/bsite/index.html": b"B\n",
                          "outside/index.html": b"O\n"})


def h2_ready():
    return h.h2 is not None and "http2" in fl.features()


def version_of(port, host="a.test"):
    r = cl.get(port, "/", host)
    return r.header("x-version"), r.body


def test_sighup_reload_new_connections_and_keepalive():
    cl.need_config()
    T = reload_tree()
    conf = cl.config(reload_sites(T, 1, False))
    with cl.ConfServer(conf, args=["-H", "X-Cli: 1"]) as s:
        assert version_of(s.port) == ("1", b"A\n")
        assert version_of(s.port, "b.test") == ("1", b"A\n")  # the default site
        old = lib.connect(s.port)
        old2 = h.Client(s.port, authority="a.test") if h2_ready() else None
        try:
            if old2:
                st = old2.get("/")
                assert st.header("x-version") == "1", st
            r, buf = cl.keepalive_get(old, "/", "a.test")
            assert r.header("x-version") == "1" and r.body == b"A\n", r.raw_head
            cl.write(conf, reload_sites(T, 2, True))
            s.proc.send_signal(signal.SIGHUP)
            cl.wait_until(lambda: version_of(s.port)[0] == "2", 5, "the reload")
            assert version_of(s.port, "b.test") == (None, b"B\n")  # the new site
            r = cl.get(s.port, "/", "a.test")
            # The command line is read again too: -H still replaces the file's.
            assert r.header("x-cli") == "1" and r.header("x-file") is None, r.raw_head
            # The connection opened before answers its next request under
            # the old configuration (b.test is still the old default
            # site), then closes, so old configurations do not linger.
            r, buf = cl.keepalive_get(old, "/", "b.test", buf)
            assert r.body == b"A\n" and r.header("x-version") == "1", r.raw_head
            assert (r.header("connection") or "").lower() == "close", r.raw_head
            assert lib.peer_closed(old, 5), "the old connection closes after that response"
            if old2:  # an HTTP/2 connection opened before gets a GOAWAY
                old2.wait(lambda: old2.goaway is not None, 5, "a GOAWAY after the reload")
                assert old2.goaway[0] == 0, old2.goaway  # NO_ERROR: a graceful end
        finally:
            old.close()
            if old2:
                old2.close()


def test_sighup_invalid_file_keeps_the_config():
    cl.need_config()
    T = reload_tree()
    conf = cl.config(reload_sites(T, 1, True))
    with cl.ConfServer(conf) as s:
        assert version_of(s.port) == ("1", b"A\n")
        # Line 3, column 7: "list: yes" after two lines.
        cl.write(conf, "# broken\n" + "max-age: 5\nlist: yes\n" + reload_sites(T, 2, False))
        s.proc.send_signal(signal.SIGHUP)
        s.wait_log(f"{conf}:3:7:")
        assert "yes" in s.log_text().split(f"{conf}:3:7:")[1].splitlines()[0]
        for _ in range(3):
            assert version_of(s.port) == ("1", b"A\n")
            assert version_of(s.port, "b.test") == (None, b"B\n")
        # A correct file afterwards is taken.
        cl.write(conf, reload_sites(T, 3, True))
        s.proc.send_signal(signal.SIGHUP)
        cl.wait_until(lambda: version_of(s.port)[0] == "3", 5, "the second reload")


def test_sighup_after_the_file_was_replaced():
    """Editors and config tools replace the file (write a new one, rename
    it over the old): a reload reads the new file."""
    cl.need_config()
    T = reload_tree()
    conf = cl.config(reload_sites(T, 1, False))
    with cl.ConfServer(conf) as s:
        assert version_of(s.port) == ("1", b"A\n")
        cl.write(conf + ".new", reload_sites(T, 2, True))
        os.replace(conf + ".new", conf)
        s.proc.send_signal(signal.SIGHUP)
        try:
            cl.wait_until(lambda: version_of(s.port)[0] == "2", 5, "the reload")
        except AssertionError:
            errors = [l for l in s.log_text().splitlines() if "[error]" in l]
            raise AssertionError(f"a replaced config file was not reloaded; errors: {errors}")
        assert version_of(s.port, "b.test") == (None, b"B\n")


def test_sighup_new_root_outside_the_sandbox_is_refused():
    cl.need_config()
    T = reload_tree()
    conf = cl.config(reload_sites(T, 1, False))
    with cl.ConfServer(conf) as s:
        assert version_of(s.port) == ("1", b"A\n")
        if "Landlock" not in cl.wait_until(lambda: s.log_text(), 5, "the log"):
            raise lib.Skip("no Landlock sandbox on this kernel: nothing to refuse")
        outside = os.path.join(T, "outside")
        cl.write(conf, reload_sites(T, 2, False) +
                 f"  - hosts: o.test\n    root: {cl.q(outside)}\n")
        s.proc.send_signal(signal.SIGHUP)
        s.wait_log(outside)
        assert version_of(s.port) == ("1", b"A\n")
        assert version_of(s.port, "o.test") == ("1", b"A\n")


def test_sighup_port_change_needs_sigusr2():
    cl.need_config()
    T = reload_tree()
    p1, p2 = lib.free_port(), lib.free_port()
    log = os.path.join(lib.tempdir(), "server.log")
    conf = cl.config(f"port: {p1}\naddr: 127.0.0.1\nlog-file: {cl.q(log)}\n"
                     + reload_sites(T, 1, False))
    s = lib.CommandServer([lib.SERVER, "-c", conf], ready=lambda: not cl.not_listening(p1))
    with s:
        assert version_of(p1) == ("1", b"A\n")
        cl.write(conf, f"port: {p2}\naddr: 127.0.0.1\nlog-file: {cl.q(log)}\n"
                 + reload_sites(T, 2, True))
        s.proc.send_signal(signal.SIGHUP)
        text = lib.wait_text(log, "SIGUSR2")
        line = [l for l in text.splitlines() if "SIGUSR2" in l][0]
        assert "port" in line, line
        # Everything else applies; the old port keeps serving.
        cl.wait_until(lambda: version_of(p1)[0] == "2", 5, "the rest of the reload")
        assert version_of(p1, "b.test") == (None, b"B\n")
        assert cl.not_listening(p2), "the new port opened without SIGUSR2"
        # Back to the old port, and the PROXY protocol switched on: also
        # reported, not applied (a request without a PROXY header works).
        cl.write(conf, f"port: {p1}\naddr: 127.0.0.1\nlog-file: {cl.q(log)}\n"
                 "proxy-protocol: true\n" + reload_sites(T, 3, True))
        s.proc.send_signal(signal.SIGHUP)
        cl.wait_until(lambda: version_of(p1)[0] == "3", 5, "the third reload")
        cl.wait_until(lambda: lib.read_text(log).count("SIGUSR2") >= 2, 5,
                      "a second SIGUSR2 notice")
        assert send_plain(p1) == 200, "proxy-protocol applied by a reload"
        assert version_of(p1, "b.test") == (None, b"B\n")


def test_sighup_after_password_files_were_replaced():
    """A site's auth-file and a rule's auth-file replaced by rename, then
    SIGHUP: the new passwords apply, the old ones no longer."""
    cl.need_config()
    assert "basic-auth" in fl.features(), "basic-auth not compiled in (server -V)"
    root = lib.make_site({"index.html": INDEX, "admin/x.txt": b"x\n"})
    other = lib.make_site({"index.html": b"<p>locked</p>\n"})
    d = lib.tempdir()
    site_htp, rule_htp = os.path.join(d, "site.htpasswd"), os.path.join(d, "rule.htpasswd")
    cl.write(site_htp, f"old:{fl.crypt_hash('Old-Pa55word', 'sha512')}\n")
    cl.write(rule_htp, f"old:{fl.crypt_hash('Old-Pa55word', 'sha512')}\n")
    conf = cl.config(f"""sites:
  - hosts: open.test
    default: true
    root: {cl.q(root)}
    rules:
      - match: /admin/**
        auth-file: {cl.q(rule_htp)}
  - hosts: locked.test
    root: {cl.q(other)}
    auth-file: {cl.q(site_htp)}
""")
    old = {"Authorization": fl.basic("old", "Old-Pa55word")}
    new = {"Authorization": fl.basic("new", "New-Pa55word")}
    with cl.ConfServer(conf) as s:
        assert cl.get(s.port, "/admin/x.txt", "open.test", old).status == 200
        assert cl.get(s.port, "/", "locked.test", old).status == 200
        assert cl.get(s.port, "/", "locked.test", new).status == 401
        for path in (site_htp, rule_htp):
            cl.write(path + ".new", f"new:{fl.crypt_hash('New-Pa55word', 'sha512')}\n")
            os.replace(path + ".new", path)
        s.proc.send_signal(signal.SIGHUP)
        try:
            cl.wait_until(lambda: cl.get(s.port, "/", "locked.test", new).status == 200, 5,
                          "the new site password")
        except AssertionError:
            errors = [l for l in s.log_text().splitlines() if "[error]" in l]
            raise AssertionError(f"replaced password files not reloaded: {errors}")
        assert cl.get(s.port, "/", "locked.test", old).status == 401
        assert cl.get(s.port, "/admin/x.txt", "open.test", new).status == 200
        assert cl.get(s.port, "/admin/x.txt", "open.test", old).status == 401
