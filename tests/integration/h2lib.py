"""Helpers for the HTTP/2 tests (test_http2.py): a well-behaved client
built on python3-h2 over a plain or TLS socket, raw frames for exact and
hostile input (RFC 9113 section 4 framing, RFC 7541 HPACK literals), a
throwaway certificate, and the checks that an abused server still serves.
Builds on lib.py, which it does not change."""
import hashlib
import os
import select
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import time

import featlib as fl
import lib

# Debian's python3-h2 lives in the system interpreter's dist-packages; a
# test run under another python3 (pyenv, a venv) finds it there too. It is
# appended, so nothing of the running interpreter is shadowed.
try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions
    import h2.settings
    import h2.stream
    import hpack
except ImportError:
    if "/usr/lib/python3/dist-packages" not in sys.path:
        sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import h2.config
        import h2.connection
        import h2.events
        import h2.exceptions
        import h2.settings
        import h2.stream
        import hpack
    except ImportError:
        h2 = None

if h2 is not None:
    # The tests compare content-length with the body themselves: RFC 9113
    # section 8.1.1 lets a 304 carry the length of the representation with
    # no DATA, which python3-h2 would count as an error.
    h2.stream.H2Stream._initialize_content_length = lambda self, headers: None

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, \
    WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20

ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
          4: "SETTINGS_TIMEOUT", 5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR",
          7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 10: "CONNECT_ERROR",
          11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}
FRAME_NAMES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE",
               "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]

SETTINGS_HEADER_TABLE_SIZE, SETTINGS_ENABLE_PUSH, SETTINGS_MAX_CONCURRENT_STREAMS, \
    SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE, \
    SETTINGS_MAX_HEADER_LIST_SIZE = range(1, 7)

# Fields that RFC 9113 section 8.2.2 forbids in HTTP/2 messages.
CONNECTION_FIELDS = ("connection", "keep-alive", "proxy-connection", "transfer-encoding",
                     "upgrade")

# h2spec: $H2SPEC, else ../shared/tools/h2spec/h2spec beside the repository.
H2SPEC = os.environ.get("H2SPEC") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "tools", "h2spec",
    "h2spec")


# ---------------------------------------------------------------------------
# What the test needs


def need_h2():
    """Skips (lib.Skip) without python3-h2; fails when the server was built
    without HTTP/2 although libnghttp2 is there to build it with, skips
    when the library is absent too (as other optional features do)."""
    if h2 is None:
        raise lib.Skip("python3-h2 not installed (apt-get install python3-h2)")
    if "http2" in fl.features():
        return
    have = subprocess.run(["pkg-config", "--exists", "libnghttp2"]).returncode == 0 \
        if shutil.which("pkg-config") else False
    if not have:
        raise lib.Skip("http2 not compiled in (server -V), and libnghttp2 is not installed")
    raise AssertionError(f"server -V does not list http2 (features: {sorted(fl.features())}) "
                         "although libnghttp2 is installed")


def need_tool(name, package):
    """Path of a command-line tool; lib.Skip naming its package when absent."""
    p = shutil.which(name)
    if not p:
        raise lib.Skip(f"{name} not installed (Debian package {package})")
    return p


def make_cert():
    """A self-signed certificate for localhost and 127.0.0.1; returns
    (cert, key) paths. Clients here do not verify (curl -k, CERT_NONE)."""
    if not shutil.which("openssl"):
        raise lib.Skip("openssl(1) is needed for a throwaway certificate")
    d = lib.tempdir()
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return cert, key


def tls_args():
    cert, key = make_cert()
    return ["--tls-cert", cert, "--tls-key", key]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_big(path, size):
    """size bytes that differ in every MiB (a counter in each block)."""
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        left, i = size, 0
        while left > 0:
            chunk = (i.to_bytes(8, "big") + block[8:])[:left]
            f.write(chunk)
            left -= len(chunk)
            i += 1


