#!/usr/bin/env python3
"""Side-by-side load benchmark: bin/server against nginx (and h2o and
lighttpd where installed), same files, same machine, one run, interleaved
rounds, medians and ratios. Needs wrk and nginx (Debian: apt-get install
wrk nginx-light; optional peers: apt-get install h2o lighttpd). Installs
nothing itself. Writes a table to stdout and raw figures to bench/out/.

The server-bound part (--only server-bound) pins one worker of each server
(ours, nginx, h2o, caddy, and ours through a config file with sites, and with
rules: ours-site, ours-rules) to one core and the client to the other, and
runs HTTP/1.1 pipelined 16 deep (wrk) and HTTP/2 over h2c and TLS (h2load,
from nghttp2-client). A server or tool without a protocol is reported n/a."""
import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
CLK = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1
SERVER = os.path.join(TOP, "bin/server")  # --server PATH overrides


def die(msg):
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


FIXTURES = {"small.bin": 100, "index.html": 4096, "64k.bin": 65536,
            "1m.bin": 1 << 20, "100m.bin": 100 << 20}


def make_fixtures(root, count=5):
    """The first count fixture files (the same bytes whatever count is)."""
    rnd = random.Random(20251128)
    for name, size in list(FIXTURES.items())[:count]:
        path = os.path.join(root, name)
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 1 << 20)
                f.write(rnd.randbytes(n))
                left -= n
    os.chmod(root, 0o755)


def descendants(pid):
    """pid and all its descendants (nginx master + workers)."""
    out = [pid]
    try:
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except FileNotFoundError:
        kids = []
    for k in kids:
        out += descendants(int(k))
    return out


def cpu_seconds(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / CLK


def rss_kib(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


class Peer:
    name = "?"

    def __init__(self, root, work, logfile=None, tls=None):
        self.root = root
        self.work = work
        self.port = free_port()
        self.proc = None
        self.logfile = logfile
        self.tls = tls  # (certificate chain, key) for HTTPS, or None

    def start(self):
        self.proc = subprocess.Popen(self.cmd(), stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.work, f"{self.name}.err"), "ab"),
                                     cwd=self.work, start_new_session=True)
        if not wait_port(self.port):
            self.stop()
            die(f"{self.name} did not start (see {self.work}/{self.name}.err)")
        time.sleep(0.3)
        return self

    def pids(self):
        return descendants(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Ours(Peer):
    name = "ours"

    def cmd(self):
        c = [SERVER, "-p", str(self.port), "-a", "127.0.0.1",
             "-d", self.root, "-t", str(CPUS), "--keepalive-timeout", "120"]
        if self.logfile:
            c += ["--log-file", self.logfile]
        else:
            c += ["--access-log", "off"]
        if self.tls:
            c += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        return c


class Nginx(Peer):
    name = "nginx"

    def cmd(self):
        conf = os.path.join(self.work, f"nginx-{self.port}.conf")
        log = f"access_log {self.logfile};" if self.logfile else "access_log off;"
        ssl = ""
        if self.tls:
            # The same protocols, certificate and kernel TLS request as ours.
            ssl = (f"ssl_certificate {self.tls[0]}; ssl_certificate_key {self.tls[1]}; "
                   "ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:10m; "
                   "ssl_conf_command Options KTLS;")
        with open(conf, "w") as f:
            f.write(f"""
user root;
worker_processes {CPUS};
worker_rlimit_nofile 40000;
pid {self.work}/nginx-{self.port}.pid;
error_log {self.work}/nginx-error.log;
daemon off;
events {{ worker_connections 20000; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    {log}
    client_body_temp_path {self.work}/nginx-body;
    server {{
        listen 127.0.0.1:{self.port}{" ssl" if self.tls else ""};
        {ssl}
        root {self.root};
    }}
}}
""")
        return ["nginx", "-c", conf, "-p", self.work]


class H2o(Peer):
    name = "h2o"

    def cmd(self):
        conf = os.path.join(self.work, f"h2o-{self.port}.conf")
        log = f'access-log: "{self.logfile}"' if self.logfile else ""
        with open(conf, "w") as f:
            f.write(f"""
user: root
listen:
  host: 127.0.0.1
  port: {self.port}
num-threads: {CPUS}
max-connections: 20000
http1-request-timeout: 120
file.send-compressed: OFF
error-log: {self.work}/h2o-error.log
hosts:
  "default":
    paths:
      "/":
        file.dir: {self.root}
{log}
""")
        return ["h2o", "-c", conf]


class Lighttpd(Peer):
    name = "lighttpd"

    def cmd(self):
        conf = os.path.join(self.work, f"lighttpd-{self.port}.conf")
        log = (f'server.modules += ("mod_accesslog")\naccesslog.filename = "{self.logfile}"'
               if self.logfile else "")
        with open(conf, "w") as f:
            f.write(f"""
server.document-root = "{self.root}"
server.bind = "127.0.0.1"
server.port = {self.port}
server.max-fds = 20000
server.max-connections = 16000
server.max-keep-alive-idle = 120
server.max-keep-alive-requests = 1000000
server.errorlog = "{self.work}/lighttpd-error.log"
mimetype.assign = (".html" => "text/html", ".bin" => "application/octet-stream")
{log}
""")
        return ["lighttpd", "-D", "-f", conf]


WRK_RE = {
    "rps": re.compile(r"Requests/sec:\s+([\d.]+)"),
    "transfer": re.compile(r"Transfer/sec:\s+([\d.]+)(\w+)"),
    "requests": re.compile(r"(\d+) requests in"),
    "p50": re.compile(r"^\s+50%\s+([\d.]+)(\w+)", re.M),
    "p99": re.compile(r"^\s+99%\s+([\d.]+)(\w+)", re.M),
}
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "B": 1 / 2**20, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0}


