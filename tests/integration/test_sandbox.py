"""The sandbox the server enters after start-up. bin/server-probe is a test
build with one extra request path, /.sandbox-probe?OP:ARG, that tries from
inside a worker thread what a path bug could make the server do: open a
file anywhere for reading or writing, or bind a TCP socket. With the sandbox
these fail; with --no-sandbox the same probes succeed, so the test shows the
sandbox is what stops them."""
import os
import signal
import socket

import lib

PROBE = os.path.join(os.path.dirname(lib.SERVER), "server-probe")


class ProbeServer(lib.Server):
    binary = PROBE


def probe(port, what):
    r = lib.request(port, f"/.sandbox-probe?{what}")
    assert r.status == 200, r.raw_head
    return r.body.decode().split()[-1]


def status(pid, port):
    # The port accepts before start-up ends; a response means the threads
    # run, and they start only once the sandbox is in force.
    assert lib.request(port, "/a.txt").status == 200
    out = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def layout():
    top = lib.tempdir()
    os.chmod(top, 0o755)
    root = os.path.join(top, "site")
    os.mkdir(root)
    with open(os.path.join(root, "a.txt"), "w") as f:
        f.write("inside\n")
    with open(os.path.join(top, "secret.txt"), "w") as f:
        f.write("outside the root\n")
    logdir = os.path.join(top, "logs")
    os.mkdir(logdir)
    return top, root, logdir


def test_sandbox_refuses_what_a_path_bug_could_do():
    top, root, logdir = layout()
    secret = os.path.join(top, "secret.txt")
    log = os.path.join(logdir, "access.log")
    with ProbeServer(root=root, args=["--log-file", log]) as s:
        st = status(s.proc.pid, s.port)
        assert st["NoNewPrivs"] == "1", st
        assert st["Seccomp"] == "2", st
        # Inside the root: readable, not writable.
        assert probe(s.port, "read:" + os.path.join(root, "a.txt")) == "ok"
        assert probe(s.port, "write:" + os.path.join(root, "a.txt")) == "EACCES"
        assert probe(s.port, "write:" + os.path.join(root, "new.txt")) == "EACCES"
        # Outside the root: nothing, whatever the path.
        for path in (secret, "/etc/hostname", "/etc/shadow", "/proc/self/environ",
                     os.path.join(root, "..", "secret.txt"), "/root/.bashrc"):
            if os.path.exists(path):
                assert probe(s.port, "read:" + path) == "EACCES", path
        assert probe(s.port, "write:" + os.path.join(top, "planted")) == "EACCES"
        assert probe(s.port, "write:/tmp/planted-by-tern") == "EACCES"
        # The log's directory stays writable: rotation reopens files there.
        assert probe(s.port, "write:" + log) == "ok"
        # No new listening socket.
        assert probe(s.port, "bind:0") in ("EPERM", "EACCES")
        assert not os.path.exists(os.path.join(root, "new.txt"))
        assert not os.path.exists(os.path.join(top, "planted"))
        # The file is still served normally.
        assert lib.request(s.port, "/a.txt").body == b"inside\n"
    assert "sandbox: Landlock" in lib.read_text(log) or "sandbox: no Landlock" in lib.read_text(log)
    assert "seccomp allowlist" in lib.read_text(log)


def test_no_sandbox_leaves_the_probes_unrefused():
    top, root, _ = layout()
    with ProbeServer(root=root, args=["--no-sandbox"]) as s:
        st = status(s.proc.pid, s.port)
        assert st["Seccomp"] == "0" and st["NoNewPrivs"] == "0", st
        assert probe(s.port, "read:" + os.path.join(top, "secret.txt")) == "ok"
        assert probe(s.port, "bind:0") == "ok"
    assert "sandbox: off (--no-sandbox)" in s.out, s.out


def test_sandboxed_server_still_reopens_logs_and_reloads():
    # What the running server legitimately does after start-up still works
    # under the sandbox: reopening a rotated log in its directory.
    top, root, logdir = layout()
    log = os.path.join(logdir, "access.log")
    with lib.Server(root=root, args=["--log-file", log]) as s:
        assert lib.request(s.port, "/a.txt").status == 200
        os.rename(log, log + ".1")
        s.proc.send_signal(signal.SIGUSR1)
        assert lib.wait_for(lambda: os.path.exists(log), 5)
        assert lib.request(s.port, "/a.txt?x").status == 200
        assert lib.wait_for(lambda: "GET /a.txt" in lib.read_text(log), 5)
    assert "cannot reopen" not in lib.read_text(log) + lib.read_text(log + ".1")
