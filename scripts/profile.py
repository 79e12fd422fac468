#!/usr/bin/env python3
"""profile: where Gatehouse's CPU goes, per request, in one scenario of scripts/bench — and what another adds.

    python3 scripts/profile.py --bin BIN [--scenario e] [--against a] [--top 30]

BIN holds release builds of gatehouse and demo-api (`swift build -c release --show-bin-path`, or
/work/.build-…/release). Starts demo-api and, in front of it, Gatehouse with the scenario's bench
config; loads it with wrk (BENCH_DURATION, BENCH_CONNECTIONS, … as scripts/bench) four times and
reports per request:

  - CPU, user and system, from /proc, in a run with nothing attached;
  - syscalls by kind (`perf stat` on the syscalls tracepoints: gathered writes, wake-ups);
  - runtime calls: allocations and reference counting (`perf stat` on uprobes at malloc,
    swift_allocObject, swift_retain and swift_release, placed if missing) — counts, so a change
    that removes some shows exactly, where timings on this machine move by ±5–10 %;
  - user time by function (`perf record -e cpu-clock:u -g`), self and inclusive, in µs per request,
    demangled — not percentages, so that two scenarios (or two builds) compare directly.

With --against S the same is measured for scenario S and the report adds the difference per
function: what the feature of one scenario costs over the other (e against a: the rate-limit
stage). Throughput is not compared: scripts/bench and scripts/bench_pair.py are for that.

Needs perf (Debian: linux-perf) and root for tracepoints and probes; a measurement perf cannot make
is reported as such and the others still run. Loopback only; everything it starts is stopped by PID.
"""
import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pair import start_pair  # noqa: E402
from bench_runner import SCENARIOS, Processes, Wrk, cpu_times, read_settings  # noqa: E402

PROFILED = ("a", "c", "d", "e", "g")  # as bench_pair: (b) needs its warm-up walk, (f) a Redis server
SAMPLE_HZ = 4000
COUNTED_CALLS = (("libc.so.6", "malloc", "probe_libc:malloc"),
                 ("libswiftCore.so", "swift_allocObject", "probe_libswiftCore:swift_allocObject"),
                 ("libswiftCore.so", "swift_retain", "probe_libswiftCore:swift_retain"),
                 ("libswiftCore.so", "swift_release", "probe_libswiftCore:swift_release"))


def while_loaded(wrk, scenario, port, settings, argv):
    """Runs `argv` (a perf command attached to the proxy) from before one wrk run until just after
    it, so that what perf counts covers every request wrk counts (per-request figures divide the
    two); wrk's result."""
    watcher = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)  # perf attaches to the process's threads before the first request
        result = wrk.run(port, scenario, settings.duration, settings.duration_s)
    finally:
        watcher.send_signal(signal.SIGINT)
        _, errors = watcher.communicate(timeout=60)
    # Interrupted as intended, perf exits with SIGINT's status (130, or -2 as Python reports it).
    if watcher.returncode not in (0, 130, -signal.SIGINT):
        raise RuntimeError(f"{' '.join(argv[:3])} failed: {errors.strip()[:300]}")
    return result


def perf_stat_counts(path):
    """event → count, from `perf stat -x,` output."""
    counts = {}
    with open(path) as f:
        for line in f:
            fields = line.strip().split(",")
            if len(fields) > 2 and fields[0].replace(".", "").isdigit():
                counts[fields[2]] = float(fields[0])
    return counts


def library_of(binary, name):
    """The path `binary` loads the shared library `name` from (ldd), or None."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    match = re.search(rf"{re.escape(name)}\S* => (\S+)", out)
    return match.group(1) if match else None


def ensure_call_probes(binary):
    """The uprobes of COUNTED_CALLS perf can count for `binary` (placing the missing ones)."""
    listing = subprocess.run(["perf", "probe", "-l"], capture_output=True, text=True).stdout
    # Lines read "  probe_libc:malloc (on …)": the event's exact name comes first.
    listed = {line.split()[0] for line in listing.splitlines() if line.strip()}
    events = []
    for library, function, event in COUNTED_CALLS:
        if event not in listed:
            path = library_of(binary, library)
            if not path or subprocess.run(["perf", "probe", "-q", "-x", path, function],
                                          capture_output=True).returncode != 0:
                continue
        events.append(event)
    return events


def read_stacks(perf_data):
    """Each sample's frames, innermost first, as symbol names (offsets and libraries dropped)."""
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "ip,sym"], capture_output=True,
                         text=True, errors="replace").stdout
    stacks, frames = [], []
    for line in out.splitlines():
        parts = line.split(None, 1)
        if not parts:
            if frames:
                stacks.append(frames)
            frames = []
            continue
        frames.append(parts[1] if len(parts) > 1 else parts[0])
    if frames:
        stacks.append(frames)
    return stacks


def demangled(symbols):
    """symbol → readable name (`swift demangle --simplified`); symbols it cannot read stay as they are."""
    symbols = list(symbols)
    try:
        out = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(symbols),
                             capture_output=True, text=True, timeout=120).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        out = []
    if len(out) != len(symbols):
        return {s: s for s in symbols}
    return dict(zip(symbols, out))


def profile_costs(stacks, requests):
    """(self, inclusive): function → µs of user time per request."""
    per_sample = 1e6 / SAMPLE_HZ / max(requests, 1)
    own, within = collections.Counter(), collections.Counter()
    for frames in stacks:
        own[frames[0]] += 1
        for name in set(frames):
            within[name] += 1
    return ({k: v * per_sample for k, v in own.items()}, {k: v * per_sample for k, v in within.items()})


