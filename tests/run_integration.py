#!/usr/bin/env python3
"""Runs the integration tests: every function named test_* in
tests/integration/test_*.py (and tests/long/ with --long). Each test starts
the real server on a free loopback port through lib.Server. Prints one line
per test and closes with 'N passed, N failed'."""
import argparse
import importlib.util
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="bin/server")
    ap.add_argument("--long", action="store_true", help="run tests/long instead")
    ap.add_argument("-k", default="", help="only tests whose name contains this")
    args = ap.parse_args()
    os.environ["SERVER_BIN"] = os.path.abspath(args.server)
    sys.path.insert(0, os.path.join(HERE, "integration"))
    import lib

    folder = os.path.join(HERE, "long" if args.long else "integration")
    files = sorted(f for f in os.listdir(folder) if f.startswith("test_") and f.endswith(".py"))
    passed = failed = 0
    failures = []
    for f in files:
        mod = load(os.path.join(folder, f))
        for name in sorted(n for n in dir(mod) if n.startswith("test_")):
            fn = getattr(mod, name)
            if not callable(fn) or args.k not in f"{f}:{name}":
                continue
            start = time.monotonic()
            try:
                fn()
                passed += 1
                print(f"ok   {f}:{name} ({time.monotonic() - start:.2f}s)", flush=True)
            except Exception:
                failed += 1
                failures.append((f"{f}:{name}", traceback.format_exc()))
                print(f"FAIL {f}:{name}", flush=True)
            finally:
                lib.kill_all()
    for name, tb in failures:
        print(f"\n--- {name}\n{tb}")
    print(f"integration: {passed} passed, {failed} failed")
    sys.exit(1 if failed or passed == 0 else 0)


if __name__ == "__main__":
    main()
