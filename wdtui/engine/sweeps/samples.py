"""The sample-size sweep: test loss against the number of training examples n, one curve per λ
(``wdtui sweep --n-trains``; the double-descent preset sweeps n × λ by default).

Every cell (seed s, n_i, λ_j) is its own experiment's exact solution (the exact solver: ridge,
or the minimum-norm least-squares solution at λ = 0; see ``training/solvers.py``), so a sweep
of thousands of cells takes seconds. Seed s draws the data (for double-descent β* too) from
seed + s; the numbers are the mean over seeds (and the sample std and standard error
std/√seeds with several): the test loss of the minimum-norm solution near n = p has a heavy
tail, so its mean needs many draws to be smooth.

There is no best λ chosen here (no validation set): the sweep draws the curves that the
double-descent lesson is about, and says where each λ's mean test loss peaks.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any, Callable

from ..config import Config, ConfigError
from ..training.records import json_number

SAMPLE_KEYS = ("train_loss", "test_loss", "weight_norm")


@dataclass
class SampleSweep:
    """``values[key][s][i][j]``: seed s, n_trains[i], lambdas[j]."""

    n_trains: list[int]
    lambdas: list[float]
    seeds: int
    values: dict[str, list[list[list[float]]]]

    def table(self, key: str = "test_loss", statistic: str = "mean") -> list[list[float]]:
        """Rows n_i, columns λ_j: the mean over seeds (``statistic`` std or sem: the sample
        standard deviation or the standard error; NaN with one seed). NaN where a seed's value is."""
        out = []
        for i in range(len(self.n_trains)):
            row = []
            for j in range(len(self.lambdas)):
                column = [self.values[key][s][i][j] for s in range(self.seeds)]
                if not all(math.isfinite(v) for v in column):
                    row.append(math.nan)
                elif statistic == "mean":
                    row.append(statistics.fmean(column))
                else:
                    sd = statistics.stdev(column) if self.seeds > 1 else math.nan
                    row.append(sd if statistic == "std" else sd / math.sqrt(self.seeds))
            out.append(row)
        return out

    def curve(self, j: int, key: str = "test_loss") -> list[float]:
        """λ_j's mean over seeds against n (one value per n_trains)."""
        return [row[j] for row in self.table(key)]

    def peak(self, j: int) -> int:
        """The n where λ_j's mean test loss is largest."""
        curve = self.curve(j)
        return self.n_trains[max(range(len(curve)), key=lambda i: curve[i] if math.isfinite(curve[i]) else -1)]

    def largest_rise(self, j: int) -> tuple[float, int]:
        """λ_j's largest relative rise of the mean test loss from one n to the next, and the
        index of the n it rises to (0.0 and 0 when it never rises)."""
        curve, worst = self.curve(j), (0.0, 0)
        for i in range(1, len(curve)):
            if curve[i - 1] > 0 and curve[i] / curve[i - 1] - 1 > worst[0]:
                worst = (curve[i] / curve[i - 1] - 1, i)
        return worst

    def summary(self) -> list[str]:
        """Per λ: the mean test loss at the smallest and largest n, where it is highest, and its
        largest rise from one n to the next (0: it falls all the way)."""
        lines = []
        for j, lam in enumerate(self.lambdas):
            curve, peak = self.curve(j), self.peak(j)
            rise, at = self.largest_rise(j)
            size = f"×{1 + rise:.3g}" if rise >= 1 else f"+{rise:.0%}"
            steps = (f"largest rise {size} (n = {self.n_trains[at - 1]} → {self.n_trains[at]})" if rise > 0
                     else "it never rises")
            lines.append(f"λ = {lam:.3g}: test loss {curve[0]:.3g} at n = {self.n_trains[0]} → "
                         f"{curve[-1]:.3g} at n = {self.n_trains[-1]}; highest at n = {peak} "
                         f"({curve[self.n_trains.index(peak)]:.3g}); {steps}")
        return lines

    def brief_summary(self) -> list[str]:
        """:meth:`summary` in a line of 80 columns per λ: the mean test loss at the smallest and
        largest n and where it is highest (a small screen keeps its rows for the chart)."""
        lines = []
        for j, lam in enumerate(self.lambdas):
            curve, peak = self.curve(j), self.peak(j)
            lines.append(f"λ = {lam:.3g}: {curve[0]:.3g} at n = {self.n_trains[0]} → {curve[-1]:.3g} at "
                         f"n = {self.n_trains[-1]}; highest {curve[self.n_trains.index(peak)]:.3g} at n = {peak}")
        return lines

    def to_dict(self, config: dict[str, Any]) -> dict[str, Any]:
        """The ``wdtui sweep --n-trains`` JSON: ``final[key]`` is an [n][λ] table of means over
        seeds (``std``, ``sem`` and ``per_seed`` [s][n][λ] with several seeds)."""
        numbers = lambda rows: [[json_number(v) for v in row] for row in rows]  # noqa: E731
        final: dict[str, Any] = {key: numbers(self.table(key)) for key in SAMPLE_KEYS}
        if self.seeds > 1:
            final["std"] = {key: numbers(self.table(key, "std")) for key in SAMPLE_KEYS}
            final["sem"] = {key: numbers(self.table(key, "sem")) for key in SAMPLE_KEYS}
            final["per_seed"] = {key: [numbers(rows) for rows in self.values[key]] for key in SAMPLE_KEYS}
        return {"config": config, "mode": "n_trains", "n_trains": list(self.n_trains),
                "lambdas": list(self.lambdas), "seeds": self.seeds, "final": final,
                "peak_n": [self.peak(j) for j in range(len(self.lambdas))]}


