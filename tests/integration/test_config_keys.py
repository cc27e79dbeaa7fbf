"""Every command-line option has a config-file key: each long option that
--help lists (but help, version, config, check-config and probe) is set in
a file and `--check-config` must print the value back; the table below
must name every such option, so a new option without a key fails here."""
import os
import re

import conflib as cl
import featlib as fl
import lib

CLI_ONLY = {"help", "version", "config", "check-config", "probe"}


def keys_from_help():
    r = lib.run_server(["--help"])
    assert r.returncode == 0, r
    return set(re.findall(r"--([a-z0-9-]+)", r.stdout)) - CLI_ONLY


def cases(d):
    """(key, YAML value, text --check-config must print) for every key."""
    root = lib.make_site({"index.html": b"x\n", "app.html": b"app\n"})
    cert, key = cl.self_signed("keys.test", d)
    htpasswd = os.path.join(d, "htpasswd")
    with open(htpasswd, "w") as f:
        f.write(f"u:{fl.crypt_hash('pw-for-u', 'sha512')}\n")
    mime = os.path.join(d, "mime.types")
    with open(mime, "w") as f:
        f.write("text/x-test tst\n")
    return root, [
        ("port", '"8081"', 'port: "8081"'),
        ("root", cl.q(root), f'root: "{os.path.realpath(root)}"'),
        ("addr", "127.0.0.1", 'addr: "127.0.0.1"'),
        ("threads", '"3"', 'threads: "3"'),
        ("daemon", "true", "daemon: true"),
        ("pid-file", cl.q(os.path.join(d, "t.pid")), f'pid-file: "{os.path.join(d, "t.pid")}"'),
        ("log-file", cl.q(os.path.join(d, "a.log")), f'log-file: "{os.path.join(d, "a.log")}"'),
        ("log-format", "json", 'log-format: "json"'),
        ("error-log", cl.q(os.path.join(d, "e.log")), f'error-log: "{os.path.join(d, "e.log")}"'),
        ("access-log", '"off"', 'access-log: "off"'),
        ("user", "nobody", 'user: "nobody"'),
        ("chroot", "/tmp", 'chroot: "/tmp"'),
        ("no-sandbox", "true", "no-sandbox: true"),
        ("no-http2", "on", "no-http2: true"),
        ("verbose", "true", "verbose: true"),
        ("max-conns", '"100"', 'max-conns: "100"'),
        ("max-head", '"2048"', 'max-head: "2048"'),
        ("max-headers", '"50"', 'max-headers: "50"'),
        ("max-body", '"10"', 'max-body: "10"'),
        ("head-timeout", '"5"', 'head-timeout: "5"'),
        ("keepalive-timeout", '"6"', 'keepalive-timeout: "6"'),
        ("send-timeout", '"7"', 'send-timeout: "7"'),
        ("grace", '"3"', 'grace: "3"'),
        ("cache-size", '"1024"', 'cache-size: "1024"'),
        ("sendfile", '"off"', 'sendfile: "off"'),
        ("mime-types", cl.q(mime), f'mime-types: "{mime}"'),
        ("health", "/healthz", 'health: "/healthz"'),
        ("metrics", "/metrics", 'metrics: "/metrics"'),
        ("list", "true", "list: true"),
        ("pretty-urls", "true", "pretty-urls: true"),
        ("compress", "false", "compress: false"),
        ("no-compress", "true", "compress: false"),
        ("dotfiles", "on", "dotfiles: true"),
        ("no-symlinks", "true", "no-symlinks: true"),
        ("no-smart-cache", "true", "no-smart-cache: true"),
        ("max-age", '"60"', 'max-age: "60"'),
        ("index", "[app.html, index.html]", '  - "app.html"\n  - "index.html"'),
        ("header", '["X-Key: 1", "X-Other: no"]', '  - "X-Key: 1"\n  - "X-Other: no"'),
        ("cors", '"https://app.example"', 'cors: "https://app.example"'),
        ("fallback", "/app.html", 'fallback: "/app.html"'),
        ("auth-file", cl.q(htpasswd), f'auth-file: "{htpasswd}"'),
        ("tls-cert", cl.q(cert), f'tls-cert: "{cert}"'),
        ("tls-key", cl.q(key), f'tls-key: "{key}"'),
        ("redirect-http", '"8080"', 'redirect-http: "8080"'),
        ("unix-socket", cl.q(os.path.join(d, "t.sock")), f'unix-socket: "{os.path.join(d, "t.sock")}"'),
        ("unix-socket-mode", '"600"', 'unix-socket-mode: "600"'),
        ("acme-challenge", cl.q(d), f'acme-challenge: "{d}"'),
        ("trusted-proxies", '"10.0.0.0/8, ::1"', 'trusted-proxies: "10.0.0.0/8, ::1"'),
        ("proxy-protocol", "true", "proxy-protocol: true"),
        ("listen", '["127.0.0.1:9999", "unix:/tmp/k.sock"]', 'listen:\n  - "127.0.0.1:9999"\n  - "unix:/tmp/k.sock"'),
    ]


def test_every_option_has_a_key_that_check_config_prints():
    cl.need_config()
    cl.need_openssl()
    d = lib.tempdir()
    root, table = cases(d)
    covered = {k for k, _, _ in table}
    missing = keys_from_help() - covered
    assert not missing, f"options with no config-key test: {sorted(missing)}"
    # What some keys need beside them in the file.
    needs = {"redirect-http": ["tls-cert", "tls-key"], "tls-cert": ["tls-key"], "tls-key": ["tls-cert"]}
    values = {k: v for k, v, _ in table}
    wrong = []
    for key, value, want in table:
        lines = [f"{key}: {value}"]
        for other in needs.get(key, []):
            lines.append(f"{other}: {values[other]}")
        if key != "root":
            lines.append(f"root: {cl.q(root)}")
        conf = cl.config("\n".join(lines) + "\n")
        r = cl.check_config(conf)
        if r.returncode != 0 or want not in r.stdout:
            wrong.append((key, r.returncode, r.stderr.strip()[-300:], r.stdout[-600:]))
    assert not wrong, "\n".join(map(str, wrong))


def test_each_key_refuses_a_bad_value_with_its_position():
    cl.need_config()
    bad = [("port", '"http"'), ("threads", '"0"'), ("max-head", '"12"'), ("list", "yes"),
           ("log-format", "xml"), ("sendfile", "maybe"), ("access-log", "no"),
           ("health", "no-slash"), ("header", '["no colon"]'), ("index", '["a/b"]'),
           ("unix-socket-mode", '"999"'), ("trusted-proxies", '"10.0.0.1/8"'),
           ("listen", '["8080,bogus"]'), ("redirect-http", '"0"'), ("cors", '""')]
    root = lib.make_site({"index.html": b"x\n"})
    for key, value in bad:
        conf = cl.config(f"root: {cl.q(root)}\n{key}: {value}\n")
        r = cl.check_config(conf)
        assert r.returncode == 1, (key, value, r)
        assert f"{conf}:2:" in r.stderr, (key, value, r.stderr)
