#!/usr/bin/env python3
# bench_runner.py: the orchestration behind scripts/bench — starts the origin, nginx, Gatehouse and Redis, runs wrk, prints the table.
"""Run by scripts/bench (which installs and builds first); settings come from BENCH_* variables.

Every process is started in its own session and remembered by PID, so it can be stopped (with
whatever it forked, e.g. nginx workers) without touching anyone else's processes of the same name.
"""

import argparse
import http.client
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
import threading
import time

# ---------------------------------------------------------------------------------------------
# Scenarios

HOT_URL = "/api/users/1"
SPREAD_URLS = 10_000

SCENARIOS = {
    "a": {"title": "(a) hit, one hot URL", "path": HOT_URL, "cacheable": True},
    "b": {"title": "(b) hits over 10,000 URLs", "path": "/bytes/1024?k=1", "cacheable": True,
          "script": "bench-spread.lua", "walk": True},
    "c": {"title": "(c) pass-through, uncacheable", "path": "/nocache", "cacheable": False},
    "d": {"title": "(d) 100 KiB hit", "path": "/bytes/102400", "cacheable": True},
    "e": {"title": "(e) (a) + 2 rate-limit policies", "path": HOT_URL, "cacheable": True,
          "rate_limits": True, "against": "a", "nginx": "nginx_limited_port"},
    "f": {"title": "(f) (a) with Redis cache store", "path": HOT_URL, "cacheable": True,
          "redis": True, "against": "a"},
    # Not one of issue 7's scenarios: what a browser's request fields cost each proxy on a hit
    # (wrk alone sends none), judged against (a) in the same rounds as (e) and (f) are.
    "g": {"title": "(g) (a) with a browser's request fields", "path": HOT_URL, "cacheable": True,
          "script": "bench-browser.lua", "against": "a"},
}

# The goals of (e) and (f) are fractions of (a). Measured minutes apart, the same build's (a)
# moves by more than the difference being measured, so these scenarios also run a Gatehouse with
# the (a) config in the same interleaved rounds (e, a, nginx, e, a, nginx, …) and the goal is
# judged on that side-by-side ratio.
GOALS_AGAINST = {"e": 0.95, "f": 0.5}
# How the rounds and tables name that second Gatehouse (every "against" above is (a)).
REFERENCE = "Gatehouse (a)"

MEMORY_BUDGET = "256MiB"
MEMORY_BUDGET_MIB = 256


class Interrupted(Exception):
    """SIGTERM/SIGHUP, turned into an exception so the finally blocks stop what we started."""


# ---------------------------------------------------------------------------------------------
# Settings


def env_duration(name, default):
    """A wrk duration ("8s", "1m", "500ms" is not accepted by wrk) and its length in seconds."""
    text = os.environ.get(name, default).strip()
    match = re.fullmatch(r"(\d+)([smh]?)", text)
    if not match:
        sys.exit(f"error: {name}={text!r}: expected a duration such as 8s or 1m")
    seconds = int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    return (match.group(1) + (match.group(2) or "s")), seconds


def env_int(name, default, minimum):
    text = os.environ.get(name, str(default)).strip()
    try:
        value = int(text)
    except ValueError:
        sys.exit(f"error: {name}={text!r}: expected a whole number")
    if value < minimum:
        sys.exit(f"error: {name}={value}: must be at least {minimum}")
    return value


def read_settings():
    settings = argparse.Namespace()
    settings.duration, settings.duration_s = env_duration("BENCH_DURATION", "8s")
    settings.warmup, settings.warmup_s = env_duration("BENCH_WARMUP", "2s")
    settings.connections = env_int("BENCH_CONNECTIONS", 64, 1)
    settings.wrk_threads = env_int("BENCH_THREADS", 1, 1)
    if settings.wrk_threads > settings.connections:
        sys.exit("error: BENCH_THREADS must not exceed BENCH_CONNECTIONS (wrk needs a connection per thread)")
    settings.rounds = env_int("BENCH_ROUNDS", 3, 1)
    # Long enough that nothing expires during a scenario: with max-age 30, the 10,000 warmed
    # URLs of (b) would turn into misses half way through its rounds.
    settings.max_age = env_int("BENCH_MAX_AGE", 3600, 1)
    settings.origin_threads = os.environ.get("BENCH_ORIGIN_THREADS", "").strip() or None
    # Worker count of both proxies (nginx worker_processes, Gatehouse server.threads): the issue
    # fixes nginx at auto; a like-for-like smaller count shows each without the CPUs oversubscribed.
    workers = os.environ.get("BENCH_WORKERS", "auto").strip().lower() or "auto"
    if workers != "auto" and not (workers.isdigit() and int(workers) >= 1):
        sys.exit(f"error: BENCH_WORKERS={workers!r}: a positive number or auto")
    settings.workers = None if workers == "auto" else workers
    settings.gatehouse_threads = os.environ.get("BENCH_GATEHOUSE_THREADS", "").strip() or settings.workers
    wanted = os.environ.get("BENCH_SCENARIOS", ",".join(SCENARIOS)).replace(" ", "")
    settings.scenarios = [s for s in wanted.lower().split(",") if s]
    unknown = [s for s in settings.scenarios if s not in SCENARIOS]
    if unknown or not settings.scenarios:
        sys.exit(f"error: BENCH_SCENARIOS={wanted!r}: pick from {','.join(SCENARIOS)}")
    settings.out = os.environ.get("BENCH_OUT", "").strip() or None
    return settings


