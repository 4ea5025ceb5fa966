"""The app's run and its comparison(s) trained live as one batched model.

:class:`LiveRuns` is :class:`~.batched_runs.BatchedRuns` (copy k makes exactly the updates of its
lone :class:`~.trainer.Trainer`) with what the app's worker asks of its trainers:

- changes between epochs per copy (:meth:`RunCopy.apply`, as :func:`~.trainer.apply_changes`
  routes them: λ and the regularizer to the run alone, lr and the epoch count to every copy).
  Copy k's λ_k enters the step as a per-copy tensor and each regularizer present acts with λ_k on
  the copies that follow it and 0 on the others, where it changes nothing exactly
  (g + 0·w = g, w·(1 − η·0) = w, S(w, 0) = w), so a change of one copy's λ or regularizer
  leaves every other copy's updates as they were;
- cancellation between mini-batches and a long epoch's progress;
- the detail fields of the shown epochs (predictions on the data and the plotting grid, weight
  and gradient histograms, a linear model's weights, the confusion matrix): copy k's parameters
  and their last gradients are loaded into a lone model of the experiment (a mirror
  :class:`~.trainer.Trainer`) whose ``measure(detail=True)`` computes them, as the lone run would.

:meth:`LiveRuns.train_together` follows :func:`~.trainer.train_together`'s contract for
``copy_views`` (wait, apply changes, yield every copy's latest record after each measured
epoch; a copy that diverged repeats its last record while the others go on). The tests check
each copy's records against its lone run to 1e-10 in float64, across a λ change of one copy.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterator, Sequence

import torch

from ..experiment import Experiment
from .batched import copies_are_cheap
from .batched_runs import BatchedRuns, records_as_lone
from .control import Control
from .records import EpochRecord
from .regularizers import make_regularizer
from .trainer import Trainer, apply_changes

DETAIL_FIELDS = ("prediction", "train_prediction", "test_prediction", "weights", "histograms",
                 "grad_histograms", "confusion")


def batches_live(experiment: Experiment, runs: Sequence) -> bool:
    """Whether ``runs`` (``presets.Run``: regularizer, λ, dropout p, optimizer) train as one
    :class:`LiveRuns`: the model batches and a step is small enough that per-operation overhead,
    not arithmetic, sets its time (:func:`~.batched.copies_are_cheap`: the MLP presets, dropout
    included; a CNN's copies each add their arithmetic, and the digits pair measured no faster
    batched than as two lone trainers), the solver trains (gd), every run uses the config's
    optimizer, and no scale-invariant layer is trained in mini-batches (the angle per step that
    a lone trainer records is not measured on the batched copies)."""
    cfg = experiment.config
    return (records_as_lone(experiment) and copies_are_cheap(experiment)
            and all(run.optimizer in (None, cfg.optimizer) for run in runs))


class RunCopy:
    """Copy k of a :class:`LiveRuns` with the part of a :class:`~.trainer.Trainer`'s interface
    that the app's worker reads: its setting, epoch, whether it is done, its last record, and
    ``measure(detail)``. A copy that diverged stays at the epoch where it did, as its lone run."""

    def __init__(self, runs: LiveRuns, k: int):
        self.runs, self.k = runs, k
        self.experiment = runs.experiment
        self.schedule = runs.schedule
        self.dropout = runs.batched.dropouts[k]

    @property
    def regularizer(self):
        return self.runs.batch.copy_regularizers[self.k]

    @property
    def lam(self) -> float:
        return self.runs.batch.copy_lambdas[self.k]

    @property
    def lr(self) -> float:
        return self.runs.lr

    @property
    def epochs(self) -> int:
        return self.runs.epochs

    @property
    def epoch(self) -> int:
        ended = self.runs.ended_at[self.k]
        return self.runs.epoch if ended is None else ended

    @property
    def done(self) -> bool:
        return self.runs.ended[self.k] or self.runs.epoch >= self.runs.epochs

    @property
    def epochs_per_s(self) -> float:
        return self.runs.epochs_per_s

    @property
    def last_record(self) -> EpochRecord | None:
        return self.runs.last_records[self.k]

    def apply(self, changes: dict) -> None:
        self.runs.apply(self.k, changes)

    def measure(self, detail: bool = False, stop: Callable[[], bool] | None = None) -> EpochRecord:
        """``stop`` is not polled: the pair batches only small models (``copies_are_cheap``),
        whose measurement takes milliseconds."""
        return self.runs.measure_copy(self.k, detail)


class LiveRuns:
    """``runs``: (regularizer, λ) pairs, the first the run, and ``dropouts`` their dropout p
    (None: the config's), trained as the copies of one :class:`~.batched_runs.BatchedRuns`
    (``self.batched``). ``copy_views[k]`` stands for copy k where the caller would hold its lone
    trainer."""

    def __init__(self, experiment: Experiment, runs: Sequence[tuple[str, float]],
                 dropouts: Sequence[float | None] | None = None):

        self.experiment = experiment
        self.batched = BatchedRuns(experiment, runs, dropouts)
        self.batch = self.batched.batch
        self.copies = self.batched.copies
        self.schedule = self.batched.schedule
        self.last_records: list[EpochRecord | None] = [None] * self.copies
        self.ended_at: list[int | None] = [None] * self.copies
        self._final: list[EpochRecord | None] = [None] * self.copies  # an ended copy's last state, with detail
        self._mirrors: list[Trainer | None] = [None] * self.copies
        # (epoch, detail, records, the copies that took theirs) of the last measurement
        self._measured: tuple[int, bool, list, set[int]] | None = None
        self.copy_views = [RunCopy(self, k) for k in range(self.copies)]

    # the shared state lives in BatchedRuns: epoch, epochs, lr, the rate, which copies ended
    epoch = property(lambda self: self.batched.epoch)
    epochs = property(lambda self: self.batched.epochs)
    lr = property(lambda self: self.batched.lr)
    epochs_per_s = property(lambda self: self.batched.epochs_per_s)
    ended = property(lambda self: self.batched.ended)

    @property
    def done(self) -> bool:
        return self.batched.done

    # --- changes between epochs ------------------------------------------------------------------

    def apply(self, k: int, changes: dict) -> None:
        """Copy k's changes between epochs: ``lam``, ``regularizer`` (copy k's own), ``lr`` and
        ``epochs`` (shared by every copy: the caller gives them to all, as ``apply_changes`` does)."""
        batch, cfg = self.batch, self.experiment.config
        if "lam" in changes:
            batch.copy_lambdas[k] = float(changes["lam"])
        if "regularizer" in changes:
            batch.copy_regularizers[k] = make_regularizer(changes["regularizer"], cfg.decay_convention)
        if "lam" in changes or "regularizer" in changes:
            batch.set_rules()
        if "lr" in changes:
            lr = float(changes["lr"])
            self.batched.lr = batch.lr = batch.optimizer.lr = lr
        if "epochs" in changes:  # never below the epochs trained, as a lone trainer's
            self.batched.epochs = batch.epochs = max(int(changes["epochs"]), self.batched.epoch)
        if changes:
            self._measured = None  # a record carries the setting

    # --- training --------------------------------------------------------------------------------

    def run_epoch(self, detail: bool = False, stop: Callable[[], bool] | None = None,
                  progress: Callable[[int, float], None] | None = None) -> list[EpochRecord | None] | None:
        """One epoch of every copy, measured when the schedule says so, ``detail`` asks, or a step
        was refused: every copy's record (None for a copy that has ended), else None. ``stop`` is
        polled between mini-batches: once it says stop, nothing is measured and None is returned.
        ``progress(epoch, share)`` after each mini-batch, the share of the epoch done."""
        records = self.batched.run_epoch(stop, progress, shown=detail, measure=lambda: self.measure(detail))
        for k, record in enumerate(records or []):
            if record is not None:
                self.last_records[k] = record
        if records is not None:
            self._measured[3].update(range(self.copies))  # the caller takes every copy's record
        return records

    def train_together(self, control: Control | None = None, detail: Callable[[int], bool] | None = None,
                       on_block: Callable[[], None] | None = None,
                       progress: Callable[[int, float], None] | None = None) -> Iterator[list[EpochRecord]]:
        """:func:`~.trainer.train_together` for the copies: waits while paused (``on_block``
        first), stops when cancelled (also between mini-batches), applies the changes asked for
        (:func:`~.trainer.apply_changes` on ``copy_views``); after each measured epoch yields
        every copy's latest record (an ended copy repeats its last). ``detail(epoch)`` says which
        epochs carry the detail fields."""
        stop = (lambda: control.cancelled) if control is not None else None
        last = list(self.last_records)
        while not self.done:
            if control is not None:
                if not control.wait(on_block):
                    return
                changes = control.take_changes()
                if changes:
                    apply_changes(self.copy_views, changes)
                    if self.done:  # epochs set to those trained (or fewer): it ends here, as a lone trainer
                        return
            records = self.run_epoch(bool(detail and detail(self.epoch + 1)), stop, progress)
            if control is not None and control.cancelled:
                return
            if records is not None:
                last = [record or previous for record, previous in zip(records, last)]
                yield list(last)

    # --- measuring -------------------------------------------------------------------------------

    def measure(self, detail: bool = False) -> list[EpochRecord | None]:
        """Every copy's record now (None for a copy that had ended before), with the detail
        fields if asked. A copy that ends here keeps its state's detail for :meth:`measure_copy`."""
        was_ended = list(self.ended)
        records = self.batched.measure()
        for k, record in enumerate(records):
            if record is None:
                continue
            if detail:
                self._add_detail(k, record)
            if record.diverged and not was_ended[k]:
                self.ended_at[k] = record.epoch
                self._final[k] = record if detail else self._add_detail(k, replace(record))
        self._measured = (self.epoch, detail, records, set())
        return records

    def measure_copy(self, k: int, detail: bool = False) -> EpochRecord:
        """Copy k's record now, as its lone trainer's ``measure(detail)`` gives it: a measurement
        of copy k (its angular update is the angle since its previous one). The copies are
        measured together: a copy that has not taken its record of the last measurement takes
        that one, else all are measured again. A copy that has ended gives its state where it ended."""
        cached = self._measured
        if cached is None or cached[0] != self.epoch or (detail and not cached[1]) or k in cached[3]:
            self.measure(detail)
        self._measured[3].add(k)
        record = self._measured[2][k]
        return self._final[k] if record is None else record

    def _add_detail(self, k: int, record: EpochRecord) -> EpochRecord:
        """Fill ``record``'s detail fields from copy k's parameters and last gradients, loaded into
        the lone model of a mirror trainer."""
        mirror = self._mirrors[k]
        if mirror is None:
            mirror = self._mirrors[k] = Trainer(self.experiment, dropout=0.0)  # it only measures (dropout off)
        with torch.no_grad():
            for name, p in mirror.model.named_parameters():
                stacked = self.batch.params[name]
                p.copy_(stacked[k])
                p.grad = None if stacked.grad is None else stacked.grad[k].clone()
        shown = mirror.measure(detail=True)
        for name in DETAIL_FIELDS:
            setattr(record, name, getattr(shown, name))
        return record

    def state_dict(self, k: int) -> dict[str, torch.Tensor]:
        return self.batched.state_dict(k)
