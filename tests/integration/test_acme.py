"""Automatic certificates: contrib/tern-acme-hook and contrib/tern-acme-renew
drive uacme(1) against pebble, Let's Encrypt's test CA, with the server
answering the http-01 challenges from --acme-challenge on its
--redirect-http port. pebble-challtestsrv's mock DNS resolves the test name
to 127.0.0.1 for pebble. Issue, install, SIGHUP, then a forced renewal: each
time curl, trusting only pebble's root, must see the new certificate."""
import os
import re
import shutil
import ssl
import stat
import subprocess
import urllib.request

import lib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOOK = os.path.join(REPO, "contrib", "tern-acme-hook")
RENEW = os.path.join(REPO, "contrib", "tern-acme-renew")
NAME = "tern-acme.test"
ALT = "www.tern-acme.test"
TOKEN = "AbC-_09xyzAbC-_09xyzAbC-_09xyzAbC-_09xyzAbC"
AUTH = TOKEN + ".thumbprint-_09"

# uacme before 1.7.6 has no option or variable naming the CA that signed
# the ACME server's own certificate, and libcurl reads none: this shim
# gives every transfer CURLOPT_CAINFO from UACME_CAINFO, the variable
# uacme 1.7.6 reads itself.
CAINFO_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

typedef int (*perform_fn)(void *);
typedef int (*setopt_fn)(void *, int, ...);

