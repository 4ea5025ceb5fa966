"""Threads on a busy machine: the automatic thread choice against ``--threads 1`` and ``--threads N``
(one per core: torch's own choice, the automatic one before it watched the load), with and
without two CPU-bound processes running.

    python benchmarks/threads_busy.py [--rounds 2] [--epochs 10] [--preset digits] [--hogs 2]

Each command runs as a user types it (``python -m wdtui run --preset digits --epochs 10 --quiet``,
start-up included), in alternating rounds; medians of the wall time are printed, with the load
average, first as the machine is, then with ``--hogs`` processes running ``while 1: pass`` (they
are ended when the script ends, also on Ctrl-C). The goal: automatic ≤ 1.25 × ``--threads 1``
with the hogs, and the multi-thread gain kept on an idle machine (compare automatic with
``--threads N`` in the first table when the machine was idle).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wdtui", "run", *args, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def table(title: str, variants: dict[str, list[str]], base: list[str], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, extra in variants.items():
            times[name].append(timed(base + extra))
    med = {name: statistics.median(v) for name, v in times.items()}
    print(f"{title} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; median of {rounds})")
    for name, value in med.items():
        print(f"  {name:22s} {value:6.2f} s   {value / med['--threads 1']:.2f}x --threads 1")
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--preset", default="digits")
    parser.add_argument("--hogs", type=int, default=2)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    base = ["--preset", args.preset, "--epochs", str(args.epochs)]
    variants = {"automatic": [], "--threads 1": ["--threads", "1"], f"--threads {cores}": ["--threads", str(cores)]}
    timed(base + ["--threads", "1"])  # warm the file cache (imports)
    table(f"wdtui run --preset {args.preset} --epochs {args.epochs}, the machine as it is", variants, base, args.rounds)
    hogs = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(args.hogs)]
    try:
        time.sleep(1.0)
        table(f"with {args.hogs} CPU hogs running", variants, base, args.rounds)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


if __name__ == "__main__":
    main()
