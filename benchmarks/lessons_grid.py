"""The (lr, λ) grid in each convention: where is the best λ for each lr, per seed and on the mean?

python benchmarks/lessons_grid.py [--preset sine-overfit] [--seeds 3] [--epochs N]

Trains coupled (Adam weight_decay), decoupled torch (AdamW: shrink η·λ per step) and decoupled
paper (shrink λ per step) over lr 1e-3…1e-1 (5) × λ 1e-7…10 (half-decade steps) and prints, per
seed and for the mean over seeds, the best λ per lr and the trend (engine/trends.py).
"""

import argparse
import time

from wdtui.engine.config import make_config, parse_lambda_spec
from wdtui.engine.experiment import build_experiment
from wdtui.engine.lessons.trends import best_lambda_trend, describe, read_grid
from wdtui.engine.sweeps.sweep import GridResult
from wdtui.engine.training.batched import BatchedTrainer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="sine-overfit")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--lrs", default="1e-3:1e-1:5")
    parser.add_argument("--lambdas", default="1e-7:10:17")
    args = parser.parse_args()
    lrs, lambdas = parse_lambda_spec([args.lrs]), parse_lambda_spec([args.lambdas])
    for regularizer, convention in (("coupled", "torch"), ("decoupled", "torch"), ("decoupled", "paper")):
        extra = {"epochs": args.epochs} if args.epochs else {}
        exps = [build_experiment(make_config(args.preset, seed=s, decay_convention=convention, **extra))
                for s in range(args.seeds)]
        started = time.perf_counter()
        trainer = BatchedTrainer(exps, lambdas, regularizer, lrs=lrs)
        while not trainer.done:
            trainer.run_epoch(measure=False)
        record = trainer.measure()
        label = regularizer if regularizer == "coupled" else f"decoupled ({convention})"
        grid = GridResult(regularizer, lrs, lambdas, args.seeds, record)
        print(describe(f"{label}, mean of {args.seeds} seeds", read_grid(grid, "test_loss")))
        per = len(lrs) * len(lambdas)
        for s in range(args.seeds):
            cells = record.test_loss[s * per:(s + 1) * per]
            rows = [cells[r * len(lambdas):(r + 1) * len(lambdas)] for r in range(len(lrs))]
            print("   " + describe(f"seed {s} alone", best_lambda_trend(lrs, lambdas, rows)))
        print(f"   ({trainer.copies} copies, {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
