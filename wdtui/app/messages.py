"""Every message the training worker sends to the app. The worker never touches a widget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from ..engine.training.records import EpochRecord, RunResult

if TYPE_CHECKING:  # closed_form needs torch; the messages module must not load it
    from ..engine.lessons.closed_form import RidgePath


@dataclass(frozen=True)
class DataView:
    """What the Fit chart needs to know about the data, as plain lists (no tensors cross)."""

    fit: str  # curve | weights | target | classes
    x_train: list[list[float]]
    y_train: list[float]
    x_test: list[list[float]]
    y_test: list[float]
    grid_x: list[float] | None
    grid_y: list[float] | None
    true_weights: list[float] | None
    classes: tuple[str, ...] | None = None  # classification: the class names (no x, y lists)
    ridge: RidgePath | None = None  # linear presets: the converged ridge solution at any λ > 0
    scale_invariant: tuple[str, ...] = ()  # weights whose scale the model ignores (models.scale_invariant)
    # the sets' sizes: x/y above hold at most dataset.SHOWN_MOST of them (a seeded sample, the
    # rows whose predictions the records carry); 0 = all of them are above
    n_train: int = 0
    n_test: int = 0

    def shown_text(self, test: bool = False) -> str:
        """"showing 2,000 of 1,000,000 train points" when a scatter shows a sample of the train
        (and with ``test``, of the test) set, else ""."""
        sets = [("train", len(self.y_train), self.n_train)] + ([("test", len(self.y_test), self.n_test)] if test else [])
        parts = [f"{shown:,} of {total:,} {name}" for name, shown, total in sets if total > shown]
        return f"showing {' and '.join(parts)} points" if parts else ""


@dataclass(frozen=True)
class Snapshot:
    """The state of a session at one moment. ``lengths[i]`` is how much of ``results[i]``'s
    append-only history is complete; the app reads each history up to that length only."""

    session: int
    records: tuple[EpochRecord, ...]  # latest per run: [0] the run, [1] its comparison
    lengths: tuple[int, ...]
    epochs: int
    running: bool
    finished: bool

    @property
    def diverged(self) -> bool:
        return self.records[0].diverged or any(r.diverged for r in self.records)


class SessionReady(Message):
    """The worker built the experiment: data, the runs' result objects, and the epoch-0 state."""

    def __init__(self, session: int, data: DataView, results: tuple[RunResult, ...], device: str,
                 devices: list[str], decay_summary: str, snapshot: Snapshot,
                 labels: tuple[str, ...] = ("run",), marks: tuple[list, ...] = (),
                 layers: dict[str, str] | None = None):
        super().__init__()
        # a reader's name for each weight matrix ("hidden 1 (Linear 1→64)"), by parameter name
        self.layers = layers or {}
        # each run named by its role, the same in every legend and the status: "run", and the
        # comparison by its fixed setting ("vs l2 λ=0.2"); never by a λ that may change
        self.labels = labels
        # per run, the epochs where its setting (λ, lr, regularizer) changed: append-only
        # ``session.Mark`` lists, read up to the epochs a snapshot shows
        self.marks = marks or tuple([] for _ in results)
        self.session = session
        self.data = data
        self.results = results
        self.device = device
        self.devices = devices
        self.decay_summary = decay_summary
        self.snapshot = snapshot


class Progress(Message):
    """Training moved on. Latest state wins: a burst of these collapses into the newest."""

    def __init__(self, snapshot: Snapshot):
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progress) and message.snapshot.session == self.snapshot.session


class EpochProgress(Message):
    """How far the epoch being trained is (``share`` 0 to 1 of its mini-batches, the comparison's
    counted too): shown while an epoch takes long (CIFAR, digits). Latest state wins."""

    def __init__(self, session: int, epoch: int, share: float):
        super().__init__()
        self.session = session
        self.epoch = epoch
        self.share = share

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EpochProgress) and message.session == self.session