def memory_measurable():
    """False under AddressSanitizer, whose quarantine and shadow memory
    make RSS say nothing about the server's own bounds."""
    return "asan" not in os.path.basename(os.environ.get("SERVER_BIN", ""))


def grown_mib(pid, before_kib):
    """MiB the process's RSS grew since before_kib, or 0 where that cannot
    be measured (AddressSanitizer)."""
    if not memory_measurable():
        return 0
    return (rss_kib(pid) - before_kib) / 1024


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


# ---------------------------------------------------------------------------
# A well-behaved client on python3-h2


class Stream:
    """What came back on one stream."""

    def __init__(self, sid, method):
        self.sid, self.method = sid, method
        self.headers = None  # [(name, value)] as str, pseudo-headers included
        self.informational = []
        self.trailers = None
        self.body = bytearray()
        self.ended = False
        self.reset = None  # RST_STREAM error code

    @property
    def status(self):
        return int(self.header(":status")) if self.headers else None

    def header(self, name, default=None):
        for k, v in self.headers or ():
            if k == name:
                return v
        return default

    def all(self, name):
        return [v for k, v in self.headers or () if k == name]

    def done(self):
        return self.ended or self.reset is not None

    def __repr__(self):
        return (f"<stream {self.sid} {self.method}: headers={self.headers} "
                f"body={bytes(self.body[:120])!r}{'...' if len(self.body) > 120 else ''} "
                f"({len(self.body)} bytes) ended={self.ended} "
                f"reset={ERRORS.get(self.reset, self.reset)}>")


