#!/usr/bin/env python3
"""Runs the integration tests: every function named test_* in
tests/integration/test_*.py (and tests/long/ with --long). Each test starts
the real server on a free loopback port through lib.Server. Test files run
in parallel worker processes (-j); the tests of one file run in order.
Prints one line per test and closes with 'N passed, N failed, N skipped'.
A test that raises lib.Skip is reported as skipped with its reason, never
as passed."""
import argparse
import importlib.util
import multiprocessing
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


def run_file(job):
    """Runs the tests of one file; returns [(name, outcome, seconds, detail)]
    with outcome "ok", "fail" (detail: the traceback) or "skip" (detail:
    the reason)."""
    folder, f, pattern = job
    sys.path.insert(0, os.path.join(HERE, "integration"))
    import lib

    results = []
    try:
        mod = load(os.path.join(folder, f))
    except lib.Skip as e:
        return [(f"{f}:<import>", "skip", 0.0, str(e))]
    except Exception:
        return [(f"{f}:<import>", "fail", 0.0, traceback.format_exc())]
    for name in sorted(n for n in dir(mod) if n.startswith("test_")):
        fn = getattr(mod, name)
        if not callable(fn) or pattern not in f"{f}:{name}":
            continue
        start = time.monotonic()
        try:
            fn()
            results.append((f"{f}:{name}", "ok", time.monotonic() - start, ""))
        except lib.Skip as e:
            results.append((f"{f}:{name}", "skip", time.monotonic() - start,
                            str(e) or "no reason given"))
        except Exception:
            results.append((f"{f}:{name}", "fail", time.monotonic() - start,
                            traceback.format_exc()))
        finally:
            lib.kill_all()
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="bin/server")
    ap.add_argument("--long", action="store_true", help="run tests/long instead")
    ap.add_argument("-k", default="", help="only tests whose name contains this")
    ap.add_argument("-j", type=int, default=int(os.environ.get("TEST_JOBS", 4)),
                    help="test files run at once")
    args = ap.parse_args()
    os.environ["SERVER_BIN"] = os.path.abspath(args.server)

    folder = os.path.join(HERE, "long" if args.long else "integration")
    files = sorted(f for f in os.listdir(folder) if f.startswith("test_") and f.endswith(".py"))
    jobs = [(folder, f, args.k) for f in files]
    passed = failed = skipped = 0
    failures = []
    # The long tests measure latency and CPU: they run one file at a time.
    procs = 1 if args.long else max(1, args.j)
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        for results in pool.imap_unordered(run_file, jobs):
            for name, outcome, secs, detail in results:
                if outcome == "ok":
                    passed += 1
                    print(f"ok   {name} ({secs:.2f}s)", flush=True)
                elif outcome == "skip":
                    skipped += 1
                    print(f"skip {name}: {detail}", flush=True)
                else:
                    failed += 1
                    failures.append((name, detail))
                    print(f"FAIL {name}", flush=True)
    for name, tb in failures:
        print(f"\n--- {name}\n{tb}")
    print(f"integration: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed or passed == 0 else 0)


if __name__ == "__main__":
    main()
