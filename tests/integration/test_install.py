"""make install / make uninstall with PREFIX and DESTDIR: the binary as
`tern`, the man page, the systemd units and the logrotate snippet."""
import os
import stat
import subprocess

import lib

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make(*args):
    p = subprocess.run(["make", "-s", "-C", TOP, *args], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def test_install_and_uninstall_under_destdir():
    dest = lib.tempdir()
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    files = {
        "usr/bin/tern": 0o755,
        "usr/share/man/man1/tern.1": 0o644,
        "usr/lib/systemd/system/tern.service": 0o644,
        "usr/lib/systemd/system/tern.socket": 0o644,
        "etc/logrotate.d/tern": 0o644,
        "usr/bin/tern-acme-hook": 0o755,
        "usr/bin/tern-acme-renew": 0o755,
        "usr/lib/systemd/system/tern-acme.service": 0o644,
        "usr/lib/systemd/system/tern-acme.timer": 0o644,
        "etc/tern/tern.yaml.example": 0o644,
    }
    for rel, mode in files.items():
        path = os.path.join(dest, rel)
        assert os.path.isfile(path), f"{rel} not installed: {sorted(os.listdir(dest))}"
        assert stat.S_IMODE(os.stat(path).st_mode) == mode, (rel, oct(os.stat(path).st_mode))
    # The installed binary is the server, under its own name.
    v = subprocess.run([os.path.join(dest, "usr/bin/tern"), "--version"], capture_output=True,
                       text=True, timeout=10)
    assert v.returncode == 0 and v.stdout.startswith("tern/"), v
    unit = lib.read_text(os.path.join(dest, "usr/lib/systemd/system/tern.service"))
    assert "ExecStart=/usr/bin/tern " in unit and "@BINDIR@" not in unit, unit
    assert "Type=notify" in unit
    acme = lib.read_text(os.path.join(dest, "usr/lib/systemd/system/tern-acme.service"))
    assert "/usr/bin/tern-acme-renew" in acme and "@BINDIR@" not in acme, acme
    # The example configuration is one the installed server accepts.
    chk = subprocess.run([os.path.join(dest, "usr/bin/tern"), "--help"], capture_output=True,
                         text=True, timeout=10)
    assert "--config" in chk.stdout, chk
    make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr")
    for rel in files:
        assert not os.path.exists(os.path.join(dest, rel)), f"{rel} left by uninstall"
    # The build output keeps its name.
    assert os.path.exists(os.path.join(TOP, "bin", "server"))