class Client:
    """An HTTP/2 client on one connection: h2c with prior knowledge, or TLS
    with ALPN h2 (certificate not verified). read=False stops reading the
    socket (for a client that never reads). window: the stream and
    connection receive windows to announce."""

    def __init__(self, port, tls=False, timeout=10.0, window=None, rcvbuf=None,
                 authority="localhost", settings=None):
        self.port, self.tls, self.timeout, self.authority = port, tls, timeout, authority
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            s = ctx.wrap_socket(s, server_hostname="localhost")
            got = s.selected_alpn_protocol()
            assert got == "h2", f"ALPN selected {got!r}, not h2"
        self.sock = s
        cfg = h2.config.H2Configuration(client_side=True, header_encoding=None,
                                        validate_inbound_headers=False)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        local = dict(settings or {})
        if window:
            local[SETTINGS_INITIAL_WINDOW_SIZE] = window
        if local:
            self.conn.update_settings(local)
        if window and window > 65535:
            self.conn.increment_flow_control_window(window - 65535)
        self.streams = {}
        self.goaway = None  # (error code, last stream id, debug data)
        self.closed = False
        self.remote_settings = {}
        self.settings_acked = False
        self.events = []
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def send_request(self, method="GET", path="/", headers=(), body=None, end=True,
                     scheme=None):
        """Opens a stream; returns its id. body: bytes sent after the head
        (flow control permitting; small bodies only)."""
        sid = self.conn.get_next_available_stream_id()
        scheme = scheme or ("https" if self.tls else "http")
        hs = [(":method", method), (":scheme", scheme), (":authority", self.authority),
              (":path", path)] + [(k.lower(), v) for k, v in headers]
        hs = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in hs]
        self.streams[sid] = Stream(sid, method)
        self.conn.send_headers(sid, hs, end_stream=(body is None and end))
        if body is not None:
            self.conn.send_data(sid, body, end_stream=end)
        self.flush()
        return sid

    def pump(self, timeout=None):
        """Reads once (waiting up to timeout) and handles what came; False
        when the connection is closed."""
        if self.closed:
            return False
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            data = self.sock.recv(1 << 20)
        except (socket.timeout, ssl.SSLWantReadError):
            return True
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            data = b""
        if not data:
            self.closed = True
            return False
        self.feed(data)
        return True

    def feed(self, data):
        for ev in self.conn.receive_data(data):
            self.events.append(ev)
            st = self.streams.get(getattr(ev, "stream_id", None))
            if isinstance(ev, h2.events.ResponseReceived):
                st.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in ev.headers]
            elif isinstance(ev, h2.events.InformationalResponseReceived):
                st.informational.append(ev.headers)
            elif isinstance(ev, h2.events.TrailersReceived):
                st.trailers = ev.headers
            elif isinstance(ev, h2.events.DataReceived):
                st.body += ev.data
                if ev.flow_controlled_length:
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                st.ended = True
            elif isinstance(ev, h2.events.StreamReset):
                if st is not None:
                    st.reset = ev.error_code
            elif isinstance(ev, h2.events.ConnectionTerminated):
                self.goaway = (ev.error_code, ev.last_stream_id, ev.additional_data)
            elif isinstance(ev, h2.events.RemoteSettingsChanged):
                for k, v in ev.changed_settings.items():
                    self.remote_settings[int(k)] = v.new_value
            elif isinstance(ev, h2.events.SettingsAcknowledged):
                self.settings_acked = True
        try:
            self.flush()
        except OSError:
            self.closed = True

    def wait(self, pred, timeout=None, what="condition"):
        end = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not pred():
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; streams "
                                     f"{list(self.streams.values())}, goaway {self.goaway}")
            if not self.pump(min(left, 1.0)):
                if pred():
                    break
                raise AssertionError(f"connection closed while waiting for {what}; goaway "
                                     f"{self.goaway}, streams {list(self.streams.values())}")

    def response(self, sid, timeout=None):
        st = self.streams[sid]
        self.wait(st.done, timeout, f"the end of stream {sid}")
        check_fields(st)
        return st

    def request(self, method="GET", path="/", headers=(), body=None, timeout=None):
        return self.response(self.send_request(method, path, headers, body), timeout)

    def get(self, path, headers=(), timeout=None):
        return self.request("GET", path, headers, timeout=timeout)

    def settings(self, timeout=None):
        """The server's SETTINGS (waits for them)."""
        self.wait(lambda: self.remote_settings or self.settings_acked, timeout,
                  "the server's SETTINGS")
        return self.remote_settings

    def close(self):
        try:
            self.conn.close_connection()
            self.flush()
        except Exception:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def check_fields(st):
    """The response's fields obey RFC 9113 section 8.2: lower-case names,
    no connection-specific fields, pseudo-headers first and only :status;
    a body that matches its content-length."""
    if st.headers is None:
        return
    names = [k for k, _ in st.headers]
    assert names and names[0] == ":status", f"stream {st.sid}: :status not first: {names}"
    assert [n for n in names if n.startswith(":")] == [":status"], \
        f"stream {st.sid}: pseudo-headers {names}"
    for n in names:
        assert n == n.lower(), f"stream {st.sid}: upper-case field name {n!r}"
        assert n not in CONNECTION_FIELDS, \
            f"stream {st.sid}: connection-specific field {n!r} in an HTTP/2 response: {st.headers}"
    cl = st.header("content-length")
    if (st.ended and cl is not None and st.method != "HEAD"
            and st.status not in (204, 304) and st.status >= 200):
        assert int(cl) == len(st.body), \
            f"stream {st.sid}: content-length {cl} but {len(st.body)} bytes of DATA"


def get(port, path, headers=(), tls=False, method="GET", body=None, timeout=10.0):
    """One request on a fresh HTTP/2 connection; returns its Stream."""
    with Client(port, tls=tls, timeout=timeout) as c:
        return c.request(method, path, headers, body)