int curl_easy_perform(void *h)
{
	perform_fn real = (perform_fn)dlsym(RTLD_NEXT, "curl_easy_perform");
	setopt_fn setopt = (setopt_fn)dlsym(RTLD_NEXT, "curl_easy_setopt");
	const char *ca = getenv("UACME_CAINFO");

	if (ca && *ca)
		setopt(h, 10065 /* CURLOPT_CAINFO */, ca);
	return real(h);
}
"""


def run(cmd, env=None, timeout=30, **kw):
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, env=full, timeout=timeout, **kw)


def hook(*args, challenge_dir):
    return run([HOOK, *args], env={"TERN_ACME_CHALLENGE_DIR": challenge_dir})


# --- the hook alone ------------------------------------------------------------


def test_hook_writes_and_removes_http01_answers():
    d = os.path.join(lib.tempdir(), "acme", "challenge")
    p = hook("begin", "http-01", NAME, TOKEN, AUTH, challenge_dir=d)
    assert p.returncode == 0, p.stderr
    path = os.path.join(d, TOKEN)
    assert open(path).read() == AUTH  # no newline: the body is compared byte for byte
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert os.listdir(d) == [TOKEN], os.listdir(d)
    p = hook("done", "http-01", NAME, TOKEN, AUTH, challenge_dir=d)
    assert p.returncode == 0 and os.listdir(d) == [], (p.stderr, os.listdir(d))
    hook("begin", "http-01", NAME, TOKEN, AUTH, challenge_dir=d)
    p = hook("failed", "http-01", NAME, TOKEN, AUTH, challenge_dir=d)
    assert p.returncode == 0 and os.listdir(d) == []
    # Other challenge types are declined, so uacme offers the next one.
    for t in ("dns-01", "tls-alpn-01"):
        p = hook("begin", t, NAME, TOKEN, AUTH, challenge_dir=d)
        assert p.returncode != 0 and os.listdir(d) == [], t
    p = run([HOOK, "begin", "http-01"])
    assert p.returncode == 85 and "usage" in p.stderr, (p.returncode, p.stderr)


def test_hook_refuses_hostile_tokens():
    top = lib.tempdir()
    d = os.path.join(top, "challenge")
    os.mkdir(d)
    for token in ("../escape", "a/b", "..", ".hidden", "", "x y", "x\nz", "tok%2f", "/etc/x"):
        p = hook("begin", "http-01", NAME, token, AUTH, challenge_dir=d)
        assert p.returncode != 0, (token, p.stderr)
        p = hook("done", "http-01", NAME, token, AUTH, challenge_dir=d)
        assert p.returncode != 0, token
    for auth in ("a/b", "x\ny", "<script>", ""):
        p = hook("begin", "http-01", NAME, TOKEN, auth, challenge_dir=d)
        assert p.returncode != 0, (auth, p.stderr)
    assert os.listdir(d) == [] and sorted(os.listdir(top)) == ["challenge"], os.listdir(top)
    # A symlink planted at the token's name is replaced, not followed.
    victim = os.path.join(top, "victim")
    with open(victim, "w") as f:
        f.write("untouched\n")
    os.symlink(victim, os.path.join(d, TOKEN))
    assert hook("begin", "http-01", NAME, TOKEN, AUTH, challenge_dir=d).returncode == 0
    assert open(victim).read() == "untouched\n"
    assert not os.path.islink(os.path.join(d, TOKEN))


def test_renew_refuses_to_run_without_names():
    p = run([RENEW], env={"TERN_ACME_CONF": os.devnull, "TERN_ACME_NAMES": ""})
    assert p.returncode == 2 and "TERN_ACME_NAMES" in p.stderr, (p.returncode, p.stderr)
    p = run([RENEW], env={"TERN_ACME_CONF": os.path.join(lib.tempdir(), "missing.conf")})
    assert p.returncode == 2 and "missing.conf" in p.stderr, (p.returncode, p.stderr)


# --- issuance and renewal with pebble ------------------------------------------------


def need_tools():
    for tool, package in (("pebble", "pebble"), ("pebble-challtestsrv", "pebble"),
                          ("uacme", "uacme"), ("openssl", "openssl"), ("curl", "curl")):
        if not shutil.which(tool):
            raise lib.Skip(f"{tool} not installed (Debian package {package})")


def openssl(*args, cwd=None):
    p = subprocess.run(["openssl", *args], capture_output=True, cwd=cwd, timeout=60)
    assert p.returncode == 0, (args, p.stderr)
    return p


def uacme_wrapper(d):
    """A `uacme` for PATH that makes the real one trust $UACME_CAINFO (see
    CAINFO_SHIM); returns its directory."""
    real = shutil.which("uacme")
    m = re.search(r"version (\d+)\.(\d+)\.(\d+)", run([real, "-V"]).stderr)
    preload = ""
    if not m or tuple(map(int, m.groups())) < (1, 7, 6):
        if not shutil.which("cc"):
            raise lib.Skip("uacme < 1.7.6 cannot be told pebble's CA without a shim, and no cc")
        src, so = os.path.join(d, "cainfo.c"), os.path.join(d, "cainfo.so")
        with open(src, "w") as f:
            f.write(CAINFO_SHIM)
        p = run(["cc", "-shared", "-fPIC", "-O1", "-o", so, src, "-ldl"])
        assert p.returncode == 0, p.stderr
        preload = f'LD_PRELOAD="{so}${{LD_PRELOAD:+:$LD_PRELOAD}}" '
    bindir = os.path.join(d, "bin")
    os.mkdir(bindir)
    wrapper = os.path.join(bindir, "uacme")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\n{preload}exec "{real}" "$@"\n')
    os.chmod(wrapper, 0o755)
    return bindir


def start_pebble(d):
    """pebble-challtestsrv (mock DNS: every name is 127.0.0.1) and pebble,
    on free ports; pebble validates http-01 on the port it returns.
    Returns (directory URL, API CA file, pebble's root file, http port)."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "api-ca.key", "-out", "api-ca.pem", "-days", "2",
            "-subj", "/CN=pebble API test CA", cwd=d)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "api.key", "-out", "api.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    with open(os.path.join(d, "api.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "api.csr", "-CA", "api-ca.pem", "-CAkey", "api-ca.key",
            "-CAcreateserial", "-out", "api.pem", "-days", "2", "-extfile", "api.ext", cwd=d)

    dns, dns_mgmt = lib.free_port(), lib.free_port()
    with open(os.path.join(d, "challtestsrv.log"), "wb") as log:
        lib.register(subprocess.Popen(
            ["pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
             "-dns01", f"127.0.0.1:{dns}", "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", f"127.0.0.1:{dns_mgmt}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    assert lib.wait_port(dns), lib.read_text(os.path.join(d, "challtestsrv.log"))

    api, mgmt, http = lib.free_port(), lib.free_port(), lib.free_port()
    with open(os.path.join(d, "pebble.json"), "w") as f:
        f.write(f'''{{"pebble": {{
  "listenAddress": "127.0.0.1:{api}",
  "managementListenAddress": "127.0.0.1:{mgmt}",
  "certificate": "{d}/api.pem",
  "privateKey": "{d}/api.key",
  "httpPort": {http},
  "tlsPort": {lib.free_port()},
  "ocspResponderURL": "",
  "externalAccountBindingRequired": false
}}}}
''')
    # No random sleeps before validation, no nonce rejected, no
    # authorization reused (so the renewal is validated again).
    env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0",
               PEBBLE_AUTHZREUSE="0")
    with open(os.path.join(d, "pebble.log"), "wb") as log:
        lib.register(subprocess.Popen(
            ["pebble", "-config", os.path.join(d, "pebble.json"), "-dnsserver",
             f"127.0.0.1:{dns}"], env=env, cwd=d,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    assert lib.wait_port(api, 20) and lib.wait_port(mgmt, 5), \
        lib.read_text(os.path.join(d, "pebble.log"))

    # The root that issues (made afresh at each start), from the
    # management interface.
    ctx = ssl.create_default_context(cafile=os.path.join(d, "api-ca.pem"))
    with urllib.request.urlopen(f"https://127.0.0.1:{mgmt}/roots/0", context=ctx,
                                timeout=10) as r:
        root = r.read()
    assert root.startswith(b"-----BEGIN CERTIFICATE-----"), root[:100]
    with open(os.path.join(d, "pebble-root.pem"), "wb") as f:
        f.write(root)
    return (f"https://127.0.0.1:{api}/dir", os.path.join(d, "api-ca.pem"),
            os.path.join(d, "pebble-root.pem"), http)


def served_serial(port):
    """The serial of the certificate the server presents for NAME."""
    p = subprocess.run(f"openssl s_client -connect 127.0.0.1:{port} -servername {NAME} "
                       f"</dev/null 2>/dev/null | openssl x509 -noout -serial",
                       shell=True, capture_output=True, text=True, timeout=20)
    return p.stdout.strip().split("=", 1)[-1]


def serial_of(pem):
    return openssl("x509", "-in", pem, "-noout", "-serial").stdout.decode().strip().split("=")[1]


def test_issue_install_reload_and_renew_with_pebble():
    need_tools()
    d = lib.tempdir()
    bindir = uacme_wrapper(d)
    url, api_ca, pebble_root, http_port = start_pebble(d)

    # tern starts with a self-signed certificate where the script installs.
    tls = os.path.join(d, "tls")
    os.mkdir(tls)
    cert, key = os.path.join(tls, "cert.pem"), os.path.join(tls, "key.pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={NAME}")
    self_signed = serial_of(cert)
    challenges = os.path.join(d, "acme-challenge")
    os.mkdir(challenges)
    root = lib.make_site({"index.html": b"<p>acme</p>\n"})
    errlog = os.path.join(d, "error.log")
    with lib.Server(root=root, args=["--tls-cert", cert, "--tls-key", key,
                                     "--redirect-http", str(http_port),
                                     "--acme-challenge", challenges,
                                     "--error-log", errlog]) as s:
        assert lib.wait_port(http_port)
        https = f"https://{NAME}:{s.port}/"
        resolve = f"{NAME}:{s.port}:127.0.0.1"

        def fetch():
            return lib.curl("--cacert", pebble_root, "--resolve", resolve, https)

        # Before: the plain port answers a challenge file and redirects
        # the rest; pebble's root does not vouch for the served certificate.
        with open(os.path.join(challenges, TOKEN), "w") as f:
            f.write(AUTH)
        r = lib.request(http_port, f"/.well-known/acme-challenge/{TOKEN}",
                        headers={"Host": f"{NAME}:{http_port}"})
        assert r.status == 200 and r.body == AUTH.encode(), r.raw_head
        os.unlink(os.path.join(challenges, TOKEN))
        r = lib.request(http_port, "/index.html", headers={"Host": NAME})
        assert r.status == 308, r.raw_head
        assert served_serial(s.port) == self_signed
        assert fetch().returncode == 60

        pidfile = os.path.join(d, "server.pid")
        with open(pidfile, "w") as f:
            f.write(f"{s.proc.pid}\n")
        conf = os.path.join(d, "acme.conf")
        with open(conf, "w") as f:
            f.write(f'TERN_ACME_NAMES="{NAME} {ALT}"\nTERN_ACME_URL={url}\n'
                    f'TERN_ACME_CONFDIR={d}/uacme\nTERN_ACME_DAYS=30\n')
        env = {"PATH": bindir + os.pathsep + os.environ["PATH"], "UACME_CAINFO": api_ca,
               "TERN_ACME_CONF": conf, "TERN_ACME_CHALLENGE_DIR": challenges,
               "TERN_ACME_HOOK": HOOK, "TERN_TLS_CERT": cert, "TERN_TLS_KEY": key,
               "TERN_PID_FILE": pidfile}

        def renew(**more):
            p = run([RENEW], env={**env, **more}, timeout=60)
            assert p.returncode == 0, (p.returncode, p.stdout, p.stderr,
                                       lib.read_text(os.path.join(d, "pebble.log"))[-3000:])
            return p.stdout

        def reloads():
            return lib.read_text(errlog).count("TLS certificate and key reloaded")

        # Issue: installed, SIGHUP, served; curl trusting pebble's root
        # alone gets the page for the name.
        out = renew()
        assert f"installed as {cert}" in out and f"SIGHUP to tern (pid {s.proc.pid})" in out, out
        first = serial_of(cert)
        assert first != self_signed
        assert lib.wait_for(lambda: served_serial(s.port) == first, 5), served_serial(s.port)
        r = fetch()
        assert r.returncode == 0 and r.stdout == b"<p>acme</p>\n", (r.returncode, r.stderr)
        sans = openssl("x509", "-in", cert, "-noout", "-ext", "subjectAltName").stdout.decode()
        assert f"DNS:{NAME}" in sans and f"DNS:{ALT}" in sans, sans
        assert stat.S_IMODE(os.stat(key).st_mode) in (0o600, 0o640)
        assert lib.wait_for(lambda: reloads() == 1, 5), lib.read_text(errlog)

        # Not due (pebble's certificates last years): nothing changes, no
        # reload.
        out = renew()
        assert "nothing to do" in out, out
        assert serial_of(cert) == first and served_serial(s.port) == first
        assert reloads() == 1, lib.read_text(errlog)

        # A forced renewal: a new certificate, served after the SIGHUP.
        out = renew(TERN_ACME_FORCE="1")
        assert f"installed as {cert}" in out, out
        second = serial_of(cert)
        assert second != first
        assert lib.wait_for(lambda: served_serial(s.port) == second, 5), served_serial(s.port)
        r = fetch()
        assert r.returncode == 0 and r.stdout == b"<p>acme</p>\n", (r.returncode, r.stderr)
        assert reloads() == 2, lib.read_text(errlog)

        # The hook cleaned up after itself; the site root was never written.
        assert os.listdir(challenges) == [], os.listdir(challenges)
        assert os.listdir(root) == ["index.html"], os.listdir(root)
