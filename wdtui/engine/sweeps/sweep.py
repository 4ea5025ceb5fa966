"""A sweep's results: per-λ numbers over seeds, the best λ chosen on the validation set, the
JSON document.

Statistics over seeds (copies k = s·L + l: seed s, λ_l). For each λ: the mean over seeds, the
sample standard deviation (n − 1) and the standard error of the mean, SE = std/√n. The paired
difference against λ = 0 (when 0 is swept): d_s = value(s, λ) − value(s, 0), the same seed's
data and initialization on both sides, so the seed-to-seed spread cancels; its mean and SE.

The choice of λ: ``best_lambda`` is the argmin of the mean validation loss (never the test
loss); ``best_range`` spans the λ whose validation loss is above the minimum's by at most one
standard error of their paired difference (the one-standard-error rule, paired seed by seed as
the test against λ = 0 is: these are not told apart by the seeds); a λ
*beats λ = 0* when its paired validation-loss difference is below zero by more than two
standard errors (mean d + 2·SE(d) < 0). With one seed there is no standard error: no range
and no claim against λ = 0.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from ..training.batched import SweepRecord
from ..training.records import json_number

SWEEP_KEYS = ("train_loss", "test_loss", "weight_norm")  # every sweep's history
FINAL_KEYS = ("train_loss", "val_loss", "test_loss", "weight_norm", "zeros")
PAIRED_KEYS = ("val_loss", "test_loss")
BEATS_SE = 2.0  # a λ beats λ = 0 when its paired val-loss difference + BEATS_SE·SE < 0
HISTORY_POINTS = 100  # a sweep is measured about this many times per run (and at its last epoch)


def _short(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def sweep_config(base, experiments, seeds: int) -> dict[str, Any]:
    """The ``config`` entry of a sweep's JSON: the base config without λ, the device, the seeds,
    and the validation set (how it was made, its size, what the sweep trained on)."""
    from .validation import VAL_FRACTION, validation_kind

    config = base.to_dict()
    config.pop("lambda")
    config.update(device=str(experiments[0].device), seeds=seeds)
    data = experiments[0].data
    kind = validation_kind(base)
    config["validation"] = {"kind": kind, "n_val": len(data.x_val), "n_train": len(data.x_train),
                            **({"fraction": VAL_FRACTION} if kind == "held out" else {})}
    return config


def sweep_ridge(experiments, regularizer: str, lambdas: list[float]) -> list[list[float]] | None:
    """The closed-form ridge path on the first seed's training set where it applies (l2 and
    coupled on a linear regression model), else None."""
    from .ridge import ridge_applies, ridge_weights_at

    return ridge_weights_at(experiments[0], lambdas) if ridge_applies(experiments[0], regularizer) else None


def measure_every(epochs: int, experiment=None) -> int:
    """Measure a sweep every this many epochs: measuring every copy costs about as much as a
    training step, so every epoch would double a sweep's cost; the history needs no more. With
    the ``experiment``, never more often than its runs' schedule spaces measurements where
    measuring costs more than training (``trainer.measure_schedule``: every 6th epoch for digits)."""
    every = max(1, epochs // HISTORY_POINTS)
    if experiment is not None:
        from ..training.trainer import measure_schedule

        every = max(every, measure_schedule(experiment).every)
    return every


@dataclass(frozen=True)
class Spread:
    """Per cell: the mean over seeds, the sample std (n − 1), the standard error std/√n, and
    each seed's value (``per_seed[s][c]``). A cell with a diverged seed has NaN mean, std and SE;
    with one seed, std and SE are NaN (undefined)."""

    mean: list[float]
    std: list[float]
    sem: list[float]
    per_seed: list[list[float]]


def spread(values: list[float], seeds: int) -> Spread:
    """Copies k = s·C + c (seed s, cell c) → the :class:`Spread` of each cell c over seeds."""
    cells = len(values) // seeds
    per_seed = [[float(v) for v in values[s * cells:(s + 1) * cells]] for s in range(seeds)]
    mean, std, sem = [], [], []
    for c in range(cells):
        column = [per_seed[s][c] for s in range(seeds)]
        if not all(math.isfinite(v) for v in column):  # a diverged seed makes the mean meaningless
            mean.append(math.nan), std.append(math.nan), sem.append(math.nan)
            continue
        mean.append(statistics.fmean(column))
        sd = statistics.stdev(column) if seeds > 1 else math.nan
        std.append(sd)
        sem.append(sd / math.sqrt(seeds))
    return Spread(mean, std, sem, per_seed)


def over_seeds(values: list[float], seeds: int) -> tuple[list[float], list[float]]:
    """Copies k = s·C + c (seed s, cell c) → mean and std over seeds for each cell c."""
    s = spread(values, seeds)
    return s.mean, s.std


@dataclass
class SweepResult:
    lambdas: list[float]
    seeds: int
    epochs: int
    history: dict[str, list] = field(default_factory=lambda: {"epoch": [], **{k: [] for k in SWEEP_KEYS}})
    last: SweepRecord | None = None
    classes: int | None = None  # a classifier's number of classes (chance: 1/classes), else None

    def add(self, record: SweepRecord) -> None:
        """Keep a measured epoch's per-λ means."""
        self.last = record
        self.history["epoch"].append(record.epoch)
        for key in SWEEP_KEYS + (("val_loss",) if record.val_loss is not None else ()):
            self.history.setdefault(key, []).append(self.per_lambda(getattr(record, key))[0])

    def per_lambda(self, values: list[float]) -> tuple[list[float], list[float]]:
        """Copies k = s·L + l → (mean over seeds, std over seeds) for each λ_l."""
        return over_seeds(values, self.seeds)

    def spreads(self) -> dict[str, Spread]:
        """Per key, the :class:`Spread` over seeds of each λ's final value: losses (validation
        when measured), ‖w‖, the count of exact zeros, test accuracy for classification."""
        keys = [k for k in FINAL_KEYS if getattr(self.last, k) is not None]
        if self.last.test_accuracy is not None:
            keys.append("test_accuracy")
        return {key: spread(getattr(self.last, key), self.seeds) for key in keys}

    def final(self) -> dict[str, tuple[list[float], list[float]]]:
        """Per key, (mean, std) over seeds for each λ."""
        return {key: (s.mean, s.std) for key, s in self.spreads().items()}

    @property
    def zero_index(self) -> int | None:
        """Where λ = 0, the reference, is in the sweep (None if it was not swept)."""
        return self.lambdas.index(0.0) if 0.0 in self.lambdas else None

    def paired(self, key: str = "val_loss") -> Spread | None:
        """Each λ against λ = 0 on the same seed: the spread of d_s = value(s, λ) − value(s, 0).
        None without λ = 0 or without the key."""
        return self.paired_against(self.zero_index, key)

    def paired_against(self, index: int | None, key: str = "val_loss") -> Spread | None:
        """Each λ against λ_index on the same seed (the same data and initialization on both
        sides, so the seed-to-seed spread cancels): the spread of d_s = value(s, λ) −
        value(s, λ_index). None without that λ or without the key."""
        values = getattr(self.last, key)
        if index is None or values is None:
            return None
        per_seed = spread(values, self.seeds).per_seed
        diffs = [row[l] - row[index] for row in per_seed for l in range(len(self.lambdas))]
        return spread(diffs, self.seeds)

    @property
    def diverged(self) -> list[bool]:
        n = len(self.lambdas)
        return [any(self.last.diverged[s * n + i] for s in range(self.seeds)) for i in range(n)]

    def _val(self) -> Spread:
        if self.last.val_loss is None:
            raise ValueError("a sweep chooses λ on a validation set: build its experiments with validation=True")
        return spread(self.last.val_loss, self.seeds)

    @property
    def best_index(self) -> int | None:
        """The λ with the lowest mean validation loss among those that did not diverge, None if
        every λ diverged."""
        val, diverged = self._val().mean, self.diverged
        finite = [(v, i) for i, v in enumerate(val) if math.isfinite(v) and not diverged[i]]
        return min(finite)[1] if finite else None

    @property
    def best_lambda(self) -> float | None:
        index = self.best_index
        return None if index is None else self.lambdas[index]

    def within_one_se(self) -> list[bool] | None:
        """The λ whose validation loss is above the best's by at most one standard error, both
        paired seed by seed: mean_s(d_s) ≤ SE(d_s), d_s = val(s, λ) − val(s, best). Paired as
        :meth:`beats_zero` is: the seed-to-seed spread (sine-overfit's data and initialization)
        is far larger than what λ changes, and an unpaired SE of the best's mean had put λ = 0
        "within 1 SE" of a best that beat it on every seed by more than 2 paired SE (d2l).
        None with one seed (no standard error) or when every λ diverged."""
        best = self.best_index
        if best is None or self.seeds < 2:
            return None
        self._val()  # a sweep without a validation set chooses nothing
        d = self.paired_against(best)
        return [math.isfinite(m) and m <= e for m, e in zip(d.mean, d.sem)]

    @property
    def best_range(self) -> tuple[float, float] | None:
        """(smallest, largest) λ within one standard error of the best (see ``within_one_se``)."""
        within = self.within_one_se()
        if within is None:
            return None
        inside = [lam for lam, ok in zip(self.lambdas, within) if ok]
        return min(inside), max(inside)

    def beats_zero(self) -> list[bool] | None:
        """Per λ: its paired validation-loss difference against λ = 0 is below zero by more than
        ``BEATS_SE`` standard errors. None without λ = 0 or with one seed."""
        paired = self.paired("val_loss")
        if paired is None or self.seeds < 2:
            return None
        return [math.isfinite(m) and m + BEATS_SE * e < 0 for m, e in zip(paired.mean, paired.sem)]

    def weights(self) -> list[list[float]] | None:
        """A linear model's learned weights for each λ, from the first seed (the config's seed:
        other seeds have other data, and for ``sparse`` other true weights, so no mean)."""
        if self.last.weights is None:
            return None
        return [list(w) for w in self.last.weights[:len(self.lambdas)]]

    def verdict(self) -> list[str]:
        """The sweep's conclusion in short lines (the CLI prints them, the app shows them): the
        best λ by validation loss with its test loss (whether λ = 0 prints alike, whether it is
        the largest or smallest λ > 0 swept), the λ within one paired standard error of it, and
        whether any λ beats λ = 0 (paired)."""
        best = self.best_index
        if best is None:
            return ["every λ diverged: no best λ"]
        spreads = self.spreads()
        lam, val = self.lambdas[best], spreads["val_loss"].mean
        # at an end of the λ > 0 swept the loss may still fall beyond it: no optimum found
        positive = [v for v in self.lambdas if v > 0]
        edge = ("; the largest λ swept: a larger one may do better" if lam > 0 and lam == max(positive) else
                "; the smallest λ > 0 swept: a smaller one may do better" if lam > 0 and lam == min(positive)
                and len(positive) > 1 else "")
        # a best that λ = 0 matches to the digits shown is no sign that decay helps
        z = self.zero_index
        alike = ("; λ = 0 prints alike" if lam > 0 and z is not None and math.isfinite(val[z])
                 and _short(val[z]) == _short(val[best]) else "")
        lines = [f"best λ by val loss: {lam:.3g} (val {_short(val[best])}, "
                 f"test {_short(spreads['test_loss'].mean[best])}{alike}{edge})"]
        unlearned = self.at_chance()
        if unlearned:
            lines.append(unlearned)
        if self.seeds < 2:
            lines.append("one seed: no standard error, no range, no test against λ = 0")
            return lines
        low, high = self.best_range
        lines.append(f"within 1 SE of the best (paired): λ {low:.3g} … {high:.3g}" if low != high
                     else "no other λ within 1 SE of the best (paired)")
        beats = self.beats_zero()
        if beats is not None:
            winners = [lam for lam, ok in zip(self.lambdas, beats) if ok]
            lines.append(f"no λ beats λ = 0 (paired, {self.seeds} seeds)" if not winners else
                         f"beat λ = 0 by > 2 SE (paired, {self.seeds} seeds): "
                         + (", ".join(f"{lam:.3g}" for lam in winners) if len(winners) <= 3 else
                            # a range would read as "all of these": say how many of the λ in it
                            f"{len(winners)} of the {self._between(winners[0], winners[-1])} λ in "
                            f"{winners[0]:.3g} … {winners[-1]:.3g}"))
        return lines

    CHANCE_MARGIN = 0.02  # test accuracy within 2 points of 1/classes: guessing

    def at_chance(self) -> str | None:
        """For a classifier whose every λ's mean test accuracy is within ``CHANCE_MARGIN`` of
        chance (1/classes), the line that says no λ has learned yet: its "best λ" is a choice
        between guesses (digits at 30 epochs: 8.8 % for every λ, and λ = 10, which zeroes the
        weights and predicts uniform at val loss ln 10, can come out best). Else None."""
        accuracy = self.last.test_accuracy if self.last is not None else None
        if not self.classes or accuracy is None:
            return None
        mean = spread(accuracy, self.seeds).mean
        chance = 1 / self.classes
        if all(not math.isfinite(a) or a <= chance + self.CHANCE_MARGIN for a in mean):
            return (f"no λ has learned yet: every test accuracy is within {100 * self.CHANCE_MARGIN:.0f} points "
                    f"of chance ({100 * chance:.3g} %): train longer (epochs) before choosing λ")
        return None

    def _between(self, low: float, high: float) -> int:
        """How many of the sweep's λ lie in [low, high]."""
        return sum(low <= lam <= high for lam in self.lambdas)

    def to_dict(self, config: dict[str, Any], ridge: list[list[float]] | None = None) -> dict[str, Any]:
        """The ``wdtui sweep`` JSON document (see README). ``ridge``: the closed-form ridge
        weights per λ (:func:`.ridge.ridge_weights_at`), written beside the learned ones."""
        spreads = self.spreads()
        numbers = lambda values: [json_number(v) for v in values]  # noqa: E731
        final: dict[str, Any] = {key: numbers(s.mean) for key, s in spreads.items()}
        weights = self.weights()
        if weights is not None:
            final["weights"] = [numbers(w) for w in weights]
            if ridge is not None:
                final["ridge_weights"] = [numbers(w) for w in ridge]
        if self.seeds > 1:
            final["std"] = {key: numbers(s.std) for key, s in spreads.items()}
            final["sem"] = {key: numbers(s.sem) for key, s in spreads.items()}
            final["per_seed"] = {key: [numbers(row) for row in s.per_seed] for key, s in spreads.items()}
            paired = {key: self.paired(key) for key in PAIRED_KEYS}
            if all(p is not None for p in paired.values()):
                final["paired_vs_zero"] = {key: {"mean": numbers(p.mean), "sem": numbers(p.sem)}
                                           for key, p in paired.items()}
        best_range, beats = self.best_range, self.beats_zero()
        doc = {
            "config": config,
            # how far it got: an export of a sweep still training (or cancelled) is not finished
            "epoch": self.last.epoch,
            "finished": self.last.epoch >= self.epochs,
            "lambdas": self.lambdas,
            "seeds": self.seeds,
            "final": final,
            "diverged": self.diverged,
            "best_lambda": self.best_lambda,
            "best_range": None if best_range is None else list(best_range),
            "beats_zero": beats,
            "no_lambda_beats_zero": None if beats is None else not any(beats),
            "history": {
                "epoch": list(self.history["epoch"]),
                **{key: [numbers(values) for values in self.history[key]]
                   for key in self.history if key != "epoch"},
            },
        }
        return doc


