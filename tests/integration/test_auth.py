"""Basic authentication (--auth-file, htpasswd with bcrypt $2b$/$2y$ and
SHA-crypt $5$/$6$): the right password gets the file; a wrong one, an
unknown user, a malformed or missing Authorization get 401 with a Basic
challenge; the password never reaches the log; a malformed auth file stops
start-up."""
import base64
import os

import featlib as fl
import lib

SECRET = b"<p>members only</p>\n"
USERS = {
    "alice": ("Al1ce-Pa55word-bcrypt", "bcrypt"),
    "bob": ("B0b-Pa55word-2y", "bcrypt-2y"),
    "carol": ("Car0l-Pa55word-sha512", "sha512"),
    "dave": ("Dav3-Pa55word-sha256", "sha256"),
    "eve": ("p:w with colon ünï", "sha512"),  # the first colon ends the user
}


def auth_site(users=USERS, extra_lines=""):
    root = lib.make_site({"index.html": SECRET, "f.txt": b"file\n", "sub/x.txt": b"x\n"})
    lines = ["# htpasswd made by the tests", ""]
    for u, (pw, m) in users.items():
        lines.append(f"{u}:{fl.crypt_hash(pw, m)}")
    path = os.path.join(lib.tempdir(), "htpasswd")
    with open(path, "w", encoding="utf-8") as f:
        f.write(extra_lines + "\n".join(lines) + "\n")
    return root, path


def require_auth_feature():
    assert "basic-auth" in fl.features(), (
        f"basic-auth not compiled in (server -V: {sorted(fl.features())}); "
        "the build needs libcrypt-dev and pkg-config")


def check_401(r, what):
    assert r.status == 401, (what, r.raw_head)
    chal = r.header("www-authenticate")
    assert chal and chal.lower().startswith("basic ") and "realm=" in chal, (what, r.raw_head)
    assert SECRET not in r.body, what


def test_right_password_for_each_hash_type():
    require_auth_feature()
    root, htp = auth_site()
    with lib.Server(root=root, args=["--auth-file", htp]) as s:
        for u, (pw, m) in USERS.items():
            r = lib.request(s.port, "/", headers={"Authorization": fl.basic(u, pw)})
            assert r.status == 200 and r.body == SECRET, (u, m, r.raw_head)
            r = lib.request(s.port, "/f.txt", headers={"Authorization": fl.basic(u, pw)})
            assert r.status == 200 and r.body == b"file\n", (u, m)
            # Again (the verified-credentials cache), and with curl -u.
            r = lib.request(s.port, "/sub/x.txt", headers={"Authorization": fl.basic(u, pw)})
            assert r.status == 200, (u, m)
            p = lib.curl("-u", f"{u}:{pw}", f"http://127.0.0.1:{s.port}/f.txt")
            assert p.returncode == 0 and p.stdout == b"file\n", (u, m, p)
        # The scheme name is case-insensitive (RFC 9110 11.1).
        pw = USERS["carol"][0]
        tok = fl.basic("carol", pw).split(" ", 1)[1]
        for scheme in ("basic", "BASIC", "bAsIc"):
            r = lib.request(s.port, "/f.txt", headers={"Authorization": f"{scheme} {tok}"})
            assert r.status == 200, (scheme, r.raw_head)
        # A 404 behind the login is a 404 once logged in.
        r = lib.request(s.port, "/missing", headers={"Authorization": fl.basic("carol", pw)})
        assert r.status == 404


def test_rejections_get_401_with_challenge():
    require_auth_feature()
    root, htp = auth_site()
    apw = USERS["alice"][0]
    b64 = lambda raw: base64.b64encode(raw).decode()
    bad = {
        "missing": None,
        "wrong password": fl.basic("alice", "wrong"),
        "password of another user": fl.basic("alice", USERS["carol"][0]),
        "prefix of the password": fl.basic("alice", apw[:-1]),
        "password plus a byte": fl.basic("alice", apw + "x"),
        "empty password": fl.basic("alice", ""),
        "unknown user": fl.basic("mallory", apw),
        "user case differs": fl.basic("Alice", apw),
        "empty user": fl.basic("", apw),
        "no colon": "Basic " + b64(b"alice" + apw.encode()),
        "scheme only": "Basic",
        "scheme and space": "Basic ",
        "not base64": "Basic !!!!",
        "bad padding": "Basic " + b64(f"alice:{apw}".encode()) + "====",
        "bearer": "Bearer " + b64(f"alice:{apw}".encode()),
        "digest": 'Digest username="alice"',
        "raw credentials": f"Basic alice:{apw}",
        "nul in user": "Basic " + b64(b"alice\x00:" + apw.encode()),
        "huge": "Basic " + "QUFB" * 600,
    }
    with lib.Server(root=root, args=["--auth-file", htp]) as s:
        # A right login first: cached credentials must not admit others.
        assert lib.request(s.port, "/", headers={"Authorization": fl.basic("alice", apw)}).status == 200
        for what, value in bad.items():
            for path in ("/", "/f.txt", "/missing", "/sub/"):
                r = lib.request(s.port, path, headers={"Authorization": value} if value else None)
                check_401(r, (what, path))
            h = lib.request(s.port, "/f.txt", method="HEAD",
                            headers={"Authorization": value} if value else None)
            assert h.status == 401 and h.body == b"", what
        p = lib.curl("-i", "-u", "alice:nope", f"http://127.0.0.1:{s.port}/")
        assert b" 401" in p.stdout.split(b"\r\n")[0] and b"members only" not in p.stdout, p.stdout
        # And the right one still works afterwards.
        assert lib.request(s.port, "/", headers={"Authorization": fl.basic("alice", apw)}).status == 200


