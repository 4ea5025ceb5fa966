"""Peak memory of the app against its number of epochs: what it keeps must not grow with them.

Runs the app headless through `wdtui snapshot --preset sine --epochs N --out FILE.svg` (the same
worker, messages, histories and charts as on a terminal; the run and its comparison, the screen
written when training ends) in a fresh process for N = 1,000 and N = 100,000 and prints each
process's peak resident memory (ru_maxrss) and the difference. The goal (issue 10): the
10⁵-epoch app peaks at most 100 MB above the 10³-epoch one. It measures memory, not time, so one
run of each suffices.

    python benchmarks/memory_app.py [--epochs 1000 100000] [--preset sine]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from memory_history import GOAL_MB, process_peak_mb


def app_peak_mb(preset: str, epochs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "wdtui", "snapshot", "--preset", preset, "--epochs", str(epochs),
                   "--out", str(Path(folder) / "screen.svg"), "--size", "120x40"]
        return process_peak_mb(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs=2, default=[1_000, 100_000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--preset", default="sine")
    args = parser.parse_args()
    peaks = [app_peak_mb(args.preset, n) for n in args.epochs]
    for n, peak in zip(args.epochs, peaks):
        print(f"{n:>9,} epochs: app peak {peak:7.1f} MB", flush=True)
    growth = peaks[1] - peaks[0]
    verdict = "within" if growth <= GOAL_MB else "ABOVE"
    print(f"difference: {growth:.1f} MB ({verdict} the {GOAL_MB} MB goal)")


if __name__ == "__main__":
    main()
