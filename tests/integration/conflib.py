"""Helpers for the config-file tests (test_config_file, test_sites,
test_rules, test_proxy): YAML written by the test, the server started from
it with its log in a file, requests naming a Host, throwaway certificates
for named sites, and the access log read back by request. Builds on lib.py
and featlib.py, which it does not change."""
import json
import os
import re
import shutil
import socket
import subprocess
import time

import featlib as fl
import lib


def need_config():
    """Skips (lib.Skip) when the server was built without libyaml."""
    if "config-file" not in fl.features():
        raise lib.Skip("config-file not compiled in (server -V); the build needs libyaml-dev")


def q(s):
    """s as a YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(s)


def write(path, text):
    """Writes text to path in place (same inode when it exists)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def config(text, name="tern.yaml"):
    """A config file of its own folder holding text; returns its path."""
    return write(os.path.join(lib.tempdir(), name), text)


def check_config(path):
    """`server --check-config path`: CompletedProcess with text output."""
    return lib.run_server(["--check-config", path])


class ConfServer(lib.Server):
    """The server from a config file (-c FILE) on a free loopback port (-p
    on the command line wins over the file), its access and error log in a
    file of its own folder, read while it runs."""

    def __init__(self, conf, args=(), env=None):
        self.conf = conf
        self.log = os.path.join(lib.tempdir(), "server.log")
        super().__init__(args=["-c", conf, "--log-file", self.log, *args], env=env)

    def log_text(self):
        return lib.read_text(self.log)

    def wait_log(self, needle, timeout=5.0):
        return lib.wait_text(self.log, needle, timeout)

    def client_of(self, path, timeout=5.0):
        """The client address the access log gives for the request of path
        (a path the test used once); asserts one is logged in time."""
        got = lib.wait_for(lambda: log_client(self.log_text(), path), timeout)
        assert got, f"no access-log line for {path}: {self.log_text()[-3000:]}"
        return got


def log_client(text, path):
    """Client address of the access-log line for `GET path` (any protocol),
    or None."""
    for line in text.splitlines():
        m = lib.LOG_LINE.match(line)
        if m and re.fullmatch(r"GET " + re.escape(path) + r"( HTTP/\S+)?", m.group(3)):
            return m.group(2)
    return None


def get(port, path, host, headers=None, method="GET"):
    """One HTTP/1.1 request with Host: host (None: no Host field)."""
    h = {"Host": host}
    h.update(headers or {})
    return lib.request(port, path, method=method, headers=h)


def keepalive_get(sock, path, host, buf=b"", headers=None):
    """GET on an open keep-alive connection; returns (Response, leftover)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    r, rest = lib.read_one(sock, buf=buf)
    assert r is not None, f"no response to GET {path} (Host {host}) on the open connection"
    return r, rest


def not_listening(port):
    """True when nothing accepts connections on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        return True


# ---------------------------------------------------------------------------
# Certificates


def openssl(*args, cwd=None, stdin=None):
    p = subprocess.run(["openssl", *args], capture_output=True, cwd=cwd, timeout=60, input=stdin)
    assert p.returncode == 0, (args, p.stderr)
    return p


def need_openssl():
    if "tls" not in fl.features():
        raise lib.Skip("TLS not compiled in (server -V)")
    if not shutil.which("openssl"):
        raise lib.Skip("openssl(1) is needed for throwaway certificates (Debian package openssl)")


def self_signed(name, d=None):
    """A self-signed certificate (its own trust anchor) for the DNS name
    name; returns (cert, key) paths."""
    d = d or lib.tempdir()
    cert, key = os.path.join(d, f"{name}.pem"), os.path.join(d, f"{name}.key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
            "-addext", f"subjectAltName=DNS:{name}")
    return cert, key


PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----", re.S)


def pem_of(text):
    """The first certificate's base64 in text, whitespace removed."""
    m = PEM_RE.search(text)
    return re.sub(r"\s+", "", m.group(1)) if m else None


def presented_cert(port, servername=None):
    """The base64 of the certificate the server presents to openssl
    s_client with SNI servername (None: no SNI at all)."""
    sni = ["-servername", servername] if servername else ["-noservername"]
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *sni],
                       input=b"", capture_output=True, timeout=20)
    got = pem_of(p.stdout.decode(errors="replace"))
    assert got, f"s_client {sni} got no certificate: {p.stdout[-800:]!r} {p.stderr[-800:]!r}"
    return got


def cert_b64(path):
    return pem_of(open(path).read())


def wait_until(pred, timeout=5.0, what="condition"):
    """Polls pred() until true; asserts with what on timeout."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
