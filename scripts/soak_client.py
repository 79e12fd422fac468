#!/usr/bin/env python3
# soak_client.py: the load behind scripts/soak — thousands of keep-alive HTTP/1.1 connections, every response checked.
"""Run by scripts/soak (which builds, starts demo-api and Gatehouse, and stops them); Python 3.11
standard library only.

    soak_client.py load    ...   one phase of load; writes a JSON result file
    soak_client.py summary ...   the table for both phases, and the verdict (exit status)

Each connection is one asyncio task running a keep-alive loop: send a request, read the whole
response (head, then a Content-Length or chunked body), check it, send the next one. No
pipelining: one request per connection at a time, so each connection always has a request
in flight or is about to send one. The mix (weights in REQUEST_MIX) covers cache hits, misses
that fill the cache past its memory budget (eviction), uncacheable pass-through, slow upstream
answers, small POST bodies echoed back and range requests (206 with the part, cut from the cache).

Every response is checked: status 200 (206 for a range), exactly one framing (Content-Length or chunked) and a body
of exactly that length, and a body that is right for the URL (the /bytes pattern, the user id,
the echoed bytes, ...).

See scripts/soak's header for how phase 2 (SIGTERM during load) classifies requests.
"""

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_runner import cpu_times, process_status as proc_status  # noqa: E402  (shared with scripts/bench)

# ---------------------------------------------------------------------------------------------
# What we send

USERS = 142  # demo-api's seeded users (ids 1...142)
HOT_BYTES_URLS = 2000  # distinct /bytes/{1024,4096}?k= URLs: hits once warmed
FILL_SIZE = 32 * 1024  # /bytes/32768?u=<unique>: a miss that is stored, so the cache fills and evicts
PATTERN_LINE = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\n"
PATTERN = PATTERN_LINE * (64 * 1024 // 64 + 1)

# (weight, kind)
REQUEST_MIX = [
    (30, "user"),      # GET /api/users/{1..142}: cacheable JSON (rule ttl + origin max-age)
    (5, "users"),      # GET /api/users?per_page=..&page=..: cacheable list
    (15, "bytes"),     # GET /bytes/{1024|4096}?k={1..2000}: cacheable, mostly hits
    (10, "fill"),      # GET /bytes/32768?u=<unique>: always a miss, stored (exercises the budget)
    (20, "nocache"),   # GET /nocache: no-store, pass-through (hit-for-pass)
    (5, "delay"),      # GET /delay/{10..100}?u=<unique>: slow origin answer, in flight for a while
    (15, "echo"),      # POST /echo with 16..4096 bytes: the body comes back
    (10, "range"),     # GET /bytes/{4096|32768}?k={1..2000} with one `Range`: 206 with the part,
                       # cut from the entry (a miss fills it); 200 with the whole when forwarded
]
KINDS = [kind for _, kind in REQUEST_MIX]
WEIGHTS = [weight for weight, _ in REQUEST_MIX]


class Request:
    __slots__ = ("kind", "method", "path", "body", "check", "rid", "sent_wall", "clean_write", "fields")

    def __init__(self, kind, method, path, body, check, rid, fields=()):
        self.kind = kind
        self.method = method
        self.path = path
        self.body = body
        self.fields = fields  # extra request fields, as (name, value)
        self.check = check  # (name, argument) for check_body
        self.rid = rid
        self.sent_wall = None
        self.clean_write = False  # the kernel held nothing from the server just before the write

    def encode(self, host):
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", f"X-Request-Id: {self.rid}",
                 "User-Agent: gatehouse-soak"] + [f"{name}: {value}" for name, value in self.fields]
        if self.body is not None:
            lines += ["Content-Type: application/octet-stream", f"Content-Length: {len(self.body)}"]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
        return head + self.body if self.body else head


def make_request(rng, rid, unique):
    kind = rng.choices(KINDS, WEIGHTS)[0]
    if kind == "user":
        n = rng.randint(1, USERS)
        return Request(kind, "GET", f"/api/users/{n}", None, ("user", n), rid)
    if kind == "users":
        per_page = rng.choice((5, 10, 20))
        page = rng.randint(1, 3)
        return Request(kind, "GET", f"/api/users?per_page={per_page}&page={page}", None, ("json", None), rid)
    if kind == "bytes":
        size = rng.choice((1024, 4096))
        return Request(kind, "GET", f"/bytes/{size}?k={rng.randint(1, HOT_BYTES_URLS)}", None, ("bytes", size), rid)
    if kind == "fill":
        return Request(kind, "GET", f"/bytes/{FILL_SIZE}?u={unique}", None, ("bytes", FILL_SIZE), rid)
    if kind == "nocache":
        return Request(kind, "GET", "/nocache", None, ("nocache", None), rid)
    if kind == "delay":
        ms = rng.randint(10, 100)
        return Request(kind, "GET", f"/delay/{ms}?u={unique}", None, ("delay", ms), rid)
    if kind == "range":
        size = rng.choice((4096, 32768))
        first = rng.randrange(size)
        last = rng.randrange(first, size)
        return Request(kind, "GET", f"/bytes/{size}?k={rng.randint(1, HOT_BYTES_URLS)}", None, ("range", (size, first, last)),
                       rid, fields=(("Range", f"bytes={first}-{last}"),))
    body = rng.randbytes(rng.randint(16, 4096))
    return Request(kind, "POST", "/echo", body, ("echo", body), rid)


