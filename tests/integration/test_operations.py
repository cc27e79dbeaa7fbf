"""Running the server in production: the combined and JSON log formats
(and goaccess reading the combined one), the error log and its levels, log
reopening on SIGHUP/SIGUSR1, --access-log off, -u and --chroot, and
--help/--version for these options. --metrics is in test_metrics.py, unix
sockets in test_unix_socket.py, systemd and upgrades in test_service.py."""
import datetime
import json
import os
import pwd
import re
import shutil
import signal
import subprocess

import lib

# IP - - [DD/Mon/YYYY:HH:MM:SS +0000] "REQUEST" STATUS BYTES "REFERER" "UA"
CLF_LINE = re.compile(r'^(\S+) - - \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)\] '
                      r'"([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$')
# 2025-09-28T18:30:00Z [info] message
MSG_LINE = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \[(info|warn|error)\] (\S.*)$')
REQUEST_KEYS = {"time", "remote_addr", "method", "uri", "protocol", "status", "bytes",
                "referer", "user_agent"}
NOBODY = pwd.getpwnam("nobody")


def site(public=False):
    root = lib.make_site({"index.html": b"<p>ops</p>\n", "a.txt": b"A\n",
                          "page.html": b"<p>page</p>\n"})
    if public:  # readable after -u nobody (mkdtemp makes 0700 directories)
        os.chmod(root, 0o755)
    return root


def recent(t):
    now = datetime.datetime.now(datetime.timezone.utc)
    return abs((now - t).total_seconds()) < 120


