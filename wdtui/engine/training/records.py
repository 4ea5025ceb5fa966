"""The per-epoch record a trainer yields, and a run's accumulated history."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # metrics needs torch; records must load without it (wdtui run --help)
    from .metrics import Histogram

HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "penalty", "weight_norm", "zeros",
                "lambda", "lr", "epochs_per_s")
FINAL_KEYS = ("train_loss", "test_loss", "weight_norm", "penalty", "zeros")
ACCURACY_KEYS = ("train_accuracy", "test_accuracy")  # classification only
INTEGER_KEYS = ("epoch", "zeros")  # kept as 64-bit integers, the rest as doubles

DIVERGENCE_GROWTH = 1e6


def is_diverged(train_loss: float, weight_norm: float, initial_loss: float) -> bool:
    """The divergence rule, the same for runs, sweeps and the app. A run has diverged when

    - its train loss or ‖w‖ is NaN or infinite, or
    - its train loss L exceeds ``DIVERGENCE_GROWTH`` = 10⁶ times its value at initialization L₀
      (measured before the first step): L > 10⁶·max(L₀, 1).

    The second clause catches runs that blow up but stay finite (Adam at lr 10⁶ on the sine
    preset ends near 10¹⁴ from 0.49; float32 goes up to 3.4·10³⁸). A loss that starts below 1 is
    flagged only above 10⁶, so a tiny starting loss does not make ordinary noise a divergence.
    No run that learns anything grows its loss a million-fold, so the rule flags no healthy run.
    """
    if not (math.isfinite(train_loss) and math.isfinite(weight_norm)):
        return True
    reference = max(initial_loss, 1.0) if math.isfinite(initial_loss) else math.inf
    return train_loss > DIVERGENCE_GROWTH * reference


def _column(key: str) -> array:
    return array("q" if key in INTEGER_KEYS else "d")


@dataclass
class EpochRecord:
    """One epoch of one run, measured after the epoch's last step on the whole train and test sets.

    ``train_loss`` is the data term only (no penalty); ``penalty`` is the regularizer's term
    (λ/2·‖w‖₂² or λ·‖w‖₁; None for decoupled, which minimises no penalised loss); ``weight_norm`` is ‖w‖₂ over the decayed parameters, not squared;
    ``layer_norms`` is ‖wᵢ‖₂ per decayed tensor; ``zeros`` counts decayed weights exactly 0.
    ``angular_update``: per weight matrix or conv kernel (dim ≥ 2), the angle in radians between
    its weights now and at the previous measurement (the previous epoch for a run): how far the
    layer turned, the step that matters for a scale-invariant layer (see
    ``models.scale_invariant``); NaN where the weights were all zero.
    ``step_angular_update``: per scale-invariant layer trained in mini-batches (several steps per
    epoch; named by its weight, measured on its weight and bias as one vector, the pair whose
    scale the model ignores), the root-mean-square over the epoch's steps of its angle per step, √(mean θ²)
    (radians; what the equilibrium predicts, see ``lessons.equilibrium``); empty otherwise
    (with one step per epoch ``angular_update`` is the angle per step).
    The detail fields are filled on request only: ``prediction`` on the dataset's plotting grid
    (1-D presets), ``train_prediction``/``test_prediction`` on the data (on at most
    ``dataset.SHOWN_MOST`` examples of each set: the rows ``dataset.shown_rows`` picks with the
    run's seed for train, seed + 1 for test), ``weights`` the learned
    weights of a linear model, ``histograms`` per weight matrix and conv kernel (values now and at
    initialization), ``grad_histograms`` with the same keys: each one's gradient as the optimizer
    received it at the epoch's last step (that step's mini-batch; the data gradient, plus λ·w for
    ``l2`` and ``coupled``, plus λ·sign(w) for ``l1-subgradient``; decoupled decay and the l1
    threshold act outside the gradient), empty before the first step; ``confusion``
    the test set's confusion matrix (classification; rows the true class, columns the predicted).
    ``train_accuracy``/``test_accuracy`` (classification only, else None): the share of examples
    whose largest logit is their class.
    """

    epoch: int
    lam: float
    lr: float
    train_loss: float
    test_loss: float
    penalty: float | None
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
    grad_histograms: dict[str, Histogram] | None = None
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    confusion: list[list[int]] | None = None
    dropout: float = 0.0  # the run's dropout p
    angular_update: dict[str, float] = field(default_factory=dict)
    step_angular_update: dict[str, float] = field(default_factory=dict)
    val_loss: float | None = None  # a sweep's copies only: the loss on the validation set
    regularizer: str = ""  # the regularizer this epoch trained with (it can change between epochs)

    def class_accuracy(self) -> list[float] | None:
        """Per true class, the share of its test examples predicted right (from ``confusion``;
        NaN for a class absent from the test set)."""
        if self.confusion is None:
            return None
        return [row[i] / sum(row) if sum(row) else math.nan for i, row in enumerate(self.confusion)]

    def value(self, key: str) -> Any:
        return self.lam if key == "lambda" else getattr(self, key)


def json_number(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a diverged value is written as null (and a value that does
    not exist, such as decoupled's penalty, too)."""
    return value if value is not None and math.isfinite(value) else None