def test_password_never_logged():
    require_auth_feature()
    root, htp = auth_site()
    with lib.Server(root=root, args=["--auth-file", htp]) as s:
        for u, (pw, _) in USERS.items():
            lib.request(s.port, "/f.txt?x=1", headers={"Authorization": fl.basic(u, pw)})
            lib.request(s.port, "/f.txt", headers={"Authorization": fl.basic(u, pw + "-WRONG")})
            lib.curl("-u", f"{u}:{pw}", f"http://127.0.0.1:{s.port}/")
            lib.curl(f"http://{u}:{pw}@127.0.0.1:{s.port}/sub/x.txt")
        s.stop()
    log = s.out + s.err
    assert '"GET /f.txt" 200' in log and '"GET /f.txt" 401' in log, log
    for u, (pw, _) in USERS.items():
        for secret in (pw, pw + "-WRONG", fl.basic(u, pw).split(" ", 1)[1],
                       fl.basic(u, pw + "-WRONG").split(" ", 1)[1]):
            assert secret not in log, (u, "secret in the log", log)
    for word in ("Pa55word", "Authorization", "Basic "):
        assert word not in log, (word, log)


def test_comments_blank_lines_and_crlf_in_auth_file():
    require_auth_feature()
    users = {"alice": USERS["alice"], "carol": USERS["carol"]}
    root, htp = auth_site(users, extra_lines="# a comment\n\n#another:$6$notauser\n")
    with open(htp, "rb") as f:
        text = f.read()
    crlf = htp + ".crlf"
    with open(crlf, "wb") as f:
        f.write(text.replace(b"\n", b"\r\n"))
    for path in (htp, crlf):
        with lib.Server(root=root, args=["--auth-file", path]) as s:
            for u, (pw, _) in users.items():
                r = lib.request(s.port, "/", headers={"Authorization": fl.basic(u, pw)})
                assert r.status == 200, (path, u, r.raw_head)
            r = lib.request(s.port, "/", headers={"Authorization": fl.basic("#another", "x")})
            check_401(r, "commented-out user")


def test_no_auth_without_option():
    root, htp = auth_site()
    with lib.Server(root=root) as s:
        r = lib.request(s.port, "/")
        assert r.status == 200 and r.body == SECRET
        assert r.header("www-authenticate") is None


def test_malformed_auth_file_fails_startup():
    require_auth_feature()
    root = lib.make_site({"index.html": SECRET})
    good = fl.crypt_hash("pw", "sha512")
    d = lib.tempdir()
    cases = {
        "empty": "",
        "only comments": "# nobody\n\n",
        "no colon": "alice\n",
        "no hash": "alice:\n",
        "plain text password": "alice:secret\n",
        "md5-crypt": "alice:$1$saltsalt$qjXMvbEw8oaL.CzflDugX/\n",
        "apr1": "alice:$apr1$abc$defghijklmnopqrstuvwx.\n",
        "sha1": "alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n",
        "empty user": f":{good}\n",
        "bad line after good": f"alice:{good}\nbroken line\n",
    }
    for what, text in cases.items():
        path = os.path.join(d, what.replace(" ", "_"))
        with open(path, "w") as f:
            f.write(text)
        port = lib.free_port()
        r = lib.run_server(["-p", str(port), "-a", "127.0.0.1", "-d", root, "--auth-file", path])
        assert r.returncode != 0, (what, r)
        assert r.stderr.strip(), (what, "no message")
        assert "pw" not in r.stderr.replace(path, ""), r.stderr
        assert not lib.wait_port(port, timeout=0.2), what
    r = lib.run_server(["-p", str(lib.free_port()), "-a", "127.0.0.1", "-d", root,
                        "--auth-file", os.path.join(d, "does-not-exist")])
    assert r.returncode != 0 and "does-not-exist" in r.stderr, r
