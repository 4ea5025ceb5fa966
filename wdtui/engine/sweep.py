"""A sweep's results: per-λ curves (mean and std over seeds), the best λ, the JSON document."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from .batched import SweepRecord
from .records import json_number

SWEEP_KEYS = ("train_loss", "test_loss", "weight_norm")
HISTORY_POINTS = 100  # a sweep is measured about this many times per run (and at its last epoch)


def measure_every(epochs: int) -> int:
    """Measure a sweep every this many epochs: measuring every copy costs about as much as a
    training step, so every epoch would double a sweep's cost; the history needs no more."""
    return max(1, epochs // HISTORY_POINTS)


def _mean_std(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < len(values) or not finite:
        return math.nan, math.nan  # a diverged seed makes the mean meaningless: say so
    return statistics.fmean(finite), statistics.pstdev(finite) if len(finite) > 1 else 0.0


def over_seeds(values: list[float], seeds: int) -> tuple[list[float], list[float]]:
    """Copies k = s·C + c (seed s, cell c) → mean and std over seeds for each cell c."""
    cells = len(values) // seeds
    pairs = [_mean_std([values[s * cells + c] for s in range(seeds)]) for c in range(cells)]
    return [m for m, _ in pairs], [d for _, d in pairs]


@dataclass
class SweepResult:
    lambdas: list[float]
    seeds: int
    epochs: int
    history: dict[str, list] = field(default_factory=lambda: {"epoch": [], **{k: [] for k in SWEEP_KEYS}})
    last: SweepRecord | None = None

    def add(self, record: SweepRecord) -> None:
        """Keep a measured epoch's per-λ means."""
        self.last = record
        self.history["epoch"].append(record.epoch)
        for key in SWEEP_KEYS:
            self.history[key].append(self.per_lambda(getattr(record, key))[0])

    def per_lambda(self, values: list[float]) -> tuple[list[float], list[float]]:
        """Copies k = s·L + l → (mean over seeds, std over seeds) for each λ_l."""
        return over_seeds(values, self.seeds)

    def final(self) -> dict[str, tuple[list[float], list[float]]]:
        """Per key, (mean, std) over seeds for each λ; ``test_accuracy`` too for classification."""
        final = {key: self.per_lambda(getattr(self.last, key)) for key in SWEEP_KEYS}
        if self.last.test_accuracy is not None:
            final["test_accuracy"] = self.per_lambda(self.last.test_accuracy)
        return final

    @property
    def diverged(self) -> list[bool]:
        n = len(self.lambdas)
        return [any(self.last.diverged[s * n + i] for s in range(self.seeds)) for i in range(n)]

    @property
    def best_index(self) -> int | None:
        """The λ with the lowest final test loss (mean over seeds), None if all diverged."""
        test, diverged = self.final()["test_loss"][0], self.diverged
        finite = [(v, i) for i, v in enumerate(test) if math.isfinite(v) and not diverged[i]]
        return min(finite)[1] if finite else None

    @property
    def best_lambda(self) -> float | None:
        index = self.best_index
        return None if index is None else self.lambdas[index]

    def to_dict(self, config: dict[str, Any]) -> dict[str, Any]:
        """The ``wdtui sweep`` JSON document (see README)."""
        final = self.final()
        numbers = lambda values: [json_number(v) for v in values]  # noqa: E731
        doc = {
            "config": config,
            "lambdas": self.lambdas,
            "seeds": self.seeds,
            "final": {key: numbers(mean) for key, (mean, _) in final.items()},
            "diverged": self.diverged,
            "best_lambda": self.best_lambda,
            "history": {
                "epoch": list(self.history["epoch"]),
                **{key: [numbers(values) for values in self.history[key]] for key in SWEEP_KEYS},
            },
        }
        if self.seeds > 1:
            doc["final"]["std"] = {key: numbers(std) for key, (_, std) in final.items()}
        return doc


@dataclass
class GridResult:
    """An (lr, λ) grid for one regularizer: copies k = (s·R + r)·L + l, final numbers only."""

    regularizer: str
    lrs: list[float]
    lambdas: list[float]
    seeds: int
    record: SweepRecord

    def grid(self, key: str, std: bool = False) -> list[list[float]]:
        """Rows η_r, columns λ_l: the mean (or std) over seeds."""
        cells = over_seeds(getattr(self.record, key), self.seeds)[1 if std else 0]
        n = len(self.lambdas)
        return [cells[r * n:(r + 1) * n] for r in range(len(self.lrs))]

    def diverged(self) -> list[list[bool]]:
        """Rows η_r, columns λ_l: whether the cell diverged for any seed."""
        n, cells = len(self.lambdas), len(self.lambdas) * len(self.lrs)
        flags = [any(self.record.diverged[s * cells + c] for s in range(self.seeds)) for c in range(cells)]
        return [flags[r * n:(r + 1) * n] for r in range(len(self.lrs))]

    @property
    def best(self) -> tuple[int, int] | None:
        """(r, l) of the lowest mean test loss among cells that did not diverge; None if every
        cell diverged."""
        grid, diverged = self.grid("test_loss"), self.diverged()
        cells = [(v, r, l) for r, row in enumerate(grid) for l, v in enumerate(row)
                 if math.isfinite(v) and not diverged[r][l]]
        return None if not cells else min(cells)[1:]

    def to_dict(self) -> dict[str, Any]:
        numbers = lambda rows: [[json_number(v) for v in row] for row in rows]  # noqa: E731
        best = self.best
        doc = {key: numbers(self.grid(key)) for key in SWEEP_KEYS}
        if self.seeds > 1:
            doc["std"] = {key: numbers(self.grid(key, std=True)) for key in SWEEP_KEYS}
        doc["best"] = None if best is None else {
            "lr": self.lrs[best[0]], "lambda": self.lambdas[best[1]],
            "test_loss": self.grid("test_loss")[best[0]][best[1]]}
        return doc


def grid_document(config: dict[str, Any], grids: list[GridResult]) -> dict[str, Any]:
    """The JSON of ``wdtui sweep --lrs`` (see README)."""
    first = grids[0]
    return {"config": config, "mode": "grid", "lrs": first.lrs, "lambdas": first.lambdas,
            "seeds": first.seeds, "regularizers": [g.regularizer for g in grids],
            "grids": {g.regularizer: g.to_dict() for g in grids}}