def run_wrk(peer, path, conns, seconds, close=False, latency=False):
    url = f"{'https' if peer.tls else 'http'}://127.0.0.1:{peer.port}{path}"
    cmd = ["wrk", "-t", str(min(CPUS, conns)), "-c", str(conns), "-d", f"{seconds}s", "--timeout", "30s"]
    if close:
        cmd += ["-H", "Connection: close"]
    if latency:
        cmd.append("--latency")
    cmd.append(url)
    pids = peer.pids()
    c0 = cpu_seconds(pids)
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    c1 = cpu_seconds(pids)
    if "Non-2xx" in out or (re.search(r"Socket errors:.*", out) and not close):
        die(f"{peer.name} {path}: errors during the run:\n{out}")
    if close:
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        if m and (int(m.group(1)) or int(m.group(3)) or int(m.group(4))):
            die(f"{peer.name} {path}: socket errors with Connection: close:\n{out}")
    m = WRK_RE["rps"].search(out)
    if not m:
        die(f"{peer.name}: wrk printed no result:\n{out}")
    res = {"rps": float(m.group(1))}
    t = WRK_RE["transfer"].search(out)
    res["mbps"] = float(t.group(1)) * UNIT[t.group(2)] if t else 0.0
    n = int(WRK_RE["requests"].search(out).group(1))
    res["requests"] = n
    res["cpu_us_per_req"] = (c1 - c0) / n * 1e6 if n else 0.0
    for k in ("p50", "p99"):
        mm = WRK_RE[k].search(out)
        if mm:
            res[k + "_ms"] = float(mm.group(1)) * UNIT[mm.group(2)]
    return res


def idle_memory(peer, n):
    """RSS of the server with n idle keep-alive connections (each made one
    request), KiB per connection, and whether a normal request works then."""
    req = b"GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n"
    pids = peer.pids()
    before = rss_kib(pids)
    socks = []
    try:
        for start in range(0, n, 500):
            batch = []
            for _ in range(min(500, n - start)):
                s = socket.create_connection(("127.0.0.1", peer.port), timeout=10)
                batch.append(s)
            for s in batch:
                s.sendall(req)
            for s in batch:
                got = b""
                while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 100:
                    chunk = s.recv(4096)
                    if not chunk:
                        die(f"{peer.name}: idle connection closed during set-up")
                    got += chunk
                if not got.startswith(b"HTTP/1.1 200"):
                    die(f"{peer.name}: idle set-up request failed: {got[:80]!r}")
            socks += batch
        time.sleep(1.0)
        after = rss_kib(peer.pids())
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                            f"http://127.0.0.1:{peer.port}/index.html"], capture_output=True, text=True)
        ok = r.stdout == "200"
    finally:
        for s in socks:
            s.close()
    return {"rss_before_kib": before, "rss_after_kib": after,
            "kib_per_conn": (after - before) / n, "served_while_idle": ok}


WORKLOADS = [
    # name, path, connections, Connection: close, latency, metric
    ("small_c64", "/small.bin", 64, False, True, "rps"),
    ("small_c256", "/small.bin", 256, False, False, "rps"),
    ("index_4k", "/index.html", 64, False, False, "rps"),
    ("file_1m", "/1m.bin", 16, False, False, "mbps"),
    ("file_100m", "/100m.bin", 4, False, False, "mbps"),
    ("close_small", "/small.bin", 64, True, False, "rps"),
]


TLS_WORKLOADS = [
    # name, path, connections, metric (keep-alive: one handshake per connection)
    ("tls_small_c64", "/small.bin", 64, "rps"),
    ("tls_100m", "/100m.bin", 4, "mbps"),
]


def make_certificate(work):
    """A throwaway P-256 certificate for 127.0.0.1, made with openssl(1)."""
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


# Server-bound workloads: each server gets one worker pinned to SERVER_CORE and
# the load generator is pinned to CLIENT_CORE, so on a 2-core machine the
# server's core saturates first and the figures are the server's, not wrk's.
SERVER_CORE, CLIENT_CORE = "1", "0"
SB_CONNS, SB_PIPELINE, SB_STREAMS = 64, 16, 10
# Every TLS client offers only this suite, so every server encrypts alike.
SB_TLS13_CIPHER = "TLS_AES_128_GCM_SHA256"

SB_WORKLOADS = [
    # name, protocol (h1: wrk pipelined; h2c, h2: h2load over cleartext, TLS), path
    ("h1_pipe16_100B", "h1", "/small.bin"),
    ("h1_pipe16_4k", "h1", "/index.html"),
    ("h2c_100B", "h2c", "/small.bin"),
    ("h2c_4k", "h2c", "/index.html"),
    ("h2tls_100B", "h2", "/small.bin"),
    ("h2tls_4k", "h2", "/index.html"),
]