def check_messages(text, where):
    """Every non-empty line of text is a server message with a time and a
    level; returns the list of (level, message)."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = MSG_LINE.match(line)
        assert m, f"not a server message line in {where}: {line!r}"
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        assert recent(t), line
        out.append((m.group(2), m.group(3)))
    return out


# --- the combined format ---------------------------------------------------


def test_combined_log_format():
    root = site()
    log = os.path.join(lib.tempdir(), "access.log")
    ua = 'Agent/1.0 "quoted" (x)'
    with lib.Server(root=root, args=["--log-format", "combined", "--log-file", log]) as s:
        r1 = lib.request(s.port, "/a.txt?x=1&y=two", headers={
            "Referer": "http://example.com/from?q=1", "User-Agent": ua})
        assert r1.status == 200 and r1.body == b"A\n"
        etag = r1.header("etag")
        assert etag
        r2 = lib.request(s.port, "/a.txt", method="HEAD")
        r3 = lib.request(s.port, "/a.txt", headers={"If-None-Match": etag})
        r4 = lib.request(s.port, "/missing.html")
        assert (r2.status, r3.status, r4.status) == (200, 304, 404)
        assert r4.body
    text = lib.read_text(log)
    lines = text.splitlines()
    assert len(lines) == 4, text  # one line per request, and nothing else
    by_req = {}
    for line in lines:
        m = CLF_LINE.match(line)
        assert m, f"not in Combined Log Format: {line!r}"
        t = datetime.datetime.strptime(m.group(2), "%d/%b/%Y:%H:%M:%S %z")
        assert recent(t), line
        assert m.group(1) == "127.0.0.1", line
        by_req[m.group(3)] = m
    assert set(by_req) == {"GET /a.txt?x=1&y=two HTTP/1.1", "HEAD /a.txt HTTP/1.1",
                           "GET /a.txt HTTP/1.1", "GET /missing.html HTTP/1.1"}, lines
    first = by_req["GET /a.txt?x=1&y=two HTTP/1.1"]
    assert first.group(0) == (f'127.0.0.1 - - [{first.group(2)}] "GET /a.txt?x=1&y=two HTTP/1.1" '
                              f'200 2 "http://example.com/from?q=1" '
                              f'"Agent/1.0 \\x22quoted\\x22 (x)"'), first.group(0)
    assert by_req["HEAD /a.txt HTTP/1.1"].group(4, 5, 6, 7) == ("200", "0", "-", "-")
    assert by_req["GET /a.txt HTTP/1.1"].group(4, 5) == ("304", "0")
    assert by_req["GET /missing.html HTTP/1.1"].group(4, 5) == ("404", str(len(r4.body)))
    # Server messages are not in the access log: on stderr, with levels.
    assert "Stopped" not in text and "serving" not in text, text
    assert s.out == "", s.out
    msgs = check_messages(s.err, "stderr")
    assert any(lvl == "info" and "serving" in m for lvl, m in msgs), s.err
    assert msgs[-1] == ("info", "Stopped"), s.err
    if os.geteuid() == 0:
        assert any(lvl == "warn" and "running as root" in m for lvl, m in msgs), s.err


def test_combined_on_stdout_messages_on_stderr():
    with lib.Server(root=site(), args=["--log-format", "combined"]) as s:
        lib.request(s.port, "/page.html", headers={"User-Agent": "ua"})
    lines = s.out.splitlines()
    assert len(lines) == 1, s.out
    m = CLF_LINE.match(lines[0])
    assert m and m.group(3) == "GET /page.html HTTP/1.1" and m.group(7) == "ua", lines
    assert m.group(5) == "12", lines  # len(b"<p>page</p>\n")
    # Raw hostile bytes stay on one line, escaped as \xHH.
    log = os.path.join(lib.tempdir(), "access.log")
    with lib.Server(root=site(), args=["--log-format", "combined", "--log-file", log]) as s:
        lib.raw(s.port, b'GET /p"q\\r\xff HTTP/1.1\r\nHost: a\r\nUser-Agent: a"b\\c\xff\td\r\n'
                        b'Referer: "\r\nConnection: close\r\n\r\n')
    lines = lib.read_text(log).splitlines()
    assert len(lines) == 1, lines
    m = CLF_LINE.match(lines[0])
    assert m, lines
    assert m.group(3, 4, 6, 7) == ("GET /p\\x22q\\x5cr\\xff HTTP/1.1", "404", "\\x22",
                                   "a\\x22b\\x5cc\\xff\\x09d"), lines
    msgs = check_messages(s.err, "stderr")
    assert ("info", "Stopped") in msgs, s.err


def test_combined_with_error_log_file():
    d = lib.tempdir()
    log, elog = os.path.join(d, "access.log"), os.path.join(d, "error.log")
    with lib.Server(root=site(), args=["--log-format", "combined", "--log-file", log,
                                       "--error-log", elog]) as s:
        lib.request(s.port, "/a.txt")
        lib.request(s.port, "/nope")
    lines = lib.read_text(log).splitlines()
    assert len(lines) == 2 and all(CLF_LINE.match(l) for l in lines), lines
    etext = lib.read_text(elog)
    msgs = check_messages(etext, elog)
    assert any(lvl == "info" and "serving" in m for lvl, m in msgs), etext
    assert msgs[-1] == ("info", "Stopped"), etext
    assert "GET /a.txt" not in etext, etext
    assert not any(MSG_LINE.match(l) for l in s.err.splitlines()), s.err
    assert s.out == "", s.out


def test_error_log_with_default_format():
    # --error-log also splits the messages out of the default format's log.
    d = lib.tempdir()
    log, elog = os.path.join(d, "access.log"), os.path.join(d, "error.log")
    with lib.Server(root=site(), args=["--log-file", log, "--error-log", elog]) as s:
        lib.request(s.port, "/a.txt")
    text = lib.read_text(log)
    assert text.splitlines() and all(lib.LOG_LINE.match(l) for l in text.splitlines()), text
    msgs = check_messages(lib.read_text(elog), elog)
    assert msgs and msgs[-1] == ("info", "Stopped"), msgs


def test_goaccess_reads_combined_log():
    goaccess = shutil.which("goaccess")
    assert goaccess, "goaccess is required for this test (Debian package goaccess)"
    d = lib.tempdir()
    log = os.path.join(d, "access.log")
    sizes = []
    with lib.Server(root=site(), args=["--log-format", "combined", "--log-file", log]) as s:
        for i in range(3):
            r = lib.request(s.port, "/a.txt", headers={
                "Referer": "http://example.org/", "User-Agent": f'Mozilla/5.0 "t{i}" Firefox/120.0'})
            sizes.append(len(r.body))
        sizes.append(len(lib.request(s.port, "/page.html").body))
        sizes.append(len(lib.request(s.port, "/missing.html").body))
        lib.request(s.port, "/a.txt", method="HEAD")
    assert len(lib.read_text(log).splitlines()) == 6
    out = os.path.join(d, "report.json")
    r = subprocess.run([goaccess, log, "--log-format=COMBINED", "--no-global-config", "-o", out],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    with open(out) as f:
        report = json.load(f)
    general = report["general"]
    assert general["total_requests"] == 6, general
    assert general["valid_requests"] == 6 and general["failed_requests"] == 0, general
    assert general["bandwidth"] == sum(sizes), (general, sizes)
    # goaccess files .txt under static requests and .html under requests.
    paths = {}
    for panel in ("requests", "static_requests"):
        for e in report[panel]["data"]:  # one entry per method and path
            paths[e["data"]] = paths.get(e["data"], 0) + e["hits"]["count"]
    assert paths.get("/a.txt") == 4 and paths.get("/page.html") == 1, paths
    missing = [e["data"] for e in report["not_found"]["data"]]
    assert "/missing.html" in missing, missing


# --- the JSON format -------------------------------------------------------


def json_lines(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not one JSON object: {line!r}")
        assert isinstance(out[-1], dict), line
    return out


def test_json_log_format():
    log = os.path.join(lib.tempdir(), "access.json")
    with lib.Server(root=site(), args=["--log-format", "json", "--log-file", log]) as s:
        r1 = lib.request(s.port, "/a.txt?q=1", headers={"Referer": "http://r/", "User-Agent": "UA 1"})
        r2 = lib.request(s.port, "/missing", method="HEAD")
        r3 = lib.request(s.port, "/page.html", version="1.0")
    objs = json_lines(lib.read_text(log))
    reqs = [o for o in objs if "status" in o]
    msgs = [o for o in objs if "level" in o]
    assert len(reqs) == 3 and len(msgs) + len(reqs) == len(objs), objs
    for o in reqs:
        assert set(o) == REQUEST_KEYS, o
        assert type(o["status"]) is int and type(o["bytes"]) is int, o
        assert recent(datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)), o
        assert o["remote_addr"] == "127.0.0.1", o
    by_uri = {o["uri"]: o for o in reqs}
    a = by_uri["/a.txt?q=1"]
    assert (a["method"], a["protocol"], a["status"], a["bytes"]) == ("GET", "HTTP/1.1", 200, 2), a
    assert (a["referer"], a["user_agent"]) == ("http://r/", "UA 1"), a
    m = by_uri["/missing"]
    assert (m["method"], m["status"], m["bytes"]) == ("HEAD", 404, 0), m
    p = by_uri["/page.html"]
    assert (p["protocol"], p["status"], p["bytes"]) == ("HTTP/1.0", 200, len(r3.body)), p
    assert r1.status == 200 and r2.status == 404
    for o in msgs:
        assert set(o) == {"time", "level", "message"}, o
        assert o["level"] in ("info", "warn", "error"), o
    assert any("serving" in o["message"] for o in msgs), msgs
    assert msgs[-1]["message"] == "Stopped" and objs[-1] is msgs[-1], msgs


def test_json_log_hostile_bytes_round_trip():
    log = os.path.join(lib.tempdir(), "access.json")
    path = b'/x"y\\z\xe9\xff</script>?q="\\\xc3\xa9&t=\xfe'
    agent = b'ua "quoted" \\back\\ \ttab \xe9\xff\x80 {"json":1}'
    referer = b'http://h/\xff"\\\tx'
    long_path = b"/" + b'"\\\xff' * 600  # longer than what is logged: cut, still valid
    with lib.Server(root=site(), args=["--log-format", "json", "--log-file", log]) as s:
        got = lib.raw(s.port, b"GET " + path + b" HTTP/1.1\r\nHost: a\r\nUser-Agent: " + agent +
                      b"\r\nReferer: " + referer + b"\r\nConnection: close\r\n\r\n")
        assert got.startswith(b"HTTP/1.1 404"), got[:100]
        got = lib.raw(s.port, b"GET " + long_path + b" HTTP/1.1\r\nHost: a\r\nUser-Agent: " +
                      b"\xff\\\"" * 400 + b"\r\nConnection: close\r\n\r\n")
        assert re.match(rb"HTTP/1.1 4\d\d ", got), got[:100]
        # A request the parser refuses (a control character) is logged too.
        got = lib.raw(s.port, b"GET /c\x01\x1b[31m HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert got.startswith(b"HTTP/1.1 400"), got[:100]
    text = lib.read_text(log)
    objs = json_lines(text)
    reqs = [o for o in objs if "status" in o]
    assert len(reqs) == 3, text
    short = [o for o in reqs if o["status"] != 400 and len(o["uri"]) < 100]
    long_one = [o for o in reqs if len(o["uri"]) >= 100]
    refused = [o for o in reqs if o["status"] == 400]
    assert len(short) == 1 and len(long_one) == 1 and len(refused) == 1, reqs
    for o in reqs:
        assert set(o) == REQUEST_KEYS, o
    o = short[0]
    assert o["status"] == 404, o
    assert o["uri"] == path.decode("latin-1"), (o["uri"], path)
    assert o["user_agent"] == agent.decode("latin-1"), o["user_agent"]
    assert o["referer"] == referer.decode("latin-1"), o["referer"]
    lo = long_one[0]
    assert long_path.decode("latin-1").startswith(lo["uri"]) and len(lo["uri"]) >= 512, lo["uri"]
    assert (b"\xff\\\"" * 400).decode("latin-1").startswith(lo["user_agent"]), lo["user_agent"]
    assert len(lo["user_agent"]) >= 256, lo["user_agent"]
    assert refused[0]["bytes"] > 0, refused
    # Nothing raw in the file: every control byte and quote was escaped.
    raw = open(log, "rb").read()
    assert b"\x01" not in raw and b"\x1b" not in raw and b"\t" not in raw, raw[-300:]
    assert b"\xff" not in raw and b"\xe9" not in raw


# --- reopening the logs ----------------------------------------------------


def test_log_reopen_on_sighup():
    d = lib.tempdir()
    log = os.path.join(d, "access.log")
    with lib.Server(root=site(), args=["--log-file", log]) as s:
        lib.request(s.port, "/a.txt?before")
        lib.wait_text(log, '"GET /a.txt" 200 OK')
        os.rename(log, log + ".1")
        lib.request(s.port, "/page.html")  # still goes to the renamed file
        lib.wait_text(log + ".1", '"GET /page.html" 200 OK')
        assert not os.path.exists(log)
        s.proc.send_signal(signal.SIGHUP)
        assert lib.wait_for(lambda: os.path.exists(log), 5), os.listdir(d)
        lib.wait_text(log, "log files reopened")
        lib.request(s.port, "/missing-after")
        lib.wait_text(log, '"GET /missing-after" 404 Not Found')
        assert lib.proc_alive(s.proc.pid)
    old, new = lib.read_text(log + ".1"), lib.read_text(log)
    assert "missing-after" not in old and "reopened" not in old, old
    assert "/a.txt" not in new and "/page.html" not in new, new
    assert "Stopped" in new and "Stopped" not in old, (old, new)


def test_log_reopen_on_sigusr1_both_files():
    d = lib.tempdir()
    log, elog = os.path.join(d, "access.log"), os.path.join(d, "error.log")
    with lib.Server(root=site(), args=["--log-format", "combined", "--log-file", log,
                                       "--error-log", elog]) as s:
        lib.request(s.port, "/a.txt")
        lib.wait_text(log, "GET /a.txt")
        os.rename(log, log + ".1")
        os.rename(elog, elog + ".1")
        s.proc.send_signal(signal.SIGUSR1)
        assert lib.wait_for(lambda: os.path.exists(log) and os.path.exists(elog), 5), os.listdir(d)
        lib.wait_text(elog, "log files reopened")
        lib.request(s.port, "/page.html")
        lib.wait_text(log, "GET /page.html")
    assert "page.html" not in lib.read_text(log + ".1")
    assert "reopened" not in lib.read_text(elog + ".1")
    assert "serving" in lib.read_text(elog + ".1")
    new = lib.read_text(log).splitlines()
    assert len(new) == 1 and CLF_LINE.match(new[0]), new
    msgs = check_messages(lib.read_text(elog), elog)
    assert ("info", "log files reopened") in msgs and msgs[-1] == ("info", "Stopped"), msgs


def test_access_log_off_keeps_messages():
    log = os.path.join(lib.tempdir(), "server.log")
    with lib.Server(root=site(), args=["--access-log", "off", "--log-file", log]) as s:
        assert lib.request(s.port, "/a.txt").status == 200
        assert lib.request(s.port, "/missing").status == 404
    text = lib.read_text(log)
    assert "serving" in text and "Stopped" in text, text
    assert "/a.txt" not in text and "/missing" not in text, text
    assert not [l for l in text.splitlines() if lib.LOG_LINE.match(l)], text
    with lib.Server(root=site(), args=["--access-log", "off", "--log-format", "json",
                                       "--log-file", log]) as s:
        assert lib.request(s.port, "/a.txt").status == 200
    objs = json_lines(lib.read_text(log)[len(text):])
    assert objs and all(set(o) == {"time", "level", "message"} for o in objs), objs


# --- privileges --------------------------------------------------------------


def ids(pid):
    status = lib.read_text(f"/proc/{pid}/status")
    get = lambda k: re.search(rf"^{k}:[ \t]*(.*)$", status, re.M).group(1).split()
    return [int(x) for x in get("Uid")], [int(x) for x in get("Gid")], [int(x) for x in get("Groups")]


def test_user_drops_privileges():
    assert os.geteuid() == 0, "this test needs root"
    with lib.Server(root=site(public=True), args=["-u", "nobody"]) as s:
        # The port accepts from the bind on; a served request means the
        # event loops run, which they only do once root is left behind.
        served = lib.request(s.port, "/index.html")
        assert served.status == 200, served.raw_head
        uids, gids, groups = ids(s.proc.pid)
        assert uids == [NOBODY.pw_uid] * 4, uids
        assert gids == [NOBODY.pw_gid] * 4, gids
        assert groups == [NOBODY.pw_gid], groups
        r = lib.request(s.port, "/a.txt")
        assert r.status == 200 and r.body == b"A\n", r.raw_head
        assert lib.request(s.port, "/").status == 200
    assert "running as user nobody" in s.out, s.out
    assert "running as root" not in s.out, s.out


def test_root_warning_without_user():
    assert os.geteuid() == 0, "this test needs root"
    with lib.Server(root=site()) as s:
        assert ids(s.proc.pid)[0][0] == 0
    warn = [l for l in s.out.splitlines() if "running as root" in l]
    assert len(warn) == 1 and MSG_LINE.match(warn[0]) and "[warn]" in warn[0], s.out


def test_unknown_user_fails_at_start():
    port = lib.free_port()
    r = lib.run_server(["-p", str(port), "-a", "127.0.0.1", "-d", site(), "-u", "no-such-user"])
    assert r.returncode == 1, r
    assert "no-such-user" in r.stderr and "user" in r.stderr.lower(), r.stderr
    assert not lib.wait_port(port, timeout=0.2)
    r = lib.run_server(["-p", str(port), "-a", "127.0.0.1", "-d", site(), "-u", "nobody:no-such-group"])
    assert r.returncode == 1 and "no-such-group" in r.stderr, r


def test_log_files_handed_to_the_user():
    assert os.geteuid() == 0, "this test needs root"
    d = lib.tempdir()
    os.chown(d, NOBODY.pw_uid, NOBODY.pw_gid)  # the user can create files here
    os.chmod(d, 0o755)
    log, elog = os.path.join(d, "access.log"), os.path.join(d, "error.log")
    with lib.Server(root=site(public=True), args=["-u", "nobody", "--log-file", log,
                                                  "--error-log", elog]) as s:
        assert lib.request(s.port, "/").status == 200  # past the drop (see above)
        for p in (log, elog):
            st = os.stat(p)
            assert (st.st_uid, st.st_gid) == (NOBODY.pw_uid, NOBODY.pw_gid), (p, st)
        # After a rotation the unprivileged server creates the new files.
        os.rename(log, log + ".1")
        os.rename(elog, elog + ".1")
        s.proc.send_signal(signal.SIGHUP)
        lib.wait_text(elog, "log files reopened")
        lib.request(s.port, "/a.txt")
        lib.wait_text(log, '"GET /a.txt" 200 OK')
        assert os.stat(log).st_uid == NOBODY.pw_uid
    assert "running as user nobody" in lib.read_text(elog + ".1")


def test_chroot_confines_the_server():
    assert os.geteuid() == 0, "this test needs root"
    jail = lib.tempdir()
    os.chmod(jail, 0o755)
    www = os.path.join(jail, "www")
    os.makedirs(www, mode=0o755)
    for name, data in (("index.html", b"<p>jail</p>\n"), ("a.txt", b"A\n")):
        with open(os.path.join(www, name), "wb") as f:
            f.write(data)
    with open(os.path.join(jail, "secret.txt"), "wb") as f:
        f.write(b"TOP SECRET\n")
    out = lib.tempdir()  # outside the jail, root's 0700 directory
    pid_path, log = os.path.join(out, "server.pid"), os.path.join(out, "server.log")
    # LeakSanitizer reads /proc at exit, which the jail has not: the leak
    # check is off here (only matters for the sanitizer build).
    asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    with lib.Server(root=www, args=["--chroot", jail, "-u", "nobody", "--pid-file", pid_path,
                                    "--log-file", log], env={"ASAN_OPTIONS": asan}) as s:
        pid = s.proc.pid
        assert lib.request(s.port, "/").status == 200  # past the chroot
        assert os.readlink(f"/proc/{pid}/root") == os.path.realpath(jail)
        assert ids(pid)[0] == [NOBODY.pw_uid] * 4
        assert lib.read_text(pid_path) == f"{pid}\n"
        r = lib.request(s.port, "/a.txt")
        assert r.status == 200 and r.body == b"A\n"
        assert lib.request(s.port, "/").body == b"<p>jail</p>\n"
        for target in ("/secret.txt", "/../secret.txt", "/%2e%2e/secret.txt", "/www/a.txt",
                       "/..%2fsecret.txt"):
            r = lib.request(s.port, target)
            assert r.status in (400, 404), (target, r.status)
            assert b"SECRET" not in r.body, target
        lib.wait_text(log, '"GET /a.txt" 200 OK')
    text = lib.read_text(log)
    assert "running as user nobody" in text and "chroot" in text, text
    assert text.rstrip().endswith("Stopped"), text


# --- help and version ----------------------------------------------------------


def test_help_mentions_operations_options():
    r = lib.run_server(["--help"])
    assert r.returncode == 0, r
    for opt in ("--log-format", "--error-log", "-u, --user", "--chroot", "--unix-socket",
                "--unix-socket-mode", "--metrics", "--access-log"):
        assert re.search(rf"(^|\s){re.escape(opt)}\b", r.stdout, re.M), (opt, r.stdout)
    for word in ("combined", "json", "SIGHUP", "SIGUSR1", "SIGUSR2"):
        assert word in r.stdout, word


def test_version_lists_features():
    r = lib.run_server(["--version"])
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"tern/\d+\.\d+\.\d+", lines[0]), lines
    feats = [l for l in lines if l.startswith("features:")]
    assert len(feats) == 1, lines
    words = feats[0][len("features:"):].split()
    assert all(re.fullmatch(r"[a-z0-9-]+", w) for w in words), words
    assert len(set(words)) == len(words), words


def test_bad_log_format_rejected():
    for bad in (["--log-format", "xml"], ["--log-format", ""], ["--access-log", "maybe"]):
        r = lib.run_server(["-p", str(lib.free_port()), "-a", "127.0.0.1", "-d", site(), *bad])
        assert r.returncode == 2, (bad, r)
        assert r.stderr.strip(), bad


def test_logrotate_snippet_rotates_without_losing_lines():
    # contrib/tern.logrotate run by logrotate(8) itself, with the paths and
    # the signal pointed at this test's server.
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    assert os.path.exists(logrotate), "logrotate is required (apt-get install logrotate)"
    d = lib.tempdir()
    log = os.path.join(d, "access.log")
    snippet = open(os.path.join(os.path.dirname(lib.SERVER), "..", "contrib",
                                "tern.logrotate")).read()
    with lib.Server(root=lib.make_site({"a.txt": b"a\n"}), args=["--log-file", log]) as s:
        conf = snippet.replace("/var/log/tern/*.log", os.path.join(d, "*.log"))
        conf = conf.replace("www-data adm", "root root")
        conf = re.sub(r"systemctl kill --signal=USR1 tern.service[^\n]*",
                      f"kill -USR1 {s.proc.pid}", conf)
        assert f"kill -USR1 {s.proc.pid}" in conf and d in conf
        conf_path = os.path.join(d, "tern.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        for i in range(5):
            assert lib.request(s.port, f"/a.txt?before={i}").status == 200
        assert lib.wait_for(lambda: lib.read_text(log).count("GET /a.txt") == 5, 5)
        p = subprocess.run([logrotate, "-f", "-s", os.path.join(d, "state"), conf_path],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        assert os.path.exists(log + ".1"), os.listdir(d)
        assert lib.wait_for(lambda: "log files reopened" in lib.read_text(log), 5), lib.read_text(log)
        for i in range(3):
            assert lib.request(s.port, f"/a.txt?after={i}").status == 200
        assert lib.wait_for(lambda: lib.read_text(log).count("GET /a.txt") == 3, 5), lib.read_text(log)
    assert lib.read_text(log + ".1").count("GET /a.txt") == 5


def test_reopened_log_inside_the_root_is_not_served():
    # The server never serves its own log, also after a rotation gave it a
    # new file.
    root = lib.make_site({"a.txt": b"a\n"})
    log = os.path.join(root, "access.log")
    with lib.Server(root=root, args=["--log-file", log]) as s:
        assert lib.request(s.port, "/access.log").status == 404
        os.rename(log, log + ".1")
        s.proc.send_signal(signal.SIGUSR1)
        assert lib.wait_for(lambda: "log files reopened" in lib.read_text(log), 5)
        assert lib.request(s.port, "/access.log").status == 404
        assert lib.request(s.port, "/a.txt").status == 200