def measure(key, args, settings, wrk, tmpdir, procs):
    scenario = SCENARIOS[key]
    gatehouse_bin = os.path.join(args.bin, "gatehouse")
    gatehouse, port = start_pair(key, gatehouse_bin, os.path.join(args.bin, "demo-api"), key, settings, tmpdir, procs)
    pid = str(gatehouse.pid)
    report = {"title": scenario["title"], "path": scenario["path"]}
    try:
        wrk.run(port, scenario, settings.warmup, settings.warmup_s)

        # CPU and throughput from a run with nothing attached: tracepoints add system time.
        before = cpu_times([gatehouse.pid])
        r = wrk.run(port, scenario, settings.duration, settings.duration_s)
        after = cpu_times([gatehouse.pid])
        report["rps"] = r["rps"]
        report["cpu"] = tuple((b - a) * 1e6 / max(r["requests"] or 1, 1) for a, b in zip(before, after))

        stat = os.path.join(tmpdir, f"syscalls-{key}.csv")
        r = while_loaded(wrk, scenario, port, settings,
                         ["perf", "stat", "-x,", "-e", "syscalls:sys_enter_*", "-p", pid, "-o", stat])
        requests = max(r["requests"] or 1, 1)
        report["syscalls"] = {event.split("sys_enter_")[1]: n / requests
                              for event, n in perf_stat_counts(stat).items() if n / requests >= 0.01}

        events = ensure_call_probes(gatehouse_bin)
        if events:
            # Every probed call traps into the kernel: this run is slow, its counts are what matter.
            stat = os.path.join(tmpdir, f"calls-{key}.csv")
            r = while_loaded(wrk, scenario, port, settings,
                             ["perf", "stat", "-x,", "-e", ",".join(events), "-p", pid, "-o", stat])
            report["calls"] = {event.split(":")[1]: n / max(r["requests"] or 1, 1)
                                     for event, n in perf_stat_counts(stat).items()}

        data = os.path.join(tmpdir, f"perf-{key}.data")
        r = while_loaded(wrk, scenario, port, settings,
                         ["perf", "record", "-q", "-e", "cpu-clock:u", "-F", str(SAMPLE_HZ), "-g", "-p", pid,
                          "-o", data])
        report["self"], report["inclusive"] = profile_costs(read_stacks(data), r["requests"] or 1)
    finally:
        procs.stop_all()
    return report


def print_report(report, names, top):
    user, system = report["cpu"]
    print(f"\n## {report['title']} `{report['path']}`: {report['rps']:,.0f} req/s")
    print(f"CPU per request: {user + system:.1f} µs (user {user:.1f}, system {system:.1f})")
    calls = ", ".join(f"{name} {n:.2f}" for name, n in sorted(report["syscalls"].items(), key=lambda kv: -kv[1]))
    print(f"syscalls per request: {calls or '—'}")
    if "calls" in report:
        print("runtime calls per request: " + ", ".join(f"{k} {v:.1f}" for k, v in report["calls"].items()))
    else:
        print("runtime calls per request: — (perf could not place the uprobes)")
    print(f"\nuser time by function, µs per request (cpu-clock:u at {SAMPLE_HZ} Hz; top {top} by self):\n")
    print("|   self | inclusive | function |\n|---:|---:|---|")
    for name, cost in sorted(report["self"].items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {cost:6.2f} | {report['inclusive'][name]:9.2f} | {names.get(name, name)[:120]} |")


def print_difference(base, other, names, top):
    print(f"\n## {other['title']} over {base['title']}")
    if "calls" in base and "calls" in other:
        print("\nruntime calls per request: " + ", ".join(
            f"{k} {other['calls'][k] - base['calls'].get(k, 0.0):+.1f}" for k in other["calls"]))
    print("\nµs of user time per request, by function:\n")
    print("| Δ inclusive | Δ self | function |\n|---:|---:|---|")
    keys = set(base["inclusive"]) | set(other["inclusive"])

    def delta(table, name):
        return other[table].get(name, 0.0) - base[table].get(name, 0.0)

    for name in sorted(keys, key=lambda k: -abs(delta("inclusive", k)))[:top]:
        print(f"| {delta('inclusive', name):+7.2f} | {delta('self', name):+6.2f} | {names.get(name, name)[:120]} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="directory with release builds of gatehouse and demo-api")
    parser.add_argument("--scenario", default="a", choices=PROFILED)
    parser.add_argument("--against", choices=PROFILED, help="a second scenario to subtract")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    if not shutil.which("perf"):
        sys.exit("error: perf is missing (Debian: apt-get install linux-perf)")
    settings = read_settings()
    wrk = Wrk(settings, os.path.dirname(os.path.abspath(__file__)))
    print(f"wrk -t{settings.wrk_threads} -c{settings.connections} -d{settings.duration} per measurement; "
          f"binaries from {args.bin}")
    reports = {}
    with tempfile.TemporaryDirectory(prefix="gatehouse-profile-") as tmpdir:
        procs = Processes(tmpdir)
        try:
            for key in [args.scenario] + ([args.against] if args.against else []):
                reports[key] = measure(key, args, settings, wrk, tmpdir, procs)
        finally:
            procs.stop_all()
    symbols = set()
    for report in reports.values():
        symbols |= set(report["inclusive"])
    names = demangled(sorted(symbols))
    for report in reports.values():
        print_report(report, names, args.top)
    if args.against:
        print_difference(reports[args.against], reports[args.scenario], names, args.top)


if __name__ == "__main__":
    main()
