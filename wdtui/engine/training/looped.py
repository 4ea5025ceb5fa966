"""The sweep for models the batched trainer cannot stack (layers it has no batched form for) and
for the exact solver: one ordinary :class:`Trainer` per copy, each advanced one epoch in turn.
It costs K runs, not about one, but every copy is exactly its own ``wdtui run`` (dropout too:
each trainer draws its masks from its own run's generator).
The interface is :class:`~wdtui.engine.training.batched.BatchedTrainer`'s."""

from __future__ import annotations

from typing import Callable

from ..experiment import Experiment
from .batched import SweepEpochs, SweepRecord
from .regularizers import make_regularizer
from .trainer import Trainer


class LoopedTrainer(SweepEpochs):
    """Copies k = (s·R + r)·L + l: seed s, learning rate η_r, λ_l, as in ``BatchedTrainer``.
    ``make`` builds each copy's trainer (the exact solver's sweep: one solve per copy)."""

    def __init__(self, experiments: list[Experiment], lambdas: list[float], regularizer: str | None = None,
                 lrs: list[float] | None = None, make: Callable[..., Trainer] = Trainer):
        cfg = experiments[0].config
        self.lambdas = [float(v) for v in lambdas]
        self.seeds = len(experiments)
        self.lrs = [float(v) for v in lrs] if lrs else [cfg.lr]
        self.regularizer = make_regularizer(regularizer or cfg.regularizer, cfg.decay_convention)
        self.trainers: list[Trainer] = []
        for experiment in experiments:
            for lr in self.lrs:
                for lam in self.lambdas:
                    trainer = make(experiment, self.regularizer.name, lam)
                    trainer.set_lr(lr)
                    self.trainers.append(trainer)
        self.copies = len(self.trainers)
        self.copy_lambdas = [t.lam for t in self.trainers]
        self.copy_lrs = [t.lr for t in self.trainers]
        self.epochs = self.trainers[0].epochs  # the config's, or 1 for the exact solver

    @property
    def diverged(self) -> list[bool]:
        return [t.diverged for t in self.trainers]

    def train_epoch(self, stop: Callable[[], bool] | None = None) -> None:
        """One epoch for every copy that has not diverged (``stop`` polled between mini-batches)."""
        for trainer in self.trainers:
            if stop is not None and stop():
                return
            if not trainer.diverged:
                trainer.train_epoch(stop)

    def copy_weights(self, k: int) -> tuple[dict, dict]:
        """Copy k's weight matrices and kernels (dim ≥ 2) and their gradients at the last step."""
        weights = self.trainers[k]._weights
        return ({name: p.detach() for name, p in weights.items()},
                {name: p.grad.detach() for name, p in weights.items() if p.grad is not None})

    def measure(self) -> SweepRecord:
        """Every copy's numbers (one host transfer per copy)."""
        records = [t.measure() for t in self.trainers]
        accuracy = [r.test_accuracy for r in records]
        return SweepRecord(
            epoch=self.epoch, train_loss=[r.train_loss for r in records], test_loss=[r.test_loss for r in records],
            weight_norm=[r.weight_norm for r in records], penalty=[r.penalty for r in records],
            zeros=[r.zeros for r in records], diverged=self.diverged,
            test_accuracy=None if accuracy[0] is None else accuracy,
            val_loss=None if records[0].val_loss is None else [r.val_loss for r in records],
        )