# wrk counts responses, so one write of 16 requests counts as 16.
PIPELINE_LUA = f"""
init = function(args)
  local r = {{}}
  for i = 1, {SB_PIPELINE} do r[i] = wrk.format() end
  req = table.concat(r)
end
request = function() return req end
"""


class Pinned:
    """A server for the server-bound workloads: one worker, pinned to
    SERVER_CORE, serving h1 and h2c on cleartext ports and h2 over TLS.
    ports maps a protocol to (port, the process serving it)."""
    name = "?"

    def __init__(self, root, work, cert):
        self.root, self.work, self.cert = root, work, cert
        self.procs = []
        self.ports = {}

    def launch(self, cmd, ports, env=None):
        err = os.path.join(self.work, f"pinned-{self.name}.err")
        proc = subprocess.Popen(["taskset", "-c", SERVER_CORE] + cmd, stdout=subprocess.DEVNULL,
                                stderr=open(err, "ab"), cwd=self.work, env=env,
                                start_new_session=True)
        self.procs.append(proc)
        for proto, port in ports.items():
            self.ports[proto] = (port, proc)
        for port in set(ports.values()):
            end = time.monotonic() + 10
            while proc.poll() is None and not wait_port(port, 0.2) and time.monotonic() < end:
                pass
            if proc.poll() is not None or not wait_port(port, 0.2):
                with open(err, errors="replace") as f:
                    tail = f.read()[-400:].strip()
                raise RuntimeError(f"did not listen on {port}: {tail}")

    def pids(self, proto):
        return descendants(self.ports[proto][1].pid)

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=15)
                except ProcessLookupError:
                    pass
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


class OursPinned(Pinned):
    """One event-loop thread (-t 1); h1 and h2c share the cleartext port."""
    name = "ours"

    def config(self):
        """Extra arguments (a config file) for the variants below."""
        return []

    def start(self):
        base = [SERVER, "-a", "127.0.0.1", "-d", self.root, "-t", "1",
                "--access-log", "off", "--keepalive-timeout", "120"] + self.config()
        plain, tls = free_port(), free_port()
        self.launch(base + ["-p", str(plain)], {"h1": plain, "h2c": plain})
        self.launch(base + ["-p", str(tls), "--tls-cert", self.cert[0], "--tls-key", self.cert[1]],
                    {"h2": tls})
        self.check(plain)

    def check(self, port):
        pass


