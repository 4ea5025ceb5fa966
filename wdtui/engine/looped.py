"""The sweep for models the batched trainer cannot stack (convolutions, dropout, classification):
one ordinary :class:`Trainer` per copy, each advanced one epoch in turn. It costs K runs, not
about one, but every copy is exactly its own ``wdtui run`` (dropout aside: the copies draw their
masks in turn from torch's one global generator, so they are seeded but not a lone run's masks).
The interface is :class:`~wdtui.engine.batched.BatchedTrainer`'s."""

from __future__ import annotations

import time

from .batched import SweepRecord
from .experiment import Experiment
from .regularizers import REGULARIZERS
from .trainer import Trainer, smoothed_rate


class LoopedTrainer:
    """Copies k = (s·R + r)·L + l: seed s, learning rate η_r, λ_l, as in ``BatchedTrainer``."""

    def __init__(self, experiments: list[Experiment], lambdas: list[float], regularizer: str | None = None,
                 lrs: list[float] | None = None):
        cfg = experiments[0].config
        self.lambdas = [float(v) for v in lambdas]
        self.seeds = len(experiments)
        self.lrs = [float(v) for v in lrs] if lrs else [cfg.lr]
        self.regularizer = REGULARIZERS[regularizer or cfg.regularizer]
        self.trainers: list[Trainer] = []
        for experiment in experiments:
            for lr in self.lrs:
                for lam in self.lambdas:
                    trainer = Trainer(experiment, self.regularizer.name, lam)
                    trainer.set_lr(lr)
                    self.trainers.append(trainer)
        self.copies = len(self.trainers)
        self.copy_lambdas = [t.lam for t in self.trainers]
        self.copy_lrs = [t.lr for t in self.trainers]
        self.epochs = cfg.epochs
        self.epoch = 0
        self.epochs_per_s = 0.0

    @property
    def diverged(self) -> list[bool]:
        return [t.diverged for t in self.trainers]

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs or all(self.diverged)

    def run_epoch(self, measure: bool = True) -> SweepRecord | None:
        """One epoch for every copy that has not diverged; measured when asked and at the end."""
        started = time.perf_counter()
        for trainer in self.trainers:
            if not trainer.diverged:
                trainer.train_epoch()
        self.epoch += 1
        record = self.measure() if measure or self.epoch >= self.epochs else None
        self.epochs_per_s = smoothed_rate(self.epochs_per_s, time.perf_counter() - started, self.epoch == 1)
        if record is not None:
            record.epochs_per_s = self.epochs_per_s
        return record

    def measure(self) -> SweepRecord:
        """Every copy's numbers (one host transfer per copy)."""
        records = [t.measure() for t in self.trainers]
        accuracy = [r.test_accuracy for r in records]
        return SweepRecord(
            epoch=self.epoch, train_loss=[r.train_loss for r in records], test_loss=[r.test_loss for r in records],
            weight_norm=[r.weight_norm for r in records], penalty=[r.penalty for r in records],
            zeros=[r.zeros for r in records], diverged=self.diverged,
            test_accuracy=None if accuracy[0] is None else accuracy,
        )
