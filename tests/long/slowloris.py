#!/usr/bin/env python3
"""The slowloris client of test_robustness (started through
longlib.Trickler): python3 slowloris.py PORT N INTERVAL

One thread, one selector loop, N connections to 127.0.0.1:PORT. Each sends
the next byte of a request head that never ends (a header field 100 KB
long) every INTERVAL seconds, the first bytes staggered over the first
INTERVAL. A connection the server closes is recorded and replaced at once,
so N stay open for the whole run. Prints 'ready' when all N original
connections have sent their first byte; on a line on standard input (or
its end) prints a JSON report and exits:
  originals        seconds from first byte to the server's close, per
                   original connection (null: still open at the stop)
  replaced_closed  the same for replacement connections that were closed
  still_open       connections open at the stop
  bytes_max        most bytes any connection sent
  got_data         connections that received any bytes
  connect_errors   connections that could not be made"""
import errno
import heapq
import json
import resource
import selectors
import socket
import sys
import time

HEAD = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"s" * 100000


def main(port, n, interval):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n + 100, hard), hard))
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
    conns = {}  # socket -> state
    due = []    # heap of (time, sequence, socket)
    seq = 0
    report = {"originals": [None] * n, "replaced_closed": [], "still_open": 0,
              "bytes_max": 0, "got_data": 0, "connect_errors": 0, "replaced": 0}
    first_sent = 0
    announced = False
    stopping = False

    def open_conn(idx, when):
        nonlocal seq
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            report["connect_errors"] += 1
            return
        conns[s] = {"idx": idx, "sent": 0, "first": None, "connected": False,
                    "next": when, "got": False}
        sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ, s)

    def schedule(s, when):
        nonlocal seq
        conns[s]["next"] = when
        seq += 1
        heapq.heappush(due, (when, seq, s))

    def closed(s, info):
        sel.unregister(s)
        s.close()
        del conns[s]
        life = None if info["first"] is None else time.monotonic() - info["first"]
        if info["idx"] is not None:
            report["originals"][info["idx"]] = life
        elif life is not None:
            report["replaced_closed"].append(life)
        report["bytes_max"] = max(report["bytes_max"], info["sent"])
        report["got_data"] += info["got"]
        if not stopping:
            report["replaced"] += 1
            open_conn(None, time.monotonic())

    def send_next(s, info):
        nonlocal first_sent
        try:
            k = s.send(HEAD[info["sent"]:info["sent"] + 1])
        except BlockingIOError:
            k = 0
        except OSError:
            closed(s, info)
            return
        if k:
            if info["first"] is None:
                info["first"] = time.monotonic()
                if info["idx"] is not None:
                    first_sent += 1
            info["sent"] += 1
        schedule(s, time.monotonic() + interval)

    start = time.monotonic()
    for i in range(n):
        open_conn(i, start + interval * i / n)
    while not stopping:
        now = time.monotonic()
        wait = 0.05 if not due else max(0.0, min(0.05, due[0][0] - now))
        for key, ev in sel.select(wait):
            s = key.data
            if s is None:
                sys.stdin.readline()
                stopping = True
                break
            info = conns.get(s)
            if info is None:
                continue
            if not info["connected"]:
                if not ev & selectors.EVENT_WRITE:
                    continue
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    report["connect_errors"] += 1
                    closed(s, info)
                    continue
                info["connected"] = True
                sel.modify(s, selectors.EVENT_READ, s)
                schedule(s, info["next"])
                continue
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                info["got"] = True  # an error response: wait for the close
            else:
                closed(s, info)
        now = time.monotonic()
        while due and due[0][0] <= now and not stopping:
            when, _, s = heapq.heappop(due)
            info = conns.get(s)
            if info is None or info["next"] != when:
                continue  # closed since, or rescheduled
            send_next(s, info)
        if not announced and first_sent == n:
            announced = True
            print("ready", flush=True)
    report["still_open"] = len(conns)
    for s, info in list(conns.items()):
        report["bytes_max"] = max(report["bytes_max"], info["sent"])
        s.close()
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: slowloris.py PORT N INTERVAL")
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
