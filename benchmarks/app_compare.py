"""The app's training speed with its comparison on against off: the cost of compare.

    python benchmarks/app_compare.py [--preset sine] [--rounds 3]

Each measurement runs the app headless through ``wdtui snapshot`` (the same worker, messages and
budgeted redraws as on a terminal) in a fresh process at two epoch counts; the difference divided
by the extra epochs is the cost of an epoch, free of start-up. ``off``: the run alone (``--lambdas
0.01``); ``on``: the run and its comparison at λ = 0 (``--lambdas 0.01 0``), which the app trains
as one batched model where the preset batches (``engine/training/live_runs.py``); ``on-lone``: the same pair
as two lone trainers in turn (what the app did before, and still does for models that do not
batch). Rounds alternate the three; medians are printed, and the cost of compare: the epoch time
with compare on over off (goal ≤ 1.2), as the ratio of the medians and as the median of each
round's own ratio. Wall time is what a user waits; the process's CPU time
(``time.process_time``, all its threads: the worker and the screen) is printed beside it, as on a
shared machine it moves far less with the other processes' load (``uptime`` is printed too).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

KINDS = {"off": ["0.01"], "on": ["0.01", "0"], "on-lone": ["0.01", "0"]}


def timed_snapshot(kind: str, preset: str, epochs: int) -> tuple[float, float]:
    from wdtui.cli.main import main

    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        args = ["snapshot", "--preset", preset, "--lambdas", *KINDS[kind], "--epochs", str(epochs),
                "--out", os.path.join(folder, "s.svg"), "--size", "120x40"]
        start, cpu = time.perf_counter(), time.process_time()
        main(args)
        return time.perf_counter() - start, time.process_time() - cpu


def child(kind: str, preset: str, short: int, long: int) -> None:
    if kind == "on-lone":  # the pair as two lone trainers in turn (the app's way for other models)
        from wdtui.engine.training import live_runs

        live_runs.batches_live = lambda experiment, runs: False
    timed_snapshot(kind, preset, 10)  # warm-up: imports, first-call costs
    (wall_long, cpu_long) = timed_snapshot(kind, preset, long)
    (wall_short, cpu_short) = timed_snapshot(kind, preset, short)
    print(json.dumps({"kind": kind, "epochs_per_s": (long - short) / (wall_long - wall_short),
                      "cpu_us_per_epoch": 1e6 * (cpu_long - cpu_short) / (long - short)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="sine")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    parser.add_argument("--epochs", type=int, nargs=2, default=[300, 2300], metavar=("SHORT", "LONG"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    short, long = args.epochs
    if args.child:
        return child(args.child, args.preset, short, long)
    speeds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    cpus: dict[str, list[float]] = {kind: [] for kind in KINDS}
    print(f"load at start: {os.getloadavg()[0]:.2f}")
    for _ in range(args.rounds):
        for kind in speeds:
            out = subprocess.run([sys.executable, __file__, "--child", kind, "--preset", args.preset,
                                  "--epochs", str(short), str(long)],
                                 capture_output=True, text=True, check=True).stdout
            got = json.loads(out.strip().splitlines()[-1])
            speeds[kind].append(got["epochs_per_s"])
            cpus[kind].append(got["cpu_us_per_epoch"])
    off, on, lone = (statistics.median(speeds[kind]) for kind in KINDS)
    cpu_off, cpu_on, cpu_lone = (statistics.median(cpus[kind]) for kind in KINDS)
    print(f"{args.preset} preset in the app (wdtui snapshot 120x40), epochs/s, median of {args.rounds} "
          f"(each: {', '.join(f'{k} ' + ' '.join(f'{v:.0f}' for v in vs) for k, vs in speeds.items())})")
    print(f"  compare off (λ = 0.01 alone)      {off:8.0f}")
    print(f"  compare on  (λ = 0.01 beside 0)   {on:8.0f}")
    print(f"  compare on, two lone trainers     {lone:8.0f}")
    print(f"cost of compare: {off / on:.2f}x a single run's epoch (goal ≤ 1.2x); "
          f"as two lone trainers {off / lone:.2f}x")
    each = ', '.join(f'{k} ' + ' '.join(f'{v:.0f}' for v in vs) for k, vs in cpus.items())
    print(f"CPU µs per epoch (the process, all threads), median: off {cpu_off:.0f}, on {cpu_on:.0f}, "
          f"two lone {cpu_lone:.0f} (each: {each})")
    print(f"cost of compare in CPU time: {cpu_on / cpu_off:.2f}x; as two lone trainers {cpu_lone / cpu_off:.2f}x; "
          f"load at end: {os.getloadavg()[0]:.2f}")
    # each round's own ratio (its children ran one after another): on a machine whose speed drifts
    # between rounds (the same child measured 330 and 490 µs per epoch), steadier than the ratio
    # of the medians above
    per_round = statistics.median(off / on for off, on in zip(speeds["off"], speeds["on"]))
    per_round_cpu = statistics.median(on / off for off, on in zip(cpus["off"], cpus["on"]))
    print(f"cost of compare, median of the rounds' own ratios: {per_round:.2f}x wall, {per_round_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