@dataclass
class GridResult:
    """An (lr, λ) grid for one regularizer: copies k = (s·R + r)·L + l, final numbers only. The
    best cell is chosen on the validation loss, as the λ sweep's best λ."""

    regularizer: str
    lrs: list[float]
    lambdas: list[float]
    seeds: int
    record: SweepRecord

    @property
    def keys(self) -> tuple[str, ...]:
        return ("train_loss", "val_loss", "test_loss", "weight_norm") if self.record.val_loss is not None \
            else SWEEP_KEYS

    def grid(self, key: str, std: bool = False) -> list[list[float]]:
        """Rows η_r, columns λ_l: the mean (or std) over seeds."""
        cells = over_seeds(getattr(self.record, key), self.seeds)[1 if std else 0]
        n = len(self.lambdas)
        return [cells[r * n:(r + 1) * n] for r in range(len(self.lrs))]

    def per_seed(self, key: str) -> list[list[list[float]]]:
        """Seed by seed, rows η_r, columns λ_l: each seed's own grid (its cells are paired: one
        seed's data and initialization for every (lr, λ))."""
        values, n, cells = getattr(self.record, key), len(self.lambdas), len(self.lambdas) * len(self.lrs)
        return [[values[s * cells + r * n:s * cells + (r + 1) * n] for r in range(len(self.lrs))]
                for s in range(self.seeds)]

    def diverged(self) -> list[list[bool]]:
        """Rows η_r, columns λ_l: whether the cell diverged for any seed."""
        n, cells = len(self.lambdas), len(self.lambdas) * len(self.lrs)
        flags = [any(self.record.diverged[s * cells + c] for s in range(self.seeds)) for c in range(cells)]
        return [flags[r * n:(r + 1) * n] for r in range(len(self.lrs))]

    @property
    def best(self) -> tuple[int, int] | None:
        """(r, l) of the lowest mean validation loss among cells that did not diverge; None if
        every cell diverged."""
        if self.record.val_loss is None:
            raise ValueError("a grid chooses (lr, λ) on a validation set: build its experiments with validation=True")
        grid, diverged = self.grid("val_loss"), self.diverged()
        cells = [(v, r, l) for r, row in enumerate(grid) for l, v in enumerate(row)
                 if math.isfinite(v) and not diverged[r][l]]
        return None if not cells else min(cells)[1:]

    def to_dict(self) -> dict[str, Any]:
        numbers = lambda rows: [[json_number(v) for v in row] for row in rows]  # noqa: E731
        best = self.best
        doc = {"epoch": self.record.epoch, **{key: numbers(self.grid(key)) for key in self.keys}}
        if self.seeds > 1:
            doc["std"] = {key: numbers(self.grid(key, std=True)) for key in self.keys}
            # each seed's grid: what the tie rule pairs (within 2 SE of the best, seed by seed)
            doc["per_seed"] = {key: [numbers(g) for g in self.per_seed(key)]
                               for key in ("val_loss", "test_loss") if key in self.keys}
        doc["best"] = None if best is None else {
            "lr": self.lrs[best[0]], "lambda": self.lambdas[best[1]],
            "val_loss": self.grid("val_loss")[best[0]][best[1]],
            "test_loss": self.grid("test_loss")[best[0]][best[1]]}
        return doc


def grid_document(config: dict[str, Any], grids: list[GridResult], finished: bool = True) -> dict[str, Any]:
    """The JSON of ``wdtui sweep --lrs`` (see README). ``finished``: False for a grid still
    training or cancelled (the app's export): each grid's ``epoch`` says how far it got."""
    first = grids[0]
    return {"config": config, "mode": "grid", "finished": finished, "lrs": first.lrs, "lambdas": first.lambdas,
            "seeds": first.seeds, "regularizers": [g.regularizer for g in grids],
            "grids": {g.regularizer: g.to_dict() for g in grids}}
