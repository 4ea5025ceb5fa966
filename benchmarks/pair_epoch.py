"""The engine's cost of the app's pair: a lone Trainer's epoch against the batched pair's.

    python benchmarks/pair_epoch.py [--preset sine] [--epochs 500] [--rounds 15] [--profile]

One thread, one process; every side trains ``--epochs`` epochs measuring on the preset's schedule
(the sine preset measures every epoch), in alternating rounds, and the median CPU time per epoch
(``time.process_time``: on a shared machine it moves far less than wall time) is printed per side,
and the median over rounds of each round's ratio to the lone epoch:

- ``lone``: ``Trainer.run_epoch`` (the app with compare off);
- ``pair``: ``LiveRuns.run_epoch`` with K = 2 (the app with compare on: the run and λ = 0);
- ``two lone``: two ``Trainer``s in turn (the app's way for models that do not batch).

``--profile``: torch.profiler's self-CPU totals per operation over 200 epochs of lone and pair, in
µs per epoch, to see which operations the pair adds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from wdtui.engine.config import make_config
from wdtui.engine.experiment import build_experiment
from wdtui.engine.training.live_runs import LiveRuns
from wdtui.engine.training.trainer import Trainer


def sides(preset: str, epochs: int):
    exp = build_experiment(make_config(preset, epochs=10 ** 6, threads=1))
    lam = exp.config.lam

    def lone():
        t = Trainer(exp, exp.config.regularizer, lam)
        return lambda: t.run_epoch()

    def pair():
        live = LiveRuns(exp, [(exp.config.regularizer, lam), (exp.config.regularizer, 0.0)])
        return lambda: live.run_epoch()

    def two():
        a, b = Trainer(exp, exp.config.regularizer, lam), Trainer(exp, exp.config.regularizer, 0.0)
        return lambda: (a.run_epoch(), b.run_epoch())

    return {"lone": lone, "pair": pair, "two lone": two}


def cpu_per_epoch(make, epochs: int) -> float:
    epoch = make()
    for _ in range(20):  # warm-up
        epoch()
    start = time.process_time()
    for _ in range(epochs):
        epoch()
    return (time.process_time() - start) / epochs


LIMIT = 18


def profile(make, epochs: int = 200) -> None:
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    epoch = make()
    for _ in range(20):
        epoch()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(epochs):
            epoch()
    rows = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in rows)
    print(f"  total self CPU {total / epochs:7.1f} µs/epoch; per op (µs/epoch, calls/epoch):")
    for e in rows[:LIMIT]:
        print(f"    {e.key:38s} {e.self_cpu_time_total / epochs:7.1f}  {e.count / epochs:5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="sine")
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    made = sides(args.preset, args.epochs)
    if args.profile:
        for name in ("lone", "pair"):
            print(name)
            profile(made[name])
        return
    times: dict[str, list[float]] = {name: [] for name in made}
    for _ in range(args.rounds):
        for name, make in made.items():
            times[name].append(cpu_per_epoch(make, args.epochs))
    med = {name: statistics.median(v) for name, v in times.items()}
    # each round's sides ran back to back: the median of the rounds' ratios cancels the drift of a
    # shared machine better than the ratio of medians
    ratios = {name: statistics.median(a / b for a, b in zip(times[name], times["lone"]))
              for name in ("pair", "two lone")}
    print(f"{args.preset}, 1 thread, CPU µs per epoch (median of {args.rounds} rounds × {args.epochs} epochs; "
          f"load {os.getloadavg()[0]:.2f}):")
    for name, value in med.items():
        print(f"  {name:9s} {value * 1e6:7.1f}   ({', '.join(f'{v * 1e6:.0f}' for v in times[name])})")
    print(f"pair / lone {ratios['pair']:.2f}x, two lone / lone {ratios['two lone']:.2f}x "
          "(medians of the rounds' ratios)")


if __name__ == "__main__":
    main()
