"""HTTPS: --tls-cert/--tls-key with a throwaway CA made by openssl(1),
checked with curl --cacert, openssl s_client and Python's ssl module;
certificate reload on SIGHUP, --redirect-http, and hostile handshakes."""
import os
import re
import signal
import socket
import ssl
import subprocess
import time

import lib


def openssl(*args, cwd=None):
    p = subprocess.run(["openssl", *args], capture_output=True, cwd=cwd, timeout=60)
    assert p.returncode == 0, (args, p.stderr)
    return p


def make_pki(days=2):
    """A CA and a server certificate for localhost and 127.0.0.1; returns
    (dir, ca, chain, key). chain holds the leaf and the CA, as a real
    deployment's fullchain does."""
    d = lib.tempdir()
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", str(days), "-subj", "/CN=Test CA",
            cwd=d)
    issue(d, "srv", days)
    return d, os.path.join(d, "ca.pem"), os.path.join(d, "chain.pem"), os.path.join(d, "srv.key")


def issue(d, name, days=2):
    """Issues a new leaf (and key) from the CA in d into chain.pem/srv.key
    style files named after name; returns the certificate's serial."""
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", "/CN=localhost", cwd=d)
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", str(days), "-extfile", "ext", cwd=d)
    with open(os.path.join(d, "chain.pem"), "wb") as out:
        for part in (f"{name}.pem", "ca.pem"):
            out.write(open(os.path.join(d, part), "rb").read())
    if name != "srv":
        os.replace(os.path.join(d, f"{name}.key"), os.path.join(d, "srv.key"))
    return serial_of(os.path.join(d, f"{name}.pem"))


def serial_of(pem):
    out = openssl("x509", "-in", pem, "-noout", "-serial").stdout.decode()
    return out.strip().split("=", 1)[1]


def site():
    return lib.make_site({"index.html": b"<h1>secure</h1>\n", "a.txt": b"plain text file\n",
                          "big.bin": os.urandom(3 << 20)})


def tls_server(root, d, extra=()):
    return lib.Server(root=root, args=["--tls-cert", os.path.join(d, "chain.pem"),
                                       "--tls-key", os.path.join(d, "srv.key"), *extra])


def client_ctx(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = True
    return ctx


def tls_connect(port, ca, alpn=None, version=None):
    ctx = client_ctx(ca)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def read_until_close(s, timeout=5):
    s.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ssl.SSLError, ConnectionResetError):
            break
        if not chunk:
            break
        data += chunk
    return data