# ---------------------------------------------------------------------------------------------
# Processes


class Processes:
    """Everything we start, stopped by PID in reverse order — also on error and Ctrl-C."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.running = []  # (name, Popen)

    def start(self, name, argv, cwd=None):
        out = open(os.path.join(self.logdir, f"{name}.out"), "ab")
        err = open(os.path.join(self.logdir, f"{name}.err"), "ab")
        try:
            # A new session: a terminal Ctrl-C reaches only us, and we stop the children in
            # order; the session's process group also holds whatever the child forks.
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    cwd=cwd, start_new_session=True)
        finally:
            out.close()
            err.close()
        self.running.append((name, proc))
        return proc

    def log_tail(self, name, lines=15):
        text = ""
        for suffix in ("err", "out"):
            path = os.path.join(self.logdir, f"{name}.{suffix}")
            if os.path.exists(path):
                with open(path, "rb") as f:
                    text += f.read().decode("utf-8", "replace")
        return "\n".join(text.strip().splitlines()[-lines:])

    def stop(self, proc, timeout=10):
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill_group(proc.pid)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
            except ProcessLookupError:
                pass
        # Children left in the group (nginx workers whose master died) are ours too.
        self._kill_group(proc.pid)
        self.running = [(n, p) for (n, p) in self.running if p is not proc]

    @staticmethod
    def _kill_group(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop_all(self):
        for _, proc in reversed(list(self.running)):
            self.stop(proc)


def free_ports(count):
    """Ports the kernel calls free on 127.0.0.1 (all held open together, so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_for_port(port, proc, name, procs, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with status {proc.returncode}:\n{procs.log_tail(name)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port} within {timeout:.0f}s:\n{procs.log_tail(name)}")


def process_status(pid, field):
    """A line of /proc/PID/status in kB (VmHWM, VmRSS), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_times(pids):
    """(user, system) CPU seconds of these processes so far."""
    user = system = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11])  # utime
            system += int(fields[12])  # stime
        except (OSError, IndexError, ValueError):
            pass
    return user / CLOCK_TICKS, system / CLOCK_TICKS


def cpu_seconds(pids):
    """user + system CPU time of these processes so far."""
    return sum(cpu_times(pids))


def with_children(pid):
    """pid and its direct children (nginx master + workers)."""
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return pids


# ---------------------------------------------------------------------------------------------
# HTTP checks and the warm-up walk


def http_get(port, path, conn=None, timeout=5.0):
    """(status, headers dict with lower-case names, body length); reuses conn when given."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, len(body)
    finally:
        if own:
            conn.close()


def walk_urls(port, paths, connections=8, time_limit=180.0):
    """GET every path once over a few keep-alive connections; returns {status: count}."""
    counts = {}
    lock = threading.Lock()
    deadline = time.monotonic() + time_limit
    chunks = [paths[i::connections] for i in range(connections)]

    def worker(chunk):
        conn = None
        local = {}
        for path in chunk:
            if time.monotonic() > deadline:
                local["timeout"] = local.get("timeout", 0) + 1
                continue
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                status, headers, _ = http_get(port, path, conn)
                local[status] = local.get(status, 0) + 1
                if headers.get("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                local["error"] = local.get("error", 0) + 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            for k, v in local.items():
                counts[k] = counts.get(k, 0) + v

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(time_limit + 10)
    return counts


def is_gatehouse_hit(headers):
    # RFC 9211: "gatehouse; hit; ttl=25" on a hit, "gatehouse; fwd=..." otherwise.
    return re.search(r"(^|;)\s*hit\b", headers.get("cache-status", "")) is not None


def redis_dbsize(port):
    """Number of keys in our Redis, or an error text (RESP by hand: one tiny command)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"*1\r\n$6\r\nDBSIZE\r\n")
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = s.recv(64)
                if not chunk:
                    break
                reply += chunk
        text = reply.decode("utf-8", "replace").strip()
        return int(text[1:]) if text.startswith(":") else f"unexpected reply {text!r}"
    except (OSError, ValueError) as error:
        return f"error: {error}"


# ---------------------------------------------------------------------------------------------
# wrk


def to_microseconds(value, unit):
    return float(value) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}[unit]


def parse_wrk(output):
    """Requests/s, p50 and p99 (µs), and the error counts from wrk --latency output."""
    result = {"rps": None, "p50": None, "p99": None, "non2xx": 0, "socket_errors": 0, "requests": None}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if m:
        result["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s*{pct}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M)
        if m:
            result[key] = to_microseconds(m.group(1), m.group(2))
    m = re.search(r"^\s*(\d+) requests in", output, re.M)
    if m:
        result["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if m:
        result["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if m:
        result["socket_errors"] = sum(int(g) for g in m.groups())
    return result


class Wrk:
    def __init__(self, settings, scripts_dir):
        self.settings = settings
        self.scripts_dir = scripts_dir

    def argv(self, port, scenario, duration):
        s = self.settings
        argv = ["wrk", f"-t{s.wrk_threads}", f"-c{s.connections}", f"-d{duration}", "--latency", "--timeout", "5s"]
        if "script" in scenario:
            argv += ["-s", os.path.join(self.scripts_dir, scenario["script"])]
            argv.append(f"http://127.0.0.1:{port}/")
        else:
            argv.append(f"http://127.0.0.1:{port}{scenario['path']}")
        return argv

    def run(self, port, scenario, duration, duration_s, cpu_pids=()):
        """One bounded wrk run; cpu_pids: processes whose CPU time per request we also want."""
        cpu_pids = [list(p) for p in cpu_pids]
        before = [cpu_seconds(p) for p in cpu_pids]
        returncode, stdout, stderr, wrk_cpu = run_with_cpu(self.argv(port, scenario, duration), duration_s + 30)
        after = [cpu_seconds(p) for p in cpu_pids]
        result = parse_wrk(stdout)
        if returncode != 0 or result["rps"] is None:
            raise RuntimeError(f"wrk failed ({returncode}):\n{stdout}{stderr}")
        requests = result["requests"] or 0
        result["cpu_us"] = [((a - b) * 1e6 / requests) if requests else None for a, b in zip(after, before)]
        # The client's share: on this machine wrk and the proxy share the cores, so requests/s
        # follow their CPU per request together.
        result["client_cpu_us"] = wrk_cpu * 1e6 / requests if requests else None
        return result


def run_with_cpu(argv, timeout):
    """Runs argv to its end (killed after `timeout` s); returns (exit code, stdout, stderr, its
    own CPU seconds). Reaped with wait4 for its rusage: runs in other threads don't mix in."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        errors = []
        reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()))
        reader.start()
        output = proc.stdout.read()
        reader.join()
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, output, "".join(errors), usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------
# Configuration of the proxies


def origin_argv(demo_api, port, settings):
    """The demo-api command line of the origin on `port` (BENCH_MAX_AGE, BENCH_ORIGIN_THREADS)."""
    argv = [demo_api, "--host", "127.0.0.1", "--port", str(port), "--max-age", str(settings.max_age)]
    if settings.origin_threads:
        argv += ["--threads", settings.origin_threads]
    return argv


def gatehouse_config(scenario_key, listen, admin, origin_port, settings, redis_port):
    scenario = SCENARIOS[scenario_key]
    lines = [
        f"# Generated by scripts/bench for scenario {scenario['title']}.",
        "server:",
        f'  listen: "127.0.0.1:{listen}"',
        f'  admin_listen: "127.0.0.1:{admin}"',
        # Logging every request would measure the log, not the proxy (nginx's is off too).
        "  access_log: off",
        # Stopping between scenarios should not wait the default 30s.
        "  drain_timeout: 2s",
    ]
    if settings.gatehouse_threads:
        lines.append(f"  threads: {settings.gatehouse_threads}")
    lines += [
        "upstream:",
        f'  servers: ["http://127.0.0.1:{origin_port}"]',
        "cache:",
        f"  store: {'redis' if scenario.get('redis') else 'memory'}",
        f"  memory_budget: {MEMORY_BUDGET}",
        "  max_object_size: 1MiB",
        "rate_limits:",
        "  store: memory",
    ]
    if scenario.get("rate_limits"):
        # Two policies that match every request, with limits nothing here can reach, so the
        # cost of checking is measured and no request is refused.
        lines += [
            "  policies:",
            "    - name: bench-per-ip",
            "      key: ip",
            "      limit: 1000000000",
            "      window: 1m",
            "    - name: bench-per-ip-api",
            "      key: ip",
            "      limit: 1000000000",
            "      window: 1m",
            "      match: { path_prefix: /api/ }",
        ]
    if scenario.get("redis"):
        lines += ["redis:", f'  url: "redis://127.0.0.1:{redis_port}/0"']
    return "\n".join(lines) + "\n"


def nginx_config(template_path, tmpdir, cache_dir, listen, limited, origin_port, workers=None):
    with open(template_path) as f:
        text = f.read()
    # As root, nginx would switch its workers to "nobody", who cannot use our temp dirs.
    user_line = "user root;" if os.geteuid() == 0 else "# not root: the workers run as the current user"
    for name, value in {"USER_LINE": user_line, "TMPDIR": tmpdir, "CACHE_DIR": cache_dir,
                        "LISTEN_PORT": str(listen), "LIMITED_PORT": str(limited),
                        "ORIGIN_PORT": str(origin_port), "WORKER_PROCESSES": workers or "auto"}.items():
        text = text.replace(f"@{name}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise RuntimeError(f"{template_path}: unknown placeholders {sorted(set(left))}")
    return text


# ---------------------------------------------------------------------------------------------
# Reporting


def fmt_rps(value):
    return f"{value:,.0f}"


def fmt_latency(us):
    if us is None:
        return "?"
    if us < 1000:
        return f"{us:.0f} µs"
    if us < 1e6:
        return f"{us / 1e3:.2f} ms"
    return f"{us / 1e6:.2f} s"


def summarize(runs):
    if not runs:
        return None
    rps = [r["rps"] for r in runs]
    p50 = [r["p50"] for r in runs if r["p50"] is not None]
    p99 = [r["p99"] for r in runs if r["p99"] is not None]
    cpu = [r["cpu_us"][0] for r in runs if r["cpu_us"] and r["cpu_us"][0] is not None]
    origin_cpu = [r["cpu_us"][1] for r in runs if len(r["cpu_us"]) > 1 and r["cpu_us"][1] is not None]
    client_cpu = [r["client_cpu_us"] for r in runs if r.get("client_cpu_us") is not None]
    return {
        "median": statistics.median(rps), "min": min(rps), "max": max(rps),
        "p50": statistics.median(p50) if p50 else None,
        "p99": statistics.median(p99) if p99 else None,
        "cpu_us": statistics.median(cpu) if cpu else None,
        "origin_cpu_us": statistics.median(origin_cpu) if origin_cpu else None,
        "client_cpu_us": statistics.median(client_cpu) if client_cpu else None,
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
    }


def rps_cell(summary, failure=None):
    if summary is None:
        return f"— ({failure})" if failure else "—"
    return f"{fmt_rps(summary['median'])} ({fmt_rps(summary['min'])}–{fmt_rps(summary['max'])})"


def latency_cell(summary):
    if summary is None:
        return "—"
    return f"{fmt_latency(summary['p50'])} / {fmt_latency(summary['p99'])}"


def render_table(results):
    rows = [
        "| scenario | Gatehouse req/s (median, min–max) | nginx req/s (median, min–max) | ratio "
        "| Gatehouse p50 / p99 | nginx p50 / p99 | Gatehouse peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in results.items():
        gh, ng = r["gatehouse"], r["nginx"]
        ratio = f"{gh['median'] / ng['median']:.2f}×" if gh and ng and ng["median"] else "—"
        rss = f"{r['rss_kib'] / 1024:.0f} MiB" if r.get("rss_kib") else "—"
        title = f"{SCENARIOS[key]['title']} `{r['url']}`"
        rows.append(f"| {title} | {rps_cell(gh, r.get('failure'))} | {rps_cell(ng)} | {ratio} "
                    f"| {latency_cell(gh)} | {latency_cell(ng)} | {rss} |")
        if r.get("reference"):
            ref = r["reference"]
            ratio = f"{ref['median'] / ng['median']:.2f}×" if ng and ng["median"] else "—"
            rows.append(f"| ↳ same rounds, {REFERENCE} config | {rps_cell(ref)} | | {ratio} "
                        f"| {latency_cell(ref)} | | |")
    return "\n".join(rows)


def render_cpu_table(results):
    def cell(summary, field):
        if summary is None or summary.get(field) is None:
            return "—"
        return f"{summary[field]:.1f}"

    rows = [
        "| scenario | Gatehouse CPU µs/req | nginx CPU µs/req | origin CPU µs/req (during Gatehouse / nginx runs) "
        "| wrk CPU µs/req (against Gatehouse / nginx) |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, r in results.items():
        gh, ng = r["gatehouse"], r["nginx"]
        rows.append(f"| {SCENARIOS[key]['title']} | {cell(gh, 'cpu_us')} | {cell(ng, 'cpu_us')} "
                    f"| {cell(gh, 'origin_cpu_us')} / {cell(ng, 'origin_cpu_us')} "
                    f"| {cell(gh, 'client_cpu_us')} / {cell(ng, 'client_cpu_us')} |")
        if r.get("reference"):
            ref = r["reference"]
            rows.append(f"| ↳ same rounds, {REFERENCE} config | {cell(ref, 'cpu_us')} | | "
                        f"{cell(ref, 'origin_cpu_us')} / | {cell(ref, 'client_cpu_us')} / |")
    return "\n".join(rows)


def machine_description():
    cpus = len(os.sched_getaffinity(0))
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(argv, pattern):
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            m = re.search(pattern, done.stdout + done.stderr)
            return m.group(1) if m else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    nginx = version(["nginx", "-v"], r"nginx/(\S+)")
    wrk = version(["wrk", "-v"], r"wrk (\S+)")
    redis = version(["redis-server", "--version"], r"v=(\S+)")
    return f"{cpus} CPUs (nproc), {model}, Linux {os.uname().release}; nginx {nginx}, wrk {wrk}, redis-server {redis}"


def git_revision(root):
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip() or "no commit yet"
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "?"


# ---------------------------------------------------------------------------------------------
# The run


def say(text=""):
    print(text, flush=True)


def check_proxies(scenario_key, ports, warnings, redis_port):
    """Two GETs of the scenario's URL through each proxy: 200, and a hit the second time?"""
    scenario = SCENARIOS[scenario_key]
    path = scenario["path"]
    for name, port in ports.items():
        try:
            first = http_get(port, path)
            second = http_get(port, path)
        except (OSError, http.client.HTTPException) as error:
            warnings.append(f"{scenario['title']}: {name} did not answer GET {path}: {error}")
            say(f"    check {name}: GET {path} failed: {error}")
            continue
        stored_late = (name == "nginx" and second[1].get("x-cache-status") != "HIT") or \
            (name != "nginx" and scenario.get("redis") and not is_gatehouse_hit(second[1]))
        if scenario["cacheable"] and stored_late:
            # The Redis store writes after the response has gone out, on another connection than
            # the next lookup may use; nginx renames its cache file into place only once the
            # origin's response has ended, which for (d)'s 100 KiB can come after the client has
            # it: give the write a moment before judging.
            time.sleep(0.2)
            try:
                second = http_get(port, path)
            except (OSError, http.client.HTTPException):
                pass
        statuses = f"{first[0]}, {second[0]}"
        headers = second[1]
        if name == "nginx":
            cache = f"X-Cache-Status: {headers.get('x-cache-status', '(none)')}"
            hit = headers.get("x-cache-status") == "HIT"
        else:
            cache = f"Cache-Status: {headers.get('cache-status', '(none)')}"
            hit = is_gatehouse_hit(headers)
            if scenario.get("rate_limits"):
                cache += f"; RateLimit-Policy: {headers.get('ratelimit-policy', '(none)')}"
                if "ratelimit-policy" not in headers:
                    warnings.append(f"{scenario['title']}: Gatehouse sent no RateLimit-Policy header "
                                    "(rate limiting not in effect yet?)")
        say(f"    check {name}: GET {path} → {statuses}; second: {cache}, {second[2]} body bytes")
        if first[0] != 200 or second[0] != 200:
            warnings.append(f"{scenario['title']}: {name} answered {statuses} for GET {path}, not 200")
        if scenario["cacheable"] and not hit:
            warnings.append(f"{scenario['title']}: {name} did not serve the second GET {path} from "
                            f"its cache ({cache})")
        if not scenario["cacheable"] and hit:
            warnings.append(f"{scenario['title']}: {name} served the uncacheable {path} from its cache ({cache})")
    if scenario.get("redis") and "Gatehouse" in ports:
        size = redis_dbsize(redis_port)
        say(f"    check redis: {size} keys after the checks")
        if size == 0 or not isinstance(size, int):
            warnings.append(f"{scenario['title']}: Gatehouse stored nothing in Redis (DBSIZE {size})")


def sample_hits(ports, count=20):
    """How many of `count` random warmed URLs of (b) each proxy serves from its cache."""
    sample = [f"/bytes/1024?k={random.randint(1, SPREAD_URLS)}" for _ in range(count)]
    hits = {}
    for name, port in ports.items():
        n = 0
        for path in sample:
            try:
                _, headers, _ = http_get(port, path)
            except (OSError, http.client.HTTPException):
                continue
            n += (headers.get("x-cache-status") == "HIT") if name == "nginx" else is_gatehouse_hit(headers)
        hits[name] = n
    return hits


def run_scenario(key, settings, env, procs, wrk, warnings):
    scenario = SCENARIOS[key]
    url = f"/bytes/1024?k=1..{SPREAD_URLS}" if scenario.get("walk") else scenario["path"]
    result = {"gatehouse": None, "nginx": None, "rss_kib": None, "url": url}
    say(f"==> {scenario['title']}: {url}")

    listen, admin = free_ports(2)
    name = f"gatehouse-{key}"
    gatehouse = start_gatehouse(key, name, listen, admin, settings, env, procs)
    reference = None
    try:
        try:
            wait_for_port(listen, gatehouse, name, procs)
        except RuntimeError as error:
            # A feature a teammate has not landed yet may make Gatehouse refuse the config:
            # report it in the table and still measure nginx as the reference.
            first = str(error).splitlines()
            warnings.append(f"{scenario['title']}: Gatehouse did not start: {' '.join(first[:4])[:400]}")
            say(f"    warning: Gatehouse did not start:\n{error}")
            result["failure"] = "did not start"
            gatehouse = None

        # The scenario's own nginx server ((e) has one with rate limits), else the plain one.
        nginx_port = env[scenario.get("nginx", "nginx_port")]
        ports = {"nginx": nginx_port}
        if gatehouse:
            ports = {"Gatehouse": listen, "nginx": nginx_port}
        check_proxies(key, ports, warnings, env.get("redis_port"))

        if scenario.get("walk"):
            paths = [f"/bytes/1024?k={n}" for n in range(1, SPREAD_URLS + 1)]
            for pname, port in ports.items():
                started = time.monotonic()
                counts = walk_urls(port, paths)
                say(f"    warmed {SPREAD_URLS} URLs through {pname} in {time.monotonic() - started:.1f}s: "
                    f"{dict(sorted(counts.items(), key=str))}")
                if counts.get(200, 0) != SPREAD_URLS:
                    warnings.append(f"{scenario['title']}: warming {pname} gave {counts}, not {SPREAD_URLS}×200")
            hits = sample_hits(ports)
            say(f"    sampled 20 random warmed URLs, cache hits: {hits}")
            for pname, n in hits.items():
                if n < 20:
                    warnings.append(f"{scenario['title']}: {pname} served only {n}/20 sampled warmed URLs from its cache")

        nginx_pids = with_children(env["nginx"].pid)
        backend = [env["origin"].pid] + ([env["redis"].pid] if scenario.get("redis") and env.get("redis") else [])
        targets = []
        if gatehouse:
            targets.append(("Gatehouse", listen, [gatehouse.pid]))
            reference = start_reference(key, settings, env, procs, warnings)
            if reference:
                targets.append((REFERENCE, reference[0], [reference[1].pid]))
        targets.append(("nginx", nginx_port, nginx_pids))

        if settings.warmup_s > 0:
            for pname, port, _ in targets:
                warm = wrk.run(port, scenario, settings.warmup, settings.warmup_s)
                say(f"    warm-up {pname}: {fmt_rps(warm['rps'])} req/s")

        runs = {pname: [] for pname, _, _ in targets}
        for round_number in range(1, settings.rounds + 1):
            for pname, port, pids in targets:
                if pname == "Gatehouse" and gatehouse.poll() is not None:
                    raise RuntimeError(f"Gatehouse exited during the run:\n{procs.log_tail(name)}")
                r = wrk.run(port, scenario, settings.duration, settings.duration_s, cpu_pids=[pids, backend])
                runs[pname].append(r)
                extra = ""
                if r["non2xx"] or r["socket_errors"]:
                    extra = f"  ({r['non2xx']} non-2xx/3xx, {r['socket_errors']} socket errors)"
                say(f"    round {round_number} {pname:13s} {fmt_rps(r['rps']):>9s} req/s  "
                    f"p50 {fmt_latency(r['p50'])}  p99 {fmt_latency(r['p99'])}{extra}")

        if gatehouse:
            result["rss_kib"] = process_status(gatehouse.pid, "VmHWM")
            result["gatehouse"] = summarize(runs["Gatehouse"])
        if reference:
            result["reference"] = summarize(runs[REFERENCE])
            result["reference_ratios"] = [mine["rps"] / theirs["rps"]
                                          for mine, theirs in zip(runs["Gatehouse"], runs[REFERENCE])]
        result["nginx"] = summarize(runs["nginx"])
        for pname, key_name in (("Gatehouse", "gatehouse"), ("nginx", "nginx")):
            s = result[key_name]
            if s and (s["non2xx"] or s["socket_errors"]):
                warnings.append(f"{scenario['title']}: {pname} had {s['non2xx']} non-2xx/3xx responses and "
                                f"{s['socket_errors']} socket errors over its rounds (req/s counts them)")

        if key == "c":
            # How fast the origin alone serves /nocache: the ceiling for any proxy in (c).
            r = wrk.run(env["origin_port"], scenario, settings.duration, settings.duration_s,
                        cpu_pids=[[env["origin"].pid]])
            result["origin_direct"] = r
            say(f"    origin alone: {fmt_rps(r['rps'])} req/s  p50 {fmt_latency(r['p50'])}  p99 {fmt_latency(r['p99'])}")
    finally:
        if reference:
            procs.stop(reference[1])
        if gatehouse:
            procs.stop(gatehouse)
    return result


def start_gatehouse(key, name, listen, admin, settings, env, procs):
    """Gatehouse with scenario `key`'s config on `listen`, as process `name` (not waited for)."""
    config_path = os.path.join(env["tmpdir"], f"{name}.yaml")
    with open(config_path, "w") as f:
        f.write(gatehouse_config(key, listen, admin, env["origin_port"], settings, env.get("redis_port")))
    return procs.start(name, [os.path.join(env["bin"], "gatehouse"), "run", "--config", config_path])


def start_reference(key, settings, env, procs, warnings):
    """For a scenario judged against (a): a second Gatehouse with the (a) config, warmed, as
    (port, process); None for other scenarios or when it fails to start."""
    scenario = SCENARIOS[key]
    against = scenario.get("against")
    if not against:
        return None
    listen, admin = free_ports(2)
    name = f"gatehouse-{against}-beside-{key}"
    proc = start_gatehouse(against, name, listen, admin, settings, env, procs)
    try:
        wait_for_port(listen, proc, name, procs)
        http_get(listen, SCENARIOS[against]["path"])
        _, headers, _ = http_get(listen, SCENARIOS[against]["path"])
    except (RuntimeError, OSError, http.client.HTTPException) as error:
        warnings.append(f"{scenario['title']}: the side-by-side (a) Gatehouse failed: {str(error)[:300]}")
        procs.stop(proc)
        return None
    if not is_gatehouse_hit(headers):
        warnings.append(f"{scenario['title']}: the side-by-side (a) Gatehouse did not serve a hit")
    say(f"    side by side: {REFERENCE} on 127.0.0.1:{listen}")
    return (listen, proc)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="swift build -c release --show-bin-path")
    parser.add_argument("--scripts", required=True, help="the scripts/ directory")
    parser.add_argument("--command-line", required=True)
    parser.add_argument("--cwd", default=os.getcwd(), help="where BENCH_OUT is relative to")
    args = parser.parse_args()
    settings = read_settings()

    def on_signal(signum, _frame):
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    machine = machine_description()
    revision = git_revision(os.path.dirname(args.scripts))
    say(f"machine: {machine}")
    say(f"gatehouse: {revision}")
    say(f"command: {args.command_line}")

    tmpdir = tempfile.mkdtemp(prefix="gatehouse-bench.")
    # nginx's cache on tmpfs, so that disk speed plays no part (Gatehouse's is in memory).
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    cache_dir = tempfile.mkdtemp(prefix="gatehouse-bench-nginx-cache.", dir=shm) if shm else os.path.join(tmpdir, "nginx-cache")
    os.makedirs(cache_dir, exist_ok=True)
    procs = Processes(tmpdir)
    results = {}
    warnings = []
    notes = []
    env = {"tmpdir": tmpdir, "bin": args.bin}
    interrupted = None
    error = None
    try:
        origin_port, nginx_port, nginx_limited_port = free_ports(3)
        env["origin"] = procs.start("demo-api", origin_argv(os.path.join(args.bin, "demo-api"), origin_port, settings))
        env["origin_port"] = origin_port
        wait_for_port(origin_port, env["origin"], "demo-api", procs)
        say(f"==> origin: demo-api (release) on 127.0.0.1:{origin_port}, max-age {settings.max_age}s, "
            f"threads {settings.origin_threads or 'one per core'}")

        conf = os.path.join(tmpdir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_config(os.path.join(args.scripts, "bench-nginx.conf.template"), tmpdir, cache_dir,
                                 nginx_port, nginx_limited_port, origin_port, settings.workers))
        nginx_argv = ["nginx", "-p", tmpdir + "/", "-c", conf, "-e", os.path.join(tmpdir, "nginx-error.log")]
        test = subprocess.run(nginx_argv + ["-t"], capture_output=True, text=True, timeout=30)
        if test.returncode != 0:
            raise RuntimeError(f"nginx rejected {conf}:\n{test.stdout}{test.stderr}")
        env["nginx"] = procs.start("nginx", nginx_argv)
        env["nginx_port"] = nginx_port
        env["nginx_limited_port"] = nginx_limited_port
        wait_for_port(nginx_port, env["nginx"], "nginx", procs)
        wait_for_port(nginx_limited_port, env["nginx"], "nginx", procs)
        say(f"==> nginx on 127.0.0.1:{nginx_port} (proxy_cache in {cache_dir})")

        if any(SCENARIOS[k].get("redis") for k in settings.scenarios):
            (redis_port,) = free_ports(1)
            env["redis"] = procs.start("redis-server", [
                "redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
                "--appendonly", "no", "--dir", tmpdir])
            env["redis_port"] = redis_port
            wait_for_port(redis_port, env["redis"], "redis-server", procs)
            say(f"==> redis-server on 127.0.0.1:{redis_port}")

        wrk = Wrk(settings, args.scripts)
        for key in settings.scenarios:
            results[key] = run_scenario(key, settings, env, procs, wrk, warnings)
    except (KeyboardInterrupt, Interrupted) as signalled:
        interrupted = signalled
    except Exception as failure:  # report what we have, then fail
        error = failure
    finally:
        # A second Ctrl-C must not cut the cleanup short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        procs.stop_all()
        shutil.rmtree(tmpdir, ignore_errors=True)
        shutil.rmtree(cache_dir, ignore_errors=True)

    if results:
        s = settings
        notes.append(f"wrk -t{s.wrk_threads} -c{s.connections} -d{s.duration} --latency, {s.rounds} interleaved "
                     f"round{'s' if s.rounds != 1 else ''} per proxy (Gatehouse, nginx, Gatehouse, …) after a {s.warmup} warm-up of each; "
                     "req/s: median (min–max) of the rounds; p50/p99: median of the rounds.")
        notes.append(f"Nothing pinned: the {len(os.sched_getaffinity(0))} CPUs are shared by wrk, the origin "
                     "(demo-api) and the proxy under test, so every number includes their contention.")
        notes.append(f"nginx: worker_processes {s.workers or 'auto'}, proxy_cache on tmpfs, upstream keepalive 64, in (e) "
                     "two limit_req zones (no response fields); Gatehouse: "
                     f"server.threads {s.gatehouse_threads or 'auto'}, access_log off, cache memory_budget "
                     f"{MEMORY_BUDGET} (RSS goal: under {MEMORY_BUDGET_MIB + 64} MiB).")
        if "c" in results and results["c"].get("origin_direct"):
            r = results["c"]["origin_direct"]
            notes.append(f"(c) the origin alone serves /nocache at {fmt_rps(r['rps'])} req/s "
                         f"(p50 {fmt_latency(r['p50'])}, p99 {fmt_latency(r['p99'])}) with the same wrk settings: "
                         "the ceiling for any proxy in (c), where the proxy and the origin share the CPUs.")
        for k in (k for k in SCENARIOS if "against" in SCENARIOS[k]):
            r = results.get(k, {})
            against = SCENARIOS[k]["against"]
            goal = f" (goal ≥ {GOALS_AGAINST[k]})" if k in GOALS_AGAINST else ""
            if r.get("reference_ratios"):
                ratios = r["reference_ratios"]
                notes.append(f"Gatehouse {k} / {against} = {statistics.median(ratios):.2f} side by side"
                             f"{goal}: median of the rounds' ratios "
                             f"({', '.join(f'{x:.2f}' for x in ratios)}), each {k} round against the "
                             f"{against}-config Gatehouse round right after it.")
            other, base = r.get("gatehouse"), results.get(against, {}).get("gatehouse")
            if base and other:
                notes.append(f"Gatehouse {k} / {against} across scenarios (minutes apart) = "
                             f"{other['median'] / base['median']:.2f}.")

    report = []
    report.append(f"Machine: {machine}")
    report.append(f"Gatehouse: {revision}")
    report.append(f"Command: `{args.command_line}`")
    report.append("")
    if results:
        report.append(render_table(results))
        report.append("")
        report.extend(f"- {n}" for n in notes)
        report.append("")
        report.append("Proxy CPU time per request (user + system, from /proc; median of the rounds):")
        report.append("")
        report.append(render_cpu_table(results))
    if warnings:
        report.append("")
        report.append("Warnings:")
        report.extend(f"- {w}" for w in warnings)
    if interrupted is not None:
        report.append("")
        report.append(f"Interrupted ({str(interrupted) or 'Ctrl-C'}): the table has the scenarios that finished.")
    if error is not None:
        report.append("")
        report.append(f"Stopped by an error: {error}")
    text = "\n".join(report)
    say()
    say(text)
    if settings.out:
        out = os.path.join(args.cwd, settings.out)
        with open(out, "w") as f:
            f.write(text + "\n")
        say(f"\n(saved to {out})")
    if interrupted is not None:
        return 130
    return 1 if error is not None else 0


if __name__ == "__main__":
    sys.exit(main())
