"""What ``wdtui run`` with a λ list costs against one λ, start-up included.

    python benchmarks/run_list_vs_one.py [--rounds 5] [--preset sine] [--lambdas 0 0.001 0.01 0.1]

Each command runs as a user types it (``python -m wdtui run --preset sine --lambdas … --quiet``),
in a fresh process, in alternating rounds (one λ, then the list), so that the machine's drift hits
both; medians of the wall time (what a user waits) and of the child's CPU time (which moves less
with other processes' load) are printed, with the load average. The runs of a list train as one
batched model (``engine/training/batched_runs.py``); the target is ≤ 1.6× one λ for 4 λ.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time


def timed(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``python -m wdtui run ARGS --quiet`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wdtui", "run", *args, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--preset", default="sine")
    parser.add_argument("--lambdas", nargs="+", default=["0", "0.001", "0.01", "0.1"])
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more `wdtui run` options")
    args = parser.parse_args()
    one = ["--preset", args.preset, "--lambdas", args.lambdas[-1], *args.extra]
    many = ["--preset", args.preset, "--lambdas", *args.lambdas, *args.extra]
    times: dict[str, list[tuple[float, float]]] = {"one": [], "many": []}
    timed(one)  # warm the file cache (imports) before the first timed round
    for _ in range(args.rounds):
        times["one"].append(timed(one))
        times["many"].append(timed(many))
    med = {k: [statistics.median(t[i] for t in v) for i in range(2)] for k, v in times.items()}
    print(f"wdtui run --preset {args.preset}, start-up included (median of {args.rounds} alternating rounds; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"  one λ ({args.lambdas[-1]})            wall {med['one'][0]:6.2f} s   CPU {med['one'][1]:6.2f} s")
    print(f"  {len(args.lambdas)} λ ({' '.join(args.lambdas)})  wall {med['many'][0]:6.2f} s   CPU {med['many'][1]:6.2f} s")
    print(f"ratio {len(args.lambdas)} λ / one λ: wall {med['many'][0] / med['one'][0]:.2f}x, "
          f"CPU {med['many'][1] / med['one'][1]:.2f}x")


if __name__ == "__main__":
    main()
