"""The app's worker alone (``app/session.py`` without a screen): CPU µs per epoch with compare off
and on, and the engine's share of it.

    python benchmarks/session_compare.py [--preset sine] [--rounds 3]

A ``TrainingSession`` runs in this thread with ``post`` collecting messages (no app, no redraws),
one torch thread, at two epoch counts; the difference of the CPU times (``time.process_time``)
over the extra epochs is the worker's cost of an epoch, free of start-up. Beside it, the
engine's own epoch (``Trainer.run_epoch``; ``LiveRuns.run_epoch`` for the pair) in the same
process. What the worker adds per epoch is the difference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch


def session_seconds(preset: str, compare: bool, epochs: int) -> float:
    from wdtui.app.messages import Progress
    from wdtui.app.session import TrainingSession, preset_comparison
    from wdtui.engine.config import make_config
    from wdtui.engine.training.control import Control

    config, comparison = preset_comparison(make_config(preset, epochs=epochs, threads=1))
    control = Control()

    def post(message):
        if isinstance(message, Progress) and message.snapshot.finished:
            control.cancel()  # the finished run would wait for more epochs

    session = TrainingSession(1, config, comparison if compare else None, post, control)
    start = time.process_time()
    session.run()
    return time.process_time() - start


def engine_seconds(preset: str, compare: bool, epochs: int) -> float:
    from wdtui.app.session import preset_comparison
    from wdtui.engine.config import make_config
    from wdtui.engine.experiment import build_experiment
    from wdtui.engine.training.live_runs import LiveRuns
    from wdtui.engine.training.trainer import Trainer

    config, comparison = preset_comparison(make_config(preset, epochs=10 ** 6, threads=1))
    experiment = build_experiment(config)
    if compare:
        epoch = LiveRuns(experiment, [(config.regularizer, config.lam),
                                      (comparison.regularizer, comparison.lam)]).run_epoch
    else:
        epoch = Trainer(experiment).run_epoch
    for _ in range(20):
        epoch()
    start = time.process_time()
    for _ in range(epochs):
        epoch()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="sine")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, nargs=2, default=[200, 2200], metavar=("SHORT", "LONG"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    short, long = args.epochs
    got: dict[str, list[float]] = {}
    session_seconds(args.preset, True, 20)  # warm-up: first-call costs
    for _ in range(args.rounds):
        for compare in (False, True):
            name = "on" if compare else "off"
            cost = (session_seconds(args.preset, compare, long) - session_seconds(args.preset, compare, short))
            got.setdefault(f"worker {name}", []).append(cost / (long - short))
            got.setdefault(f"engine {name}", []).append(engine_seconds(args.preset, compare, long - short)
                                                        / (long - short))
    med = {name: statistics.median(values) * 1e6 for name, values in got.items()}
    print(f"{args.preset}, 1 thread, CPU µs per epoch, median of {args.rounds} (load {os.getloadavg()[0]:.2f}):")
    for name, value in med.items():
        print(f"  {name:10s} {value:7.1f}   ({', '.join(f'{v * 1e6:.0f}' for v in got[name])})")
    print(f"compare on / off: worker {med['worker on'] / med['worker off']:.2f}x, "
          f"engine {med['engine on'] / med['engine off']:.2f}x; "
          f"the worker adds {med['worker off'] - med['engine off']:.0f} µs (off), "
          f"{med['worker on'] - med['engine on']:.0f} µs (on)")


if __name__ == "__main__":
    main()