class JsonColumn:
    """A history column waiting to be written: its JSON form is ``[json_number(v) …]``."""

    __slots__ = ("values",)

    def __init__(self, values: Iterable[float]):
        self.values = values

    def to_json(self) -> list[float | None]:
        return [json_number(v) for v in self.values]


@dataclass
class RunResult:
    """Everything one run produced: its history column by column, and how it ended.

    Each column is a compact ``array`` (8 bytes per epoch: doubles, or 64-bit integers for
    ``epoch`` and ``zeros``), not a list of Python floats (32 bytes each): a run of 10⁵ epochs
    keeps about 10 MB of history. The history holds the measured epochs (``history["epoch"]``
    says which; ``measured_epochs`` is the trainer's schedule, ``MeasureSchedule.to_dict``)."""

    regularizer: str
    lam: float
    history: dict[str, array] = field(default_factory=lambda: {key: _column(key) for key in HISTORY_KEYS})
    layer_norms: dict[str, array] = field(default_factory=dict)
    angular_update: dict[str, array] = field(default_factory=dict)
    step_angular_update: dict[str, array] = field(default_factory=dict)
    diverged: bool = False
    dropout: float = 0.0
    measured_epochs: dict[str, int] | None = None

    def add(self, record: EpochRecord) -> None:
        for key in HISTORY_KEYS:
            value = record.value(key)  # None: no such value (decoupled's penalty), kept as NaN
            self.history[key].append(math.nan if value is None else value)
        if record.train_accuracy is not None:
            for key in ACCURACY_KEYS:
                self.history.setdefault(key, _column(key)).append(record.value(key))
        for name, norm in record.layer_norms.items():
            self.layer_norms.setdefault(name, array("d")).append(norm)
        for name, turned in record.angular_update.items():
            self.angular_update.setdefault(name, array("d")).append(turned)
        for name, turned in record.step_angular_update.items():
            self.step_angular_update.setdefault(name, array("d")).append(turned)
        self.diverged = self.diverged or record.diverged

    @property
    def length(self) -> int:
        """How many epochs the history holds (the measured ones)."""
        return len(self.history["epoch"])

    @property
    def epochs(self) -> int:
        """The last epoch in the history (0 before the first): how far the run got."""
        column = self.history["epoch"]
        return column[-1] if column else 0

    def upto(self, n: int) -> "RunResult":
        """A copy holding the first ``n`` entries: a consistent view of a history that another
        thread keeps appending to (each list is sliced whole, under the GIL)."""
        copy = RunResult(self.regularizer, self.lam, diverged=self.diverged and n >= self.length,
                         dropout=self.dropout, measured_epochs=self.measured_epochs)
        copy.history = {key: values[:n] for key, values in self.history.items()}
        copy.layer_norms = {name: values[:n] for name, values in self.layer_norms.items()}
        copy.angular_update = {name: values[:n] for name, values in self.angular_update.items()}
        copy.step_angular_update = {name: values[:n] for name, values in self.step_angular_update.items()}
        return copy

    @property
    def keys(self) -> tuple[str, ...]:
        """The history's keys: ``HISTORY_KEYS``, then the accuracies for classification."""
        return tuple(self.history)

    def final(self) -> dict[str, float]:
        """The last epoch's numbers (NaN before the first epoch); accuracies for classification."""
        keys = FINAL_KEYS + tuple(k for k in ACCURACY_KEYS if k in self.history)
        if not self.length:
            return {key: math.nan for key in keys}
        return {key: self.history[key][-1] for key in keys}

    def to_dict(self, lazy: bool = False) -> dict[str, Any]:
        """The ``runs[i]`` entry of the JSON document (see README, "JSON format"). ``lazy``: the
        history columns stay :class:`JsonColumn` wrappers, turned into lists one at a time by
        ``export.write_json`` (a long run's history never exists as Python floats all at once)."""
        column = JsonColumn if lazy else (lambda values: [json_number(v) for v in values])
        history: dict[str, Any] = {key: column(values) for key, values in self.history.items()}
        history["layer_norms"] = {name: column(values) for name, values in self.layer_norms.items()}
        history["angular_update"] = {name: column(values) for name, values in self.angular_update.items()}
        if self.step_angular_update:
            history["step_angular_update"] = {name: column(values)
                                              for name, values in self.step_angular_update.items()}
        return {
            "regularizer": self.regularizer,
            "lambda": self.lam,
            "dropout": self.dropout,
            "diverged": self.diverged,
            "epochs": self.epochs,
            **({"measured_epochs": self.measured_epochs} if self.measured_epochs is not None else {}),
            "history": history,
            "final": {key: json_number(v) for key, v in self.final().items()},
        }
