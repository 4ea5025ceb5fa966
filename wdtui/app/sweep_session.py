"""The app's λ sweep: one copy of the current model per λ of the ladder, trained as one batched
model in a worker thread, posting per-λ numbers about four times a second. No widgets here."""

from __future__ import annotations

import time
from typing import Callable

from textual.message import Message

from ..engine.config import Config, ConfigError
from ..engine.control import Control
from .messages import SessionFailed, SweepProgress, SweepSnapshot
from .session import POST_INTERVAL


class SweepSession:
    def __init__(self, number: int, config: Config, lambdas: list[float],
                 post: Callable[[Message], object], control: Control):
        self.number = number
        self.config = config
        self.lambdas = lambdas
        self.post = post
        self.control = control

    def run(self) -> None:
        from ..engine.batched import BatchedTrainer
        from ..engine.experiment import build_experiment
        from ..engine.sweep import SweepResult

        try:
            trainer = BatchedTrainer([build_experiment(self.config)], self.lambdas)
        except ConfigError as error:
            self.post(SessionFailed(self.number, error.field, error.message))
            return
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