def probe_ok(port, path="/", tls=False, limit=2.0, what="after the abuse"):
    """A fresh, well-behaved client gets 200 for path within limit seconds
    (connect included); returns the time it took."""
    t0 = time.monotonic()
    try:
        st = get(port, path, tls=tls, timeout=limit + 3)
    except (OSError, AssertionError) as e:
        raise AssertionError(f"{what}: a well-behaved HTTP/2 client got no answer: {e!r}")
    took = time.monotonic() - t0
    assert st.status == 200, f"{what}: well-behaved client got {st}"
    assert took < limit, f"{what}: a well-behaved client waited {took:.2f} s for 200"
    return took


# ---------------------------------------------------------------------------
# Raw frames


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid & 0x7FFFFFFF) + payload


def settings_frame(pairs=(), ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0,
                 b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def rst_frame(sid, code=8):
    return frame(RST_STREAM, 0, sid, struct.pack(">I", code))


def window_update(sid, inc):
    return frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", inc & 0x7FFFFFFF))


def ping_frame(data=b"12345678", ack=False):
    return frame(PING, ACK if ack else 0, 0, data)


def hpack_int(value, prefix_bits, first=0):
    """RFC 7541 section 5.1 integer with the high bits of the first byte."""
    top = (1 << prefix_bits) - 1
    if value < top:
        return bytes([first | value])
    out = [first | top]
    value -= top
    while value >= 128:
        out.append((value & 127) | 128)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_str(s):
    b = s.encode("latin-1") if isinstance(s, str) else s
    return hpack_int(len(b), 7) + b


def hpack_literal(name, value, index=False):
    """A literal field with a new name: 'without indexing' (stateless), or
    'with incremental indexing' (enters the server's dynamic table)."""
    return (b"\x40" if index else b"\x00") + hpack_str(name) + hpack_str(value)


def request_block(path="/", method="GET", extra=(), authority="localhost", scheme="http"):
    """An HPACK block for a request, literals only (no table state)."""
    hs = [(":method", method), (":scheme", scheme), (":authority", authority),
          (":path", path)] + list(extra)
    return b"".join(hpack_literal(k, v) for k, v in hs)


def headers_frame(sid, block, end_stream=True, end_headers=True):
    return frame(HEADERS, (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0),
                 sid, block)


def parse_frames(buf):
    """Complete frames in buf as [(type, flags, sid, payload)], and the rest."""
    out = []
    while len(buf) >= 9:
        n = int.from_bytes(buf[:3], "big")
        if len(buf) < 9 + n:
            break
        out.append((buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF,
                    bytes(buf[9:9 + n])))
        buf = buf[9 + n:]
    return out, buf


class _Cut(bytes):
    """The first bytes of a DATA payload, with the length it had."""
    full_len = 0


def _cut(p):
    c = _Cut(p[:32])
    c.full_len = len(p)
    return c


def describe(frames, limit=12):
    """A short human description of frames, for failure messages."""
    parts = []
    for t, f, sid, p in frames[:limit]:
        name = FRAME_NAMES[t] if t < len(FRAME_NAMES) else f"type{t}"
        extra = ""
        if t in (RST_STREAM, GOAWAY):
            code = int.from_bytes(p[:4] if t == RST_STREAM else p[4:8], "big")
            extra = " " + ERRORS.get(code, str(code))
        parts.append(f"{name}(sid={sid}, flags={f:#x}, len={getattr(p, 'full_len', len(p))}"
                     f"{extra})")
    if len(frames) > limit:
        parts.append(f"... {len(frames) - limit} more")
    return ", ".join(parts)


def goaway_of(frames):
    """(error code, last stream id, debug) of the first GOAWAY, or None."""
    for t, _, _, p in frames:
        if t == GOAWAY:
            return (int.from_bytes(p[4:8], "big"), int.from_bytes(p[:4], "big") & 0x7FFFFFFF,
                    p[8:])
    return None


def resets_of(frames):
    """{stream id: error code} of the RST_STREAM frames."""
    return {sid: int.from_bytes(p[:4], "big") for t, _, sid, p in frames if t == RST_STREAM}


class Raw:
    """A raw HTTP/2 connection for exact and hostile frames: sends the
    preface and a SETTINGS frame (settings: [(id, value)]). It keeps the
    newest frames read in self.frames (DATA payloads cut to 32 bytes),
    decodes response heads into self.heads, counts DATA bytes in
    self.data_len and, with flow=True, gives back what DATA took from the
    windows (WINDOW_UPDATE), as a reading client does. It acknowledges
    nothing else unless told."""

    def __init__(self, port, rcvbuf=None, settings=(), preface=True, tls=False, flow=False,
                 keep_body=False):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            s = ctx.wrap_socket(s, server_hostname="localhost")
        self.sock = s
        self.buf = b""
        self.frames = []
        self.keep = 4000  # frames kept in self.frames (the newest)
        self.closed = False  # EOF or reset seen while reading
        self.send_failed = False  # EPIPE or reset seen while writing
        self.how = None  # how the connection ended, as seen first
        self.goaway = None  # (error code, last stream id, debug) of the first GOAWAY
        self.goaways = []
        self.resets = {}  # stream id -> RST_STREAM error code
        self.heads = {}  # stream id -> [(name, value)] of the response head
        self.data_len = {}  # stream id -> DATA bytes received
        self.bodies = {} if keep_body else None  # stream id -> bytearray
        self.ended_streams = set()  # streams that ended with END_STREAM
        self.flow = flow
        self.decoder = hpack.Decoder()
        self._block = None  # (stream id, bytes) of a head awaiting CONTINUATION
        if preface:
            self.send(PREFACE + settings_frame(settings))

    def status(self, sid):
        head = self.heads.get(sid)
        return int(dict(head)[":status"]) if head else None

    def send(self, data, timeout=10.0):
        """Sends all of data; False when the server closed or reset the
        connection (what it sent before stays readable); raises
        socket.timeout when the server stopped reading for timeout
        seconds."""
        if self.closed or self.send_failed:
            return False
        self.sock.settimeout(timeout)
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError) as e:
            self.send_failed, self.how = True, f"send: {e!r}"
            return False

    def _handle(self, got):
        updates = []
        for t, f, sid, p in got:
            if t == GOAWAY:
                g = (int.from_bytes(p[4:8], "big"), int.from_bytes(p[:4], "big") & 0x7FFFFFFF,
                     p[8:])
                self.goaways.append(g)
                if self.goaway is None:
                    self.goaway = g
            elif t == RST_STREAM:
                self.resets[sid] = int.from_bytes(p[:4], "big")
            elif t == HEADERS:
                body = p
                if f & PADDED:
                    body = body[1:len(body) - body[0]]
                if f & PRIORITY_FLAG:
                    body = body[5:]
                self._block = (sid, body)
            elif t == CONTINUATION and self._block:
                self._block = (sid, self._block[1] + p)
            elif t == DATA:
                self.data_len[sid] = self.data_len.get(sid, 0) + len(p)
                if self.bodies is not None:
                    self.bodies.setdefault(sid, bytearray()).extend(
                        p[1:len(p) - p[0]] if f & PADDED else p)
                if f & END_STREAM:
                    self.ended_streams.add(sid)
                if self.flow and p:
                    updates.append(window_update(0, len(p)) + window_update(sid, len(p)))
            if t in (HEADERS, CONTINUATION) and f & END_HEADERS and self._block:
                bsid, block = self._block
                self._block = None
                try:
                    fields = [(k.decode("latin-1") if isinstance(k, bytes) else k,
                               v.decode("latin-1") if isinstance(v, bytes) else v)
                              for k, v in self.decoder.decode(block, raw=True)]
                except Exception as e:  # the test reports it with the frames
                    fields = [(":decode-error", repr(e))]
                self.heads.setdefault(bsid, fields)
            if t == HEADERS and f & END_STREAM:
                self.ended_streams.add(sid)
        if updates:
            self.send(b"".join(updates))
        return [(t, f, sid, _cut(p) if t == DATA else p) for t, f, sid, p in got]

    def read(self, timeout=0.0, until=None):
        """Reads what is there (waiting up to timeout for more, or until
        until(frames) is true); returns the new frames."""
        new = []
        end = time.monotonic() + timeout
        while not self.closed:
            left = end - time.monotonic()
            if until is not None and until(self.frames):
                break
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            r, _, _ = select.select([self.sock], [], [], 0 if pending else max(0.0, left))
            if not r and not pending:
                if left <= 0:
                    break
                continue
            try:
                chunk = self.sock.recv(1 << 20)
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError) as e:
                if isinstance(e, ssl.SSLWantReadError):
                    continue
                self.closed, self.how = True, self.how or f"recv: {e!r}"
                break
            if not chunk:
                self.closed, self.how = True, self.how or "EOF"
                break
            got, self.buf = parse_frames(self.buf + chunk)
            got = self._handle(got)
            new += got
            self.frames = (self.frames + got)[-self.keep:]
            if left <= 0:
                end = time.monotonic()  # drain what is ready, no more waiting
        return new

    def ack_settings(self):
        return self.send(settings_frame(ack=True))

    def server_settings(self, timeout=5.0):
        """The pairs of the server's first SETTINGS frame (waits for it)."""
        self.read(timeout, until=lambda fs: any(t == SETTINGS and not f & ACK
                                                 for t, f, _, _ in fs))
        for t, f, _, p in self.frames:
            if t == SETTINGS and not f & ACK:
                return {struct.unpack(">H", p[i:i + 2])[0]: struct.unpack(">I", p[i + 2:i + 6])[0]
                        for i in range(0, len(p), 6)}
        raise AssertionError(f"no SETTINGS from the server: {describe(self.frames)} {self.how}")

    def ended(self, timeout=5.0):
        """Reads until the server closes or sends GOAWAY (or timeout);
        returns a description of how the connection ended, or None."""
        self.read(timeout, until=lambda fs: self.goaway is not None)
        g = self.goaway
        if g is not None:
            return f"GOAWAY {ERRORS.get(g[0], g[0])}"
        if self.closed:
            return f"closed ({self.how})"
        return None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def flood(raw, chunks, deadline, read=True):
    """Sends each chunk of the iterable chunks on raw until the server
    closes the connection or deadline (monotonic) passes, reading (and
    dropping) what it answers when read is true. Returns (chunks sent,
    outcome): 'closed', 'stalled' (the server stopped reading for 3 s),
    or 'sent' (all of it went)."""
    n = 0
    for c in chunks:
        if time.monotonic() > deadline:
            return n, "deadline"
        try:
            ok = raw.send(c, timeout=3.0)
        except (socket.timeout, TimeoutError):
            return n, "stalled"
        if not ok:
            return n, "closed"
        n += 1
        if read and n % 16 == 0:
            raw.read(0)
            if raw.closed:
                return n, "closed"
    return n, "sent"


def h2spec_cases(xml_path):
    """[(case id, description, failure message or None)] from h2spec's
    JUnit report; ids as h2spec names them (http2/5.3.1/1)."""
    import xml.etree.ElementTree as ET
    out = []
    root = ET.parse(xml_path).getroot()
    for suite in root.iter("testsuite"):
        pkg = suite.get("package") or suite.get("name")
        for i, case in enumerate(suite.findall("testcase"), 1):
            fail = case.find("failure")
            err = case.find("error")
            bad = fail if fail is not None else err
            msg = None
            if bad is not None:
                msg = (bad.get("message") or "") + (bad.text or "")
            skipped = case.find("skipped") is not None
            out.append((f"{pkg}/{i}", case.get("classname") or case.get("name"),
                        "skipped" if skipped and msg is None else msg))
    return out
