"""grokking and equilibrium at their defaults, over seeds: the figures of their guides.

python benchmarks/lessons_nn.py grokking [SEEDS]      (4000 full-batch steps per run, 2 runs per seed)
python benchmarks/lessons_nn.py equilibrium [SEEDS]   (100 epochs of 20 steps; 3 runs per seed)

Times are wall-clock seconds of each run on this machine (one CPU thread), for the README.
"""

import statistics
import sys
import time

from wdtui.engine.config import make_config
from wdtui.engine.experiment import build_experiment
from wdtui.engine.lessons import equilibrium as eq
from wdtui.engine.lessons.presets import preset_runs
from wdtui.engine.training.records import RunResult
from wdtui.engine.training.trainer import Trainer


def train(experiment, regularizer, lam, lr=None):
    trainer = Trainer(experiment, regularizer, lam)
    if lr is not None:
        trainer.set_lr(lr)
    result = RunResult(regularizer, lam)
    started = time.perf_counter()
    for record in trainer.records():
        result.add(record)
    return result, time.perf_counter() - started


def first(result, key, level):
    return next((e for e, v in zip(result.history["epoch"], result.history[key]) if v >= level), None)


def grokking(seeds: int) -> None:
    for seed in range(seeds):
        exp = build_experiment(make_config("grokking", seed=seed))
        for run in preset_runs("grokking"):
            result, seconds = train(exp, run.regularizer, run.lam)
            norms = result.history["weight_norm"]
            print(f"seed {seed} λ={run.lam:g}: train ≥ 99 % at step {first(result, 'train_accuracy', 0.99)}, "
                  f"test ≥ 90 % at {first(result, 'test_accuracy', 0.9)}, test ≥ 50 % at "
                  f"{first(result, 'test_accuracy', 0.5)}; final test {100 * result.history['test_accuracy'][-1]:.1f} %; "
                  f"‖w‖ {norms[0]:.1f} → peak {max(norms):.1f} → {norms[-1]:.1f}; {seconds:.1f} s", flush=True)


def settled(result, values):
    """The mean over the measured epochs of the run's last 50 (the guide's "last 50 epochs")."""
    return statistics.fmean(v for e, v in zip(result.history["epoch"], values) if e > result.epochs - 50)


def equilibrium(seeds: int) -> None:
    base = make_config("equilibrium")
    settings = [(0.05, None), (0.02, None), (0.1, 0.05)]  # (λ, lr): the last has the first's η·λ
    for seed in range(seeds):
        exp = build_experiment(make_config("equilibrium", seed=seed))
        for lam, lr in settings:
            result, seconds = train(exp, "coupled", lam, lr)
            predicted = eq.angular_update(base, lam, lr)
            ratios = {n: settled(result, v) / predicted for n, v in result.step_angular_update.items()}
            acc = result.history["test_accuracy"]
            print(f"seed {seed} λ={lam:g} lr={lr or base.lr:g}: predicted {predicted:.4f} rad; measured/predicted "
                  + ", ".join(f"{n} {r:.3f}" for n, r in ratios.items())
                  + "; ‖W‖ last 50 epochs " + ", ".join(f"{n} {settled(result, result.layer_norms[n]):.2f}" for n in ratios)
                  + f"; test accuracy last 50 epochs {100 * settled(result, acc):.1f} % (final {100 * acc[-1]:.1f} %); {seconds:.1f} s",
                  flush=True)


if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "grokking"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    {"grokking": grokking, "equilibrium": equilibrium}[name](count)