class BuildProgress(Message):
    """How far the session's build is: ``what`` is being done (``"loading CIFAR-10"``), ``share``
    0 to 1 of it. Shown on the status line until the session is ready. Latest state wins."""

    def __init__(self, session: int, what: str, share: float):
        super().__init__()
        self.session = session
        self.what = what
        self.share = share

    @property
    def text(self) -> str:
        """``loading CIFAR-10 … 40 %``; ``building the model …`` (a step without parts)."""
        return f"{self.what} … {100 * self.share:.0f} %" if self.share > 0 else f"{self.what} …"

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BuildProgress) and message.session == self.session


class SessionFailed(Message):
    """The experiment could not be built (e.g. the device is not available)."""

    def __init__(self, session: int, field: str, error: str):
        super().__init__()
        self.session = session
        self.field = field
        self.error = error


@dataclass(frozen=True)
class SweepSnapshot:
    """A λ sweep at one moment: per-λ numbers at ``epoch`` (the latest measurement), means over
    ``seeds``; the best λ chosen on the validation loss (see ``engine/sweep.py``)."""

    session: int
    preset: str
    regularizer: str
    lambdas: tuple[float, ...]
    epoch: int
    epochs: int
    train_loss: tuple[float, ...]
    test_loss: tuple[float, ...]
    weight_norm: tuple[float, ...]
    diverged: tuple[bool, ...]
    best_index: int | None
    finished: bool
    val_loss: tuple[float, ...] = ()
    seeds: int = 1
    copies: int = 0
    best_range: tuple[float, float] | None = None
    verdict: tuple[str, ...] = ()  # the conclusion in words, as ``wdtui sweep`` prints it
    weights: tuple[tuple[float, ...], ...] | None = None  # linear models: w per λ (first seed)
    ridge: tuple[tuple[float, ...], ...] | None = None  # the closed-form ridge path, where it applies
    eta_s: float | None = None  # seconds left at the current speed
    document: dict | None = None  # this moment's ``wdtui sweep --out`` JSON (for export)
    unlearned: str | None = None  # the verdict's "no λ has learned yet" line (SweepResult.at_chance)

    @property
    def best_lambda(self) -> float | None:
        return None if self.best_index is None else self.lambdas[self.best_index]

    @property
    def zero_index(self) -> int | None:
        return self.lambdas.index(0.0) if 0.0 in self.lambdas else None


class SweepProgress(Message):
    """The sweep moved on (latest state wins)."""

    def __init__(self, snapshot: SweepSnapshot):
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SweepProgress) and message.snapshot.session == self.snapshot.session


@dataclass(frozen=True)
class GridSnapshot:
    """An (lr, λ) grid sweep at one moment: the grids measured so far (``GridResult``s), the
    regularizer now training, and whether all are done."""

    session: int
    preset: str
    grids: tuple
    training: str
    epoch: int
    epochs: int
    finished: bool
    eta_s: float | None = None  # seconds left at the current speed (every regularizer)
    document: dict | None = None  # this moment's ``wdtui sweep --lrs --out`` JSON (for export)

    def best(self, regularizer: str | None = None):
        """(grid, r, l) of the lowest validation loss: in the regularizer's grid if it has one,
        else over every grid; None if no cell trained."""
        grids = [g for g in self.grids if g.regularizer == regularizer] or list(self.grids)
        cells = [(g.grid("val_loss")[g.best[0]][g.best[1]], i) for i, g in enumerate(grids) if g.best is not None]
        if not cells:
            return None
        grid = grids[min(cells)[1]]
        return grid, *grid.best


class GridProgress(Message):
    """The grid sweep moved on (latest state wins)."""

    def __init__(self, snapshot: GridSnapshot):
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, GridProgress) and message.snapshot.session == self.snapshot.session


class ExportDone(Message):
    """The export worker wrote ``path`` (``error`` None) or could not (the reason)."""

    def __init__(self, path, error: str | None):
        super().__init__()
        self.path = path
        self.error = error