def http_get(port, path, host="127.0.0.1"):
    """(status, {lower-case header: value}) of one HTTP/1.1 GET."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    lines = got.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = lines[0].split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    heads = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        heads[k.strip().lower()] = v.strip()
    return status, heads


# The rules of ours-rules: 20 that no benchmarked path meets, in front of one
# that every path meets; and, with netlify: true, a _headers and a _redirects
# that no benchmarked path meets either.
SB_RULES = "".join(
    f'      - match: /assets-{i}/**\n'
    f'        headers:\n'
    f'          set: {{ Cache-Control: "public, max-age=31536000, immutable" }}\n'
    f'      - match: /old-{i}/**\n'
    f'        redirect: /new-{i}/$1\n'
    f'        status: 301\n' for i in range(1, 11)) + """\
      - match: /**
        headers:
          set: { X-Frame-Options: DENY }
"""
SB_NETLIFY_HEADERS = "".join(
    f"/static-{i}/*\n  Cache-Control: public, max-age=31536000, immutable\n  X-Block: {i}\n\n"
    for i in range(1, 5))
SB_NETLIFY_REDIRECTS = "".join(
    f"/blog-{i}/*  /news-{i}/:splat  301\n" if i % 2 else f"/posts-{i}/:year/:slug  /p/:year/:slug  302\n"
    for i in range(1, 21))


class OursSitePinned(OursPinned):
    """ours through a config file (-c) with two sites: the served one lists
    127.0.0.1 (the Host wrk and h2load send, compared without the port) and
    is the default; the other one never gets a request. No rules."""
    name = "ours-site"
    rules = ""

    def root_for_config(self):
        return self.root

    def config(self):
        other = os.path.join(self.work, "root-other-site")
        os.makedirs(other, exist_ok=True)
        with open(os.path.join(other, "index.html"), "w") as f:
            f.write("<p>the other site</p>\n")
        conf = os.path.join(self.work, f"{self.name}.yaml")
        with open(conf, "w") as f:
            f.write(f"""sites:
  - hosts: ["127.0.0.1", localhost]
    default: true
    root: {json.dumps(self.root_for_config())}
{self.rules}  - hosts: [other.example, www.other.example]
    root: {json.dumps(other)}
""")
        return ["-c", conf]

    def check(self, port):
        status, heads = http_get(port, "/small.bin")
        if status != 200:
            raise RuntimeError(f"GET /small.bin with the config file: {status} {heads}")


class OursRulesPinned(OursSitePinned):
    """ours-site plus SB_RULES and netlify: true, in a root of its own (a copy
    of the benchmarked files, with _headers and _redirects) so that the other
    servers' root stays as it was."""
    name = "ours-rules"
    rules = "    netlify: true\n    rules:\n" + SB_RULES

    def root_for_config(self):
        root = os.path.join(self.work, "root-rules")
        os.makedirs(root, exist_ok=True)
        os.chmod(root, 0o755)
        for (_, _, path) in SB_WORKLOADS:
            shutil.copyfile(os.path.join(self.root, path.lstrip("/")), os.path.join(root, path.lstrip("/")))
        for name, text in (("_headers", SB_NETLIFY_HEADERS), ("_redirects", SB_NETLIFY_REDIRECTS)):
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        return root

    def check(self, port):
        # The rules are in force (not silently ignored), and the benchmarked
        # paths meet only the /** one.
        for path, want, head, value in (
                ("/small.bin", 200, "x-frame-options", "DENY"),
                ("/index.html", 200, "x-frame-options", "DENY"),
                ("/old-7/a/b", 301, "location", "/new-7/a/b"),
                ("/blog-3/x", 301, "location", "/news-3/x")):
            status, heads = http_get(port, path)
            if status != want or not heads.get(head, "").endswith(value):
                raise RuntimeError(f"GET {path}: want {want} with {head}: {value}, got {status} {heads}")
            if want == 200 and "immutable" in heads.get("cache-control", ""):
                raise RuntimeError(f"GET {path} met a rule it should not: {heads}")


class NginxPinned(Pinned):
    """worker_processes 1; nginx 1.22 speaks only h2c on a `listen ... http2`
    cleartext port, so HTTP/1.1 gets a port of its own. sendfile off: with
    sendfile and tcp_nopush, pipelined small responses wait on TCP_CORK and
    nginx idles (23k req/s at a quarter of its core, against 75k without)."""
    name = "nginx"

    def start(self):
        h1, h2c, tls = free_port(), free_port(), free_port()
        conf = os.path.join(self.work, "pinned-nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
user root;
worker_processes 1;
worker_rlimit_nofile 40000;
pid {self.work}/pinned-nginx.pid;
error_log {self.work}/pinned-nginx-error.log;
daemon off;
events {{ worker_connections 20000; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile off;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    access_log off;
    client_body_temp_path {self.work}/nginx-body;
    server {{
        listen 127.0.0.1:{h1};
        listen 127.0.0.1:{h2c} http2;
        listen 127.0.0.1:{tls} ssl http2;
        ssl_certificate {self.cert[0]};
        ssl_certificate_key {self.cert[1]};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:10m;
        ssl_conf_command Options KTLS;
        root {self.root};
    }}
}}
""")
        self.launch(["nginx", "-c", conf, "-p", self.work], {"h1": h1, "h2c": h2c, "h2": tls})


class H2oPinned(Pinned):
    """num-threads: 1; h1 and h2c share the cleartext port."""
    name = "h2o"

    def start(self):
        plain, tls = free_port(), free_port()
        conf = os.path.join(self.work, "pinned-h2o.conf")
        with open(conf, "w") as f:
            f.write(f"""
user: root
listen:
  host: 127.0.0.1
  port: {plain}
listen:
  host: 127.0.0.1
  port: {tls}
  ssl:
    certificate-file: {self.cert[0]}
    key-file: {self.cert[1]}
    minimum-version: TLSv1.2
    ocsp-update-interval: 0
num-threads: 1
max-connections: 20000
http1-request-timeout: 120
file.send-compressed: OFF
error-log: {self.work}/pinned-h2o-error.log
hosts:
  "default":
    paths:
      "/":
        file.dir: {self.root}
""")
        self.launch(["h2o", "-c", conf], {"h1": plain, "h2c": plain, "h2": tls})


class CaddyPinned(Pinned):
    """GOMAXPROCS=1; h2c must be asked for (protocols h1 h2 h2c), HTTPS uses the
    bench's certificate (tls cert key) with automatic HTTPS off."""
    name = "caddy"

    def start(self):
        plain, tls = free_port(), free_port()
        conf = os.path.join(self.work, "pinned-Caddyfile")
        site = f"bind 127.0.0.1\n\troot * {self.root}\n\tfile_server"
        with open(conf, "w") as f:
            f.write(f"""{{
\tadmin off
\tauto_https off
\tservers {{
\t\tprotocols h1 h2 h2c
\t}}
}}
http://127.0.0.1:{plain} {{
\t{site}
}}
https://127.0.0.1:{tls} {{
\ttls {self.cert[0]} {self.cert[1]}
\t{site}
}}
""")
        env = dict(os.environ, GOMAXPROCS="1", HOME=self.work,
                   XDG_DATA_HOME=self.work, XDG_CONFIG_HOME=self.work)
        self.launch(["caddy", "run", "--config", conf, "--adapter", "caddyfile"],
                    {"h1": plain, "h2c": plain, "h2": tls}, env)


SB_SERVERS = [("ours", OursPinned, None), ("ours-site", OursSitePinned, None),
              ("ours-rules", OursRulesPinned, None), ("nginx", NginxPinned, "nginx"),
              ("h2o", H2oPinned, "h2o"), ("caddy", CaddyPinned, "caddy")]

H2LOAD_RE = {
    "rps": re.compile(r"^finished in [\d.]+\w+, ([\d.]+) req/s", re.M),
    "requests": re.compile(r"^requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, "
                           r"(\d+) failed, (\d+) errored, (\d+) timeout", re.M),
    "status": re.compile(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", re.M),
    "proto": re.compile(r"^Application protocol: (\S+)", re.M),
    "cipher": re.compile(r"^Cipher: (\S+)", re.M),
    "data": re.compile(r"^traffic: .*, [\d.]+\w+ \((\d+)\) data", re.M),
}
WRK_READ_RE = re.compile(r"\d+ requests in [\d.]+\w+, ([\d.]+)(\w+) read")


def sb_command(server, proto, path, seconds, lua, conns=SB_CONNS):
    port = server.ports[proto][0]
    url = f"{'https' if proto == 'h2' else 'http'}://127.0.0.1:{port}{path}"
    if proto == "h1":
        cmd = ["wrk", "-t", "1", "-c", str(conns), "-d", f"{seconds}s", "--timeout", "30s",
               "-s", lua, url]
    else:
        cmd = ["h2load", "-t", "1", "-c", str(conns), "-m", str(SB_STREAMS), "-D", str(seconds), url]
        if proto == "h2":
            cmd[1:1] = ["--npn-list", "h2", "--tls13-ciphers", SB_TLS13_CIPHER]
    return ["taskset", "-c", CLIENT_CORE] + cmd


class NoProtocol(ValueError):
    """The server does not speak the protocol: n/a, where other errors FAIL."""


def parse_h2load(out, proto, size):
    """(requests succeeded, req/s), or raise NoProtocol when the server lacks
    the protocol and ValueError when requests failed."""
    if "No protocol negotiated" in out:
        raise NoProtocol("no h2: TLS works but ALPN did not select h2")
    p = H2LOAD_RE["proto"].search(out)
    if not p or p.group(1) != proto:
        raise NoProtocol(f"no {proto}: h2load negotiated {p.group(1) if p else 'nothing'}")
    m, st, rps = H2LOAD_RE["requests"].search(out), H2LOAD_RE["status"].search(out), \
        H2LOAD_RE["rps"].search(out)
    if not (m and st and rps):
        raise ValueError(f"h2load printed no result: {out[-300:]}")
    ok, failed, errored, timeout = (int(x) for x in m.groups())
    if not (ok or failed or errored or timeout):
        # h2c is sent with prior knowledge: an HTTP/1.1-only server answers
        # the connection preface with an HTTP/1.1 error, never with a frame.
        raise NoProtocol(f"no {proto}: not one HTTP/2 response in the run")
    if failed or errored or timeout or int(st.group(3)) or int(st.group(4)):
        raise ValueError(f"{ok} succeeded, {failed} failed, {errored} errored, {timeout} timeout, "
                         f"{st.group(3)} 4xx, {st.group(4)} 5xx")
    data = H2LOAD_RE["data"].search(out)
    if not data or int(data.group(1)) < ok * size:
        raise ValueError(f"{ok} responses but {data.group(1) if data else 'no'} bytes of bodies")
    return ok, float(rps.group(1))


def parse_wrk(out, size):
    """(responses, req/s), or raise ValueError on non-2xx answers, socket errors
    or fewer bytes read than the responses' bodies."""
    if "Non-2xx" in out or "Socket errors" in out:
        raise ValueError("errors during the run: " + " ".join(out.split())[-300:])
    rps, n, read = WRK_RE["rps"].search(out), WRK_RE["requests"].search(out), WRK_READ_RE.search(out)
    if not (rps and n and read):
        raise ValueError(f"wrk printed no result: {out[-300:]}")
    if float(read.group(1)) * UNIT[read.group(2)] * 2**20 < 0.99 * int(n.group(1)) * size:
        raise ValueError(f"{n.group(1)} responses but only {read.group(1)}{read.group(2)} read")
    return int(n.group(1)), float(rps.group(1))


def sb_run(server, proto, path, seconds, lua, conns=SB_CONNS):
    """One pinned run: req/s, server CPU per request, and how busy each core was."""
    pids = server.pids(proto)
    c0, k0, t0 = cpu_seconds(pids), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    try:
        r = subprocess.run(sb_command(server, proto, path, seconds, lua, conns), capture_output=True,
                           text=True, timeout=seconds + 30)
        out = r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        out = (out if isinstance(out, str) else out.decode(errors="replace")) + " (client timed out)"
    c1, k1, wall = cpu_seconds(pids), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic() - t0
    status = server.ports[proto][1].poll()
    if status is not None:  # so a crash is a FAIL, never "no h2"
        raise ValueError(f"the server exited with status {status}")
    size = FIXTURES[path.lstrip("/")]
    n, rps = parse_wrk(out, size) if proto == "h1" else parse_h2load(out, proto, size)
    client = (k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime)
    res = {"rps": rps, "requests": n, "cpu_us_per_req": (c1 - c0) / n * 1e6,
           "server_core_pct": (c1 - c0) / wall * 100, "client_core_pct": client / wall * 100}
    c = H2LOAD_RE["cipher"].search(out)
    if c:
        res["cipher"] = c.group(1)
    return res


def server_bound(root, work, names, selected, seconds, rounds):
    """Runs the selected SB_WORKLOADS on every server in names, interleaved,
    rounds x seconds each. Returns (runs, na): runs[server][workload] is a list
    of sb_run results; na[server][workload] says why a cell was not measured."""
    runs = {n: {} for n in names}
    na = {n: {} for n in names}
    if CPUS < 2 or not shutil.which("taskset"):
        for n in names:
            na[n] = {w[0]: "needs 2 cores and taskset (util-linux)" for w in selected}
        return runs, na
    cert = make_certificate(work)
    lua = os.path.join(work, "pipeline.lua")
    with open(lua, "w") as f:
        f.write(PIPELINE_LUA)
    servers = []
    try:
        for name, cls, binary in SB_SERVERS:
            if name not in names:
                continue
            if binary and not shutil.which(binary):
                why = f"{binary} not installed"
            else:
                s = cls(root, work, cert)
                try:
                    s.start()
                    servers.append(s)
                    continue
                except RuntimeError as e:
                    s.stop()
                    why = f"FAIL: did not start: {e}"
            for w in selected:
                na[name][w[0]] = why
            print(f"server-bound: {name}: n/a ({why})", flush=True)
        for tool, proto in (("wrk", "h1"), ("h2load", "h2c"), ("h2load", "h2")):
            if not shutil.which(tool):
                for s in servers:
                    for w in selected:
                        if w[1] == proto:
                            na[s.name][w[0]] = f"{tool} not installed"
        # A short probe per server and protocol: it warms the server up, and a
        # server without the protocol is reported as n/a instead of measured;
        # any other error is a FAIL.
        for s in servers:
            for proto in sorted({w[1] for w in selected}):
                cells = [w[0] for w in selected if w[1] == proto and w[0] not in na[s.name]]
                if not cells:
                    continue
                try:
                    sb_run(s, proto, "/small.bin", 1, lua, conns=4)
                except ValueError as e:
                    why = str(e) if isinstance(e, NoProtocol) else f"FAIL: probe: {e}"
                    for c in cells:
                        na[s.name][c] = why
                    print(f"server-bound: {s.name} {proto}: {why}", flush=True)
        for rnd in range(rounds):
            for (name, proto, path) in selected:
                for s in servers:  # interleaved, as the other workloads
                    if name in na[s.name]:
                        continue
                    try:
                        r = sb_run(s, proto, path, seconds, lua)
                    except ValueError as e:
                        # Reported as FAIL, and the bench exits 1; earlier rounds are dropped.
                        na[s.name][name] = f"FAIL: {e}"
                        runs[s.name].pop(name, None)
                        print(f"round {rnd + 1} {name:15s} {s.name:10s} FAIL: {e}", flush=True)
                        continue
                    runs[s.name].setdefault(name, []).append(r)
                    print(f"round {rnd + 1} {name:15s} {s.name:10s} {r['rps']:10.0f} req/s "
                          f"{r['cpu_us_per_req']:7.2f} us CPU/req  cores: server "
                          f"{r['server_core_pct']:3.0f}% client {r['client_core_pct']:3.0f}%", flush=True)
    finally:
        for s in servers:
            s.stop()
    return runs, na


def sb_summarize(runs, na, names, selected):
    s = {}
    for (w, proto, path) in selected:
        row = {}
        for n in names:
            if n in na and w in na[n]:
                row[n] = {"na": na[n][w]}
            elif runs.get(n, {}).get(w):
                rr = runs[n][w]
                row[n] = {k: med(rr, k) for k in
                          ("rps", "cpu_us_per_req", "server_core_pct", "client_core_pct")}
                if "cipher" in rr[0]:
                    row[n]["cipher"] = rr[0]["cipher"]
        s[w] = row
    return s


def sb_print(s, names, stamp, seconds, rounds):
    peers = [n for n in ("h2o", "nginx", "caddy") if n in names]
    # Ours through a config file, against plain ours: variant/ours.
    variants = [n for n in ("ours-site", "ours-rules") if n in names]
    # (numerator, denominator) of each ratio column.
    pairs = [("ours", p) for p in peers] + [(v, "ours") for v in variants]
    print(f"\nServer-bound, {stamp}: one server worker on core {SERVER_CORE}, the client on core "
          f"{CLIENT_CORE}; {SB_CONNS} connections, HTTP/1.1 pipelined {SB_PIPELINE} deep (wrk), "
          f"HTTP/2 {SB_STREAMS} streams each (h2load); medians of {rounds} x {seconds} s")
    print(f"{'workload':22s}" + "".join(f"{n:>11s}" for n in names)
          + "".join(f"{a + '/' + b:>{max(12, len(a + b) + 2)}s}" for a, b in pairs))

    def cells(row, key, fmt):
        out = ""
        for n in names:
            c = row.get(n, {})
            if "na" in c or key not in c:
                out += f"{'FAIL' if c.get('na', '').startswith('FAIL') else 'n/a':>11s}"
            else:
                out += f"{c[key]:{fmt}}"
        return out

    def ratios(row, key):
        out = ""
        for a, b in pairs:
            x, y = row.get(a, {}).get(key), row.get(b, {}).get(key)
            width = max(12, len(a + b) + 2)
            out += f"{x / y:{width}.2f}" if x and y else f"{'n/a':>{width}s}"
        return out

    for w, row in s.items():
        print(f"{w + ' req/s':22s}" + cells(row, "rps", "11.0f") + ratios(row, "rps"))
        print(f"{'  CPU us/req':22s}" + cells(row, "cpu_us_per_req", "11.2f")
              + ratios(row, "cpu_us_per_req"))
        print(f"{'  server core %':22s}" + cells(row, "server_core_pct", "11.0f"))
        print(f"{'  client core %':22s}" + cells(row, "client_core_pct", "11.0f"))
    # One line for the cost of a config file, sites and rules: the geometric
    # mean of variant/ours over the workloads where both were measured.
    summary = []
    for v in variants:
        for key, label in (("rps", "req/s"), ("cpu_us_per_req", "CPU us/req")):
            rs = [row[v][key] / row["ours"][key] for row in s.values()
                  if row.get(v, {}).get(key) and row.get("ours", {}).get(key)]
            if rs:
                gm = statistics.geometric_mean(rs)
                summary.append(f"{v}/ours {label} {gm:.3f} ({min(rs):.2f}-{max(rs):.2f}, {len(rs)} workloads)")
    if summary:
        print("rules: " + "; ".join(summary))
    reasons = {}
    for w, row in s.items():
        for n in names:
            if "na" in row.get(n, {}):
                reasons.setdefault((n, row[n]["na"]), []).append(w)
    for (n, why), ws in reasons.items():
        print(f"{'' if why.startswith('FAIL') else 'n/a: '}{n} {', '.join(ws)}: {why}")
    busy = [(w, n) for w, row in s.items() for n, c in row.items()
            if "rps" in c and c["server_core_pct"] < 80 and c["client_core_pct"] < 80]
    if busy:
        print(f"note: in {len(busy)} cells neither core was 80% busy, so other work on the "
              "machine took time from the run: compare CPU us/req there, not req/s")
    ciphers = {n: c for row in s.values() for n, c in
               ((n, row.get(n, {}).get("cipher")) for n in names) if c}
    if ciphers:
        print("TLS: " + ", ".join(sorted(set(ciphers.values()))) + " (h2load offers only "
              + SB_TLS13_CIPHER + ")")


def main():
    global SERVER
    classic = [w[0] for w in WORKLOADS] + ["idle_memory", "log_on", "tls"]
    newer = [w[0] for w in SB_WORKLOADS]
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 5)))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    ap.add_argument("--sb-seconds", type=int, default=int(os.environ.get("BENCH_SB_SECONDS", 4)),
                    help="seconds per server-bound run")
    ap.add_argument("--idle", type=int, default=10000, help="idle connections for the memory run")
    ap.add_argument("--only", default="", help="comma-separated workloads or groups: "
                    + ",".join(classic + ["server-bound"] + newer))
    ap.add_argument("--peers", default="nginx,h2o,lighttpd,caddy,ours-site,ours-rules",
                    help="optional peers; ours-site and ours-rules (ours through a config file "
                    "with sites, and with rules) run in the server-bound part only")
    ap.add_argument("--server", default=SERVER, help="our server binary (default bin/server)")
    args = ap.parse_args()
    SERVER = os.path.abspath(args.server)

    only = set(args.only.split(",")) if args.only else None
    unknown = (only or set()) - set(classic + newer + ["server-bound"])
    if unknown:
        die(f"unknown workload {', '.join(sorted(unknown))} (see --help)")
    selected_sb = [w for w in SB_WORKLOADS if not only or "server-bound" in only or w[0] in only]
    run_classic = not only or bool(only & set(classic))
    peer_list = args.peers.split(",")

    if not os.path.exists(SERVER):
        die(f"{SERVER} is missing: run make first")
    tools = (("wrk", "wrk"), ("nginx", "nginx-light")) if run_classic else ()
    for tool, pkg in tools:
        if not shutil.which(tool):
            die(f"{tool} is missing: apt-get install {pkg}")
    classes = [Ours, Nginx]
    for name, cls in (("h2o", H2o), ("lighttpd", Lighttpd)):
        if name in peer_list and shutil.which(name):
            classes.append(cls)

    work = tempfile.mkdtemp(prefix="bench-")
    os.chmod(work, 0o755)
    root = os.path.join(work, "root")
    os.mkdir(root)
    os.mkdir(os.path.join(work, "nginx-body"))
    make_fixtures(root, 5 if run_classic else 2)
    results = {c.name: {} for c in classes}
    peers = []
    try:
        if not only or only & (set(classic) - {"log_on", "tls"}):
            peers = [c(root, work).start() for c in classes]
        for rnd in range(args.rounds):
            for (name, path, conns, close, lat, _) in WORKLOADS:
                if only and name not in only:
                    continue
                for p in peers:  # interleaved: A B C A B C ...
                    r = run_wrk(p, path, conns, args.seconds, close, lat)
                    results[p.name].setdefault(name, []).append(r)
                    print(f"round {rnd + 1} {name:12s} {p.name:9s} {r['rps']:10.0f} req/s "
                          f"{r['mbps']:9.1f} MB/s {r['cpu_us_per_req']:7.1f} us CPU/req", flush=True)
        if not only or "idle_memory" in only:
            for p in peers:
                results[p.name]["idle_memory"] = idle_memory(p, args.idle)
                print(f"idle {p.name}: {results[p.name]['idle_memory']}", flush=True)
        for p in peers:
            p.stop()
        # Workload 7: access log on, ours and nginx.
        if not only or "log_on" in only:
            for cls in (Ours, Nginx):
                for rnd in range(args.rounds):
                    p = cls(root, work, logfile=os.path.join(work, f"{cls.name}-access.log")).start()
                    r = run_wrk(p, "/small.bin", 64, args.seconds)
                    p.stop()
                    results[cls.name].setdefault("log_on", []).append(r)
                    print(f"round {rnd + 1} log_on       {cls.name:9s} {r['rps']:10.0f} req/s", flush=True)
        # Workload 8: HTTPS with the same certificate, ours and nginx.
        if not only or "tls" in only:
            cert = make_certificate(work)
            tls_peers = [cls(root, work, tls=cert).start() for cls in (Ours, Nginx)]
            try:
                for rnd in range(args.rounds):
                    for (name, path, conns, metric) in TLS_WORKLOADS:
                        for p in tls_peers:
                            r = run_wrk(p, path, conns, args.seconds)
                            results[p.name].setdefault(name, []).append(r)
                            print(f"round {rnd + 1} {name:12s} {p.name:9s} {r['rps']:10.0f} req/s "
                                  f"{r['mbps']:9.1f} MB/s", flush=True)
            finally:
                for p in tls_peers:
                    p.stop()
        # Workloads 9-14: server-bound, one pinned worker per server.
        if selected_sb:
            sb_names = ["ours"] + [n for n in ("ours-site", "ours-rules", "nginx", "h2o", "caddy")
                                   if n in peer_list]
            sb_runs, sb_na = server_bound(root, work, sb_names, selected_sb, args.sb_seconds, args.rounds)
    finally:
        for p in peers:
            p.stop()

    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if run_classic:
        summary = summarize(results, [c.name for c in classes])
        with open(os.path.join(HERE, "out", "results.json"), "w") as f:
            json.dump({"date": stamp, "cpus": CPUS, "seconds": args.seconds, "rounds": args.rounds,
                       "raw": results, "summary": summary}, f, indent=1)
        print_table(summary, [c.name for c in classes], stamp)
    if selected_sb:
        sb = sb_summarize(sb_runs, sb_na, sb_names, selected_sb)
        with open(os.path.join(HERE, "out", "server_bound.json"), "w") as f:
            json.dump({"date": stamp, "cpus": CPUS, "seconds": args.sb_seconds, "rounds": args.rounds,
                       "server_core": SERVER_CORE, "client_core": CLIENT_CORE,
                       "raw": sb_runs, "na": sb_na, "summary": sb}, f, indent=1)
        sb_print(sb, sb_names, stamp, args.sb_seconds, args.rounds)
    if selected_sb and any(v.startswith("FAIL") for n in sb_na.values() for v in n.values()):
        die(f"server-bound: a run failed (FAIL above); the servers' logs are in {work}")
    shutil.rmtree(work, ignore_errors=True)


def med(runs, key):
    vals = [r[key] for r in runs if key in r]
    return statistics.median(vals) if vals else None


def summarize(results, names):
    s = {}
    extra = [("log_on", "", 0, False, False, "rps")] + [
        (n, p, c, False, False, m) for (n, p, c, m) in TLS_WORKLOADS]
    for (name, _, _, _, lat, metric) in WORKLOADS + extra:
        row = {}
        for n in names:
            runs = results[n].get(name)
            if not runs:
                continue
            row[n] = {"value": med(runs, metric), "metric": metric,
                      "cpu_us_per_req": med(runs, "cpu_us_per_req")}
            if lat:
                row[n]["p50_ms"] = med(runs, "p50_ms")
                row[n]["p99_ms"] = med(runs, "p99_ms")
        if row:
            s[name] = row
    mem = {n: results[n]["idle_memory"] for n in names if "idle_memory" in results[n]}
    if mem:
        s["idle_memory"] = mem
    return s


def print_table(s, names, stamp):
    print(f"\nMedians, {stamp}, {CPUS} CPUs, wrk on the same machine")
    print(f"{'workload':14s}" + "".join(f"{n:>12s}" for n in names) + f"{'ours/nginx':>12s}{'ours/best':>11s}")
    for name, row in s.items():
        if name == "idle_memory":
            continue
        vals = {n: row[n]["value"] for n in names if n in row}
        unit = "MB/s" if next(iter(row.values()))["metric"] == "mbps" else "req/s"
        line = f"{name + ' ' + unit:14s}" + "".join(f"{vals.get(n, 0):12.0f}" for n in names)
        peers = [v for n, v in vals.items() if n != "ours"]
        if "nginx" in vals and "ours" in vals:
            line += f"{vals['ours'] / vals['nginx']:12.2f}"
            line += f"{vals['ours'] / max(peers):11.2f}"
        print(line)
        cpu = {n: row[n]["cpu_us_per_req"] for n in names if n in row}
        line = f"{'  CPU us/req':14s}" + "".join(f"{cpu.get(n, 0):12.1f}" for n in names)
        if "nginx" in cpu and cpu["nginx"]:
            line += f"{cpu['ours'] / cpu['nginx']:12.2f}"
        print(line)
        if "p99_ms" in next(iter(row.values())):
            print(f"{'  p50 ms':14s}" + "".join(f"{row[n]['p50_ms']:12.3f}" for n in names if n in row))
            print(f"{'  p99 ms':14s}" + "".join(f"{row[n]['p99_ms']:12.3f}" for n in names if n in row))
    if "idle_memory" in s:
        m = s["idle_memory"]
        print(f"{'idle KiB/conn':14s}" + "".join(f"{m[n]['kib_per_conn']:12.3f}" for n in names if n in m))
        print(f"{'  served':14s}" + "".join(f"{str(m[n]['served_while_idle']):>12s}" for n in names if n in m))


if __name__ == "__main__":
    main()
