#!/usr/bin/env python3
"""Side-by-side load benchmark: bin/server against nginx (and h2o and
lighttpd where installed), same files, same machine, one run, interleaved
rounds, medians and ratios. Needs wrk and nginx (Debian: apt-get install
wrk nginx-light; optional peers: apt-get install h2o lighttpd). Installs
nothing itself. Writes a table to stdout and raw figures to bench/out/."""
import argparse
import json
import os
import random
import re
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


def make_fixtures(root):
    rnd = random.Random(20251128)
    sizes = {"small.bin": 100, "index.html": 4096, "64k.bin": 65536,
             "1m.bin": 1 << 20, "100m.bin": 100 << 20}
    for name, size in sizes.items():
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
        c = [os.path.join(TOP, "bin/server"), "-p", str(self.port), "-a", "127.0.0.1",
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 5)))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    ap.add_argument("--idle", type=int, default=10000, help="idle connections for the memory run")
    ap.add_argument("--only", default="", help="comma-separated workloads")
    ap.add_argument("--peers", default="nginx,h2o,lighttpd")
    args = ap.parse_args()

    if not os.path.exists(os.path.join(TOP, "bin/server")):
        die("bin/server is missing: run make first")
    for tool, pkg in (("wrk", "wrk"), ("nginx", "nginx-light")):
        if not shutil.which(tool):
            die(f"{tool} is missing: apt-get install {pkg}")
    classes = [Ours, Nginx]
    for name, cls in (("h2o", H2o), ("lighttpd", Lighttpd)):
        if name in args.peers.split(",") and shutil.which(name):
            classes.append(cls)

    work = tempfile.mkdtemp(prefix="bench-")
    os.chmod(work, 0o755)
    root = os.path.join(work, "root")
    os.mkdir(root)
    os.mkdir(os.path.join(work, "nginx-body"))
    make_fixtures(root)
    only = set(args.only.split(",")) if args.only else None
    results = {c.name: {} for c in classes}
    try:
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
    finally:
        for p in locals().get("peers", []):
            p.stop()

    summary = summarize(results, [c.name for c in classes])
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(os.path.join(HERE, "out", "results.json"), "w") as f:
        json.dump({"date": stamp, "cpus": CPUS, "seconds": args.seconds, "rounds": args.rounds,
                   "raw": results, "summary": summary}, f, indent=1)
    print_table(summary, [c.name for c in classes], stamp)
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
