"""The app's sweeps, run in worker threads: the λ sweep (one copy of the current model per λ of
the ladder) and the (lr, λ) grid, each trained as batched models, posting their latest numbers
about four times a second. No widgets here."""

from __future__ import annotations

import time
from typing import Callable

from textual.message import Message

from ..engine.config import Config
from ..engine.control import Control
from .messages import GridProgress, GridSnapshot, SweepProgress, SweepSnapshot
from .session import POST_INTERVAL, build_or_report


class SweepSession:
    def __init__(self, number: int, config: Config, lambdas: list[float],
                 post: Callable[[Message], object], control: Control):
        self.number = number
        self.config = config
        self.lambdas = lambdas
        self.post = post
        self.control = control

    def run(self) -> None:
        from ..engine.batched import sweep_trainer
        from ..engine.sweep import SweepResult

        experiment = build_or_report(self.number, self.config, self.post)
        if experiment is None:
            return
        trainer = sweep_trainer([experiment], self.lambdas)
        result = SweepResult(self.lambdas, 1, self.config.epochs)
        last_post = 0.0
        while not trainer.done and not self.control.cancelled:
            due = time.perf_counter() - last_post >= POST_INTERVAL
            record = trainer.run_epoch(measure=due)  # measuring is costly: only what is shown
            if record is not None:
                result.add(record)
                self.post(SweepProgress(self._snapshot(result, trainer.done)))
                last_post = time.perf_counter()

    def _snapshot(self, result, finished: bool) -> SweepSnapshot:
        final = result.final()
        return SweepSnapshot(
            session=self.number, preset=self.config.preset, regularizer=self.config.regularizer,
            lambdas=tuple(self.lambdas), epoch=result.last.epoch, epochs=self.config.epochs,
            train_loss=tuple(final["train_loss"][0]), test_loss=tuple(final["test_loss"][0]),
            weight_norm=tuple(final["weight_norm"][0]), diverged=tuple(result.diverged),
            best_index=result.best_index, finished=finished,
        )


GRID_LRS = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
GRID_LAMBDAS = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


class GridSession:
    """The (lr, λ) grid of Loshchilov & Hutter's Fig. 2: coupled, then decoupled decay, each one
    batched model over the grid; the latest measured grids posted about four times a second."""

    def __init__(self, number: int, config: Config, post: Callable[[Message], object], control: Control,
                 lrs=GRID_LRS, lambdas=GRID_LAMBDAS, regularizers=("coupled", "decoupled")):
        self.number, self.config, self.post, self.control = number, config, post, control
        self.lrs, self.lambdas, self.regularizers = list(lrs), list(lambdas), list(regularizers)

    def run(self) -> None:
        from ..engine.batched import sweep_trainer
        from ..engine.sweep import GridResult

        experiment = build_or_report(self.number, self.config, self.post)
        if experiment is None:
            return
        done: list = []
        for regularizer in self.regularizers:
            trainer = sweep_trainer([experiment], self.lambdas, regularizer, lrs=self.lrs)
            last_post = 0.0
            while not trainer.done:
                if self.control.cancelled:
                    return
                due = time.perf_counter() - last_post >= POST_INTERVAL
                record = trainer.run_epoch(measure=due)
                if record is not None:
                    grid = GridResult(regularizer, self.lrs, self.lambdas, 1, record)
                    finished = trainer.done and regularizer == self.regularizers[-1]
                    if trainer.done:
                        done.append(grid)
                    grids = tuple(done) if trainer.done else (*done, grid)
                    self.post(GridProgress(GridSnapshot(self.number, self.config.preset, grids, regularizer,
                                                        trainer.epoch, trainer.epochs, finished)))
                    last_post = time.perf_counter()
