"""The linear lessons at their defaults: how long each takes, and the double-descent numbers that
the guide states at the full size (d = 100, 20 draws; the tests check them at d = 20).

python benchmarks/linear_lessons.py [--repeats 3]

Times, each the best of --repeats, in this process (imports excluded):
- ``wdtui run --preset poly``: its two runs, solved exactly;
- the same with --solver gd (Adam, 5000 full-batch epochs per run), the comparison the poly
  guide makes;
- ``wdtui sweep --preset poly``: the preset's λ ladder and λ = 0, exact;
- ``wdtui sweep --preset double-descent``: 26 n × 5 λ × 20 draws, exact.
Then the double-descent table's guide numbers, each within half a unit of its last stated digit
(float64 exact solutions: no CPU margin); exits 1 if one of them does not hold.
"""

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from wdtui.cli.main import main as wdtui


def timed(argv: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert wdtui(argv) == 0
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "dd.json")
        cases = [
            ("wdtui run --preset poly (exact)", ["run", "--preset", "poly", "--quiet"]),
            ("wdtui run --preset poly --solver gd", ["run", "--preset", "poly", "--solver", "gd", "--quiet"]),
            ("wdtui sweep --preset poly (exact)", ["sweep", "--preset", "poly", "--quiet"]),
            ("wdtui sweep --preset double-descent", ["sweep", "--preset", "double-descent", "--quiet", "--out", out]),
        ]
        for label, argv in cases:
            repeats = 1 if "gd" in argv else args.repeats
            print(f"{label:45s} {timed(argv, repeats):7.2f} s (best of {repeats})", flush=True)
        doc = json.loads(Path(out).read_text())
    n, lambdas, table = doc["n_trains"], doc["lambdas"], doc["final"]["test_loss"]
    curve = lambda lam: [row[lambdas.index(lam)] for row in table]  # noqa: E731
    free, best, large, small = curve(0.0), curve(0.5), curve(5.0), curve(0.005)
    rises = [b / a - 1 for a, b in zip(best, best[1:])]
    checks = {
        "λ = 0: about 1 at n = 60": 0.9 <= free[n.index(60)] <= 1.1,
        # seeds 0–19 (the preset's): one draw's 4.4e5 makes the mean; other blocks of 20 give 183–2.5e3
        "λ = 0: the highest at n = 101 (2.2e4 on seeds 0–19)": free.index(max(free)) == n.index(101)
        and 1.5e4 <= max(free) <= 2.5e4,
        "λ = 0: 0.38 at n = 300": 0.375 <= free[-1] <= 0.385,
        "λ = 0.5: 1.2 at n = 10, 0.61 at n = 100, 0.39 at n = 300":
            1.15 <= best[0] <= 1.25 and 0.605 <= best[n.index(100)] <= 0.615 and 0.385 <= best[-1] <= 0.395,
        "λ = 0.5: never rises more than 5 %": max(rises) <= 0.055,
        "λ = 0.005: peaks at 2.7 near n = 100": 95 <= n[small.index(max(small))] <= 102 and 2.65 <= max(small) <= 2.75,
        "λ = 5: 0.82 at n = 300": 0.815 <= large[-1] <= 0.825,
    }
    print(f"\ndouble descent, d = {doc['config']['n_inputs']}, {doc['seeds']} draws (mean test loss):")
    for row_n, row in zip(n, table):
        print(f"  n = {row_n:4d}  " + "  ".join(f"λ={lam:<6g} {v:10.4g}" for lam, v in zip(lambdas, row)))
    for claim, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {claim}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