def check_body(check, body, status=200):
    """None when the body is right for the request (answered `status`), else what is wrong."""
    name, arg = check
    if name == "range":
        size, first, last = arg
        if status == 206:
            return None if body == PATTERN[first:last + 1] else f"206 body is not bytes {first}-{last} of the pattern ({len(body)} bytes)"
        return None if body == PATTERN[:size] else f"/bytes body (whole, for a range) differs from the pattern ({len(body)} bytes)"
    if name == "bytes":
        return None if body == PATTERN[:arg] else f"/bytes body differs from the pattern ({len(body)} bytes)"
    if name == "echo":
        return None if body == arg else f"echo body differs ({len(body)} bytes back, {len(arg)} sent)"
    try:
        value = json.loads(body)
    except ValueError:
        return f"body is not JSON: {body[:80]!r}"
    if name == "user" and not (isinstance(value, dict) and isinstance(value.get("data"), dict)
                               and value["data"].get("id") == arg):
        return f"wrong user: {body[:80]!r}"
    if name == "nocache" and not (isinstance(value, dict) and value.get("nocache") is True):
        return f"wrong /nocache body: {body[:80]!r}"
    if name == "delay" and not (isinstance(value, dict) and value.get("delayed_ms") == arg):
        return f"wrong /delay body: {body[:80]!r}"
    return None


# ---------------------------------------------------------------------------------------------
# One connection: an asyncio Protocol with its own buffer, so we always know how many response
# bytes arrived before an EOF or a reset (StreamReader can drop buffered data on an exception).


class Conn(asyncio.Protocol):
    def __init__(self, loop, peek=False):
        self.loop = loop
        self.peek = peek          # keep a duplicate descriptor to look at the kernel's socket state
        self.peek_sock = None
        self.transport = None
        self.buf = bytearray()
        self.eof = False          # the server's FIN arrived
        self.lost = False         # the transport is gone
        self.error = None         # the exception connection_lost reported (a reset), if any
        self.timed_out = False
        self.waiter = None
        self.opened_at = time.time()
        self.responses = 0        # complete responses read on this connection

    def connection_made(self, transport):
        self.transport = transport
        if self.peek:
            sock = transport.get_extra_info("socket")
            self.peek_sock = socket.fromfd(sock.fileno(), socket.AF_INET, socket.SOCK_STREAM)

    def kernel_state(self):
        """What the kernel already holds from the server, whatever our event loop has seen yet:
        "open" (nothing), "fin", "reset" or "data"."""
        if self.peek_sock is None:
            return "open"
        try:
            data = self.peek_sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return "open"
        except ConnectionResetError:
            return "reset"
        except OSError:
            return "error"
        return "fin" if data == b"" else "data"

    def _release_peek(self):
        # The duplicate keeps the socket open: it must go when the connection does.
        if self.peek_sock is not None:
            self.peek_sock.close()
            self.peek_sock = None

    def data_received(self, data):
        self.buf += data
        self._wake()

    def eof_received(self):
        self.eof = True
        self._wake()
        return False  # close our side too

    def connection_lost(self, exc):
        self._release_peek()
        self.lost = True
        if exc is not None and self.error is None:
            self.error = exc
        self._wake()

    def on_timeout(self):
        self.timed_out = True
        self._wake()

    def _wake(self):
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def ended(self):
        return self.eof or self.lost or self.timed_out

    async def more(self):
        """Waits for more bytes, EOF, reset or the timeout."""
        self.waiter = self.loop.create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    def close(self):
        if self.transport is not None:
            self.transport.close()
        self._release_peek()


class ResponseError(Exception):
    """A response that did not complete or was wrong; kind names the counter."""

    def __init__(self, kind, detail="", got_bytes=0):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.got_bytes = got_bytes


def ended_kind(conn):
    if conn.timed_out:
        return "timeout"
    if isinstance(conn.error, ConnectionResetError):
        return "reset"
    if conn.error is not None:
        return "socket error"
    return "eof"


