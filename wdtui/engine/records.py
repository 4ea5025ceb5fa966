"""The per-epoch record a trainer yields, and a run's accumulated history."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # metrics needs torch; records must load without it (wdtui run --help)
    from .metrics import Histogram

HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "penalty", "weight_norm", "zeros",
                "lambda", "lr", "epochs_per_s")
FINAL_KEYS = ("train_loss", "test_loss", "weight_norm", "penalty", "zeros")
ACCURACY_KEYS = ("train_accuracy", "test_accuracy")  # classification only


@dataclass
class EpochRecord:
    """One epoch of one run, measured after the epoch's last step on the whole train and test sets.

    ``train_loss`` is the data term only (no penalty); ``penalty`` is the regularizer's term
    (λ/2·‖w‖₂² or λ·‖w‖₁); ``weight_norm`` is ‖w‖₂ over the decayed parameters, not squared;
    ``layer_norms`` is ‖wᵢ‖₂ per decayed tensor; ``zeros`` counts decayed weights exactly 0.
    The detail fields are filled on request only: ``prediction`` on the dataset's plotting grid
    (1-D presets), ``train_prediction``/``test_prediction`` on the data, ``weights`` the learned
    weights of a linear model, ``histograms`` per weight matrix and conv kernel, ``confusion``
    the test set's confusion matrix (classification; rows the true class, columns the predicted).
    ``train_accuracy``/``test_accuracy`` (classification only, else None): the share of examples
    whose largest logit is their class.
    """

    epoch: int
    lam: float
    lr: float
    train_loss: float
    test_loss: float
    penalty: float
    weight_norm: float
    layer_norms: dict[str, float]
    zeros: int
    epochs_per_s: float
    diverged: bool = False
    prediction: list[float] | None = None
    train_prediction: list[float] | None = None
    test_prediction: list[float] | None = None
    weights: list[float] | None = None
    histograms: dict[str, Histogram] | None = None
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    confusion: list[list[int]] | None = None
    dropout: float = 0.0  # the run's dropout p
    regularizer: str = ""  # the regularizer this epoch trained with (it can change between epochs)

    def class_accuracy(self) -> list[float] | None:
        """Per true class, the share of its test examples predicted right (from ``confusion``;
        NaN for a class absent from the test set)."""
        if self.confusion is None:
            return None
        return [row[i] / sum(row) if sum(row) else math.nan for i, row in enumerate(self.confusion)]

    def value(self, key: str) -> Any:
        return self.lam if key == "lambda" else getattr(self, key)


def json_number(value: float) -> float | None:
    """JSON has no NaN or infinity: a diverged value is written as null."""
    return value if math.isfinite(value) else None


@dataclass
class RunResult:
    """Everything one run produced: its history column by column, and how it ended."""

    regularizer: str
    lam: float
    history: dict[str, list] = field(default_factory=lambda: {key: [] for key in HISTORY_KEYS})
    layer_norms: dict[str, list[float]] = field(default_factory=dict)
    diverged: bool = False
    dropout: float = 0.0

    def add(self, record: EpochRecord) -> None:
        for key in HISTORY_KEYS:
            self.history[key].append(record.value(key))
        if record.train_accuracy is not None:
            for key in ACCURACY_KEYS:
                self.history.setdefault(key, []).append(record.value(key))
        for name, norm in record.layer_norms.items():
            self.layer_norms.setdefault(name, []).append(norm)
        self.diverged = self.diverged or record.diverged

    @property
    def epochs(self) -> int:
        return len(self.history["epoch"])

    def upto(self, n: int) -> "RunResult":
        """A copy holding the first ``n`` epochs: a consistent view of a history that another
        thread keeps appending to (each list is sliced whole, under the GIL)."""
        copy = RunResult(self.regularizer, self.lam, diverged=self.diverged and n >= self.epochs,
                         dropout=self.dropout)
        copy.history = {key: values[:n] for key, values in self.history.items()}
        copy.layer_norms = {name: values[:n] for name, values in self.layer_norms.items()}
        return copy

    @property
    def keys(self) -> tuple[str, ...]:
        """The history's keys: ``HISTORY_KEYS``, then the accuracies for classification."""
        return tuple(self.history)

    def final(self) -> dict[str, float]:
        """The last epoch's numbers (NaN before the first epoch); accuracies for classification."""
        keys = FINAL_KEYS + tuple(k for k in ACCURACY_KEYS if k in self.history)
        if not self.epochs:
            return {key: math.nan for key in keys}
        return {key: self.history[key][-1] for key in keys}

    def to_dict(self) -> dict[str, Any]:
        """The ``runs[i]`` entry of the JSON document (see README, "JSON format")."""
        history = {key: [json_number(v) for v in values] for key, values in self.history.items()}
        history["layer_norms"] = {
            name: [json_number(v) for v in values] for name, values in self.layer_norms.items()
        }
        return {
            "regularizer": self.regularizer,
            "lambda": self.lam,
            "dropout": self.dropout,
            "diverged": self.diverged,
            "epochs": self.epochs,
            "history": history,
            "final": {key: json_number(v) for key, v in self.final().items()},
        }
