#!/usr/bin/env python3
"""bench_pair: two Gatehouse builds measured side by side, for deciding a change on a noisy machine.

    python3 scripts/bench_pair.py --a OLD/gatehouse --b NEW/gatehouse --demo-api BIN/demo-api [--scenario c] [--pairs 4]
    python3 scripts/bench_pair.py --a BIN/gatehouse --b BIN/gatehouse --scenario a --scenario-b e ...

Each pair starts both builds at once, each in front of its own demo-api, and runs one wrk against
each at the same time, so both see the same machine noise; the order in which they start swaps
every pair. It prints, per pair and as a geometric mean, B's CPU per request (user + system, from
/proc; also with the CPU its wrk spent, "µs/req" shows proxy+wrk) and req/s relative to A's. On this 2-core machine sequential runs of one binary swing by
±20 %, while a pair of identical builds (A/A) agrees within ±5–10 %: use several pairs, and
scripts/bench for the comparison with nginx. Scenarios a, c, d, e and g of scripts/bench (their
paths, configs and wrk settings, BENCH_* environment included). Loopback only; everything it
starts is stopped by PID.

With --scenario-b, B runs another scenario than A (one build or two): what a feature costs, measured
under the same noise. A build that leaves out one stage of the data path against the unchanged
build, both in that feature's scenario, says what that stage costs where it runs among the others;
that is how session 24 found the memory store's share of (e)'s cost against (a).
"""
import argparse
import math
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_runner import (  # noqa: E402  (the shared pieces of scripts/bench)
    SCENARIOS, Processes, Wrk, cpu_seconds, free_ports, gatehouse_config, origin_argv, read_settings, wait_for_port,
)

PAIRED = ("a", "c", "d", "e", "g")  # (b) needs its 10,000-URL warm-up walk, (f) a Redis server


def start_pair(label, binary, demo_api, key, settings, tmpdir, procs):
    """An origin and a Gatehouse in front of it; returns (gatehouse process, its port)."""
    origin_port, listen, admin = free_ports(3)
    origin = procs.start(f"origin-{label}", origin_argv(demo_api, origin_port, settings))
    wait_for_port(origin_port, origin, f"origin-{label}", procs)
    config = os.path.join(tmpdir, f"gatehouse-{label}.yaml")
    with open(config, "w") as f:
        f.write(gatehouse_config(key, listen, admin, origin_port, settings, None))
    gatehouse = procs.start(f"gatehouse-{label}", [binary, "run", "--config", config])
    wait_for_port(listen, gatehouse, f"gatehouse-{label}", procs)
    return gatehouse, listen


def measure_together(wrk, targets, settings):
    """One wrk per (port, pid, scenario) target at the same time; per target: (req/s, proxy CPU µs
    per request, wrk's)."""
    results = [None] * len(targets)
    errors = []

    def run(index, port, pid, scenario):
        try:
            before = cpu_seconds([pid])
            r = wrk.run(port, scenario, settings.duration, settings.duration_s)
            after = cpu_seconds([pid])
            results[index] = (r["rps"], (after - before) * 1e6 / max(r["requests"] or 1, 1), r["client_cpu_us"])
        except Exception as error:  # reported below, after both runs ended
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, *target)) for i, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="the reference gatehouse binary")
    parser.add_argument("--b", required=True, help="the gatehouse binary measured against it")
    parser.add_argument("--demo-api", required=True, help="the demo-api binary (one origin per build)")
    parser.add_argument("--scenario", default="c", choices=PAIRED)
    parser.add_argument("--scenario-b", choices=PAIRED, help="B's scenario, when not --scenario")
    parser.add_argument("--pairs", type=int, default=4)
    args = parser.parse_args()
    settings = read_settings()
    keys = {"A": args.scenario, "B": args.scenario_b or args.scenario}
    scenario = SCENARIOS[keys["A"]]
    wrk = Wrk(settings, os.path.dirname(os.path.abspath(__file__)))
    print(f"{scenario['title']} {scenario['path']}: {args.pairs} pairs of {settings.duration}, wrk -t{settings.wrk_threads} "
          f"-c{settings.connections} each; B = {args.b}, A = {args.a}")
    if keys["B"] != keys["A"]:
        print(f"B runs {SCENARIOS[keys['B']]['title']} {SCENARIOS[keys['B']]['path']}")
    cpu_ratios, rps_ratios, total_ratios = [], [], []
    with tempfile.TemporaryDirectory(prefix="gatehouse-pair-") as tmpdir:
        procs = Processes(tmpdir)
        try:
            for pair in range(args.pairs):
                # Which build starts (and so settles) first swaps every pair.
                order = [("A", args.a), ("B", args.b)] if pair % 2 == 0 else [("B", args.b), ("A", args.a)]
                started = {}
                for label, binary in order:
                    started[label] = start_pair(label, binary, args.demo_api, keys[label], settings, tmpdir, procs)
                targets = [(started[label][1], started[label][0].pid, SCENARIOS[keys[label]]) for label in ("A", "B")]
                if settings.warmup_s > 0:
                    for port, _, warmed in targets:
                        wrk.run(port, warmed, settings.warmup, settings.warmup_s)
                (rps_a, cpu_a, wrk_a), (rps_b, cpu_b, wrk_b) = measure_together(wrk, targets, settings)
                cpu_ratios.append(cpu_b / cpu_a)
                rps_ratios.append(rps_b / rps_a)
                total_ratios.append((cpu_b + wrk_b) / (cpu_a + wrk_a))
                print(f"pair {pair + 1}: A {rps_a:8.0f} req/s {cpu_a:6.1f}+{wrk_a:.1f} µs/req | B {rps_b:8.0f} req/s "
                      f"{cpu_b:6.1f}+{wrk_b:.1f} µs/req | B/A CPU {cpu_ratios[-1]:.3f} with wrk's {total_ratios[-1]:.3f} "
                      f"req/s {rps_ratios[-1]:.3f}", flush=True)
                procs.stop_all()
                time.sleep(0.5)
        finally:
            procs.stop_all()
    print(f"geometric mean over {args.pairs} pairs: B/A CPU per request {geometric_mean(cpu_ratios):.3f} "
          f"(with wrk's {geometric_mean(total_ratios):.3f}), req/s {geometric_mean(rps_ratios):.3f}")


if __name__ == "__main__":
    main()
