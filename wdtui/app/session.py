"""A training session: what the app's worker thread runs. It builds the experiment, trains the run
(and, with compare on, a baseline — λ = 0 unless told otherwise — from the same data and
initialization) as one batched model where that pays (``live_runs.batches_live``: the small
models of the MLP presets; the engine's ``LiveRuns``, each copy exactly its lone run), else as
lone trainers in turn through the engine's ``train_together``, and posts messages. It never touches a widget.

Publishing: each ``RunResult`` history is append-only and written by this thread alone; a
snapshot says how long each history was when it was taken, and the app reads only that much.
Posts are throttled here (``POST_INTERVAL``), so the detail fields (predictions, histograms) are
computed only for the epochs that are shown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import partial
from typing import Callable

from textual.message import Message

from ..engine.config import Config, ConfigError
from ..engine.lessons.presets import PRESETS, Run
from ..engine.training.control import Control
from ..engine.training.records import EpochRecord, RunResult
from .board import SessionBoards
from .messages import BuildProgress, DataView, EpochProgress, Progress, SessionFailed, SessionReady, Snapshot

POST_INTERVAL = 0.25  # seconds: the app shows ~4 states per second while training


def _column(t) -> list[float]:
    return t.reshape(-1).tolist()


def data_view(experiment) -> DataView:
    """What the Fit chart draws from the data. Classification sends no examples (a CIFAR-10
    training set as lists would be 150 million numbers): its charts need only the class names.
    The Layers tab gets the names of the scale-invariant weights."""
    from ..engine.data.dataset import shown_rows
    from ..engine.training.models import scale_invariant

    data = experiment.data
    invariant = tuple(scale_invariant(experiment.base_model))
    if data.classes is not None:
        return DataView(fit=experiment.fit, x_train=[], y_train=[], x_test=[], y_test=[],
                        grid_x=None, grid_y=None, true_weights=None, classes=data.classes,
                        scale_invariant=invariant, n_train=len(data.x_train), n_test=len(data.x_test))
    seed = experiment.config.seed  # the rows the trainer's records carry predictions for

    def rows(t, seed):
        shown = shown_rows(len(t), seed)
        return t if shown is None else t[shown.to(t.device)]

    return DataView(
        fit=experiment.fit,
        x_train=rows(data.x_train, seed).tolist(), y_train=_column(rows(data.y_train, seed)),
        x_test=rows(data.x_test, seed + 1).tolist(), y_test=_column(rows(data.y_test, seed + 1)),
        n_train=len(data.x_train), n_test=len(data.x_test),
        grid_x=None if data.grid_x is None else _column(data.grid_x[:, 0]),  # x (poly's features: x…x^M)
        grid_y=None if data.grid_y is None else _column(data.grid_y),
        true_weights=None if data.true_weights is None else _column(data.true_weights),
        ridge=_ridge(experiment),
        scale_invariant=invariant,
    )


def _ridge(experiment):
    """The ridge path of a linear experiment (the weights view's reference), else None."""
    if experiment.fit != "weights":
        return None
    from ..engine.lessons.closed_form import ridge_path

    try:
        return ridge_path(experiment)
    except ValueError:  # not a linear model (e.g. --depth 1 on a linear preset)
        return None


def layer_labels(model) -> dict[str, str]:
    """Each weight matrix's name on the Weights tab: its layer, and whether a LayerNorm follows it
    (then its scale does not change what the model computes)."""
    from ..engine.training.models import layer_names, scale_invariant

    invariant = set(scale_invariant(model))
    return {name: label + (" · scale-invariant: a LayerNorm follows" if name in invariant else "")
            for name, label in layer_names(model).items()}


def build_or_report(number: int, config: Config, post: Callable[[Message], object], validation: bool = False,
                    stop: Callable[[], bool] | None = None):
    """The experiment for ``config`` (``validation``: with a sweep's validation set), or None
    after posting why it cannot be built, or when ``stop()`` said stop between its steps (the
    app is quitting, the session was replaced). Each step is posted (:class:`BuildProgress`)."""
    from ..engine.experiment import BuildStopped, build_experiment, freeze_startup_objects

    try:
        experiment = build_experiment(config, validation=validation, stop=stop,
                                      progress=lambda what, share: post(BuildProgress(number, what, share)))
    except ConfigError as error:
        post(SessionFailed(number, error.field, error.message))
        return None
    except BuildStopped:
        return None
    freeze_startup_objects()  # a full collection inside training costs ~100 ms (experiment.py)
    return experiment


def preset_comparison(config: Config, run_dropout: float | None = None) -> tuple[Config, Run]:
    """The run and its comparison as the preset compares them: the preset's run with the preset's
    own regularizer and λ is the run (``config`` with that run's dropout p), the preset's other
    run its comparison. E.g. sparse: l1 λ=0.2 beside l2 λ=0.2; quadratic: λ=0.1 beside λ=0.01;
    dropout: coupled λ=0.01 without dropout beside none λ=0 with dropout p 0.5. ``run_dropout``
    (``--dropout``, as given): the run's p, as the sidebar's "dropout p" is; a preset run with a
    p of its own (dropout's) keeps it, and one without takes the config's. When that comparison
    is the run itself (the user chose the other run's setting), the comparison is the same run
    at λ = 0."""
    preset = PRESETS[config.preset]
    runs = list(preset.runs)
    own = (preset.config["regularizer"], preset.config["lam"])
    main = next((i for i, run in enumerate(preset.runs) if (run.regularizer, run.lam) == own), len(runs) - 1)
    p = lambda run: config.dropout if run.dropout is None else run.dropout  # noqa: E731
    config = replace(config, dropout=p(runs[main]) if run_dropout is None else run_dropout)
    other = runs[1 - main] if len(runs) > 1 else Run(config.regularizer, 0.0)
    comparison = Run(other.regularizer, other.lam, p(other))
    if comparison == (config.regularizer, config.lam, config.dropout):
        comparison = Run(config.regularizer, 0.0, config.dropout)
    return config, comparison


def setting_label(run: Run) -> str:
    """A comparison run named by its setting: ``l2 λ=0.2``, ``none p=0.5``, ``l2 λ=0.01 adam``
    (no λ under regularizer none, which has none; the optimizer only where it is not the run's)."""
    lam = "" if run.regularizer == "none" else f" λ={run.lam:g}"
    return (f"{run.regularizer}{lam}" + (f" p={run.dropout:g}" if run.dropout else "")
            + (f" {run.optimizer}" if run.optimizer else ""))


@dataclass(frozen=True)
class Mark:
    """A change of the run's setting between epochs: ``epoch`` is the first epoch trained with it."""

    epoch: int
    text: str  # e.g. "λ 0.01→0.0178"


def setting_changes(before: EpochRecord, after: EpochRecord) -> str:
    """What changed between two records' settings (λ, lr, regularizer), or ""."""
    parts = []
    if after.regularizer != before.regularizer:
        parts.append(f"{before.regularizer}→{after.regularizer}")
    if after.lam != before.lam:
        parts.append(f"λ {before.lam:.3g}→{after.lam:.3g}")
    if after.lr != before.lr:
        parts.append(f"lr {before.lr:.3g}→{after.lr:.3g}")
    return ", ".join(parts)


class TrainingSession:
    """The run (``config``) and, unless ``comparison`` is None, its comparison: the same data,
    initialization and lr with the comparison's regularizer, λ, dropout p and optimizer."""

    def __init__(self, number: int, config: Config, comparison: Run | None,
                 post: Callable[[Message], object], control: Control):
        self.number = number
        self.config = config
        self.comparison = comparison
        self.post = post
        self.control = control
        self.results: tuple[RunResult, ...] = ()
        self._last_post = 0.0
        self._last_within = 0.0
        self._posted: tuple[int, bool] = (-1, False)  # (epoch, finished) of the last post
        self._trainers: list = []
        self.marks: tuple[list[Mark], ...] = ()  # per run, append-only (read while it grows)
        self.boards = SessionBoards(config.seed)  # TensorBoard, while the app switches it on

    def run(self) -> None:
        """The worker's body: build, then train until done, cancelled or diverged. A finished run
        waits (paused) until it is resumed with more epochs to train, or cancelled."""
        try:
            self._run()
        finally:
            self.boards.close()

    def _run(self) -> None:
        from ..engine.devices import available_devices
        from ..engine.training.live_runs import LiveRuns, batches_live
        from ..engine.training.solvers import make_trainer
        from ..engine.training.trainer import apply_changes, train_together

        cfg, other = self.config, self.comparison
        # dropout layers are built when either run uses them; each run sets its own p
        built = cfg if other is None else replace(cfg, dropout=max(cfg.dropout, other.dropout or 0.0))
        stop = lambda: self.control.cancelled  # noqa: E731  (quitting must not wait for the build)
        experiment = build_or_report(self.number, built, self.post, stop=stop)
        if experiment is None:
            return
        self.post(BuildProgress(self.number, "measuring the untrained model", 0.0))
        try:
            if other is not None and batches_live(experiment, [Run(cfg.regularizer, cfg.lam, cfg.dropout), other]):
                # run and comparison as the two copies of one batched model (one pass per step)
                live = LiveRuns(experiment, [(cfg.regularizer, cfg.lam), (other.regularizer, other.lam)],
                                [cfg.dropout, other.dropout])
                self._trainers, train = live.copy_views, live.train_together
            else:
                self._trainers = [make_trainer(experiment, cfg.regularizer, cfg.lam, cfg.dropout)]
                if other is not None and not stop():
                    self._trainers.append(make_trainer(experiment, *other))
                train = partial(train_together, self._trainers)
        except ConfigError as error:
            self.post(SessionFailed(self.number, error.field, error.message))
            return
        if stop():
            return
        self.results = tuple(RunResult(t.regularizer.name, t.lam, dropout=t.dropout,
                                       measured_epochs=t.schedule.to_dict()) for t in self._trainers)
        self.marks = tuple([] for _ in self._trainers)
        labels = ("run",) + (() if other is None else (f"vs {setting_label(other)}",))
        view = data_view(experiment)
        first = tuple(t.measure(detail=True, stop=stop) for t in self._trainers)
        if None in first:  # stopped while measuring
            return
        previous = list(first)
        self.post(SessionReady(self.number, view, self.results, str(experiment.device),
                               available_devices(), experiment.decay_summary(), self._snapshot(first),
                               labels=labels, marks=self.marks, layers=layer_labels(experiment.base_model)))
        self._last_post = time.perf_counter()

        while True:
            for records in train(self.control, detail=self._detail_due, on_block=self._publish_now,
                                 progress=self._within_epoch):
                for i, (result, record, trainer) in enumerate(zip(self.results, records, self._trainers)):
                    # a change is marked at its epoch: the first epoch after one is always
                    # measured (_detail_due), shown or on the schedule
                    if record.epoch > previous[i].epoch:
                        # before the first epoch the setting asked for is the run's own: no change
                        change = setting_changes(previous[i], record) if previous[i].epoch > 0 else ""
                        if change:
                            self.marks[i].append(Mark(record.epoch, change))
                        previous[i] = record
                    # the history keeps the epochs of the schedule (a shown epoch off it is not
                    # kept: the history is the same however fast the screen is); a finished or
                    # unmeasured baseline repeats its last record
                    if record.epoch > result.epochs and (trainer.schedule.due(record.epoch, trainer.epochs)
                                                         or trainer.done):
                        result.add(record)
                        self.boards.add(i, record, self.results)
                if records[0].histograms is not None:  # detail was due: this epoch is shown
                    self._post(records)
            if self.control.cancelled:
                return
            if self._posted != (self._trainers[0].epoch, True):
                self._post(tuple(t.last_record or t.measure(detail=True) for t in self._trainers),
                           finished=True)
            # finished: nothing is thrown away; wait for more epochs (resume) or the end
            self.control.pause()
            while all(t.done for t in self._trainers):
                if not self.control.wait():
                    return
                apply_changes(self._trainers, self.control.take_changes())
                if all(t.done for t in self._trainers):
                    self.control.pause()
                    self._posted = (-1, False)
                    self._post(tuple(t.last_record or t.measure(detail=True) for t in self._trainers),
                               finished=True)

    def data_size(self) -> int:
        """Numbers its data holds (0 before it is built): what keeping this session costs."""
        if not self._trainers:
            return 0
        data = self._trainers[0].experiment.data
        return sum(t.numel() for t in (data.x_train, data.y_train, data.x_test, data.y_test) if t is not None)

    def _within_epoch(self, epoch: int, share: float) -> None:
        """A long epoch's progress, posted at most every ``POST_INTERVAL`` (never in a short one)."""
        now = time.perf_counter()
        if now - self._last_within >= POST_INTERVAL and now - self._last_post >= POST_INTERVAL:
            self._last_within = now
            self.post(EpochProgress(self.number, epoch, share))

    def _detail_due(self, epoch: int) -> bool:
        """Whether the coming epoch is shown: every epoch when they take longer than
        ``POST_INTERVAL`` (else the screen would lag an epoch behind a long epoch's progress)."""
        slow = self._trainers[0].epochs_per_s < 1 / POST_INTERVAL
        return (slow or time.perf_counter() - self._last_post >= POST_INTERVAL
                or epoch >= self._trainers[0].epochs or self.control.paused or self._changed())

    def _changed(self) -> bool:
        """Whether a trainer's setting (λ, regularizer, lr) is not its last record's: a change was
        just applied, and the epoch it starts at is measured and shown (its mark is exact)."""
        for t in self._trainers:
            last = t.last_record
            if last is not None and (t.lam != last.lam or t.lr != last.lr or t.regularizer.name != last.regularizer):
                return True
        return False

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
            session=self.number, records=tuple(records), lengths=tuple(r.length for r in self.results),
            epochs=self._trainers[0].epochs, running=not (self.control.paused or finished or done),
            finished=finished or done,
        )
