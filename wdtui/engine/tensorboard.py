"""TensorBoard event files: a consumer of the records, like the JSON and CSV writers.

One event folder per run under the folder given (``--tensorboard DIR``), named by its regularizer,
λ and seed (and its dropout p or learning rate where a command varies them):
``DIR/l2-lambda0.01-seed0``. Written with tensorboardX (no TensorFlow).

- scalars, one point per measured epoch (step = the epoch): the history's keys as the JSON
  writes them: ``train_loss``, ``test_loss``, ``weight_norm`` (‖w‖₂), ``penalty`` (absent for
  decoupled, which minimises no penalty), ``train_accuracy``/``test_accuracy`` (classification),
  ``lambda``, ``lr``; a sweep's copies also ``val_loss``.
- histograms of each weight matrix and conv kernel (``weights/<name>``) and of its gradient as
  the optimizer received it at the epoch's last step (``gradients/<name>``), at most ``HISTOGRAM_POINTS`` + 1 times per run
  (every ⌈epochs / HISTOGRAM_POINTS⌉ epochs and at the last), from the records' own 30-bin
  ``histograms`` and ``grad_histograms``, whatever the run's length (the app: at the epochs it
  draws). A sweep writes them for each
  copy up to ``SWEEP_HISTOGRAM_COPIES`` copies (they are kept until the end), scalars beyond.

TensorBoard draws a histogram from its buckets; the sum and sum of squares it also stores are
computed here from the bucket centres (the records keep counts, not values).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .config import ConfigError

if TYPE_CHECKING:  # torch-free at import: the CLI checks the folder before torch loads
    from .training.metrics import Histogram
    from .training.records import EpochRecord, RunResult

HISTOGRAM_POINTS = 20
SCALAR_KEYS = ("train_loss", "test_loss", "val_loss", "weight_norm", "penalty", "train_accuracy",
               "test_accuracy", "lambda", "lr")


def histogram_due(epochs: int) -> Callable[[int], bool]:
    """Which epochs carry histograms: every ⌈epochs / HISTOGRAM_POINTS⌉ and the last."""
    every = max(1, -(-epochs // HISTOGRAM_POINTS))
    return lambda epoch: epoch % every == 0 or epoch >= epochs


def run_name(regularizer: str, lam: float, seed: int, dropout: float | None = None, lr: float | None = None) -> str:
    """The event folder of one run: ``l2-lambda0.01-seed0`` (``-dropout0.5``, ``-lr0.1`` where given)."""
    name = f"{regularizer}-lambda{lam:g}-seed{seed}"
    if dropout:
        name += f"-dropout{dropout:g}"
    if lr is not None:
        name += f"-lr{lr:g}"
    return name


def check_board_folder(path: str | os.PathLike, field: str = "tensorboard") -> Path:
    """Before any training: ``path`` is a folder (or can be made as one) that takes files."""
    target = Path(path)
    if not str(path).strip():
        raise ConfigError(field, "must be a folder (got an empty string)")
    if target.exists() and not target.is_dir():
        raise ConfigError(field, f"{str(path)!r} is a file; give a folder")
    existing = target
    while not existing.exists():
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(field, f"cannot write in {str(existing)!r}: not writable")
    return target


def _free_folder(root: Path, name: str) -> Path:
    """``root/name``, or ``root/name-2`` … when an earlier command already wrote there (TensorBoard
    would draw two runs' events in one folder as one run)."""
    folder, n = root / name, 1
    while folder.exists() and any(folder.iterdir()):
        n += 1
        folder = root / f"{name}-{n}"
    return folder


class RunBoard:
    """The event folder of one run (created when the board is)."""

    def __init__(self, root: str | os.PathLike, name: str):
        from tensorboardX import SummaryWriter

        self.folder = _free_folder(Path(root), name)
        self.writer = SummaryWriter(logdir=str(self.folder), flush_secs=10)

    def scalars(self, epoch: int, values: dict[str, Any]) -> None:
        """One point per key (None: the value does not exist, e.g. decoupled's penalty)."""
        for key, value in values.items():
            if value is not None:
                self.writer.add_scalar(key, float(value), epoch)

    def histograms(self, epoch: int, weights: dict[str, Histogram] | None,
                   gradients: dict[str, Histogram] | None = None) -> None:
        for kind, named in (("weights", weights), ("gradients", gradients)):
            for name, histogram in (named or {}).items():
                _add_histogram(self.writer, f"{kind}/{name}", histogram, epoch)

    def record(self, record: EpochRecord) -> None:
        """A record as it comes (the app): its scalars, and its histograms where it has them."""
        self.scalars(record.epoch, {key: record.value(key) if key != "lambda" else record.lam
                                    for key in SCALAR_KEYS if key != "val_loss"})
        if record.histograms is not None:
            self.histograms(record.epoch, record.histograms, record.grad_histograms)

    def close(self) -> None:
        self.writer.close()


def _add_histogram(writer, tag: str, histogram: Histogram, step: int) -> None:
    edges, counts = histogram.edges, histogram.counts
    centres = [(a + b) / 2 for a, b in zip(edges, edges[1:])]
    writer.add_histogram_raw(
        tag, min=edges[0], max=edges[-1], num=sum(counts),
        sum=sum(c * x for c, x in zip(counts, centres)), sum_squares=sum(c * x * x for c, x in zip(counts, centres)),
        bucket_limits=edges[1:], bucket_counts=counts, global_step=step)


def write_run(root: str | os.PathLike, name: str, result: RunResult,
              histograms: Iterable[tuple[int, dict, dict | None]] = ()) -> Path:
    """A finished run's event folder: every epoch's scalars from its history, and the histograms
    kept at the epochs ``histogram_due`` chose (``(epoch, weights, gradients)``)."""
    board = RunBoard(root, name)
    try:
        keys = [key for key in SCALAR_KEYS if key in result.history]
        epochs = result.history["epoch"]
        for i in range(result.epochs):
            board.scalars(int(epochs[i]), {key: _finite_or_none(key, result.history[key][i]) for key in keys})
        for epoch, weights, gradients in histograms:
            board.histograms(epoch, weights, gradients)
    finally:
        board.close()
    return board.folder


def _finite_or_none(key: str, value: float) -> float | None:
    """A history's NaN penalty means "no penalty" (decoupled): no point. Other NaNs (a diverged
    run) are written: TensorBoard shows them."""
    return None if key == "penalty" and value != value else value


SWEEP_HISTOGRAM_COPIES = 64  # a sweep of more copies writes scalars only (histograms kept in memory)


def sweep_histograms(trainer) -> list[tuple[dict, dict]]:
    """Every copy's weight and gradient histograms now (``metrics.histograms``: 30 bins over each
    tensor's finite range), from the sweep trainer's ``copy_weights``."""
    from .training.metrics import histograms

    out = []
    for k in range(trainer.copies):  # each over its own range (the "initial" counts go unused)
        weights, gradients = trainer.copy_weights(k)
        out.append((histograms(weights, weights), histograms(gradients, gradients)))
    return out


def write_sweep(root: str | os.PathLike, names: list[str], lambdas: list[float], lrs: list[float],
                records: Iterable[Any], histograms: Iterable[tuple[int, list[tuple[dict, dict]]]] = ()
                ) -> list[Path]:
    """A sweep's event folders, one per copy k (``names[k]``, λ_k, η_k), from its measured
    :class:`SweepRecord` s and the ``(epoch, per-copy (weights, gradients))`` histograms kept.
    Written copy by copy at the end: a sweep of many copies never holds a writer (and its
    thread) per copy."""
    records, histograms = list(records), list(histograms)
    folders = []
    for k, name in enumerate(names):
        board = RunBoard(root, name)
        try:
            for record in records:
                values = {"train_loss": record.train_loss[k], "test_loss": record.test_loss[k],
                          "val_loss": None if record.val_loss is None else record.val_loss[k],
                          "weight_norm": record.weight_norm[k], "penalty": record.penalty[k],
                          "test_accuracy": None if record.test_accuracy is None else record.test_accuracy[k],
                          "lambda": lambdas[k], "lr": lrs[k]}
                board.scalars(record.epoch, values)
            for epoch, copies in histograms:
                board.histograms(epoch, *copies[k])
        finally:
            board.close()
        folders.append(board.folder)
    return folders
