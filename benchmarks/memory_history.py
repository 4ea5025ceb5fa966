"""Peak memory of `wdtui run` against its number of epochs: history and output must not grow it.

Runs `wdtui run --preset sine --lambdas 0 --epochs N --quiet --out FILE.json` (one run, the JSON
written at the end) in a fresh process for N = 1,000 and N = 100,000 and prints each process's
peak resident memory (ru_maxrss) and the difference. The goal (issue 10): the 10⁵-epoch run
peaks at most 100 MB above the 10³-epoch run. It measures memory, not time, so one run suffices.

    python benchmarks/memory_history.py [--epochs 1000 100000] [--csv]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

GOAL_MB = 100


def process_peak_mb(command: list[str]) -> float:
    """The peak resident memory (MB) of ``command`` run in a fresh process; exits if it fails."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return usage.ru_maxrss / 1024  # ru_maxrss is in kB on Linux


def peak_mb(epochs: int, suffix: str) -> tuple[float, int]:
    """(peak RSS in MB, output size in bytes) of one `wdtui run` process."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"runs{suffix}"
        command = [sys.executable, "-m", "wdtui", "run", "--preset", "sine", "--lambdas", "0",
                   "--epochs", str(epochs), "--quiet", "--out", str(out)]
        return process_peak_mb(command), out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs=2, default=[1_000, 100_000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--csv", action="store_true", help="write the CSV instead of the JSON")
    args = parser.parse_args()
    suffix = ".csv" if args.csv else ".json"
    small, small_size = peak_mb(args.epochs[0], suffix)
    large, large_size = peak_mb(args.epochs[1], suffix)
    print(f"{args.epochs[0]:>9,} epochs: peak {small:7.1f} MB (output {small_size / 1e6:.1f} MB)")
    print(f"{args.epochs[1]:>9,} epochs: peak {large:7.1f} MB (output {large_size / 1e6:.1f} MB)")
    verdict = "within" if large - small <= GOAL_MB else "ABOVE"
    print(f"difference: {large - small:.1f} MB ({verdict} the {GOAL_MB} MB goal)")


if __name__ == "__main__":
    main()