def sample_config(base: Config, seeds: int, device: str) -> dict[str, Any]:
    """The ``config`` entry of the JSON: the base config without λ and n_train (both swept)."""
    config = base.to_dict()
    for key in ("lambda", "n_train", "batch_size"):
        config.pop(key)
    config.update(device=device, seeds=seeds)
    return config


def check_sample_sweep(base: Config) -> None:
    """An n sweep solves each cell exactly: it needs ``solver exact`` (and so a linear model)."""
    if base.solver != "exact":
        raise ConfigError("n_trains", "an n_train sweep solves every (n, λ, seed) exactly: it needs "
                          "--solver exact (a linear model)")


def sample_sweep(base: Config, n_trains: list[int], lambdas: list[float], seeds: int,
                 stop: Callable[[], bool] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> SampleSweep | None:
    """Solve every (seed, n, λ) cell of ``base`` (its regularizer, solver exact). ``progress(done,
    total)`` after each experiment; ``stop`` polled between experiments (None when stopped).
    Raises ConfigError for a cell whose config is refused (e.g. n_train < 2)."""
    from ..experiment import build_experiment
    from ..training.solvers import ExactSolver

    check_sample_sweep(base)
    values = {key: [[[math.nan] * len(lambdas) for _ in n_trains] for _ in range(seeds)] for key in SAMPLE_KEYS}
    total, done = seeds * len(n_trains), 0
    for s in range(seeds):
        for i, n in enumerate(n_trains):
            if stop is not None and stop():
                return None
            experiment = build_experiment(base.with_changes(n_train=n, seed=base.seed + s, batch_size="full"),
                                          check_memory=False)
            solver = ExactSolver(experiment, base.regularizer, lambdas[0])  # one SVD for every λ
            for j, lam in enumerate(lambdas):
                solver.apply({"lam": lam})
                solver.epochs = solver.epoch + 1
                record = solver.run_epoch()
                for key in SAMPLE_KEYS:
                    values[key][s][i][j] = getattr(record, key)
            done += 1
            if progress is not None:
                progress(done, total)
    return SampleSweep(list(n_trains), list(lambdas), seeds, values)