async def read_response(conn, is_head=False):
    """(status, headers dict, body, connection-close?) or ResponseError.

    got_bytes in the error: response bytes received for this request (0 = nothing at all)."""
    start = 0
    # Head
    while True:
        end = conn.buf.find(b"\r\n\r\n")
        if end >= 0:
            break
        if len(conn.buf) > 65536:
            raise ResponseError("bad framing", "response head over 64 KiB", len(conn.buf))
        if conn.ended:
            raise ResponseError(ended_kind(conn), "before the response head was complete", len(conn.buf))
        await conn.more()
    head = bytes(conn.buf[:end]).decode("latin-1")
    del conn.buf[:end + 4]
    got = end + 4
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ResponseError("bad framing", f"status line {lines[0]!r}", got)
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ResponseError("bad framing", f"header line {line!r}", got)
        name = name.strip().lower()
        value = value.strip()
        headers[name] = headers[name] + ", " + value if name in headers else value
    close = "close" in headers.get("connection", "").lower() or parts[0] == "HTTP/1.0"
    te = headers.get("transfer-encoding")
    cl = headers.get("content-length")
    if te is not None and cl is not None:
        raise ResponseError("bad framing", "both Content-Length and Transfer-Encoding", got)
    if is_head or status in (204, 304) or 100 <= status < 200:
        return status, headers, b"", close
    body = bytearray()
    if te is not None:
        if te.lower() != "chunked":
            raise ResponseError("bad framing", f"Transfer-Encoding {te!r}", got)
        while True:
            while (line_end := conn.buf.find(b"\r\n")) < 0:
                if conn.ended:
                    raise ResponseError("truncated", f"{ended_kind(conn)} in a chunk size line", got + len(conn.buf))
                await conn.more()
            size_text = bytes(conn.buf[:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ResponseError("bad framing", f"chunk size {size_text!r}", got)
            need = line_end + 2 + size + 2
            while len(conn.buf) < need:
                if conn.ended:
                    raise ResponseError("truncated", f"{ended_kind(conn)} inside a chunk", got + len(conn.buf))
                await conn.more()
            if size == 0:
                # No trailers expected; the last chunk is "0\r\n\r\n".
                if conn.buf[line_end + 2:need] != b"\r\n":
                    raise ResponseError("bad framing", "trailers or bad last chunk", got)
                del conn.buf[:need]
                break
            if conn.buf[need - 2:need] != b"\r\n":
                raise ResponseError("bad framing", "chunk not followed by CRLF", got)
            body += conn.buf[line_end + 2:need - 2]
            del conn.buf[:need]
            got += need
    elif cl is not None:
        if not cl.isdigit():
            raise ResponseError("bad framing", f"Content-Length {cl!r}", got)
        length = int(cl)
        while len(conn.buf) < length:
            if conn.ended:
                raise ResponseError("truncated", f"{ended_kind(conn)} after {len(conn.buf)} of {length} body bytes",
                                    got + len(conn.buf))
            await conn.more()
        body = conn.buf[:length]
        del conn.buf[:length]
    else:
        raise ResponseError("bad framing", "no Content-Length and not chunked", got)
    return status, headers, bytes(body), close


# ---------------------------------------------------------------------------------------------
# The load


class Load:
    def __init__(self, args):
        self.args = args
        self.loop = asyncio.get_running_loop()
        self.host = f"127.0.0.1:{args.port}"
        self.stop = False
        self.t_start = None
        self.t_ramped = None
        self.t_end_load = None
        self.sigterm_at = None        # time.time() of our SIGTERM (phase 2)
        self.ok = 0
        self.ok_by_kind = {k: 0 for k in KINDS}
        self.errors = {}              # kind -> count
        self.error_samples = []       # first few, with detail
        self.latencies = []
        self.connects = 0
        self.connect_errors = {}
        self.announced_closes = 0     # responses with Connection: close (we then reconnect)
        self.open_now = 0
        self.open_max = 0
        self.open_min_steady = None
        self.loop_lag_max = 0.0
        self.metrics_fetch_max = 0.0
        self.metrics_failures = 0
        self.cpu_at_ramp = None
        self.cpu_at_end = None
        self.rss = []                 # (seconds since start, VmRSS kB)
        self.rss_idle_kb = None
        self.rss_ramped_kb = None
        self.hwm_kb = None
        self.metrics = []             # samples of selected Gatehouse metrics
        self.in_flight = 0            # requests written and not yet answered (or failed)
        self.in_flight_at_sigterm = None
        # Phase 2 bookkeeping
        self.ok_ids = set()
        self.unanswered = []          # requests that got no response byte: (rid, kind, t, how, after_sigterm)
        self.lost = []                # requests that are lost whatever the log says
        self.not_sent = 0             # connection closed by the server before we wrote the request
        self.refused_after_sigterm = 0
        self.ok_after_sigterm = 0
        self.closes_after_sigterm = 0
        self.connects_after_sigterm = 0

    # -- helpers

    def count_error(self, kind, detail, req=None):
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 20:
            where = f"{req.method} {req.path} [{req.rid}]" if req else ""
            self.error_samples.append(f"{kind}: {where} {detail}".strip())

    def after_sigterm(self):
        return self.sigterm_at is not None

    # -- a connection's life

    async def connect(self, sem):
        async with sem:
            try:
                _, conn = await asyncio.wait_for(
                    self.loop.create_connection(lambda: Conn(self.loop, peek=self.args.phase == "drain"),
                                               "127.0.0.1", self.args.port),
                    timeout=self.args.connect_timeout)
            except (asyncio.TimeoutError, TimeoutError):
                return None, "connect timeout"
            except ConnectionRefusedError:
                return None, "connect refused"
            except OSError as error:
                return None, f"connect {os.strerror(error.errno) if error.errno else error}"
        self.connects += 1
        if self.after_sigterm():
            self.connects_after_sigterm += 1
        self.open_now += 1
        self.open_max = max(self.open_max, self.open_now)
        return conn, None

    def closed(self, conn):
        conn.close()
        self.open_now -= 1

    async def worker(self, index, sem, ramp_done):
        rng = random.Random(self.args.seed * 100003 + index)
        seq = 0
        conn = None
        first = True
        try:
            while not self.stop:
                if conn is None:
                    conn, problem = await self.connect(sem if first else self.reconnect_sem)
                    if conn is None:
                        self.connect_errors[problem] = self.connect_errors.get(problem, 0) + 1
                        if self.after_sigterm():
                            # The listener is closed: this connection's part of the test is over.
                            self.refused_after_sigterm += 1
                            return
                        self.count_error(problem, "")
                        if first:
                            ramp_done()
                            first = False
                        await asyncio.sleep(0.5)
                        continue
                    if first:
                        ramp_done()
                        first = False
                        # Start sending together once every connection is open, so the ramp
                        # measures accepting and the steady state sees all of them busy.
                        await self.ramped.wait()
                        if self.stop:
                            break
                if conn.ended or conn.buf:
                    # The server closed (or wrote) before we sent anything on this connection.
                    if conn.buf:
                        self.count_error("unsolicited bytes", repr(bytes(conn.buf[:80])))
                    elif self.after_sigterm():
                        self.not_sent += 1
                    else:
                        self.count_error("closed while idle", ended_kind(conn))
                    self.closed(conn)
                    conn = None
                    continue
                clean_write = False
                if self.after_sigterm():
                    if conn.kernel_state() != "open":
                        # Gatehouse's FIN (or RST) is already in our socket, though our event
                        # loop has not seen it yet: the server closed first, so we do not send.
                        self.not_sent += 1
                        self.closed(conn)
                        conn = None
                        continue
                    clean_write = True
                seq += 1
                rid = f"soak-{self.args.phase}-{index}-{seq}"
                req = make_request(rng, rid, f"{self.args.phase}-{index}-{seq}")
                req.clean_write = clean_write
                await self.exchange(conn, req)
                if conn.ended or conn.lost:
                    self.closed(conn)
                    conn = None
        finally:
            if first:
                ramp_done()
            if conn is not None:
                self.closed(conn)

    async def exchange(self, conn, req):
        """One request and its response on an open connection; counts the outcome."""
        sent_at = time.monotonic()
        req.sent_wall = time.time()
        timer = self.loop.call_later(self.args.request_timeout, conn.on_timeout)
        self.in_flight += 1
        try:
            conn.transport.write(req.encode(self.host))
            status, headers, body, close = await read_response(conn)
        except ResponseError as error:
            self.failed(conn, req, error)
            conn.close()
            conn.lost = True
            return
        finally:
            timer.cancel()
            self.in_flight -= 1
        conn.responses += 1
        latency = time.monotonic() - sent_at
        problem = None
        if status != 200 and not (status == 206 and req.kind == "range"):
            problem = ("5xx" if status >= 500 else "bad status", f"{status} {body[:120]!r}")
        else:
            detail = check_body(req.check, body, status)
            if detail:
                problem = ("bad body", detail)
        if problem:
            self.count_error(problem[0], problem[1], req)
            if self.args.phase == "drain":
                self.lost.append({"rid": req.rid, "kind": req.kind, "method": req.method,
                                  "why": f"{problem[0]}: {problem[1]}", "category": problem[0],
                                  "after_sigterm": self.after_sigterm()})
        else:
            self.ok += 1
            self.ok_by_kind[req.kind] += 1
            self.latencies.append(latency)
            if self.args.phase == "drain":
                self.ok_ids.add(req.rid)
                if self.after_sigterm():
                    self.ok_after_sigterm += 1
        if close:
            self.announced_closes += 1
            if self.after_sigterm():
                self.closes_after_sigterm += 1
            elif self.args.phase == "load":
                # Nothing should make Gatehouse give up a keep-alive connection in phase 1.
                self.count_error("Connection: close", f"status {status}", req)
            conn.close()
            conn.lost = True

    def failed(self, conn, req, error):
        how = error.kind
        if self.args.phase != "drain":
            self.count_error(how if how not in ("eof",) else "closed before response", error.detail, req)
            return
        record = {"rid": req.rid, "kind": req.kind, "method": req.method, "how": how, "detail": error.detail,
                  "got_bytes": error.got_bytes, "after_sigterm": self.after_sigterm(),
                  "failed_wall": time.time(), "sent_wall": req.sent_wall, "conn_opened_wall": conn.opened_at,
                  "conn_responses_before": conn.responses, "clean_write": req.clean_write}
        if error.got_bytes > 0 or how in ("timeout", "bad framing", "truncated"):
            # The response started (or never came in time): no client could safely retry.
            record["why"] = f"{how} after {error.got_bytes} response bytes: {error.detail}"
            record["category"] = f"{how} after the response started" if error.got_bytes else how
            self.lost.append(record)
            self.count_error("lost: " + how, error.detail, req)
        else:
            # No response byte, and the connection ended: decided against the access log later.
            self.unanswered.append(record)

    # -- side tasks

    async def sample(self):
        """Every second: Gatehouse's RSS and the connections we hold open."""
        next_at = time.monotonic() + 1.0
        while not self.stop:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += 1.0
            if self.stop:
                break
            now = time.monotonic()
            rss = proc_status(self.args.gatehouse_pid, "VmRSS")
            if rss is not None:
                self.rss.append((round(now - self.t_start, 1), rss))
            if self.t_ramped is not None and self.t_end_load is None and not self.after_sigterm():
                self.open_min_steady = self.open_now if self.open_min_steady is None else min(self.open_min_steady, self.open_now)

    async def watch_lag(self):
        """How late our own event loop wakes up: a saturated client shows up here."""
        while not self.stop:
            before = time.monotonic()
            await asyncio.sleep(0.1)
            self.loop_lag_max = max(self.loop_lag_max, time.monotonic() - before - 0.1)

    async def poll_metrics(self):
        """Every 5 s: a few of Gatehouse's metrics, and how long /metrics took to answer."""
        while not self.stop:
            await asyncio.sleep(5.0)
            if self.stop or self.after_sigterm():
                break
            await self.sample_metrics(time.monotonic())

    async def sample_metrics(self, now):
        if not self.args.admin_port:
            return
        text = await fetch_metrics(self.args.admin_port)
        took = time.monotonic() - now
        self.metrics_fetch_max = max(self.metrics_fetch_max, took)
        if text is None:
            self.metrics_failures += 1
            return
        sample = parse_metrics(text)
        sample["t"] = round(now - self.t_start, 1)
        sample["fetch_ms"] = round(took * 1000, 1)
        self.metrics.append(sample)

    def cpu_now(self):
        """CPU seconds so far: (Gatehouse, demo-api, this client)."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return (cpu_seconds(self.args.gatehouse_pid), cpu_seconds(self.args.demo_pid),
                usage.ru_utime + usage.ru_stime)

    # -- the run

    async def run(self):
        args = self.args
        self.t_start = time.monotonic()
        self.rss_idle_kb = proc_status(args.gatehouse_pid, "VmRSS")
        self.ramped = asyncio.Event()
        self.reconnect_sem = asyncio.Semaphore(64)
        pending = [args.connections]

        def ramp_done():
            pending[0] -= 1
            if pending[0] == 0:
                self.t_ramped = time.monotonic()
                self.ramped.set()

        sem = asyncio.Semaphore(args.connect_concurrency)
        side_tasks = [asyncio.create_task(self.sample()), asyncio.create_task(self.watch_lag()),
                      asyncio.create_task(self.poll_metrics())]
        workers = [asyncio.create_task(self.worker(i, sem, ramp_done)) for i in range(args.connections)]
        ramp_deadline = self.t_start + args.ramp_timeout
        while not self.ramped.is_set() and time.monotonic() < ramp_deadline:
            await asyncio.sleep(0.1)
        if not self.ramped.is_set():
            self.count_error("ramp timeout", f"{pending[0]} connections not open after {args.ramp_timeout}s")
            self.t_ramped = time.monotonic()
            self.ramped.set()
        self.rss_ramped_kb = proc_status(args.gatehouse_pid, "VmRSS")
        self.cpu_at_ramp = self.cpu_now()
        say(f"    {self.open_now} connections open after {self.t_ramped - self.t_start:.1f}s "
            f"(Gatehouse RSS {kib(self.rss_ramped_kb)}); load for {args.seconds}s")
        await self.sample_metrics(time.monotonic())

        progress_every = 10
        deadline = self.t_ramped + args.seconds
        next_progress = self.t_ramped + progress_every
        sigterm_due = self.t_ramped + args.sigterm_after if args.sigterm_after is not None else None
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            if sigterm_due is not None and self.sigterm_at is None and now >= sigterm_due:
                await self.sample_metrics(now)
                self.hwm_kb = proc_status(args.gatehouse_pid, "VmHWM")
                self.sigterm_at = time.time()
                self.sigterm_ok_before = self.ok
                self.in_flight_at_sigterm = self.in_flight
                os.kill(args.gatehouse_pid, signal.SIGTERM)
                with open(args.sigterm_file, "w") as f:
                    f.write(f"{self.sigterm_at:.6f}\n")
                say(f"    SIGTERM to Gatehouse at {now - self.t_ramped:.1f}s ({self.open_now} connections open, "
                    f"{self.ok:,} requests ok so far)")
            if self.sigterm_at is not None and all(w.done() for w in workers):
                break  # every connection has been closed and refused: nothing more to send to
            if now >= next_progress:
                next_progress += progress_every
                errors = sum(self.errors.values())
                say(f"    {now - self.t_ramped:5.0f}s  {self.ok:>9,} ok  {errors} errors  {self.open_now} open  "
                    f"Gatehouse RSS {kib(proc_status(args.gatehouse_pid, 'VmRSS'))}")
        self.t_end_load = time.monotonic()
        self.cpu_at_end = self.cpu_now()
        if self.sigterm_at is None:
            self.hwm_kb = proc_status(args.gatehouse_pid, "VmHWM")
            await self.sample_metrics(time.monotonic())
        self.stop = True
        self.ramped.set()
        # Requests in flight at the deadline finish (bounded by their own timeout).
        done, not_done = await asyncio.wait(workers, timeout=args.request_timeout + 5)
        for task in not_done:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                self.count_error("client bug", repr(task.exception()))
        for task in side_tasks:
            task.cancel()

    def cpu_percent(self):
        """Share of one core each process used between the ramp and the end of the load (or the SIGTERM)."""
        if self.cpu_at_ramp is None or self.cpu_at_end is None:
            return None
        wall = max(self.t_end_load - self.t_ramped, 1e-9)
        names = ("gatehouse", "demo-api", "client")
        return {n: round((b - a) * 100 / wall) if a is not None and b is not None else None
                for n, a, b in zip(names, self.cpu_at_ramp, self.cpu_at_end)}

    def result(self):
        steady = max(self.t_end_load - self.t_ramped, 1e-9)
        lat = sorted(self.latencies)

        def pct(p):
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else None

        return {
            "phase": self.args.phase,
            "connections": self.args.connections,
            "seconds": self.args.seconds,
            "ramp_seconds": round(self.t_ramped - self.t_start, 2),
            "load_seconds": round(steady, 2),
            "requests_ok": self.ok,
            "ok_by_kind": self.ok_by_kind,
            "rps": round(self.ok / steady, 1),
            "latency_ms": {"p50": pct(0.50), "p99": pct(0.99), "max": round(lat[-1] * 1000, 1) if lat else None},
            "errors": self.errors,
            "error_samples": self.error_samples,
            "connects": self.connects,
            "connect_errors": self.connect_errors,
            "announced_closes": self.announced_closes,
            "open_max": self.open_max,
            "open_min_steady": self.open_min_steady,
            "client_loop_lag_max_ms": round(self.loop_lag_max * 1000, 1),
            "metrics_fetch_max_ms": round(self.metrics_fetch_max * 1000, 1),
            "metrics_failures": self.metrics_failures,
            "cpu_percent": self.cpu_percent(),
            "rss_idle_kib": self.rss_idle_kb,
            "rss_ramped_kib": self.rss_ramped_kb,
            "rss_samples": self.rss,
            "rss_peak_sampled_kib": max((r for _, r in self.rss), default=None),
            "vmhwm_kib": self.hwm_kb,
            "metrics": self.metrics,
        }


# ---------------------------------------------------------------------------------------------
# Phase 2: deciding the unanswered requests against the access log


def read_access_log(path):
    ids = {}
    malformed = 0
    try:
        with open(path, "rb") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    malformed += 1
                    continue
                rid = entry.get("request_id")
                if isinstance(rid, str) and rid.startswith("soak-"):
                    ids[rid] = entry
    except OSError as error:
        return None, str(error)
    return ids, malformed


def wait_for_exit_file(path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                text = f.read().split()
            if len(text) >= 2:
                return int(text[0]), float(text[1])
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    return None, None


def classify_drain(load, result, args):
    status, exited_at = wait_for_exit_file(args.exit_file, args.exit_wait)
    result["gatehouse_exit_status"] = status
    result["drain_seconds"] = round(exited_at - load.sigterm_at, 2) if exited_at and load.sigterm_at else None
    result["sigterm_sent"] = load.sigterm_at is not None
    logged, malformed = read_access_log(args.access_log)
    drain = {
        "ok_before_sigterm": getattr(load, "sigterm_ok_before", load.ok),
        "ok_after_sigterm": load.ok_after_sigterm,
        "in_flight_at_sigterm": load.in_flight_at_sigterm,
        "gatehouse_in_flight_before_sigterm": load.metrics[-1].get("requests_in_flight") if load.metrics else None,
        "announced_closes_after_sigterm": load.closes_after_sigterm,
        "not_sent_server_closed_first": load.not_sent,
        "connects_refused_after_sigterm": load.refused_after_sigterm,
        "connects_accepted_after_sigterm": load.connects_after_sigterm,
        "retriable_unprocessed": 0,
        "lost": [],
        "retriable_samples": [],
    }
    if logged is None:
        drain["log_error"] = malformed
        logged = {}
        coverage_ok = False
    else:
        missing_ok = [rid for rid in load.ok_ids if rid not in logged]
        drain["log_lines"] = len(logged)
        drain["log_malformed_lines"] = malformed
        drain["answered_but_not_logged"] = len(missing_ok)
        coverage_ok = not missing_ok and malformed == 0
    drops = max((m.get("access_log_dropped", 0) for m in load.metrics), default=0)
    drain["access_log_dropped"] = drops
    coverage_ok = coverage_ok and drops == 0
    drain["log_is_complete"] = coverage_ok
    sigterm = load.sigterm_at
    counts = {"retriable_fin_race": 0, "retriable_listener_race": 0}
    for record in load.unanswered:
        entry = logged.get(record["rid"])
        for key in ("failed_wall", "sent_wall", "conn_opened_wall"):
            record[key.replace("_wall", "_after_sigterm_s")] = (
                round(record[key] - sigterm, 3) if sigterm and record.get(key) else None)
            record.pop(key, None)
        sent_after = sigterm is not None and record["sent_after_sigterm_s"] is not None \
            and record["sent_after_sigterm_s"] > 0
        new_conn_after = sigterm is not None and record["conn_opened_after_sigterm_s"] is not None \
            and record["conn_opened_after_sigterm_s"] > 0 and record["conn_responses_before"] == 0
        why = None
        category = None
        if entry is not None:
            category = "no response, but Gatehouse logged it"
            why = (f"no response byte ({record['how']}), but Gatehouse logged it: status {entry.get('status')}, "
                   f"{entry.get('bytes')} bytes, cache {entry.get('cache')}")
        elif not coverage_ok:
            category = "no response, log incomplete"
            why = f"no response byte ({record['how']}) and the access log is incomplete, so nothing proves it unread"
        elif not sent_after:
            category = f"{record['how']}, no response, written before SIGTERM"
            why = (f"written {-record['sent_after_sigterm_s'] if record['sent_after_sigterm_s'] is not None else '?'} s "
                   f"before the SIGTERM on an open keep-alive connection, then {record['how']} with no response byte")
        elif record["how"] == "eof" and not record["clean_write"]:
            # FIN first: Gatehouse closed the idle connection with nothing unread, and our
            # request crossed its FIN (RFC 9112 §9.3.1). Never received; clients retry it.
            counts["retriable_fin_race"] += 1
        elif record["how"] == "reset" and new_conn_after:
            # A connection opened after the SIGTERM whose first request was reset: it sat in the
            # listen backlog (or was accepted in the last moment) when the listener closed.
            counts["retriable_listener_race"] += 1
        elif record["how"] == "eof":
            category = "eof, no response, written after SIGTERM before any FIN had arrived"
            why = (f"EOF with no response byte, written {record['sent_after_sigterm_s']} s after the SIGTERM when "
                   "the kernel held no FIN yet (checked with MSG_PEEK just before the write): Gatehouse closed the "
                   "connection after our request reached it (read and dropped, or crossed its FIN within microseconds)")
        else:
            category = f"{record['how']}, no response, written after SIGTERM on an established connection"
            why = (f"{record['how']} with no response byte, written {record['sent_after_sigterm_s']} s after the SIGTERM "
                   f"on a connection that had already served {record['conn_responses_before']} responses and announced "
                   "nothing: Gatehouse closed it with the request unread in its socket (RST, not FIN)")
        if why is None:
            if len(drain["retriable_samples"]) < 5:
                drain["retriable_samples"].append(record)
        else:
            drain["lost"].append(dict(record, why=why, category=category))
    drain.update(counts)
    drain["retriable_unprocessed"] = sum(counts.values())
    drain["lost"] = load.lost + drain["lost"]
    drain["lost_count"] = len(drain["lost"])
    result["drain"] = drain
    return result


# ---------------------------------------------------------------------------------------------
# Gatehouse's process and metrics


def cpu_seconds(pid):
    """user + system CPU time of a process so far, or None without one."""
    return sum(cpu_times([pid])) if pid else None


async def fetch_metrics(port, timeout=10.0):
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    except (OSError, asyncio.TimeoutError):
        return None
    try:
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = await asyncio.wait_for(reader.read(-1), timeout)
    except (OSError, asyncio.TimeoutError):
        return None
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        return None
    if b"chunked" in head.lower():
        out = bytearray()
        rest = body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out += rest[:size]
            rest = rest[size + 2:]
        body = bytes(out)
    return body.decode("utf-8", "replace")


def parse_metrics(text):
    """The few numbers the report shows; sums over labels."""
    wanted = {
        "gatehouse_connections_active": "connections_active",
        "gatehouse_requests_in_flight": "requests_in_flight",
        "gatehouse_cache_bytes": "cache_bytes",
        "gatehouse_cache_entries": "cache_entries",
        "gatehouse_cache_evictions_total": "cache_evictions",
        "gatehouse_access_log_dropped_total": "access_log_dropped",
        "gatehouse_upstream_errors_total": "upstream_errors",
    }
    sample = {}
    codes = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, _, value = line.rpartition(" ")
        name = name_labels.split("{", 1)[0]
        try:
            number = float(value)
        except ValueError:
            continue
        if name in wanted:
            sample[wanted[name]] = sample.get(wanted[name], 0) + number
        elif name == "gatehouse_requests_total":
            code = name_labels.split('code="', 1)[1].split('"', 1)[0] if 'code="' in name_labels else "?"
            codes[code] = codes.get(code, 0) + number
    sample["requests_by_code"] = codes
    return {k: (int(v) if isinstance(v, float) and v.is_integer() else v) for k, v in sample.items()}


# ---------------------------------------------------------------------------------------------
# Output


def say(text=""):
    print(text, flush=True)


def kib(value):
    return "?" if value is None else f"{value / 1024:.1f} MiB"


def raise_nofile(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, max(needed, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft < needed:
        sys.exit(f"error: open-file limit {soft} is below the {needed} this load needs (ulimit -n)")


def set_mix(text):
    """--mix user=30,fill=10,...: the weights of the kinds named; the others get 0."""
    weights = {}
    for item in text.split(","):
        kind, _, weight = item.partition("=")
        if kind.strip() not in KINDS or not weight.strip().isdigit():
            sys.exit(f"error: --mix {text!r}: expected kind=weight with kinds from {', '.join(KINDS)}")
        weights[kind.strip()] = int(weight)
    if not any(weights.values()):
        sys.exit(f"error: --mix {text!r}: every weight is 0")
    WEIGHTS[:] = [weights.get(kind, 0) for kind in KINDS]


def cmd_load(args):
    raise_nofile(args.connections + 256)
    if args.mix:
        set_mix(args.mix)
    global FILL_SIZE
    if not 0 < args.fill_size <= 64 * 1024:
        sys.exit("error: --fill-size must be between 1 and 65536")
    FILL_SIZE = args.fill_size

    async def main():
        loop = asyncio.get_running_loop()
        load = Load(args)
        stopping = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        run = asyncio.create_task(load.run())
        stop_wait = asyncio.create_task(stopping.wait())
        await asyncio.wait([run, stop_wait], return_when=asyncio.FIRST_COMPLETED)
        if not run.done():
            load.stop = True
            run.cancel()
            sys.exit("soak_client: interrupted")
        stop_wait.cancel()
        run.result()
        return load

    load = asyncio.run(main())
    result = load.result()
    if args.phase == "drain":
        result = classify_drain(load, result, args)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


# ---------------------------------------------------------------------------------------------
# Summary


def cmd_summary(args):
    p1 = p2 = None
    if args.load:
        with open(args.load) as f:
            p1 = json.load(f)
    if args.drain:
        with open(args.drain) as f:
            p2 = json.load(f)
    failures = []
    if p1 is not None:
        summarize_load(p1, args, failures)
    if p2 is not None:
        summarize_drain(p2, args, failures)
    say()
    if failures:
        for failure in failures:
            say(f"FAIL: {failure}")
        return 1
    say("PASS")
    return 0


def summarize_load(p1, args, failures):
    budget_kib = args.budget_mib * 1024
    bound_kib = budget_kib + args.overhead_mib * 1024 + args.per_connection_kib * p1["connections"]
    peak_kib = max(x for x in (p1.get("vmhwm_kib"), p1.get("rss_peak_sampled_kib"), 0) if x is not None)
    say()
    say(f"## Soak: {p1['connections']:,} keep-alive connections, {p1['seconds']} s")
    say()
    say("| phase 1: load | |")
    say("|---|---|")
    say(f"| connections open at once (client view, min during load / max) | {p1['open_min_steady'] or 0:,} / "
        f"{p1['open_max']:,} |")
    active = [m.get("connections_active") for m in p1["metrics"] if m.get("connections_active") is not None]
    if active:
        say(f"| gatehouse_connections_active (sampled every 5 s, min / max) | {min(active):,} / {max(active):,} |")
    say(f"| ramp (all connections open) | {p1['ramp_seconds']} s |")
    say(f"| requests ok | {p1['requests_ok']:,} in {p1['load_seconds']} s = {p1['rps']:,.0f} req/s |")
    kinds = ", ".join(f"{k} {v:,}" for k, v in p1["ok_by_kind"].items())
    say(f"| ok by kind | {kinds} |")
    lat = p1["latency_ms"]
    say(f"| latency p50 / p99 / max | {lat['p50']} / {lat['p99']} / {lat['max']} ms |")
    errors = p1["errors"]
    say(f"| errors | {sum(errors.values())} {json.dumps(errors) if errors else ''} |")
    say(f"| connects (incl. reconnects) / announced closes | {p1['connects']:,} / {p1['announced_closes']:,} |")
    last = p1["metrics"][-1] if p1["metrics"] else {}
    if last:
        say(f"| Gatehouse requests by code (metrics) | {json.dumps(last.get('requests_by_code', {}))} |")
        say(f"| cache bytes / entries / evictions | {kib(last.get('cache_bytes', 0) / 1024)} / "
            f"{last.get('cache_entries', '?'):,} / {last.get('cache_evictions', '?'):,} |")
        say(f"| upstream errors (metrics) | {last.get('upstream_errors', 0)} |")
    say(f"| Gatehouse RSS idle / all connections open / peak (VmHWM) | {kib(p1['rss_idle_kib'])} / "
        f"{kib(p1['rss_ramped_kib'])} / {kib(peak_kib)} |")
    say(f"| RSS bound: memory_budget {args.budget_mib} MiB + {args.overhead_mib} MiB + "
        f"{args.per_connection_kib} KiB × {p1['connections']:,} connections | {kib(bound_kib)} |")
    say(f"| client event-loop lag (max) / slowest /metrics answer | {p1['client_loop_lag_max_ms']} ms / "
        f"{p1.get('metrics_fetch_max_ms')} ms |")
    cpu = p1.get("cpu_percent") or {}
    say(f"| CPU during the load (% of one core; 2 cores in all) | "
        + ", ".join(f"{k} {v}%" for k, v in cpu.items()) + " |")
    if sum(errors.values()):
        failures.append(f"phase 1: {sum(errors.values())} errors {errors}")
    if p1["open_min_steady"] is not None and p1["open_min_steady"] < p1["connections"]:
        failures.append(f"phase 1: only {p1['open_min_steady']} connections open at some point")
    if peak_kib > bound_kib:
        failures.append(f"phase 1: peak RSS {kib(peak_kib)} over the bound {kib(bound_kib)}")
    if last and last.get("cache_bytes", 0) > budget_kib * 1024:
        failures.append(f"phase 1: cache_bytes {last['cache_bytes']} over memory_budget")
    for sample in p1["error_samples"][:10]:
        say(f"    error: {sample}")


def summarize_drain(p2, args, failures):
    d = p2.get("drain", {})
    say()
    say(f"| phase 2: SIGTERM under load ({p2['connections']:,} connections) | |")
    say("|---|---|")
    say(f"| requests in flight at SIGTERM: client view / Gatehouse's gauge just before | "
        f"{d.get('in_flight_at_sigterm')} / {d.get('gatehouse_in_flight_before_sigterm')} |")
    say(f"| requests ok before / after SIGTERM | {d.get('ok_before_sigterm', 0):,} / {d.get('ok_after_sigterm', 0):,} |")
    say(f"| responses with Connection: close after SIGTERM | {d.get('announced_closes_after_sigterm', 0):,} |")
    say(f"| not sent: Gatehouse's FIN had arrived before we would have written | "
        f"{d.get('not_sent_server_closed_first', 0):,} |")
    say(f"| retriable: our request crossed Gatehouse's FIN on an idle connection (EOF, no response, not logged) | "
        f"{d.get('retriable_fin_race', 0):,} |")
    say(f"| retriable: first request on a connection opened after SIGTERM, reset by the listener close | "
        f"{d.get('retriable_listener_race', 0):,} |")
    say(f"| connects after SIGTERM: refused (listener closed) / accepted | "
        f"{d.get('connects_refused_after_sigterm', 0):,} / {d.get('connects_accepted_after_sigterm', 0):,} |")
    say(f"| access log: lines / answered-but-unlogged / dropped | {d.get('log_lines', '?'):,} / "
        f"{d.get('answered_but_not_logged', '?')} / {d.get('access_log_dropped', '?')} |")
    say(f"| LOST | {d.get('lost_count', '?')} |")
    by_category = {}
    for record in d.get("lost", []):
        key = (record.get("category") or "?", record.get("method") or "?")
        by_category[key] = by_category.get(key, 0) + 1
    for (category, method), n in sorted(by_category.items(), key=lambda item: -item[1]):
        say(f"| LOST: {category} ({method}) | {n:,} |")
    say(f"| Gatehouse exit status / drain time (SIGTERM → exit) | {p2.get('gatehouse_exit_status')} / "
        f"{p2.get('drain_seconds')} s (drain_timeout {args.drain_timeout} s) |")
    for record in d.get("lost", [])[:5]:
        say(f"    lost: {record.get('rid')} {record.get('kind')}: {record.get('why')}")
    if not p2.get("sigterm_sent"):
        failures.append("phase 2: SIGTERM was never sent")
    if d.get("lost_count", 1):
        failures.append(f"phase 2: {d.get('lost_count')} requests lost")
    other = {k: v for k, v in p2["errors"].items() if not k.startswith("lost: ")}
    if other:
        failures.append(f"phase 2: errors {other}")
    if p2.get("gatehouse_exit_status") != 0:
        failures.append(f"phase 2: Gatehouse exit status {p2.get('gatehouse_exit_status')}")
    drain_s = p2.get("drain_seconds")
    if drain_s is None or drain_s > args.drain_timeout:
        failures.append(f"phase 2: drain took {drain_s} s (drain_timeout {args.drain_timeout} s)")
    if not d.get("log_is_complete"):
        failures.append("phase 2: the access log is incomplete, so unanswered requests cannot be judged")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load")
    load.add_argument("--phase", choices=("load", "drain"), required=True)
    load.add_argument("--port", type=int, required=True)
    load.add_argument("--admin-port", type=int)
    load.add_argument("--gatehouse-pid", type=int, required=True)
    load.add_argument("--demo-pid", type=int)
    load.add_argument("--connections", type=int, default=2000)
    load.add_argument("--seconds", type=float, default=60)
    load.add_argument("--request-timeout", type=float, default=20)
    load.add_argument("--connect-timeout", type=float, default=10)
    load.add_argument("--connect-concurrency", type=int, default=256)
    load.add_argument("--ramp-timeout", type=float, default=60)
    load.add_argument("--seed", type=int, default=1)
    load.add_argument("--mix", help="kind=weight,... instead of REQUEST_MIX (for experiments)")
    load.add_argument("--fill-size", type=int, default=FILL_SIZE, help="body bytes of the fill kind (up to 65536)")
    load.add_argument("--out", required=True)
    load.add_argument("--sigterm-after", type=float, help="seconds after the ramp (phase drain)")
    load.add_argument("--sigterm-file", help="where the SIGTERM time is written (phase drain)")
    load.add_argument("--exit-file", help="where scripts/soak writes 'STATUS EPOCH' when Gatehouse exits")
    load.add_argument("--exit-wait", type=float, default=60)
    load.add_argument("--access-log", help="Gatehouse's access log (phase drain)")
    summary = sub.add_parser("summary")
    summary.add_argument("--load")
    summary.add_argument("--drain")
    summary.add_argument("--budget-mib", type=float, required=True)
    summary.add_argument("--overhead-mib", type=float, required=True)
    summary.add_argument("--per-connection-kib", type=float, required=True)
    summary.add_argument("--drain-timeout", type=float, required=True)
    args = parser.parse_args()
    if args.command == "load":
        if args.phase == "drain" and not (args.sigterm_after is not None and args.sigterm_file and args.exit_file
                                          and args.access_log):
            parser.error("--phase drain needs --sigterm-after, --sigterm-file, --exit-file and --access-log")
        return cmd_load(args)
    return cmd_summary(args)


if __name__ == "__main__":
    sys.exit(main())
