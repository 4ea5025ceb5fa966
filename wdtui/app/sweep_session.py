"""The app's sweeps, run in worker threads: the λ sweep (one copy of the current model per λ of
the ladder and λ = 0, over a few seeds) and the (lr, λ) grid, each trained as batched models,
posting their latest numbers about four times a second; both choose on a validation set and
stop within a step when cancelled. No widgets here."""

from __future__ import annotations

import time
from typing import Callable

from textual.message import Message

from ..engine.config import Config
from ..engine.training.control import Control
from .messages import GridProgress, GridSnapshot, SweepProgress, SweepSnapshot
from .session import POST_INTERVAL, build_or_report

SWEEP_SEEDS = 3  # seeds of the app's λ sweep where copies are cheap (batched MLPs; else 1)


def eta(trainer, epochs_left: int) -> float | None:
    """Seconds left at the trainer's current speed (None before the first epoch is timed)."""
    return epochs_left / trainer.epochs_per_s if trainer.epochs_per_s > 0 else None


class SweepSession:
    """The λ sweep: one copy per λ (λ = 0, the reference, first) and per seed — ``SWEEP_SEEDS``
    seeds where copies are cheap (``copies_are_cheap``: batched MLPs), else one. Each seed's
    experiment has its validation set; the best λ is chosen on it."""

    def __init__(self, number: int, config: Config, lambdas: list[float],
                 post: Callable[[Message], object], control: Control, seeds: int = SWEEP_SEEDS):
        self.number = number
        self.config = config
        self.lambdas = lambdas if 0.0 in lambdas else [0.0, *lambdas]
        self.post = post
        self.control = control
        self.seeds = seeds

    def _stopped(self) -> bool:
        return self.control.cancelled

    def run(self) -> None:
        from ..engine.sweeps.sweep import SweepResult, sweep_config, sweep_ridge
        from ..engine.training.batched import copies_are_cheap, sweep_trainer

        first = build_or_report(self.number, self.config, self.post, validation=True, stop=self._stopped)
        if first is None:
            return
        seeds = self.seeds if copies_are_cheap(first) else 1
        experiments = [first]
        for s in range(1, seeds):
            experiment = build_or_report(self.number, self.config.with_changes(seed=self.config.seed + s),
                                         self.post, validation=True, stop=self._stopped)
            if experiment is None:
                return
            experiments.append(experiment)
        trainer = sweep_trainer(experiments, self.lambdas)
        classes = first.data.n_outputs if first.data.classes else None
        result = SweepResult(self.lambdas, seeds, self.config.epochs, classes=classes)
        config = sweep_config(self.config, experiments, seeds)
        ridge = sweep_ridge(experiments, self.config.regularizer, self.lambdas)
        stop = lambda: self.control.cancelled  # noqa: E731
        last_post = 0.0
        while not trainer.done and not self.control.cancelled:
            due = time.perf_counter() - last_post >= POST_INTERVAL
            record = trainer.run_epoch(measure=due, stop=stop)  # measuring is costly: only what is shown
            if record is not None:
                result.add(record)
                self.post(SweepProgress(self._snapshot(result, trainer, config, ridge)))
                last_post = time.perf_counter()

    def _snapshot(self, result, trainer, config: dict, ridge) -> SweepSnapshot:
        spreads = result.spreads()
        weights = result.weights()
        as_tuple = lambda rows: None if rows is None else tuple(tuple(r) for r in rows)  # noqa: E731
        return SweepSnapshot(
            session=self.number, preset=self.config.preset, regularizer=self.config.regularizer,
            lambdas=tuple(self.lambdas), epoch=result.last.epoch, epochs=self.config.epochs,
            train_loss=tuple(spreads["train_loss"].mean), test_loss=tuple(spreads["test_loss"].mean),
            weight_norm=tuple(spreads["weight_norm"].mean), diverged=tuple(result.diverged),
            best_index=result.best_index, finished=trainer.done,
            val_loss=tuple(spreads["val_loss"].mean), seeds=result.seeds, copies=trainer.copies,
            best_range=result.best_range, verdict=tuple(result.verdict()), unlearned=result.at_chance(),
            weights=as_tuple(weights), ridge=as_tuple(ridge) if weights is not None else None,
            eta_s=eta(trainer, trainer.epochs - trainer.epoch), document=result.to_dict(config, ridge),
        )


GRID_LRS = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
# λ = 0 is the reference every λ is compared with (the best line gives its loss at the best lr);
# it takes the place of 1e-5, whose decay per step (η·λ ≤ 1e-6) is next to none at these lrs
GRID_LAMBDAS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


class GridSession:
    """The (lr, λ) grid of Loshchilov & Hutter's Fig. 2: coupled, then decoupled decay, each one
    batched model over the grid; the latest measured grids posted about four times a second."""

    def __init__(self, number: int, config: Config, post: Callable[[Message], object], control: Control,
                 lrs=GRID_LRS, lambdas=GRID_LAMBDAS, regularizers=("coupled", "decoupled")):
        self.number, self.config, self.post, self.control = number, config, post, control
        self.lrs, self.lambdas, self.regularizers = list(lrs), list(lambdas), list(regularizers)

    def _stopped(self) -> bool:
        return self.control.cancelled

    def run(self) -> None:
        from ..engine.sweeps.sweep import GridResult, grid_document, sweep_config
        from ..engine.training.batched import sweep_trainer

        experiment = build_or_report(self.number, self.config, self.post, validation=True, stop=self._stopped)
        if experiment is None:
            return
        config = sweep_config(self.config, [experiment], 1)
        stop = lambda: self.control.cancelled  # noqa: E731
        done: list = []
        for index, regularizer in enumerate(self.regularizers):
            trainer = sweep_trainer([experiment], self.lambdas, regularizer, lrs=self.lrs)
            last_post = 0.0
            while not trainer.done:
                if self.control.cancelled:
                    return
                due = time.perf_counter() - last_post >= POST_INTERVAL
                record = trainer.run_epoch(measure=due, stop=stop)
                if record is not None:
                    grid = GridResult(regularizer, self.lrs, self.lambdas, 1, record)
                    finished = trainer.done and regularizer == self.regularizers[-1]
                    if trainer.done:
                        done.append(grid)
                    grids = tuple(done) if trainer.done else (*done, grid)
                    later = len(self.regularizers) - index - 1
                    self.post(GridProgress(GridSnapshot(
                        self.number, self.config.preset, grids, regularizer, trainer.epoch, trainer.epochs,
                        finished, eta_s=eta(trainer, trainer.epochs - trainer.epoch + later * trainer.epochs),
                        document=grid_document(config, list(grids), finished))))
                    last_post = time.perf_counter()