REQ = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def s_client(port, ca, *args, stdin=REQ):
    """Runs openssl s_client through one request, until the server closes
    (so the session details, printed after the tickets, are complete)."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", ca,
                        "-servername", "localhost", "-ign_eof", *args],
                       input=stdin, capture_output=True, timeout=20)
    return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def test_curl_over_https_byte_exact():
    root = site()
    d, ca, _, _ = make_pki()
    with tls_server(root, d) as s:
        url = f"https://localhost:{s.port}"
        r = lib.curl("--http1.1", "--cacert", ca, "-D", "-", f"{url}/a.txt")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(b"HTTP/1.1 200"), r.stdout[:200]
        assert r.stdout.endswith(b"\r\n\r\nplain text file\n")
        r = lib.curl("--cacert", ca, f"{url}/big.bin")
        assert r.returncode == 0 and r.stdout == open(os.path.join(root, "big.bin"), "rb").read()
        r = lib.curl("--cacert", ca, "-r", "1000-1999", f"{url}/big.bin")
        assert r.stdout == open(os.path.join(root, "big.bin"), "rb").read()[1000:2000]
        # Without the CA the certificate is refused: the test is not vacuous.
        r = lib.curl(f"{url}/a.txt")
        assert r.returncode == 60, (r.returncode, r.stderr)
        # Two requests, one connection.
        r = lib.curl("--cacert", ca, "-o", "/dev/null", "-o", "/dev/null", "-w",
                     "%{num_connects}\n", f"{url}/a.txt", f"{url}/index.html")
        assert r.stdout.split() == [b"1", b"0"], r.stdout
    assert "TLS 1.2/1.3" in s.out and "kernel TLS" in s.out, s.out


def test_protocols_alpn_and_verification():
    root = site()
    d, ca, _, _ = make_pki()
    with tls_server(root, d) as s:
        # ALPN: h2 is preferred when offered (test_http2.py speaks it);
        # a client offering HTTP/1.1 alone gets it.
        out = s_client(s.port, ca, "-alpn", "h2,http/1.1", stdin=b"")
        assert "ALPN protocol: h2" in out, out
        out = s_client(s.port, ca, "-alpn", "http/1.1")
        assert "ALPN protocol: http/1.1" in out, out
        assert "plain text file" in out, out
        assert "Verify return code: 0 (ok)" in out, out
        assert re.search(r"Protocol\s*:\s*TLSv1\.3", out), out
        out = s_client(s.port, ca, "-tls1_2")
        assert re.search(r"Protocol\s*:\s*TLSv1\.2", out), out
        assert re.search(r"Cipher\s*:\s*ECDHE-", out), out
        for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            try:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.minimum_version = ctx.maximum_version = old
                ctx.set_ciphers("ALL:@SECLEVEL=0")
                ctx.load_verify_locations(ca)
                with ctx.wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=5),
                                     server_hostname="localhost"):
                    pass
                raise AssertionError(f"{old} was accepted")
            except (ssl.SSLError, ConnectionResetError, OSError) as e:
                assert "was accepted" not in str(e)
        # A client offering only h2 gets it; one offering neither gets
        # HTTP/1.1 without ALPN.
        with tls_connect(s.port, ca, alpn=["h2"]) as t:
            assert t.selected_alpn_protocol() == "h2"
        with tls_connect(s.port, ca, alpn=["spdy/3"]) as t:
            assert t.selected_alpn_protocol() is None
            t.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert read_until_close(t).startswith(b"HTTP/1.1 200")
    # With --no-http2, h2 is not offered: HTTP/1.1 is chosen.
    with tls_server(root, d, extra=["--no-http2"]) as s:
        out = s_client(s.port, ca, "-alpn", "h2,http/1.1")
        assert "ALPN protocol: http/1.1" in out and "plain text file" in out, out
        with tls_connect(s.port, ca, alpn=["h2"]) as t:
            assert t.selected_alpn_protocol() is None


def test_session_resumption():
    root = site()
    d, ca, _, _ = make_pki()
    sess = os.path.join(d, "sess")
    with tls_server(root, d) as s:
        out = s_client(s.port, ca, "-tls1_2", "-sess_out", sess)
        assert "New, TLSv1.2" in out, out
        out = s_client(s.port, ca, "-tls1_2", "-sess_in", sess)
        assert "Reused, TLSv1.2" in out, out
        # TLS 1.3 tickets arrive after the handshake, before the response.
        s_client(s.port, ca, "-sess_out", sess + "13")
        out = s_client(s.port, ca, "-sess_in", sess + "13")
        assert "Reused, TLSv1.3" in out, out


def test_pipelined_and_keep_alive_over_tls():
    root = site()
    d, ca, _, _ = make_pki()
    with tls_server(root, d) as s:
        with tls_connect(s.port, ca) as t:
            t.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
                      b"HEAD /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
                      b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            got, _ = lib.parse_seq(read_until_close(t), ["GET", "HEAD", "GET"])
            assert [r.status for r in got] == [200, 200, 200], got
            assert got[0].body == b"plain text file\n" and got[2].body == b"<h1>secure</h1>\n"
        # A request body with Expect: 100-continue.
        with tls_connect(s.port, ca) as t:
            t.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                      b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
            t.settimeout(5)
            first = t.recv(4096)
            assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first
            t.sendall(b"hello")
            rest = first[25:] + read_until_close(t)
            assert rest.startswith(b"HTTP/1.1 200"), rest[:100]
        # One that will be refused gets its answer at once, not a 100.
        with tls_connect(s.port, ca) as t:
            t.sendall(b"POST /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                      b"Expect: 100-continue\r\n\r\n")
            t.settimeout(5)
            rest = read_until_close(t)
            assert rest.startswith(b"HTTP/1.1 501"), rest[:100]


def test_sighup_reloads_certificate_and_keeps_old_on_error():
    root = site()
    d, ca, chain, key = make_pki()
    first = serial_of(os.path.join(d, "srv.pem"))
    errlog = os.path.join(lib.tempdir(), "error.log")
    with tls_server(root, d, ["--error-log", errlog]) as s:
        def served_serial():
            out = subprocess.run(
                f"openssl s_client -connect 127.0.0.1:{s.port} -CAfile {ca} -servername localhost"
                f" </dev/null 2>/dev/null | openssl x509 -noout -serial",
                shell=True, capture_output=True, text=True, timeout=20).stdout
            return out.strip().split("=", 1)[-1]
        assert served_serial() == first
        # A keep-alive connection opened before the reload survives it.
        t = tls_connect(s.port, ca)
        t.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert lib.read_one(t)[0].status == 200
        # A broken certificate file: the old one stays, an error is logged.
        good = open(chain, "rb").read()
        with open(chain, "wb") as f:
            f.write(b"not a certificate\n")
        s.proc.send_signal(signal.SIGHUP)
        assert lib.wait_for(lambda: "TLS reload failed" in lib.read_text(errlog), 5)
        assert served_serial() == first
        assert lib.curl("--cacert", ca, f"https://localhost:{s.port}/a.txt").stdout == b"plain text file\n"
        with open(chain, "wb") as f:
            f.write(good)
        # A new certificate and key: new connections get it.
        second = issue(d, "srv2")
        assert second != first
        s.proc.send_signal(signal.SIGHUP)
        assert lib.wait_for(lambda: served_serial() == second, 5)
        t.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert lib.read_one(t)[0].status == 200
        t.close()


def test_redirect_http_to_https():
    root = site()
    d, ca, _, _ = make_pki()
    plain = lib.free_port()
    with tls_server(root, d, ["--redirect-http", str(plain)]) as s:
        r = lib.request(plain, "/a%20b/c.txt?x=1&y=2", headers={"Host": "localhost"})
        assert r.status == 308, r.raw_head
        assert r.header("location") == f"https://localhost:{s.port}/a%20b/c.txt?x=1&y=2", r.raw_head
        r = lib.request(plain, "/", method="HEAD", headers={"Host": "example.com:8080"})
        assert r.status == 308 and r.header("location") == f"https://example.com:{s.port}/"
        assert r.body == b""
        r = lib.request(plain, "/x", headers={"Host": "[::1]:80"})
        assert r.header("location") == f"https://[::1]:{s.port}/x", r.raw_head
        r = lib.request(plain, "/x", version="1.0", headers={"Host": None})
        assert r.status == 400, r.raw_head
        # curl follows it to the HTTPS port and gets the file.
        p = lib.curl("-L", "--cacert", ca, f"http://localhost:{plain}/a.txt")
        assert p.stdout == b"plain text file\n", p.stderr
    assert "redirecting plain HTTP" in s.out


def test_hostile_handshakes_do_not_block_the_loop():
    root = site()
    d, ca, _, _ = make_pki()
    with tls_server(root, d, ["--head-timeout", "2", "-t", "1"]) as s:
        # Plain HTTP gets a plain 400 that says what is wrong.
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        r, _ = lib.read_response(read_until_close(c, 5))
        c.close()
        assert r and r.status == 400 and b"HTTPS" in r.body, r and r.raw_head
        # Garbage and truncated ClientHellos: each connection is closed;
        # none stops the others.
        for junk in (b"\x00GET / HTTP/1.1\r\nHost: x\r\n\r\n", os.urandom(600),
                     b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(40),
                     b"\x16\x03\x01\xff\xff" + b"\x00" * 70000):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            try:
                c.sendall(junk)
            except OSError:
                pass
            got = read_until_close(c, 5)
            c.close()
            assert not got.startswith(b"HTTP/1.1 200"), got[:60]
        # 100 stalled handshakes on the only thread, and a real client
        # still gets through at once.
        stalled = []
        for _ in range(100):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc")
            stalled.append(c)
        t0 = time.monotonic()
        r = lib.curl("--cacert", ca, f"https://localhost:{s.port}/a.txt")
        assert r.stdout == b"plain text file\n" and time.monotonic() - t0 < 2, r.stderr
        # The handshake timeout closes them.
        def all_closed():
            for c in stalled:
                c.settimeout(0.01)
                try:
                    if c.recv(1) != b"":
                        return False
                except socket.timeout:
                    return False
                except OSError:
                    pass
            return True
        assert lib.wait_for(all_closed, 8), "stalled handshakes were not closed"
        for c in stalled:
            c.close()


def test_tls_options_checked():
    root = site()
    d, _, chain, key = make_pki()
    p = lib.run_server(["-d", root, "--tls-cert", chain])
    assert p.returncode == 2 and "--tls-key" in p.stderr, p.stderr
    p = lib.run_server(["-d", root, "--redirect-http", "8080"])
    assert p.returncode == 2 and "--redirect-http" in p.stderr, p.stderr
    # A key that does not belong to the certificate: a clear start-up error.
    other = lib.tempdir()
    openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
            os.path.join(other, "k.pem"))
    p = lib.run_server(["-d", root, "-p", str(lib.free_port()), "--tls-cert", chain,
                        "--tls-key", os.path.join(other, "k.pem")])
    assert p.returncode == 1 and "key does not match" in p.stderr, p.stderr
    p = lib.run_server(["-d", root, "-p", str(lib.free_port()), "--tls-cert",
                        os.path.join(d, "missing.pem"), "--tls-key", key])
    assert p.returncode == 1 and "missing.pem" in p.stderr, p.stderr
    v = lib.run_server(["--version"])
    assert " tls" in v.stdout, v.stdout


def small_sndbuf_shim():
    """Builds tests/shims/small_sndbuf.c (an LD_PRELOAD shim giving every
    accepted socket a 4 KiB send buffer); returns its path."""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "shims",
                       "small_sndbuf.c")
    out = os.path.join(lib.tempdir(), "small_sndbuf.so")
    p = subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", out, src, "-ldl"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return out


def test_continue_is_not_lost_behind_a_full_socket():
    # The 100 Continue goes out while the previous response fills the
    # socket: it must be sent whole, before the final response, over TLS
    # (where a half-done write must be finished first) and plain HTTP.
    root = lib.make_site({"a.txt": b"plain text file\n"})
    d, ca, _, _ = make_pki()
    env = {"LD_PRELOAD": small_sndbuf_shim(),
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    sizes = [2000 + 997 * i for i in range(40)]
    for i, n in enumerate(sizes):
        with open(os.path.join(root, f"f{i}.bin"), "wb") as f:
            f.write(bytes([65 + i % 26]) * n)
    for tls in (True, False):
        args = ["--tls-cert", os.path.join(d, "chain.pem"), "--tls-key",
                os.path.join(d, "srv.key")] if tls else []
        with lib.Server(root=root, args=args, env=env) as s:
            for i, n in enumerate(sizes):
                raw = socket.socket()
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
                raw.settimeout(10)
                raw.connect(("127.0.0.1", s.port))
                c = client_ctx(ca).wrap_socket(raw, server_hostname="localhost") if tls else raw
                c.sendall(f"GET /f{i}.bin HTTP/1.1\r\nHost: localhost\r\n\r\n".encode() +
                          b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                          b"Expect: 100-continue\r\nConnection: close\r\n\r\nhello")
                time.sleep(0.05)
                data = read_until_close(c)
                c.close()
                r, rest = lib.read_response(data)
                assert r and r.status == 200 and r.body == bytes([65 + i % 26]) * n, \
                    (tls, i, data[:120])
                assert rest.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), \
                    (tls, i, rest[:120])


def test_redirect_socket_from_the_service_manager():
    # systemd hands over the HTTPS socket and one named "redirect": the
    # redirect names the HTTPS socket's port, whatever -p says.
    root = site()
    d, ca, chain, key = make_pki()
    log = os.path.join(lib.tempdir(), "server.log")
    https, plain = socket.socket(), socket.socket()
    for s in (https, plain):
        s.bind(("127.0.0.1", 0))
        s.listen(16)
    try:
        script = (f'exec 3<&{https.fileno()} 4<&{plain.fileno()}; export LISTEN_PID=$$; '
                  'exec "$0" "$@"')
        cmd = ["sh", "-c", script, lib.SERVER, "-d", root, "--tls-cert", chain, "--tls-key", key,
               "--log-file", log]
        env = {"LISTEN_FDS": "2", "LISTEN_FDNAMES": "https:redirect"}
        with lib.CommandServer(cmd, lambda: "serving" in lib.read_text(log), env=env,
                               pass_fds=(https.fileno(), plain.fileno())):
            port = https.getsockname()[1]
            r = lib.request(plain.getsockname()[1], "/a.txt?q", headers={"Host": "localhost"})
            assert r.status == 308, r.raw_head
            assert r.header("location") == f"https://localhost:{port}/a.txt?q", r.raw_head
            p = lib.curl("--cacert", ca, f"https://localhost:{port}/a.txt")
            assert p.stdout == b"plain text file\n", p.stderr
            long_path = "/" + "x" * 6000
            r = lib.request(plain.getsockname()[1], long_path, headers={"Host": "localhost"})
            assert r.status == 414, r.raw_head
    finally:
        https.close()
        plain.close()


def test_reload_works_after_chroot():
    # The certificate's directory is kept open from start-up, so a reload
    # finds the files although their paths are outside the chroot.
    jail = lib.tempdir()
    os.chmod(jail, 0o755)
    root = os.path.join(jail, "site")
    os.mkdir(root)
    with open(os.path.join(root, "a.txt"), "w") as f:
        f.write("in the jail\n")
    d, ca, chain, key = make_pki()
    os.chmod(d, 0o755)
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    log = os.path.join(lib.tempdir(), "server.log")
    env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
    with lib.Server(root=root, args=["--chroot", jail, "-u", "nobody", "--tls-cert", chain,
                                     "--tls-key", key, "--log-file", log], env=env) as s:
        url = f"https://localhost:{s.port}/a.txt"
        assert lib.curl("--cacert", ca, url).stdout == b"in the jail\n"
        second = issue(d, "srv2")
        for f in os.listdir(d):
            os.chmod(os.path.join(d, f), 0o644)
        s.proc.send_signal(signal.SIGHUP)
        assert lib.wait_for(lambda: "TLS certificate and key reloaded" in lib.read_text(log), 5), \
            lib.read_text(log)
        out = subprocess.run(f"openssl s_client -connect 127.0.0.1:{s.port} -CAfile {ca} "
                             f"-servername localhost </dev/null 2>/dev/null | "
                             f"openssl x509 -noout -serial", shell=True, capture_output=True,
                             text=True, timeout=20).stdout
        assert out.strip().split("=", 1)[-1] == second, out
