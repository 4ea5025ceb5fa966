"""A training session: what the app's worker thread runs. It builds the experiment, trains the run
(and, with compare on, a baseline — λ = 0 unless told otherwise — from the same data and
initialization) through the
engine's ``train_together``, and posts messages. It never touches a widget.

Publishing: each ``RunResult`` history is append-only and written by this thread alone; a
snapshot says how long each history was when it was taken, and the app reads only that much.
Posts are throttled here (``POST_INTERVAL``), so the detail fields (predictions, histograms) are
computed only for the epochs that are shown.
"""

from __future__ import annotations

import time
from typing import Callable

from textual.message import Message

from ..engine.config import Config, ConfigError
from ..engine.control import Control
from ..engine.presets import PRESETS, Run, preset_runs
from ..engine.records import EpochRecord, RunResult
from .messages import DataView, Progress, SessionFailed, SessionReady, Snapshot

POST_INTERVAL = 0.25  # seconds: the app shows ~4 states per second while training


def _column(t) -> list[float]:
    return t.reshape(-1).tolist()


def data_view(experiment) -> DataView:
    """What the Fit chart draws from the data. Classification sends no examples (a CIFAR-10
    training set as lists would be 150 million numbers): its charts need only the class names."""
    data = experiment.data
    if data.classes is not None:
        return DataView(fit=experiment.fit, x_train=[], y_train=[], x_test=[], y_test=[],
                        grid_x=None, grid_y=None, true_weights=None, classes=data.classes)
    return DataView(
        fit=experiment.fit,
        x_train=data.x_train.tolist(), y_train=_column(data.y_train),
        x_test=data.x_test.tolist(), y_test=_column(data.y_test),
        grid_x=None if data.grid_x is None else _column(data.grid_x),
        grid_y=None if data.grid_y is None else _column(data.grid_y),
        true_weights=None if data.true_weights is None else _column(data.true_weights),
        ridge=_ridge(experiment),
    )


def _ridge(experiment):
    """The ridge path of a linear experiment (the weights view's reference), else None."""
    if experiment.fit != "weights":
        return None
    from ..engine.closed_form import ridge_path

    try:
        return ridge_path(experiment)
    except ValueError:  # not a linear model (e.g. --depth 1 on a linear preset)
        return None


def build_or_report(number: int, config: Config, post: Callable[[Message], object], validation: bool = False):
    """The experiment for ``config`` (``validation``: with a sweep's validation set), or None
    after posting why it cannot be built."""
    from ..engine.experiment import build_experiment

    try:
        return build_experiment(config, validation=validation)
    except ConfigError as error:
        post(SessionFailed(number, error.field, error.message))
        return None


def app_runs(config: Config, compare_lam: float) -> tuple[float | None, Run]:
    """The run's dropout p (None: the config's) and the comparison run. Usually the comparison
    is the same model at λ = ``compare_lam``; a preset that compares dropout with decay (the
    dropout preset) trains the config's λ without dropout against its λ = 0 run with dropout p."""
    if config.dropout > 0 and any(run.dropout is not None for run in PRESETS[config.preset].runs):
        runs = preset_runs(config.preset, config.dropout)
        return runs[-1].dropout, runs[0]
    return None, Run(config.regularizer, compare_lam)


class TrainingSession:
    def __init__(self, number: int, config: Config, compare: bool, post: Callable[[Message], object],
                 control: Control, compare_lam: float = 0.0):
        self.number = number
        self.config = config
        self.compare = compare
        self.compare_lam = compare_lam
        self.post = post
        self.control = control
        self.results: tuple[RunResult, ...] = ()
        self._last_post = 0.0
        self._posted: tuple[int, bool] = (-1, False)  # (epoch, finished) of the last post
        self._trainers: list = []

    def run(self) -> None:
        """The worker's body: build, then train until done, cancelled or diverged."""
        from ..engine.devices import available_devices
        from ..engine.trainer import Trainer, train_together

        experiment = build_or_report(self.number, self.config, self.post)
        if experiment is None:
            return
        cfg = self.config
        dropout, baseline = app_runs(cfg, self.compare_lam)
        try:
            self._trainers = [Trainer(experiment, cfg.regularizer, cfg.lam, dropout)]
            if self.compare:
                self._trainers.append(Trainer(experiment, *baseline))
        except ConfigError as error:
            self.post(SessionFailed(self.number, error.field, error.message))
            return
        self.results = tuple(RunResult(t.regularizer.name, t.lam, dropout=t.dropout) for t in self._trainers)
        view = data_view(experiment)
        first = tuple(t.measure(detail=True) for t in self._trainers)
        self.post(SessionReady(self.number, view, self.results, str(experiment.device),
                               available_devices(), experiment.decay_summary(), self._snapshot(first)))
        self._last_post = time.perf_counter()

        for records in train_together(self._trainers, self.control, detail=self._detail_due,
                                      on_block=self._publish_now):
            for result, record in zip(self.results, records):
                if record.epoch > result.epochs:  # a finished baseline repeats its last record
                    result.add(record)
            if records[0].histograms is not None:  # detail was due: this epoch is shown
                self._post(records)
        if not self.control.cancelled and self._posted != (self._trainers[0].epoch, True):
            self._post(tuple(t.last_record or t.measure(detail=True) for t in self._trainers),
                       finished=True)

    def _detail_due(self, epoch: int) -> bool:
        return (time.perf_counter() - self._last_post >= POST_INTERVAL
                or epoch >= self._trainers[0].epochs or self.control.paused)

    def _publish_now(self) -> None:
        """About to pause: show the state the run pauses in, unless that was the last post."""
        if self._posted[0] != self._trainers[0].epoch:
            self._post(tuple(t.measure(detail=True) for t in self._trainers))

    def _post(self, records, finished: bool = False) -> None:
        self._last_post = time.perf_counter()
        snapshot = self._snapshot(records, finished)
        self._posted = (self._trainers[0].epoch, snapshot.finished)
        self.post(Progress(snapshot))

    def _snapshot(self, records: tuple[EpochRecord, ...], finished: bool = False) -> Snapshot:
        done = all(t.done for t in self._trainers)
        return Snapshot(
            session=self.number, records=tuple(records), lengths=tuple(r.epochs for r in self.results),
            epochs=self._trainers[0].epochs, running=not (self.control.paused or finished or done),
            finished=finished or done,
        )
